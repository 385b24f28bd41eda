"""Splits -> shards, and the fingerprint that ties a run folder to its configuration."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from synthset.core.errors import ConfigError

# Shards bound the memory of a worker (docs/design.md, invariant 2) and are the unit of resume; with
# a fast generator a shard of 10k samples still costs a few ms of bookkeeping at most.
DEFAULT_SHARD_SIZE = 10_000
MIN_SHARD_SIZE = 100
# The most shards one run is cut into: the driver holds a few hundred bytes per shard still to
# make (the executors' queues), so this bounds its memory (~ a few hundred MB at worst) whatever
# the sample counts. 10**10 samples at the default shard size; more need a larger shard_size.
MAX_SHARDS = 1_000_000

_SPLIT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


@dataclass(frozen=True, order=True, slots=True)
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


def check_shard_count(sizes: dict[str, int], shard_size: int) -> None:
    """Refuse a plan of more than MAX_SHARDS shards, before anything is made."""
    if isinstance(shard_size, bool) or not isinstance(shard_size, int) or shard_size <= 0:
        raise ConfigError(f"shard_size must be a positive integer, got {shard_size!r}")
    count = sum(-(-n // shard_size) for n in sizes.values())
    if count > MAX_SHARDS:
        total = sum(sizes.values())
        raise ConfigError(
            f"{total:,} samples in shards of {shard_size:,} make {count:,} shards, more than "
            f"the {MAX_SHARDS:,} one run can track: set shard_size (and batch_size) to at "
            f"least {-(-total // MAX_SHARDS):,}, or make fewer samples")


def split_shards(split: str, count: int, shard_size: int) -> list[Shard]:
    """The shards of one split, in index order (the last one may be shorter)."""
    return [Shard(split, number, start, min(start + shard_size, count))
            for number, start in enumerate(range(0, count, shard_size))]


def plan_shards(sizes: dict[str, int], shard_size: int) -> list[Shard]:
    """Cut every split into shards of ``shard_size`` samples (the last one may be shorter)."""
    check_split_names(sizes)
    check_shard_count(sizes, shard_size)
    return [s for split, count in sizes.items() for s in split_shards(split, count, shard_size)]


def fingerprint(obj) -> str:
    """A short stable hash of a JSON-serialisable value (keys sorted)."""
    blob = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def claim_order(splits) -> list[str]:
    """The order in which splits claim dedup keys: every split but train as listed, then
    train (held-out splits first, so a repeat is replaced in train, never in test)."""
    splits = list(splits)
    return [s for s in splits if s != "train"] + [s for s in splits if s == "train"]


# Keys are counted (``synthset check``) and deduplicated (``dedup: all``) one hash partition at a
# time: about this many records per partition, ~100 bytes each while counted, so ~200 MB a
# worker whatever the run's size.
KEYS_PER_PARTITION = 1 << 21
MAX_BITS = 16


def partition_bits(total_keys: int, keys_per_partition: int = KEYS_PER_PARTITION) -> int:
    """log2 of the number of partitions: the fewest that keep each near ``keys_per_partition``
    records."""
    bits = 0
    while (total_keys >> bits) > keys_per_partition and bits < MAX_BITS:
        bits += 1
    return bits
