"""SECONDARY zones: when each is next refreshed from its masters, and when one last answered.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    with op.batch_alter_table("zones") as batch_op:
        batch_op.add_column(sa.Column("next_refresh_at", TIMESTAMP, nullable=True))
        batch_op.add_column(sa.Column("refreshed_at", TIMESTAMP, nullable=True))
        batch_op.create_index("ix_zones_refresh", ["next_refresh_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("zones") as batch_op:
        batch_op.drop_index("ix_zones_refresh")
        batch_op.drop_column("refreshed_at")
        batch_op.drop_column("next_refresh_at")
