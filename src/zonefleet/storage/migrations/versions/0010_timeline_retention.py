"""The zones' timelines are pruned by age: an index on the step's time.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("zone_events") as batch_op:
        batch_op.create_index("ix_zone_events_at", ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("zone_events") as batch_op:
        batch_op.drop_index("ix_zone_events_at")
