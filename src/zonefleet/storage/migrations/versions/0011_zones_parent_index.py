"""Subzones are looked up by (parent_zone_id, deleted): one index for both.

With the index on parent_zone_id alone, SQLite (no statistics) chose ix_zones_list for
`deleted = ?` and read every live zone on each recordset create (15 ms at 100,000 zones).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("zones") as batch_op:
        batch_op.drop_index("ix_zones_parent_zone_id")
        batch_op.create_index("ix_zones_parent", ["parent_zone_id", "deleted"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("zones") as batch_op:
        batch_op.drop_index("ix_zones_parent")
        batch_op.create_index("ix_zones_parent_zone_id", ["parent_zone_id"], unique=False)
