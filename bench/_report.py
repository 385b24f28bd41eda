"""What every benchmark script ends with: a report headed by machine and command, printed and
(with --write) appended to docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
from datetime import date
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def machine() -> str:
    return (f"{platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}")


def report(title: str, command: str, note: str, body: str, write: bool) -> str:
    text = (f"### {title} — {date.today().isoformat()}\n\nMachine: {machine()}. Command: "
            f"`{command}` ({note}).\n\n{body}\n")
    print(text)
    if write:
        with open(DOC, "a", encoding="utf-8") as f:
            f.write("\n" + text)
    return text
