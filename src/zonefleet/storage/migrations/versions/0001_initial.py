"""Initial schema: pools, zones, recordsets, records, the zone journal and quotas.

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

DEFAULT_POOL_ID = "794ccc2c-d751-44fe-b57f-8894c9f5c842"
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
BINARY_NAME = (
    sa.String(255)
    .with_variant(sa.String(255, collation="C"), "postgresql")
    .with_variant(sa.String(255, collation="utf8mb4_bin"), "mysql", "mariadb")
)


def upgrade() -> None:
    op.create_table(
        "pools",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("description", sa.String(length=160), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pools")),
        sa.UniqueConstraint("name", name=op.f("uq_pools_name")),
    )
    op.create_table(
        "quotas",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=255), nullable=False),
        sa.Column("resource", sa.String(length=32), nullable=False),
        sa.Column("hard_limit", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quotas")),
        sa.UniqueConstraint("project_id", "resource", name=op.f("uq_quotas_project_id_resource")),
    )
    op.create_table(
        "pool_ns_records",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("pool_id", sa.String(length=36), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["pools.id"],
            name=op.f("fk_pool_ns_records_pool_id_pools"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pool_ns_records")),
        sa.UniqueConstraint(
            "pool_id", "hostname", name=op.f("uq_pool_ns_records_pool_id_hostname")
        ),
    )
    op.create_table(
        "zones",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=255), nullable=False),
        sa.Column("pool_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("reverse_name", BINARY_NAME, nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("ttl", sa.Integer(), nullable=False),
        sa.Column("serial", sa.BigInteger(), nullable=False),
        sa.Column("refresh", sa.Integer(), nullable=False),
        sa.Column("retry", sa.Integer(), nullable=False),
        sa.Column("expire", sa.Integer(), nullable=False),
        sa.Column("minimum", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("description", sa.String(length=160), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("masters", sa.JSON(), nullable=False),
        sa.Column("parent_zone_id", sa.String(length=36), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=True),
        sa.Column("transferred_at", TIMESTAMP, nullable=True),
        sa.Column("deleted", sa.String(length=36), nullable=False),
        sa.Column("deleted_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(["pool_id"], ["pools.id"], name=op.f("fk_zones_pool_id_pools")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zones")),
        sa.UniqueConstraint(
            "pool_id", "name", "deleted", name=op.f("uq_zones_pool_id_name_deleted")
        ),
    )
    with op.batch_alter_table("zones", schema=None) as batch_op:
        batch_op.create_index("ix_zones_list", ["deleted", "created_at", "id"], unique=False)
        batch_op.create_index("ix_zones_name", ["name", "deleted"], unique=False)
        batch_op.create_index("ix_zones_parent_zone_id", ["parent_zone_id"], unique=False)
        batch_op.create_index(
            "ix_zones_project_list", ["project_id", "deleted", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_zones_reverse_name", ["deleted", "reverse_name"], unique=False)

    op.create_table(
        "recordsets",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("zone_id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("ttl", sa.Integer(), nullable=True),
        sa.Column("description", sa.String(length=160), nullable=True),
        sa.Column("serial", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("managed", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zones.id"], name=op.f("fk_recordsets_zone_id_zones"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recordsets")),
        sa.UniqueConstraint(
            "zone_id", "name", "type", name=op.f("uq_recordsets_zone_id_name_type")
        ),
    )
    with op.batch_alter_table("recordsets", schema=None) as batch_op:
        batch_op.create_index("ix_recordsets_name", ["name"], unique=False)
        batch_op.create_index(
            "ix_recordsets_project_list", ["project_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_recordsets_zone_list", ["zone_id", "created_at", "id"], unique=False
        )

    op.create_table(
        "zone_journal",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("zone_id", sa.String(length=36), nullable=False),
        sa.Column("serial", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("op", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("ttl", sa.Integer(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["zone_id"],
            ["zones.id"],
            name=op.f("fk_zone_journal_zone_id_zones"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zone_journal")),
    )
    with op.batch_alter_table("zone_journal", schema=None) as batch_op:
        batch_op.create_index(
            "ix_zone_journal_zone_serial", ["zone_id", "serial", "seq"], unique=False
        )

    op.create_table(
        "records",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("recordset_id", sa.String(length=36), nullable=False),
        sa.Column("zone_id", sa.String(length=36), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["recordset_id"],
            ["recordsets.id"],
            name=op.f("fk_records_recordset_id_recordsets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_records")),
        sa.UniqueConstraint("recordset_id", "hash", name=op.f("uq_records_recordset_id_hash")),
    )
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.create_index("ix_records_zone_id", ["zone_id"], unique=False)

    _create_default_pool()


def downgrade() -> None:
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.drop_index("ix_records_zone_id")

    op.drop_table("records")
    with op.batch_alter_table("zone_journal", schema=None) as batch_op:
        batch_op.drop_index("ix_zone_journal_zone_serial")

    op.drop_table("zone_journal")
    with op.batch_alter_table("recordsets", schema=None) as batch_op:
        batch_op.drop_index("ix_recordsets_zone_list")
        batch_op.drop_index("ix_recordsets_project_list")
        batch_op.drop_index("ix_recordsets_name")

    op.drop_table("recordsets")
    with op.batch_alter_table("zones", schema=None) as batch_op:
        batch_op.drop_index("ix_zones_reverse_name")
        batch_op.drop_index("ix_zones_project_list")
        batch_op.drop_index("ix_zones_parent_zone_id")
        batch_op.drop_index("ix_zones_name")
        batch_op.drop_index("ix_zones_list")

    op.drop_table("zones")
    op.drop_table("pool_ns_records")
    op.drop_table("quotas")
    op.drop_table("pools")


def _create_default_pool() -> None:
    config = op.get_context().config
    hostname = config.attributes.get("default_ns_hostname") if config else None
    now = datetime.now(UTC).replace(tzinfo=None)
    pools = sa.table(
        "pools",
        sa.column("id"), sa.column("name"), sa.column("description"),
        sa.column("attributes", sa.JSON), sa.column("created_at", TIMESTAMP),
    )  # fmt: skip
    op.bulk_insert(pools, [{
        "id": DEFAULT_POOL_ID, "name": "default", "description": "Default pool",
        "attributes": {}, "created_at": now,
    }])  # fmt: skip
    ns_records = sa.table(
        "pool_ns_records",
        sa.column("id"), sa.column("pool_id"), sa.column("hostname"), sa.column("priority"),
    )  # fmt: skip
    op.bulk_insert(ns_records, [{
        "id": str(uuid.uuid4()), "pool_id": DEFAULT_POOL_ID,
        "hostname": hostname or "ns1.zonefleet.invalid.", "priority": 1,
    }])  # fmt: skip
