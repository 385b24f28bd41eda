"""Exact duplicate and overlap counts over dedup keys, in memory bounded by a partition.

A key is a task's ``dedup_key`` (128 bits: 32 hex digits). Counting 100M of them must not hold
100M keys at once, so it goes in two steps, both on disk:

1. **Per range** (in the verification workers): the range's keys are reduced to its distinct
   keys, each with how many samples of the range have it and the first of their indices, and
   written sorted by key as one binary file of ``RECORD``s. Sorted by key means sorted by hash
   partition too: partition ``p`` is the records whose top ``bits`` bits are ``p`` (the key
   is a uniform hash), a contiguous slice of every range file, whose bounds the range records
   (``partition_offsets``).
2. **Per partition** (``count_partition``, mapped over the executor): the slices of partition
   ``p`` of every range file of every split are read, grouped by key, and counted exactly:
   samples and distinct keys per split, keys shared by each pair of splits, and the samples of
   each split whose key occurs in another.

Memory: a worker holds one range (step 1) or one partition (step 2); partitions are cut so that
each holds about ``keys_per_partition`` records whatever the run's size (``partition_bits``).
A key repeated in every sample does not concentrate in one partition: each range holds it once,
with its count. Grouping is exact: records are ordered by the key's first 64 bits with a stable
sort, and keys whose first 64 bits agree are compared on all 128 (when two different keys share
them, the partition is sorted on both halves).
"""

from __future__ import annotations

import numpy as np

from synthset.core.errors import ConfigError
from synthset.core.fs import atomic_open
from synthset.engine.plan import KEYS_PER_PARTITION, MAX_BITS, partition_bits  # noqa: F401

# One distinct key of one range: its two 64-bit halves (big-endian digits, so that the order of
# ``hi`` is the order of the hex key), the first index in the range that has it, and how many
# samples of the range have it.
RECORD = np.dtype([("hi", "<u8"), ("lo", "<u8"), ("first", "<u8"), ("n", "<u8")])
KEY_BYTES = 16
# How many examples of duplicated and shared keys a partition reports.
EXAMPLES = 20
# Splits are bits of a 64-bit mask while counting.
MAX_SPLITS = 63


def partition_bounds(bits: int) -> np.ndarray:
    """The first ``hi`` value of each partition 1 .. 2**bits - 1."""
    if bits == 0:
        return np.zeros(0, dtype=np.uint64)
    return np.arange(1, 1 << bits, dtype=np.uint64) << np.uint64(64 - bits)


def digests_from_hex(keys: list[str]) -> bytes:
    """Hex keys (32 digits each) as one block of 16-byte digests."""
    return bytes.fromhex("".join(keys))


def range_records(digests: bytes, first_index: int, indices: np.ndarray | None = None
                  ) -> np.ndarray:
    """The distinct keys of a range, sorted, with counts and first indices.

    ``digests`` holds one 16-byte key per sample, in index order from ``first_index`` (or at
    the given ``indices``, when some samples have no key)."""
    raw = np.frombuffer(digests, dtype=">u8").reshape(-1, 2)
    count = raw.shape[0]
    if count == 0:
        return np.zeros(0, dtype=RECORD)
    hi = raw[:, 0].astype(np.uint64)
    lo = raw[:, 1].astype(np.uint64)
    order = np.lexsort((lo, hi))  # stable: within a key, the samples stay in index order
    hi, lo = hi[order], lo[order]
    index = (order if indices is None else np.asarray(indices, dtype=np.uint64)[order])
    new = np.ones(count, dtype=bool)
    new[1:] = (hi[1:] != hi[:-1]) | (lo[1:] != lo[:-1])
    starts = np.flatnonzero(new)
    records = np.empty(starts.size, dtype=RECORD)
    records["hi"] = hi[starts]
    records["lo"] = lo[starts]
    records["first"] = index[starts].astype(np.uint64) + (
        np.uint64(first_index) if indices is None else np.uint64(0))
    records["n"] = np.diff(np.append(starts, count))
    return records


def partition_offsets(records: np.ndarray, bits: int) -> list[int]:
    """Where each partition starts in sorted ``records``, and their end: 2**bits + 1 numbers."""
    inner = np.searchsorted(records["hi"], partition_bounds(bits), side="left")
    return [0, *(int(x) for x in inner), int(records.size)]


def write_records(path, records: np.ndarray) -> None:
    with atomic_open(path, "wb") as f:
        f.write(records.tobytes())


def read_slice(path, start: int, stop: int) -> np.ndarray:
    if stop <= start:
        return np.zeros(0, dtype=RECORD)
    return np.fromfile(path, dtype=RECORD, count=stop - start,
                       offset=start * RECORD.itemsize)


