"""Blacklists: the zone-name patterns of `/v2/blacklists`.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "blacklists",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("pattern", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=160), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blacklists")),
        sa.UniqueConstraint("pattern", name=op.f("uq_blacklists_pattern")),
    )


def downgrade() -> None:
    op.drop_table("blacklists")
