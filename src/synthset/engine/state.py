"""What a run folder remembers between invocations: the manifest and completion markers.

Layout (under ``save_dir/.synthset``):

    manifest.json                the run's configuration, fingerprint, shard size, versions
    shards/<split>/<n>.<ext>     a shard's output files, until its split is merged
    stats/<split>/<n>.json       a shard's statistics partial
    completions/<split>/<n>      written last: the shard is done (holds its counters as JSON)
    merged/<split>               the split's final files are complete

Datatrove's habit (STYLE.md): a marker is written only after the files it vouches for, and a
shard's file names depend only on the shard, so a rerun overwrites whatever a killed one left.
Unlike datatrove, the manifest refuses a resume whose configuration differs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from synthset.core.errors import ResumeError
from synthset.core.fs import as_path, atomic_write_text, remove_stale_tmp, rmtree
from synthset.engine.plan import Shard, fingerprint

STATE_DIR = ".synthset"


class RunState:
    """The ``.synthset`` folder of one run folder."""

    def __init__(self, save_dir: str | Path):
        self.save_dir = as_path(save_dir)
        self.root = self.save_dir / STATE_DIR

    # -- paths ----------------------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.root / "manifest.json"

    def shard_file(self, shard: Shard, ext: str) -> Path:
        return self.root / "shards" / shard.split / f"{shard.number:05d}.{ext}"

    def stats_file(self, shard: Shard) -> Path:
        return self.root / "stats" / shard.split / f"{shard.number:05d}.json"

    def completion_file(self, shard: Shard) -> Path:
        return self.root / "completions" / shard.split / f"{shard.number:05d}"

    def merged_file(self, split: str) -> Path:
        return self.root / "merged" / split

    # -- manifest -------------------------------------------------------------------------
    def read_manifest(self) -> dict | None:
        try:
            return json.loads(self.manifest_path.read_text())
        except FileNotFoundError:
            return None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ResumeError(
                f"{self.manifest_path} is corrupt ({exc}); delete {self.root} or run with "
                "resume=false to start the run again"
            ) from None

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
        old = self.read_manifest()
        if old is not None and not resume:
            self.reset()
            old = None
        if old is not None:
            if old.get("fingerprint") != fingerprint(config):
                raise ResumeError(_describe_change(self.save_dir, old.get("config", {}), config))
            remove_stale_tmp(self.root)
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
        atomic_write_text(self.manifest_path, json.dumps(manifest, indent=2, default=str) + "\n")
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

    def merged_files(self, split: str) -> list[str]:
        return json.loads(self.merged_file(split).read_text())["files"]

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
