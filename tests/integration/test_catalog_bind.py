"""A real BIND9 consuming the pool's catalog zone: zones come and go with no rndc call."""

from __future__ import annotations

from collections.abc import Callable

import dns.name
from sqlalchemy import select

from tests.integration.conftest import NamedFactory, served_serial, wait_for_serial
from tests.integration.named import CatalogConsumer, Named
from tests.service.factories import ctx, make_zone, rs_request
from tests.stack import Stack
from zonefleet.pools.load import parse_pools
from zonefleet.service.pools import PoolService
from zonefleet.storage.models import Status, Zone, ZoneEvent, ZoneType

CATALOG = "catalog.zonefleet.test."


def catalog_pool_yaml(named: Named, mdns: tuple[str, int]) -> str:
    return f"""
- name: default
  ns_records: [{{hostname: ns1.zonefleet.test., priority: 1}}]
  nameservers: [{{host: {named.host}, port: {named.port}}}]
  catalog_zone: {{catalog_zone_fqdn: {CATALOG}, catalog_zone_refresh: 60}}
  targets:
    - type: bind9
      masters: [{{host: {mdns[0]}, port: {mdns[1]}}}]
      options: {{host: {named.host}, port: {named.port}, rndc_host: {named.host},
                 rndc_port: {named.rndc_port}, rndc_key_file: {named.rndc_key_file},
                 consumes_catalog: true}}
"""


def test_bind_adds_and_drops_zones_from_the_catalog_without_rndc(
    stack_factory: Callable[..., Stack], named_factory: NamedFactory
) -> None:
    stack = stack_factory(ZONEFLEET_WORKER__POLL_TIMEOUT="2", ZONEFLEET_WORKER__QUERY_TIMEOUT="0.3")
    mdns = stack.mdns.address
    bind = named_factory(catalog=CatalogConsumer(CATALOG, mdns.host, mdns.port))
    PoolService(stack.database).update_pools(
        parse_pools(catalog_pool_yaml(bind, (mdns.host, mdns.port)))
    )
    services = stack.services
    zones = [make_zone(services, f"z{index}.catalog-test.") for index in range(3)]
    for zone in zones:
        active = stack.wait_for(zone.id, Status.ACTIVE, timeout=20)
        wait_for_serial(bind.host, bind.port, dns.name.from_text(zone.name), active.serial)
    services.recordsets.create_recordset(
        ctx(), zones[0].id, rs_request(f"www.{zones[0].name}", "A", "192.0.2.7")
    )
    changed = stack.wait_for(zones[0].id, Status.ACTIVE, timeout=20)
    wait_for_serial(bind.host, bind.port, dns.name.from_text(zones[0].name), changed.serial)

    services.zones.delete_zone(ctx(), zones[1].id)
    stack.wait_for(zones[1].id, Status.DELETED, timeout=20)
    assert served_serial(bind.host, bind.port, dns.name.from_text(zones[1].name)) is None
    assert served_serial(bind.host, bind.port, dns.name.from_text(zones[2].name)) is not None

    with stack.database.read() as session:
        catalog_id = session.scalar(select(Zone.id).where(Zone.type == ZoneType.CATALOG))
    assert catalog_id is not None
    catalog = stack.wait_for(catalog_id, Status.ACTIVE, timeout=20)
    wait_for_serial(bind.host, bind.port, dns.name.from_text(CATALOG), catalog.serial)
    log = bind.log()
    assert "received control channel command" not in log  # not one rndc call per zone
    for zone in zones:
        assert f"catz: adding zone '{zone.name.rstrip('.')}' from catalog" in log
    assert f"catz: deleting zone '{zones[1].name.rstrip('.')}' from catalog" in log
    # A new member is left to the consumer: no NOTIFY from its first push.
    with stack.database.read() as session:
        pushed = session.scalars(
            select(ZoneEvent.detail).where(
                ZoneEvent.zone_id == zones[2].id, ZoneEvent.event == "pushed"
            )
        ).all()
    assert pushed == ["through the catalog, left to the consumer: it transfers a new member "
                      "once it reads it"]  # fmt: skip
