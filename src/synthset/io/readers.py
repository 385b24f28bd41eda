"""Read a synthset run folder back, split by split, in bounded memory.

A CALT-style run yields ``(problem, answer)`` pairs (nesting kept, from ``{split}_data.jsonl``;
``solution`` is accepted for ``answer``); a task run yields its rows (dicts). A malformed line
is an error naming the file and line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from synthset.core.errors import ConfigError, FormatError


def run_splits(folder: Path) -> list[str]:
    """The splits a run folder holds (from its manifest, else from its files)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"{folder} is not a folder")
    manifest = folder / ".synthset" / "manifest.json"
    if manifest.exists():
        try:
            return list(json.loads(manifest.read_text())["config"]["sizes"])
        except (json.JSONDecodeError, KeyError) as exc:
            raise FormatError(f"{manifest} is corrupt ({exc})") from None
    splits = sorted(p.name[:-len("_data.jsonl")] for p in folder.glob("*_data.jsonl"))
    if not splits:
        raise ConfigError(f"{folder} holds no *_data.jsonl files: is it a synthset run folder "
                          "made with save_json: true?")
    return splits


def run_task(folder: Path) -> dict | None:
    """``{"name", "config"}`` of the built-in task a run was made with, if any."""
    manifest = Path(folder) / ".synthset" / "manifest.json"
    if manifest.exists():
        return json.loads(manifest.read_text()).get("task")
    return None


def iter_samples(folder: Path, split: str) -> Iterator:
    """The samples of ``split`` in index order: (problem, answer) tuples or row dicts."""
    import orjson

    path = Path(folder) / f"{split}_data.jsonl"
    if not path.exists():
        raise ConfigError(f"{path} not found: export reads the JSONL files (save_json: true)")
    with open(path, "rb") as f:
        for line_num, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                data = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise FormatError(f"{path}:{line_num}: not valid JSON ({exc})") from None
            if "input_ids" in data or "text" in data:
                yield data
            elif "problem" in data and ("answer" in data or "solution" in data):
                yield data["problem"], data["answer"] if "answer" in data else data["solution"]
            else:
                raise FormatError(f"{path}:{line_num}: neither a problem/answer sample nor a "
                                  "task row")


def iter_lines(folder: Path, split: str) -> Iterator[bytes]:
    """The raw JSONL lines of ``split`` (for fast paths that parse only what they need)."""
    path = Path(folder) / f"{split}_data.jsonl"
    if not path.exists():
        raise ConfigError(f"{path} not found: export reads the JSONL files (save_json: true)")
    with open(path, "rb") as f:
        for line in f:
            if line.strip():
                yield line
