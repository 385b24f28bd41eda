"""Splits -> shards, and the fingerprint that ties a run folder to its configuration."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from synthset.core.errors import ConfigError

# Shards bound the memory of a worker (DESIGN.md, invariant 2) and are the unit of resume; with
# a fast generator a shard of 10k samples still costs a few ms of bookkeeping at most.
DEFAULT_SHARD_SIZE = 10_000
MIN_SHARD_SIZE = 100

_SPLIT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


@dataclass(frozen=True, order=True)
class Shard:
    """Samples ``[start, stop)`` of one split; ``number`` is its position in the split."""

    split: str
    number: int
    start: int
    stop: int

    @property
    def size(self) -> int:
        return self.stop - self.start

    @property
    def key(self) -> str:
        return f"{self.split}/{self.number:05d}"


def check_split_names(sizes: dict) -> None:
    if not isinstance(sizes, dict):
        raise ConfigError("dataset_sizes must be a dictionary of split name -> sample count")
    if not sizes:
        raise ConfigError("dataset_sizes cannot be empty")
    for name, count in sizes.items():
        if not isinstance(name, str) or not _SPLIT_NAME.match(name):
            raise ConfigError(
                f"split name {name!r} is not accepted: use letters, digits, '_', '-' and '.', "
                "starting with a letter or digit (it becomes part of file names)"
            )
        if isinstance(count, bool) or not isinstance(count, int) or count <= 0:
            raise ConfigError(
                f"Number of samples must be a positive integer, got {count!r} for {name}"
            )


def plan_shards(sizes: dict[str, int], shard_size: int) -> list[Shard]:
    """Cut every split into shards of ``shard_size`` samples (the last one may be shorter)."""
    check_split_names(sizes)
    if isinstance(shard_size, bool) or not isinstance(shard_size, int) or shard_size <= 0:
        raise ConfigError(f"shard_size must be a positive integer, got {shard_size!r}")
    shards = []
    for split, count in sizes.items():
        for number, start in enumerate(range(0, count, shard_size)):
            shards.append(Shard(split, number, start, min(start + shard_size, count)))
    return shards


def fingerprint(obj) -> str:
    """A short stable hash of a JSON-serialisable value (keys sorted)."""
    blob = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
