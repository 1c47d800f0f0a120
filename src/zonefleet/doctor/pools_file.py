"""The pool config link: the operator's pools.yaml on disk against the pools loaded."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from zonefleet.doctor.findings import Finding, Link, Verdict, capped
from zonefleet.errors import InvalidPoolsError
from zonefleet.pools.diff import Kind, diff_pools
from zonefleet.pools.load import load_pools
from zonefleet.pools.schema import PoolDefinition, key_path


def compare_pools_file(path: Path, loaded: Sequence[PoolDefinition]) -> Finding:
    """OK when loading the file would change nothing; BROKEN with the diff otherwise."""
    update = f"`zonefleet pool update --file {path}`"
    try:
        changed = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        wanted = load_pools(path)
    except OSError as exc:
        return Finding(
            Link.POOL_CONFIG,
            Verdict.BROKEN,
            f"pools file {path} cannot be read",
            (str(exc),),
            "fix pools.file or --pools-file",
        )
    except InvalidPoolsError as exc:
        reasons = [f"{key_path(r.path)}: {r.message}" for r in exc.reasons]
        return Finding(
            Link.POOL_CONFIG,
            Verdict.BROKEN,
            f"pools file {path} does not load",
            capped(reasons),
            f"mend the file, then run {update}",
        )
    diff = diff_pools(loaded, wanted, delete=False)
    lines = [
        f"pool {pool.name}: " + (f"{change.kind} {change.section}: {change.text}")
        for pool in diff.pools
        if pool.kind != Kind.KEPT
        for change in pool.changes or ()
    ]
    lines += [
        f"pool {p.name} {p.kind}" for p in diff.pools if p.kind != Kind.KEPT and not p.changes
    ]
    if not diff.has_changes:
        return Finding(Link.POOL_CONFIG, Verdict.OK, f"{path} is what is loaded")
    return Finding(
        Link.POOL_CONFIG,
        Verdict.BROKEN,
        f"{path} changed on {changed:%Y-%m-%d %H:%M:%S} UTC but was not loaded; run {update}",
        capped(lines),
        f"review the difference, then run {update}",
    )
