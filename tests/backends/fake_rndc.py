"""A stand-in rndc executable that records every argument list it is run with.

It answers with the exit status, stderr and delay written to its answer file,
so tests can prove what the driver would send and that it sent nothing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SCRIPT = """#!{python}
import json, pathlib, sys, time
here = pathlib.Path(sys.argv[0]).parent
with open(here / "calls.jsonl", "a") as calls:
    calls.write(json.dumps(sys.argv[1:]) + "\\n")
answer = json.loads((here / "answer.json").read_text())
time.sleep(answer["sleep"])
sys.stderr.write(answer["stderr"])
sys.exit(answer["status"])
"""


class FakeRndc:
    """The script at `path`, its recorded calls, and the answer it gives."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / "rndc"
        self.path.write_text(SCRIPT.format(python=sys.executable))
        self.path.chmod(0o755)
        self.answer()

    def answer(self, status: int = 0, stderr: str = "", sleep: float = 0.0) -> None:
        answer = {"status": status, "stderr": stderr, "sleep": sleep}
        (self.path.parent / "answer.json").write_text(json.dumps(answer))

    def calls(self) -> list[list[str]]:
        log = self.path.parent / "calls.jsonl"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines()]
