"""Service statuses: every process's heartbeat, for `GET /v2/service_statuses`.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "service_statuses",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("service_name", sa.String(length=64), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.Column("capabilities", sa.JSON(), nullable=False),
        sa.Column("heartbeated_at", TIMESTAMP, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_statuses")),
    )
    with op.batch_alter_table("service_statuses") as batch_op:
        batch_op.create_index(
            "ix_service_statuses_heartbeated_at", ["heartbeated_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("service_statuses") as batch_op:
        batch_op.drop_index("ix_service_statuses_heartbeated_at")
    op.drop_table("service_statuses")
