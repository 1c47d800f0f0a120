"""A zone deleted with X-Designate-Hard-Delete says so, for the targets that remove it.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("zones") as batch_op:
        batch_op.add_column(
            sa.Column("hard_delete", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("zones") as batch_op:
        batch_op.drop_column("hard_delete")