def count_partition(pieces, num_splits: int) -> dict:
    """Exact counts over the records of one partition.

    ``pieces``: ``(split number, records)`` in split order (records of a split may come in
    several pieces). Returns JSON-ready counts (see ``merge_counts``) and up to EXAMPLES
    examples of duplicated and of shared keys, each as ``{split: [first index, samples]}``.
    """
    if num_splits > MAX_SPLITS:
        raise ConfigError(f"overlap counting handles at most {MAX_SPLITS} splits, the run has "
                          f"{num_splits}")
    pieces = [(sid, rec) for sid, rec in pieces if rec.size]
    empty = {"samples": [0] * num_splits, "distinct": [0] * num_splits,
             "shared": {}, "in_other": {}, "duplicate_examples": [], "shared_examples": []}
    if not pieces:
        return empty
    records = np.concatenate([rec for _, rec in pieces])
    sid = np.concatenate([np.full(rec.size, s, dtype=np.uint8) for s, rec in pieces])
    del pieces
    order = np.argsort(records["hi"], kind="stable")  # split-major within a key: stable
    hi = records["hi"][order]
    lo = records["lo"][order]
    same_hi = hi[1:] == hi[:-1]
    if np.any(lo[1:][same_hi] != lo[:-1][same_hi]):  # two keys share their first 64 bits
        order = np.lexsort((records["lo"], records["hi"]))  # stable too
        hi = records["hi"][order]
        lo = records["lo"][order]
    del same_hi
    split = sid[order]
    n = records["n"][order]
    first = records["first"][order]
    del records, sid, order
    size = hi.size
    # Groups: one per key. Runs: one per (key, split); a split's records of a key are
    # adjacent because the sort is stable and the pieces come split by split.
    key_start = np.ones(size, dtype=bool)
    key_start[1:] = (hi[1:] != hi[:-1]) | (lo[1:] != lo[:-1])
    del hi, lo
    run_start = key_start.copy()
    run_start[1:] |= split[1:] != split[:-1]
    runs = np.flatnonzero(run_start)
    group_of_record = np.cumsum(key_start) - 1
    del key_start, run_start
    run_split = split[runs]
    run_n = np.add.reduceat(n, runs)
    run_first = np.minimum.reduceat(first, runs)
    run_group = group_of_record[runs]
    del n, first, split, group_of_record
    bit = np.left_shift(np.uint64(1), run_split.astype(np.uint64))
    group_starts = np.flatnonzero(np.r_[True, run_group[1:] != run_group[:-1]])
    group_mask = np.bitwise_or.reduceat(bit, group_starts)
    run_mask = np.repeat(group_mask, np.diff(np.append(group_starts, run_group.size)))

    samples = np.bincount(run_split, weights=run_n, minlength=num_splits)
    distinct = np.bincount(run_split, minlength=num_splits)
    # Samples of split b whose key also occurs in split a: runs whose key is in several splits.
    in_other: dict[str, int] = {}
    several = (run_mask & (run_mask - np.uint64(1))) != 0
    for b in range(num_splits):
        chosen = several & (run_split == b)
        if not chosen.any():
            continue
        masks_b, inverse = np.unique(run_mask[chosen], return_inverse=True)
        sums = np.bincount(inverse.ravel(), weights=run_n[chosen])
        for mask, count in zip(masks_b.tolist(), sums.tolist()):
            for a in range(num_splits):
                if a != b and mask >> a & 1:
                    k = f"{b},{a}"
                    in_other[k] = in_other.get(k, 0) + int(round(count))
    masks, mask_count = np.unique(group_mask, return_counts=True)
    shared: dict[str, int] = {}
    for mask, count in zip(masks.tolist(), mask_count.tolist()):
        members = [s for s in range(num_splits) if mask >> s & 1]
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                shared[f"{a},{b}"] = shared.get(f"{a},{b}", 0) + count

    duplicate_examples = []
    for r in np.flatnonzero(run_n > 1)[:EXAMPLES].tolist():
        duplicate_examples.append({"split": int(run_split[r]), "first": int(run_first[r]),
                                   "samples": int(run_n[r])})
    shared_examples = []
    multi = np.flatnonzero((group_mask & (group_mask - np.uint64(1))) != 0)[:EXAMPLES]
    ends = np.append(group_starts[1:], run_group.size)
    for g in multi.tolist():
        shared_examples.append([[int(run_split[r]), int(run_first[r]), int(run_n[r])]
                                for r in range(int(group_starts[g]), int(ends[g]))])
    return {"samples": [int(round(x)) for x in samples.tolist()],
            "distinct": [int(x) for x in distinct.tolist()],
            "shared": shared, "in_other": in_other,
            "duplicate_examples": duplicate_examples, "shared_examples": shared_examples}


def merge_counts(parts, num_splits: int) -> dict:
    """The sum of ``count_partition`` results (examples: the first EXAMPLES of each kind)."""
    total = {"samples": [0] * num_splits, "distinct": [0] * num_splits, "shared": {},
             "in_other": {}, "duplicate_examples": [], "shared_examples": []}
    for part in parts:
        for key in ("samples", "distinct"):
            total[key] = [a + b for a, b in zip(total[key], part[key])]
        for key in ("shared", "in_other"):
            for pair, count in part[key].items():
                total[key][pair] = total[key].get(pair, 0) + count
        for key in ("duplicate_examples", "shared_examples"):
            room = EXAMPLES - len(total[key])
            total[key].extend(part[key][:max(room, 0)])
    return total
