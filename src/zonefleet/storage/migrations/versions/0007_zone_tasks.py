"""Zone import and export tasks.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "zone_exports",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=255), nullable=False),
        sa.Column("zone_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message", sa.String(length=255), nullable=True),
        sa.Column("location", sa.String(length=255), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zone_exports")),
    )
    with op.batch_alter_table("zone_exports") as batch_op:
        batch_op.create_index("ix_zone_exports_project", ["project_id", "created_at"])
    op.create_table(
        "zone_imports",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=255), nullable=False),
        sa.Column("zone_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zone_imports")),
    )
    with op.batch_alter_table("zone_imports") as batch_op:
        batch_op.create_index("ix_zone_imports_project", ["project_id", "created_at"])


def downgrade() -> None:
    with op.batch_alter_table("zone_imports") as batch_op:
        batch_op.drop_index("ix_zone_imports_project")
    op.drop_table("zone_imports")
    with op.batch_alter_table("zone_exports") as batch_op:
        batch_op.drop_index("ix_zone_exports_project")
    op.drop_table("zone_exports")
