"""The diff between loaded pools and a file: what an operator reads before `pool update`."""

from __future__ import annotations

from tests.pools.conftest import pool, pools, target
from zonefleet.pools.diff import ItemChange, Kind, diff_pools


def test_identical_pools_have_no_diff() -> None:
    definitions = pools(pool(targets=[target()]), pool("edge", "ns1.edge.net."))
    diff = diff_pools(
        definitions, pools(pool("edge", "ns1.edge.net."), pool(targets=[target()])), delete=True
    )
    assert diff.pools == ()
    assert not diff.has_changes


def test_every_section_reports_added_removed_and_changed_items() -> None:
    (old,) = pools(
        pool(
            "default", "ns1.example.net.", "ns2.example.net.",
            description="old", attributes={"tier": "gold", "gone": 1},
            nameservers=[{"host": "192.0.2.2"}, {"host": "192.0.2.3"}],
            also_notifies=[{"host": "192.0.2.4"}],
            threshold_percentage=100,
        )
    )  # fmt: skip
    (new,) = pools(
        pool(
            "default",
            description="new", attributes={"tier": "silver"},
            ns_records=[
                {"hostname": "ns1.example.net.", "priority": 5},
                {"hostname": "ns3.example.net.", "priority": 1},
            ],
            nameservers=[{"host": "192.0.2.2", "tsigkey_name": "k1"}],
            also_notifies=[{"host": "192.0.2.5", "port": 5300}],
            catalog_zone={"catalog_zone_fqdn": "cat.example.net."},
            threshold_percentage=50,
        )
    )  # fmt: skip
    (change,) = diff_pools([old], [new], delete=False).pools
    assert (change.name, change.kind) == ("default", Kind.CHANGED)
    assert set(change.changes) == {
        ItemChange("ns_records", Kind.REMOVED, "ns2.example.net. (priority 2)"),
        ItemChange("ns_records", Kind.ADDED, "ns3.example.net. (priority 1)"),
        ItemChange("ns_records", Kind.CHANGED, "ns1.example.net.: priority 1 → priority 5"),
        ItemChange("nameservers", Kind.REMOVED, "192.0.2.3:53 (no tsigkey)"),
        ItemChange("nameservers", Kind.CHANGED, "192.0.2.2:53: no tsigkey → tsigkey k1."),
        ItemChange("also_notifies", Kind.REMOVED, "192.0.2.4:53"),
        ItemChange("also_notifies", Kind.ADDED, "192.0.2.5:5300"),
        ItemChange("attributes", Kind.REMOVED, "gone (1)"),
        ItemChange("attributes", Kind.CHANGED, 'tier: "gold" → "silver"'),
        ItemChange("description", Kind.CHANGED, '"old" → "new"'),
        ItemChange("threshold_percentage", Kind.CHANGED, "100 → 50"),
        ItemChange(
            "catalog_zone",
            Kind.CHANGED,
            'null → {"catalog_zone_fqdn": "cat.example.net.", "catalog_zone_refresh": 60}',
        ),
    }
    assert change.touches("nameservers")
    assert not change.touches("targets")


def test_a_target_with_new_options_is_changed_and_a_new_one_added() -> None:
    old = pools(pool(targets=[target("192.0.2.10"), target("192.0.2.11")]))
    new = pools(pool(targets=[target("192.0.2.11", rndc_port=954), target("192.0.2.12")]))
    (change,) = diff_pools(old, new, delete=False).pools
    assert [(c.kind, c.text) for c in change.changes] == [
        (Kind.CHANGED, 'fake "server 192.0.2.11": options.rndc_port 953 → 954'),
        (
            Kind.ADDED,
            'fake "server 192.0.2.12" options {"host": "192.0.2.12", "rndc_port": 953}',
        ),
        (
            Kind.REMOVED,
            'fake "server 192.0.2.10" options {"host": "192.0.2.10", "rndc_port": 953}',
        ),
    ]


def test_a_diff_never_prints_a_secret_option() -> None:
    def with_token(token: str) -> dict[str, object]:
        return target(options={"host": "192.0.2.10", "api_token": token})

    before, after = (
        pools(pool(targets=[with_token("s3cr3t")])),
        pools(pool(targets=[with_token("n3w")])),
    )
    (added,) = diff_pools(pools(pool()), before, delete=False).pools
    (changed,) = diff_pools(before, after, delete=False).pools
    texts = [c.text for c in (*added.changes, *changed.changes)]
    assert texts == [
        'fake "server 192.0.2.10" options {"api_token": "(hidden)", "host": "192.0.2.10"}',
        'fake "server 192.0.2.10": options.api_token changed',
    ]


def test_a_target_change_names_each_field() -> None:
    old = pools(pool(targets=[target()]))
    new = pools(pool(targets=[target(masters=[{"host": "192.0.2.9"}], tsigkey_name="notify-key")]))
    (change,) = diff_pools(old, new, delete=False).pools
    assert [c.text for c in change.changes] == [
        'fake "server 192.0.2.10": masters ["192.0.2.1:5354"] → ["192.0.2.9:5354"]; '
        'tsigkey_name null → "notify-key."'
    ]


def test_reordered_targets_are_unchanged() -> None:
    old = pools(pool(targets=[target("192.0.2.10"), target("192.0.2.11")]))
    new = pools(pool(targets=[target("192.0.2.11"), target("192.0.2.10")]))
    assert diff_pools(old, new, delete=False).pools == ()


def test_pools_missing_from_the_file_are_kept_unless_deleting() -> None:
    loaded = pools(pool(), pool("edge", "ns1.edge.net."))
    kept = diff_pools(loaded, pools(pool()), delete=False)
    assert [(p.name, p.kind, p.changes) for p in kept.pools] == [("edge", Kind.KEPT, ())]
    assert not kept.has_changes
    removed = diff_pools(loaded, pools(pool()), delete=True)
    assert [(p.name, p.kind) for p in removed.pools] == [("edge", Kind.REMOVED)]
    assert removed.pools[0].changes == (
        ItemChange("ns_records", Kind.REMOVED, "ns1.edge.net. (priority 1)"),
    )
    assert removed.has_changes


def test_an_added_pool_lists_what_it_brings() -> None:
    diff = diff_pools(
        pools(pool()),
        pools(pool(), pool("edge", "ns1.edge.net.", targets=[target()])),
        delete=False,
    )
    (added,) = diff.pools
    assert added.kind == Kind.ADDED
    assert [(c.section, c.kind) for c in added.changes] == [
        ("ns_records", Kind.ADDED),
        ("targets", Kind.ADDED),
    ]
