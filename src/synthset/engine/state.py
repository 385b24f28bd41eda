"""What a run folder remembers between invocations: the manifest and completion markers.

Layout (under ``save_dir/.synthset``):

    manifest.json                the run's configuration, fingerprint, shard size, versions
    shards/<split>/<n>.<ext>     a shard's output files, until its split is merged
    stats/<split>/<n>.json       a shard's statistics partial
    completions/<split>/<n>      written last: the shard is done (holds its counters as JSON)
    merged/<split>               the split's final files are complete

A marker is written only after the files it vouches for, and a shard's file names depend
only on the shard, so a rerun overwrites whatever a killed one left. The manifest refuses a
resume whose configuration differs; ``read_manifest`` is the one reader of it, for the engine,
the readers of ``io`` and ``synthset status`` alike.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from synthset.core.errors import ResumeError, SynthsetError
from synthset.core.fs import as_path, atomic_write_text, remove_stale_tmp, rmtree
from synthset.engine.plan import Shard, fingerprint

STATE_DIR = ".synthset"
MANIFEST = f"{STATE_DIR}/manifest.json"
# What every reader of a manifest relies on; a manifest without one of them is refused whole.
MANIFEST_KEYS = ("fingerprint", "config", "shard_size")


class RunFolderError(SynthsetError):
    """A folder is not a readable synthset run folder: missing, without a manifest, or with a
    corrupt one. The message names the path and what to do."""


def read_manifest(save_dir, missing_ok: bool = False) -> dict | None:
    """The manifest of the run in ``save_dir`` (a local path or an fsspec URL).

    The one reader of ``manifest.json``: every key of MANIFEST_KEYS and ``config.sizes`` are
    there when it returns. Raises RunFolderError when the folder does not exist, holds no
    manifest (unless ``missing_ok``: then None, for folders CALT wrote), or holds a corrupt one.
    """
    folder = as_path(save_dir)
    path = folder / MANIFEST
    start_over = f"delete {folder / STATE_DIR} (or run with resume=false) to make the run again"
    try:
        text = path.read_text()
    except FileNotFoundError:
        if not folder.is_dir():
            raise RunFolderError(f"{folder} does not exist: give the save_dir of a run") \
                from None
        if missing_ok:
            return None
        raise RunFolderError(f"{folder} is not a synthset run folder (no {MANIFEST}): give "
                             "the save_dir of a run") from None
    try:
        manifest = json.loads(text)
    except ValueError as exc:  # JSONDecodeError, and UnicodeDecodeError from read_text
        raise RunFolderError(f"{path} is corrupt ({exc}); {start_over}") from None
    missing = [k for k in MANIFEST_KEYS if not isinstance(manifest, dict) or k not in manifest]
    if not missing and not isinstance(manifest["config"].get("sizes"), dict):
        missing = ["config.sizes"]
    if missing:
        raise RunFolderError(f"{path} has no {', '.join(missing)}: it was not written by "
                             f"synthset or was edited; {start_over}")
    return manifest


class RunState:
    """The ``.synthset`` folder of one run folder."""

    def __init__(self, save_dir: str | Path):
        self.save_dir = as_path(save_dir)
        self.root = self.save_dir / STATE_DIR

    # -- paths ----------------------------------------------------------------------------
    def shard_file(self, shard: Shard, ext: str) -> Path:
        return self.root / "shards" / shard.split / f"{shard.number:05d}.{ext}"

    def stats_file(self, shard: Shard) -> Path:
        return self.root / "stats" / shard.split / f"{shard.number:05d}.json"

    def completion_file(self, shard: Shard) -> Path:
        return self.root / "completions" / shard.split / f"{shard.number:05d}"

    def merged_file(self, split: str) -> Path:
        return self.root / "merged" / split

    # -- manifest -------------------------------------------------------------------------
    def open(self, config: dict, shard_size: int, resume: bool, versions: dict,
             extra: dict | None = None) -> int:
        """Start or resume the run; returns the shard size to use.

        ``extra`` adds informational keys (e.g. the built-in task's name and config, which
        exports read back); they are not part of the fingerprint. A resume keeps the shard size
        it started with (batch size and n_jobs may change between
        invocations: they do not change a byte of the output). A different ``config`` is refused
        with the keys that differ, unless ``resume`` is false, which starts clean.
        """
        config = json.loads(json.dumps(config, default=str))  # as it reads back from disk
        if not resume:  # before reading: a corrupt manifest must not stop a fresh start
            self.reset()
        old = read_manifest(self.save_dir, missing_ok=True)
        if old is not None:
            if old["fingerprint"] != fingerprint(config):
                raise ResumeError(_describe_change(self.save_dir, old["config"], config))
            # What a killed attempt left half-written, in the state folder and among the
            # final files (data/ included).
            remove_stale_tmp(self.save_dir)
            return int(old["shard_size"])
        self.root.mkdir(parents=True, exist_ok=True)
        manifest = {
            "fingerprint": fingerprint(config),
            "config": config,
            "shard_size": shard_size,
            "versions": versions,
            "python": sys.version.split()[0],
            **(extra or {}),
        }
        atomic_write_text(self.save_dir / MANIFEST,
                          json.dumps(manifest, indent=2, default=str) + "\n")
        return shard_size

    def reset(self) -> None:
        rmtree(self.root)

    # -- shards ---------------------------------------------------------------------------
    def is_done(self, shard: Shard) -> bool:
        return self.completion_file(shard).exists()

    def mark_done(self, shard: Shard, summary: dict) -> None:
        path = self.completion_file(shard)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(summary) + "\n")

    def summary(self, shard: Shard) -> dict:
        return json.loads(self.completion_file(shard).read_text())

    def unmark_split(self, split: str) -> None:
        """Forget a split's shards (its final files were removed after it was merged)."""
        for sub in ("completions", "stats", "shards"):
            rmtree(self.root / sub / split)
        self.merged_file(split).unlink(missing_ok=True)

    def is_merged(self, split: str) -> bool:
        return self.merged_file(split).exists()

    def mark_merged(self, split: str, files: list[str]) -> None:
        path = self.merged_file(split)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps({"files": files}) + "\n")

    def discard_shard_files(self, split: str) -> None:
        rmtree(self.root / "shards" / split)


def _describe_change(save_dir, old: dict, new: dict) -> str:
    changed = []
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            changed.append(f"{key}: {old.get(key)!r} -> {new.get(key)!r}")
    what = "; ".join(changed) or "the configuration fingerprint"
    return (
        f"{save_dir} holds a run made with a different configuration ({what}). "
        "Use the same configuration to resume it, another save_dir, or resume=false to "
        "start again from scratch"
    )
