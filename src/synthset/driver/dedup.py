"""Decontaminated splits by construction (``dedup: splits`` and ``dedup: all``).

The splits claim dedup keys one after another, in *claim order*: every split but ``train`` in
the order the run lists them, then ``train``. A sample of a split whose key (its task's
``dedup_key``, 16 bytes, the one ``synthset check`` counts) is already held by a split earlier in
that order is a duplicate: it is replaced like a failed sample, by the first of its replacement
seeds (``replacement_seed``, attempt 1, 2, ...) whose sample is whole and new, and counted in the
split's ``deduplicated``. A sample depends on its own seeds and on the earlier splits' keys only,
so the bytes are the same for any n_jobs, batch size, executor, and after a resume.

How the keys travel: the splits run one after another. A shard of a split whose keys a later
split needs writes them beside its part files (``NNNNN.keys``: 16 bytes a sample, in index order,
checked by the shard's marker like its other files). When the split's last shard is in, the
driver folds them into ``.synthset/dedup/SPLIT.seen``: the sorted, distinct keys of that split
and of every split before it. The next split's workers read that file once per process: into a
set when it is small, else memory-mapped and searched (``KeySet``), so a worker's memory does not
grow with the earlier splits' size. The driver holds one split's keys while folding (16 bytes a
sample). The last split in claim order writes no keys.

``dedup: all`` also removes repeats inside a split: every split writes its keys, and when its
shards are in, the driver moves each sample whose key a lower index holds to its next
replacement attempt and makes its shard again, in rounds, until no key repeats
(``driver.run.settle_duplicates``; the overrides are kept in ``SPLIT.overrides.json``).
"""

from __future__ import annotations

import os
from hashlib import blake2b
from pathlib import Path

from synthset.core.fs import atomic_open
from synthset.core.nested import INNER_SEP, text_field
from synthset.core.task import PairTask, Task
from synthset.engine.plan import KEYS_PER_PARTITION, claim_order, partition_bits
from synthset.tasks.user import RowFormat

KEY_BYTES = 16
# A KeySet of at most this many keys is a Python set (~100 bytes a key, a fast lookup); a larger
# one stays on disk, memory-mapped, and is searched (~2 us a lookup).
SET_LIMIT = 1_000_000
SEEN_FOLDER = "dedup"


def seen_file(state_root: Path, split: str) -> Path:
    """The sorted keys of ``split`` and of every split before it in claim order."""
    return Path(state_root) / SEEN_FOLDER / f"{split}.seen"


def plan(splits, mode: str) -> tuple[dict[str, str], tuple[str, ...]]:
    """``(avoid, collect)`` for a run: which split's samples avoid the keys of which seen file
    (by split name: the split before it in claim order), and which splits write their keys."""
    if mode == "off":
        return {}, ()
    order = claim_order(splits)
    avoid = {later: earlier for earlier, later in zip(order, order[1:])}
    return avoid, tuple(order if mode == "all" else order[:-1])


def overrides_file(state_root: Path, split: str) -> Path:
    """``dedup: all``: the samples of ``split`` that lost their key to a lower index, with the
    replacement attempt each starts from (written before the shards holding them are made
    again, so a resume makes the same ones)."""
    return Path(state_root) / SEEN_FOLDER / f"{split}.overrides.json"


