"""Reading pools.yaml from a file, and writing pool definitions back as YAML."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml

from zonefleet.errors import FieldError, InvalidPoolsError
from zonefleet.pools.schema import PoolDefinition, validate_pools


def load_pools(path: Path) -> list[PoolDefinition]:
    """The validated pools of the file; raises InvalidPoolsError (a YAML error with its place)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = FieldError(("pools",), f"cannot read {path}: {exc}", "file")
        raise InvalidPoolsError([reason]) from None
    return parse_pools(text, str(path))


def parse_pools(text: str, source: str = "<pools>") -> list[PoolDefinition]:
    try:
        document = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        raise InvalidPoolsError([_syntax_reason(exc, source)]) from None
    except yaml.YAMLError as exc:
        raise InvalidPoolsError([FieldError(("pools",), f"{source}: {exc}", "yaml")]) from None
    return validate_pools(document)


def dump_pools(pools: Sequence[PoolDefinition]) -> str:
    """YAML that `parse_pools` reads back to the same definitions."""
    document = [pool.model_dump(mode="json", exclude_none=True) for pool in pools]
    return yaml.safe_dump(document, sort_keys=False, default_flow_style=False)


def _syntax_reason(exc: yaml.MarkedYAMLError, source: str) -> FieldError:
    mark = exc.problem_mark or exc.context_mark
    where = f"{source}, line {mark.line + 1}, column {mark.column + 1}" if mark else source
    problem = " ".join(part for part in (exc.context, exc.problem) if part)
    return FieldError(("pools",), f"{where}: YAML syntax error: {problem}", "yaml")
