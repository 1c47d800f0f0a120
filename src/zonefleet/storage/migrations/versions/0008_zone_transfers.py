"""Zone transfers between projects: requests and accepts.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "zone_transfer_requests",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("zone_id", sa.String(length=36), nullable=False),
        sa.Column("zone_name", sa.String(length=255), nullable=False),
        sa.Column("project_id", sa.String(length=255), nullable=False),
        sa.Column("target_project_id", sa.String(length=255), nullable=True),
        sa.Column("description", sa.String(length=160), nullable=True),
        sa.Column("key", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["zone_id"],
            ["zones.id"],
            name=op.f("fk_zone_transfer_requests_zone_id_zones"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zone_transfer_requests")),
    )
    with op.batch_alter_table("zone_transfer_requests") as batch_op:
        batch_op.create_index("ix_zone_transfer_requests_project", ["project_id", "created_at"])
        batch_op.create_index(
            "ix_zone_transfer_requests_target", ["target_project_id", "created_at"]
        )
    op.create_table(
        "zone_transfer_accepts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("zone_transfer_request_id", sa.String(length=36), nullable=False),
        sa.Column("zone_id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=255), nullable=False),
        sa.Column("key", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zone_transfer_accepts")),
    )
    with op.batch_alter_table("zone_transfer_accepts") as batch_op:
        batch_op.create_index("ix_zone_transfer_accepts_project", ["project_id", "created_at"])


def downgrade() -> None:
    with op.batch_alter_table("zone_transfer_accepts") as batch_op:
        batch_op.drop_index("ix_zone_transfer_accepts_project")
    op.drop_table("zone_transfer_accepts")
    with op.batch_alter_table("zone_transfer_requests") as batch_op:
        batch_op.drop_index("ix_zone_transfer_requests_target")
        batch_op.drop_index("ix_zone_transfer_requests_project")
    op.drop_table("zone_transfer_requests")