def later_duplicates(key_files: list[Path], work: Path | None = None,
                     keys_per_partition: int | None = None) -> list[int]:
    """The indices (in the concatenation of ``key_files``, index order) whose key a lower
    index holds: each key stays with the lowest index that has it.

    Memory is bounded like ``synthset check``'s counting: past ``keys_per_partition`` keys the
    (key, index) records are first spread by the keys' top bits over partition files in
    ``work``, then each partition is grouped on its own."""
    import numpy as np

    total = sum(os.path.getsize(p) for p in key_files)
    if total % KEY_BYTES:
        raise ValueError(f"a key file's size is not a multiple of {KEY_BYTES} bytes")
    bits = partition_bits(total // KEY_BYTES, keys_per_partition or KEYS_PER_PARTITION)
    record = np.dtype([("hi", ">u8"), ("lo", ">u8"), ("index", "<u8")])

    def records(path: Path, first: int):
        words = np.fromfile(path, dtype=">u8").reshape(-1, 2)
        out = np.empty(len(words), dtype=record)
        out["hi"], out["lo"] = words[:, 0], words[:, 1]
        out["index"] = np.arange(first, first + len(words), dtype=np.uint64)
        return out

    def repeats(recs) -> list[int]:
        order = np.lexsort((recs["index"], recs["lo"], recs["hi"]))
        recs = recs[order]
        again = np.zeros(len(recs), dtype=bool)
        again[1:] = (recs["hi"][1:] == recs["hi"][:-1]) & (recs["lo"][1:] == recs["lo"][:-1])
        return [int(i) for i in recs["index"][again]]

    firsts = np.cumsum([0] + [os.path.getsize(p) // KEY_BYTES for p in key_files])
    if bits == 0:
        blocks = [records(p, int(f)) for p, f in zip(key_files, firsts)]
        return sorted(repeats(np.concatenate(blocks))) if blocks else []
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    parts = [work / f"{p:05d}.rec" for p in range(1 << bits)]
    for part in parts:
        part.write_bytes(b"")
    shift = np.uint64(64 - bits)
    for path, first in zip(key_files, firsts):  # one shard's keys at a time
        recs = records(path, int(first))
        which = (recs["hi"].astype(np.uint64) >> shift).astype(np.int64)
        order = np.argsort(which, kind="stable")
        recs, which = recs[order], which[order]
        bounds = np.searchsorted(which, np.arange((1 << bits) + 1))
        for p in range(1 << bits):
            if bounds[p] < bounds[p + 1]:
                with open(parts[p], "ab") as f:
                    recs[bounds[p]:bounds[p + 1]].tofile(f)
    found = []
    for part in parts:  # one partition in memory at a time
        found += repeats(np.fromfile(part, dtype=record))
        part.unlink()
    return sorted(found)


def fold(previous: Path | None, key_files: list[Path], out: Path) -> int:
    """Write ``out``: the distinct keys of ``previous`` (a seen file) and of ``key_files``,
    sorted; returns how many."""
    import numpy as np

    blocks = [np.fromfile(p, dtype=np.uint8) for p in key_files]
    if previous is not None:
        blocks.append(np.fromfile(previous, dtype=np.uint8))
    raw = np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.uint8)
    if raw.size % KEY_BYTES:
        raise ValueError(f"a key file's size is not a multiple of {KEY_BYTES} bytes")
    keys = raw.view(f"V{KEY_BYTES}")
    # Sorted as big-endian 128-bit integers: lexicographic order of the bytes.
    words = raw.view(">u8").reshape(-1, 2)
    order = np.lexsort((words[:, 1], words[:, 0]))
    keys = keys[order]
    if keys.size:
        new = np.ones(keys.size, dtype=bool)
        new[1:] = keys[1:] != keys[:-1]
        keys = keys[new]
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(out, "wb") as f:
        f.write(keys.tobytes())
    return int(keys.size)


def seen_damage(path: Path) -> str | None:
    """What is wrong with a seen file a later split needs (None: usable)."""
    try:
        size = os.path.getsize(path)
    except OSError:
        return f"its dedup keys ({path}) are missing"
    if size % KEY_BYTES:
        return f"its dedup keys ({path}) are damaged ({size} bytes)"
    return None


class KeySet:
    """Membership of 16-byte keys in a seen file (see the module docstring)."""

    def __init__(self, path: Path):
        size = os.path.getsize(path)
        self.count = size // KEY_BYTES
        if self.count <= SET_LIMIT:  # (no numpy to import in the worker)
            data = Path(path).read_bytes()
            self._set = {data[i:i + KEY_BYTES] for i in range(0, len(data), KEY_BYTES)}
            self._words = None
        else:
            import numpy as np

            self._set = None
            self._words = np.memmap(path, dtype=">u8", mode="r").reshape(-1, 2)

    @property
    def contains(self):
        """``key -> bool``, as fast a callable as the storage allows."""
        return self._set.__contains__ if self._set is not None else self.__contains__

    def __contains__(self, key: bytes) -> bool:
        if self._set is not None:
            return key in self._set
        hi = int.from_bytes(key[:8], "big")
        lo = int.from_bytes(key[8:], "big")
        import numpy as np

        words = self._words
        at = int(np.searchsorted(words[:, 0], np.uint64(hi)))
        while at < self.count and int(words[at, 0]) == hi:
            if int(words[at, 1]) == lo:
                return True
            at += 1
        return False


_LOADED: dict = {}


def key_set(path: str) -> KeySet:
    """The KeySet of a seen file, read once per process (per version of the file)."""
    st = os.stat(path)
    tag = (path, st.st_size, st.st_mtime_ns, st.st_ino)
    found = _LOADED.get(path)
    if found is None or found[0] != tag:
        found = (tag, KeySet(Path(path)))
        _LOADED.clear()  # one run's worth at a time
        _LOADED[path] = found
    return found[1]


def sample_keyer(generator):
    """``key(out) -> 16 bytes``: the dedup key ``synthset check`` computes for the stored sample
    of ``out`` (a generator's row, or its (problem, answer) as CALT strings)."""
    task = generator if isinstance(generator, Task) else None
    if task is not None and task.kind == "reasoning":
        if getattr(type(task), "dedup_key", None) is not Task.dedup_key:  # keyed on the row
            return lambda out: bytes.fromhex(task.dedup_key(out))
        return lambda out: bytes.fromhex(task.dedup_key(task.example_of(out)))
    if task is not None and not (type(task).dedup_key is Task.dedup_key
                                 and type(task).example_of is PairTask.example_of):
        def key(out):
            if type(out) is dict:
                return _row_key(out)
            return bytes.fromhex(task.dedup_key(task.example_of(out)))
        return key
    # The default for (problem, answer) pairs, written out: the digest of the problem's text,
    # whitespace squashed (``Task.dedup_key`` of ``PairTask.example_of``).
    def pair_key(out):
        if type(out) is dict:
            return _row_key(out)
        problem = out[0]
        if type(problem) is str:
            text = problem
        else:
            try:  # a flat list of strings (text_field's case, without looking for nesting)
                text = INNER_SEP.join(problem)
            except TypeError:
                text = text_field(problem)
        text = " ".join(text.split())
        return blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
    return pair_key


def _row_key(row: dict) -> bytes:
    rows = RowFormat()
    return bytes.fromhex(rows.dedup_key(rows.example_of(row)))
