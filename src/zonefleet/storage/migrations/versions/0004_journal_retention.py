"""Journal retention: an index on the zone journal's age, for the producer's prune.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("zone_journal") as batch_op:
        batch_op.create_index("ix_zone_journal_created_at", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("zone_journal") as batch_op:
        batch_op.drop_index("ix_zone_journal_created_at")
