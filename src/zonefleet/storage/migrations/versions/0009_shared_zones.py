"""Shared zones: a zone shared with other projects, and the zone's `shared` flag.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    with op.batch_alter_table("zones") as batch_op:
        batch_op.add_column(
            sa.Column("shared", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "shared_zones",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("zone_id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=255), nullable=False),
        sa.Column("target_project_id", sa.String(length=255), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["zone_id"],
            ["zones.id"],
            name=op.f("fk_shared_zones_zone_id_zones"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shared_zones")),
        sa.UniqueConstraint(
            "zone_id", "target_project_id", name=op.f("uq_shared_zones_zone_id_target_project_id")
        ),
    )
    with op.batch_alter_table("shared_zones") as batch_op:
        batch_op.create_index("ix_shared_zones_target", ["target_project_id"])


def downgrade() -> None:
    with op.batch_alter_table("shared_zones") as batch_op:
        batch_op.drop_index("ix_shared_zones_target")
    op.drop_table("shared_zones")
    with op.batch_alter_table("zones") as batch_op:
        batch_op.drop_column("shared")
