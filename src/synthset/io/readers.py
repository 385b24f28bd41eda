"""Read a run folder back, split by split, in bounded memory.

A CALT-style run yields ``(problem, answer)`` pairs (nesting kept, from ``{split}_data.jsonl``;
``solution`` is accepted for ``answer``); a task run yields its rows (dicts). Folders CALT
itself wrote have no manifest: their splits are found from their JSONL files.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from synthset.engine.state import RunFolderError, read_manifest
from synthset.io.formats import get_format


def run_splits(folder: Path) -> list[str]:
    """The splits a run folder holds (from its manifest, else from its JSONL files)."""
    manifest = read_manifest(folder, missing_ok=True)
    if manifest is not None:
        return list(manifest["config"]["sizes"])
    suffix = get_format("json").final_names("")[0]
    splits = sorted(p.name[:-len(suffix)] for p in Path(folder).glob(f"*{suffix}"))
    if not splits:
        raise RunFolderError(f"{folder} holds no *{suffix} files: is it a run folder made "
                             "with save_json: true?")
    return splits


def run_task(folder: Path) -> dict | None:
    """What the manifest records under ``task``: ``{"name", "config", "backend"}`` of a
    built-in task, ``{"check": "module:function"}`` of a user's generator with a verifier."""
    manifest = read_manifest(folder, missing_ok=True)
    return manifest.get("task") if manifest else None


def iter_samples(folder: Path, split: str) -> Iterator:
    """The samples of ``split`` in index order: (problem, answer) tuples or row dicts."""
    return get_format("json").read(folder, split)


def iter_lines(folder: Path, split: str) -> Iterator[bytes]:
    """The raw JSONL lines of ``split`` (for fast paths that parse only what they need)."""
    return (line for line in get_format("json").lines(folder, split) if line.strip())
