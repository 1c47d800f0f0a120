"""pools.yaml validation: every reason at once, each naming its exact key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.pools.conftest import REAL_BACKEND_CLASS, pool, pools, target
from zonefleet.backends import base
from zonefleet.errors import InvalidPoolsError
from zonefleet.pools.load import dump_pools, load_pools, parse_pools
from zonefleet.pools.schema import key_path, validate_pools
from zonefleet.storage.models import DEFAULT_POOL_ID


def reasons(document: Any) -> dict[str, str]:
    with pytest.raises(InvalidPoolsError) as caught:
        validate_pools(document)
    return {key_path(reason.path): reason.message for reason in caught.value.reasons}


def test_driver_options_are_checked_at_their_exact_key() -> None:
    found = reasons([pool(targets=[target(), target("192.0.2.11", rndc_port=70000)])])
    assert found == {
        "pools[0].targets[1].options.rndc_port": "Input should be less than or equal to 65535"
    }


def test_every_reason_is_reported_at_once() -> None:
    document = [
        pool(
            "default",
            "ns1.example.net",
            nameservers=[{"host": "ns.example.net", "port": 53}],
            targets=[target(options={"host": "192.0.2.10", "colour": "blue"})],
            threshold_percentage=101,
            surprise=True,
        ),
        {"name": "x" * 51},
        pool("default", "ns2.example.net."),
    ]
    found = reasons(document)
    assert set(found) == {
        "pools[0].ns_records[0].hostname",
        "pools[0].nameservers[0].host",
        "pools[0].targets[0].options.colour",
        "pools[0].threshold_percentage",
        "pools[0].surprise",
        "pools[1].name",
        "pools[1].ns_records",
        "pools[2].name",
    }
    assert "absolute" in found["pools[0].ns_records[0].hostname"]
    assert found["pools[0].nameservers[0].host"] == "'ns.example.net' is not an IP address"
    assert found["pools[0].targets[0].options.colour"] == "unknown key"
    assert found["pools[0].surprise"] == "unknown key"
    assert found["pools[1].ns_records"] == "Field required"
    assert found["pools[2].name"] == "'default' is already the name of pools[0]"


def test_an_unknown_target_type_lists_the_known_ones() -> None:
    found = reasons([pool(targets=[target(type="bind8")])])
    assert found == {"pools[0].targets[0].type": "no backend of type 'bind8'; known: fake"}


def test_a_pool_needs_an_ns_record_and_distinct_servers() -> None:
    server = {"host": "192.0.2.53"}
    found = reasons(
        [
            pool(ns_records=[]),
            pool("edge", "ns1.example.net.", "NS1.example.net.", also_notifies=[server, server]),
        ]
    )
    assert found["pools[0].ns_records"].startswith("List should have at least 1 item")
    assert found["pools[1].ns_records"] == "hostnames listed more than once: ns1.example.net."
    assert found["pools[1].also_notifies"] == "servers listed more than once: 192.0.2.53:53"


def test_attributes_are_scalars_and_a_broken_driver_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(kind: str) -> Any:
        raise ImportError(f"No module named 'zonefleet.backends.{kind}'")

    monkeypatch.setattr(base, "backend_class", broken)
    found = reasons([pool(attributes={"tier": "gold", "zones": [1]}, targets=[target()])])
    assert found == {
        "pools[0].attributes.zones": "an attribute must be a string, number or boolean",
        "pools[0].targets[0].type": "the driver of type 'fake' cannot be loaded: "
        "No module named 'zonefleet.backends.fake'",
    }


def test_the_default_pool_always_has_designates_default_id() -> None:
    assert pools(pool())[0].id == DEFAULT_POOL_ID
    found = reasons(
        [pool(id="5f6a3b0e-1b7c-4b8e-9a57-2f3f7a8e9d10"), pool("edge", id=DEFAULT_POOL_ID)]
    )
    assert found == {
        "pools[0].id": f"the pool named 'default' has the id {DEFAULT_POOL_ID}",
        "pools[1].id": "only the pool named 'default' may have the default pool id",
    }
    assert reasons([pool("edge", id="not-a-uuid")]) == {"pools[0].id": "'not-a-uuid' is not a UUID"}


def test_values_are_normalized() -> None:
    (loaded,) = pools(
        pool(
            "default",
            "NS1.Example.NET.",
            nameservers=[{"host": "2001:DB8::0:1", "tsigkey_name": "Transfer-Key"}],
            targets=[{"type": "fake", "options": {"rndc_port": "954"}}],
        )
    )
    assert loaded.ns_records[0].hostname == "ns1.example.net."
    assert loaded.nameservers[0].host == "2001:db8::1"
    assert loaded.nameservers[0].port == 53
    assert loaded.nameservers[0].tsigkey_name == "transfer-key."
    # Only what was given is kept, in its JSON type: driver defaults stay the driver's.
    assert loaded.targets[0].options == {"rndc_port": 954}


def test_yaml_syntax_errors_say_where(tmp_path: Path) -> None:
    path = tmp_path / "pools.yaml"
    path.write_text("- name: default\n  ns_records: [\n    {hostname: ns1.example.net.,\n")
    with pytest.raises(InvalidPoolsError) as caught:
        load_pools(path)
    (reason,) = caught.value.reasons
    assert reason.message.startswith(f"{path}, line 4, column 1: YAML syntax error")


def test_a_document_that_is_not_a_list_is_refused() -> None:
    with pytest.raises(InvalidPoolsError) as caught:
        parse_pools("name: default\n")
    assert [(key_path(r.path), r.message) for r in caught.value.reasons] == [
        ("pools", "Input should be a valid list")
    ]


def test_an_unreadable_file_is_an_invalid_pools_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidPoolsError) as caught:
        load_pools(tmp_path / "missing.yaml")
    (reason,) = caught.value.reasons
    assert reason.message.startswith(f"cannot read {tmp_path / 'missing.yaml'}")


def test_dumped_yaml_reads_back_to_the_same_pools() -> None:
    definitions = pools(
        pool(
            "default",
            "ns1.example.net.",
            "ns2.example.net.",
            description="Default BIND pool",
            attributes={"tier": "gold", "internal": False},
            nameservers=[{"host": "192.0.2.2", "port": 53}],
            targets=[target()],
            also_notifies=[{"host": "192.0.2.4", "port": 5300}],
            catalog_zone={"catalog_zone_fqdn": "cat.example.net.", "catalog_zone_refresh": 60},
            threshold_percentage=50,
        )
    )
    assert parse_pools(dump_pools(definitions)) == definitions


DESIGNATE_SAMPLE = """
- name: default
  description: Default BIND Pool
  attributes: {}
  ns_records:
    - {hostname: ns1-1.example.org., priority: 1}
    - {hostname: ns1-2.example.org., priority: 2}
  nameservers:
    - {host: 192.0.2.2, port: 53}
  targets:
    - type: bind9
      description: BIND9 Server 1
      masters:
        - {host: 192.0.2.1, port: 5354}
      options: {host: 192.0.2.2, port: 53, rndc_host: 192.0.2.2, rndc_port: RNDC_PORT,
                rndc_key_file: /etc/designate/rndc.key}
  also_notifies:
    - {host: 192.0.2.4, port: 53}
  catalog_zone:
    catalog_zone_fqdn: cat.example.org.
    catalog_zone_refresh: 60
    catalog_zone_tsig_key: SomeSecretKey
    catalog_zone_tsig_algorithm: hmac-sha512
"""


def test_designates_sample_loads_with_the_bind9_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("zonefleet.backends.bind9")
    monkeypatch.setattr(base, "backend_class", REAL_BACKEND_CLASS)
    (loaded,) = parse_pools(DESIGNATE_SAMPLE.replace("RNDC_PORT", "953"))
    assert loaded.id == DEFAULT_POOL_ID
    assert loaded.targets[0].options["rndc_key_file"] == "/etc/designate/rndc.key"
    assert loaded.catalog_zone is not None
    assert loaded.catalog_zone.catalog_zone_tsig_key == "somesecretkey."
    with pytest.raises(InvalidPoolsError) as caught:
        parse_pools(DESIGNATE_SAMPLE.replace("RNDC_PORT", "70000"))
    assert [f"{key_path(r.path)}: {r.message}" for r in caught.value.reasons] == [
        "pools[0].targets[0].options.rndc_port: Input should be less than or equal to 65535"
    ]
