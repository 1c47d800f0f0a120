"""Propagation: pool nameservers, targets and also-notifies, TSIG keys, per-target and
per-nameserver zone state, and the zone timeline.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _pool_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["pool_id"], ["pools.id"], name=op.f(f"fk_{table}_pool_id_pools"), ondelete="CASCADE"
    )


def _zone_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["zone_id"], ["zones.id"], name=op.f(f"fk_{table}_zone_id_zones"), ondelete="CASCADE"
    )


def upgrade() -> None:
    with op.batch_alter_table("pools") as batch_op:
        batch_op.add_column(
            sa.Column("threshold_percentage", sa.Integer(), nullable=False, server_default="100")
        )
        batch_op.add_column(sa.Column("catalog_zone", sa.JSON(), nullable=True))
    with op.batch_alter_table("zones") as batch_op:
        batch_op.create_index("ix_zones_status", ["status"], unique=False)
    op.create_table(
        "pool_nameservers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("pool_id", sa.String(length=36), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("tsigkey_name", sa.String(length=160), nullable=True),
        _pool_fk("pool_nameservers"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pool_nameservers")),
        sa.UniqueConstraint(
            "pool_id", "host", "port", name=op.f("uq_pool_nameservers_pool_id_host_port")
        ),
    )
    op.create_table(
        "pool_targets",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("pool_id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("description", sa.String(length=160), nullable=True),
        sa.Column("masters", sa.JSON(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("tsigkey_name", sa.String(length=160), nullable=True),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        _pool_fk("pool_targets"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pool_targets")),
    )
    op.create_table(
        "pool_also_notifies",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("pool_id", sa.String(length=36), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        _pool_fk("pool_also_notifies"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pool_also_notifies")),
        sa.UniqueConstraint(
            "pool_id", "host", "port", name=op.f("uq_pool_also_notifies_pool_id_host_port")
        ),
    )
    op.create_table(
        "tsigkeys",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("algorithm", sa.String(length=32), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("resource_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tsigkeys")),
        sa.UniqueConstraint("name", name=op.f("uq_tsigkeys_name")),
    )
    op.create_table(
        "zone_targets",
        sa.Column("zone_id", sa.String(length=36), nullable=False),
        sa.Column("target_id", sa.String(length=36), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("serial", sa.BigInteger(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TIMESTAMP, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("since", TIMESTAMP, nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", TIMESTAMP, nullable=True),
        _zone_fk("zone_targets"),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["pool_targets.id"],
            name=op.f("fk_zone_targets_target_id_pool_targets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("zone_id", "target_id", name=op.f("pk_zone_targets")),
    )
    op.create_table(
        "zone_nameservers",
        sa.Column("zone_id", sa.String(length=36), nullable=False),
        sa.Column("nameserver", sa.String(length=300), nullable=False),
        sa.Column("serial", sa.BigInteger(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("checked_at", TIMESTAMP, nullable=False),
        sa.Column("since", TIMESTAMP, nullable=False),
        _zone_fk("zone_nameservers"),
        sa.PrimaryKeyConstraint("zone_id", "nameserver", name=op.f("pk_zone_nameservers")),
    )
    op.create_table(
        "zone_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("zone_id", sa.String(length=36), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=True),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("serial", sa.BigInteger(), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zone_events")),
    )
    with op.batch_alter_table("zone_events") as batch_op:
        batch_op.create_index("ix_zone_events_zone", ["zone_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("zone_events") as batch_op:
        batch_op.drop_index("ix_zone_events_zone")
    for table in (
        "zone_events", "zone_nameservers", "zone_targets", "tsigkeys",
        "pool_also_notifies", "pool_targets", "pool_nameservers",
    ):  # fmt: skip
        op.drop_table(table)
    with op.batch_alter_table("zones") as batch_op:
        batch_op.drop_index("ix_zones_status")
    with op.batch_alter_table("pools") as batch_op:
        batch_op.drop_column("catalog_zone")
        batch_op.drop_column("threshold_percentage")
