"""`zonefleet pool …` and `zonefleet tsigkey …`, run in-process on an embedded SQLite."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.pools.conftest import pool, target
from zonefleet.cli.main import main

Capture = pytest.CaptureFixture[str]


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ZONEFLEET_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("ZONEFLEET_POOLS__FILE", raising=False)
    return tmp_path / "data"


def write(path: Path, *documents: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(list(documents)))
    return path


def test_update_prints_the_diff_and_show_reads_back(tmp_path: Path, capsys: Capture) -> None:
    file = write(
        tmp_path / "pools.yaml",
        pool("default", "ns1.example.net.", targets=[target()]),
        pool("edge", "ns1.edge.net."),
    )
    assert main(["pool", "update", "--file", str(file)]) == 0
    out = capsys.readouterr().out
    assert "~ pool 'default' changed" in out
    assert "+ ns_records: ns1.example.net. (priority 1)" in out
    assert "- ns_records: ns1.zonefleet.invalid. (priority 1)" in out
    assert "+ pool 'edge' added" in out
    assert "1 pool(s) added, 1 pool(s) changed" in out
    assert main(["pool", "show"]) == 0
    shown = capsys.readouterr().out
    assert [p["name"] for p in yaml.safe_load(shown)] == ["default", "edge"]
    (tmp_path / "shown.yaml").write_text(shown)
    assert main(["pool", "update", "--file", str(tmp_path / "shown.yaml")]) == 0
    assert capsys.readouterr().out.strip() == "no changes"


def test_update_reports_every_error_and_exits_2(tmp_path: Path, capsys: Capture) -> None:
    file = write(
        tmp_path / "pools.yaml",
        pool(targets=[target(), target(rndc_port=70000)], nameservers=[{"host": "ns1"}]),
    )
    assert main(["pool", "update", "--file", str(file)]) == 2
    err = capsys.readouterr().err
    assert "pools[0].targets[1].options.rndc_port: Input should be less than or equal to 65535" in (
        err
    )
    assert "pools[0].nameservers[0].host: 'ns1' is not an IP address" in err
    assert main(["pool", "show"]) == 0
    assert yaml.safe_load(capsys.readouterr().out)[0]["targets"] == []


def test_a_yaml_syntax_error_names_line_and_column(tmp_path: Path, capsys: Capture) -> None:
    file = tmp_path / "pools.yaml"
    file.write_text("- name: default\n  ns_records: {hostname: ns1.example.net.\n")
    assert main(["pool", "update", "--file", str(file)]) == 2
    assert f"pools: {file}, line 3, column 1: YAML syntax error" in capsys.readouterr().err


def test_dry_run_prints_and_writes_nothing(tmp_path: Path, capsys: Capture) -> None:
    assert main(["pool", "show"]) == 0
    before = capsys.readouterr().out
    file = write(tmp_path / "pools.yaml", pool("default", "ns9.example.net."))
    assert main(["pool", "update", "--dry-run", "--file", str(file)]) == 0
    out = capsys.readouterr().out
    assert "+ ns_records: ns9.example.net. (priority 1)" in out
    assert "dry run: nothing was written" in out
    assert main(["pool", "show"]) == 0
    assert capsys.readouterr().out == before


def test_the_file_defaults_to_the_pools_file_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capture
) -> None:
    assert main(["pool", "update"]) == 2
    assert "give --file or set pools.file" in capsys.readouterr().err
    file = write(tmp_path / "pools.yaml", pool("default", "ns1.example.net."), pool("edge"))
    monkeypatch.setenv("ZONEFLEET_POOLS__FILE", str(file))
    assert main(["pool", "update"]) == 0
    assert "+ pool 'edge' added" in capsys.readouterr().out
    file.write_text(yaml.safe_dump([pool("default", "ns1.example.net.")]))
    assert main(["pool", "update"]) == 0
    assert "pool 'edge' kept" in capsys.readouterr().out
    assert main(["pool", "update", "--delete"]) == 0
    assert "- pool 'edge' removed" in capsys.readouterr().out


def test_show_as_a_table(tmp_path: Path, capsys: Capture) -> None:
    file = write(tmp_path / "pools.yaml", pool("default", "ns1.example.net.", targets=[target()]))
    assert main(["pool", "update", "--file", str(file)]) == 0
    capsys.readouterr()
    assert main(["pool", "show", "--format", "table"]) == 0
    out = capsys.readouterr().out
    assert "ns1.example.net. (1)" in out
    assert "fake server 192.0.2.10" in out


def test_tsigkey_create_list_delete(tmp_path: Path, capsys: Capture) -> None:
    assert main(["tsigkey", "create", "transfer-key", "--algorithm", "hmac-sha512"]) == 0
    captured = capsys.readouterr()
    out_lines = captured.out.splitlines()
    assert out_lines[0].startswith("created TSIG key transfer-key. (hmac-sha512, scope POOL")
    secret = out_lines[1]
    assert len(base64.b64decode(secret, validate=True)) == 64
    assert "shown only now" in captured.err
    assert main(["tsigkey", "list"]) == 0
    listed = capsys.readouterr().out
    assert "transfer-key." in listed
    assert secret not in listed
    assert main(["tsigkey", "create", "k2", "--algorithm", "hmac-sha3"]) == 2
    assert "algorithm: unknown TSIG algorithm 'hmac-sha3'" in capsys.readouterr().err
    given = base64.b64encode(b"x" * 32).decode()
    assert main(["tsigkey", "create", "k2", "--secret", given]) == 0
    assert given not in capsys.readouterr().out
    file = write(tmp_path / "pools.yaml", pool(targets=[target(tsigkey_name="transfer-key")]))
    assert main(["pool", "update", "--file", str(file)]) == 0
    assert main(["tsigkey", "delete", "transfer-key"]) == 2
    assert "is used by pool 'default' targets[0].tsigkey_name" in capsys.readouterr().err
    assert main(["tsigkey", "delete", "k2"]) == 0
    assert "deleted TSIG key k2." in capsys.readouterr().out


def test_a_server_database_must_be_migrated_first(
    empty_postgresql_url: str, monkeypatch: pytest.MonkeyPatch, capsys: Capture
) -> None:
    monkeypatch.setenv("ZONEFLEET_DATABASE__URL", empty_postgresql_url)
    assert main(["pool", "show"]) == 2
    assert main(["tsigkey", "list"]) == 2
    assert capsys.readouterr().err.count("run `zonefleet db upgrade`") == 2
