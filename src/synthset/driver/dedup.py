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

A task that makes too few distinct problems for the splits is refused early (``DomainProbe``):
the first split in claim order avoids nothing, so its keys are plain draws from the task; from
how often they repeat, the number of distinct problems the task makes is estimated (Chao1),
and when those draws have seen nearly all of it (under a tenth of the draws seen only once)
and the splits need more than it holds, the run stops with the numbers.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from hashlib import blake2b
from pathlib import Path

from synthset.core.fs import atomic_open
from synthset.core.errors import ConfigError, GenerationError
from synthset.core.nested import INNER_SEP, text_field
from synthset.core.seeding import MAX_REPLACEMENTS
from synthset.core.task import PairTask, Task
from synthset.engine.plan import KEYS_PER_PARTITION, claim_order, partition_bits
from synthset.tasks.user import RowFormat

KEY_BYTES = 16
# A KeySet of at most this many keys is a Python set (~100 bytes a key, a fast lookup); a larger
# one stays on disk, memory-mapped, and is searched (~2 us a lookup).
SET_LIMIT = 1_000_000
SEEN_FOLDER = "dedup"
# Up to this many keys a fold sorts them in Python: importing numpy (~0.1 s of CPU) would cost
# more than it saves, a tenth of a run of a fast task of this size.
FOLD_IN_PYTHON = 200_000


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
    paths = [*key_files, *([previous] if previous is not None else [])]
    total = sum(os.path.getsize(p) for p in paths)
    if total % KEY_BYTES:
        raise ValueError(f"a key file's size is not a multiple of {KEY_BYTES} bytes")
    if total <= FOLD_IN_PYTHON * KEY_BYTES:  # the same bytes, without importing numpy
        data = b"".join(Path(p).read_bytes() for p in paths)
        keys = sorted({data[i:i + KEY_BYTES] for i in range(0, len(data), KEY_BYTES)})
        block, count = b"".join(keys), len(keys)
    else:
        import numpy as np

        raw = np.concatenate([np.fromfile(p, dtype=np.uint8) for p in paths])
        keys = raw.view(f"V{KEY_BYTES}")
        # Sorted as big-endian 128-bit integers: lexicographic order of the bytes.
        words = raw.view(">u8").reshape(-1, 2)
        keys = keys[np.lexsort((words[:, 1], words[:, 0]))]
        if keys.size:
            new = np.ones(keys.size, dtype=bool)
            new[1:] = keys[1:] != keys[:-1]
            keys = keys[new]
        block, count = keys.tobytes(), int(keys.size)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(out, "wb") as f:
        f.write(block)
    return count


def distinct_count(path: Path) -> int:
    """How many distinct keys a seen file holds."""
    return os.path.getsize(path) // KEY_BYTES


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
        return text_key(text)
    return pair_key


def text_key(text: str) -> bytes:
    """The 16-byte key of a problem's text: its digest, whitespace squashed."""
    return blake2b(squashed(text).encode("utf-8", "surrogatepass"), digest_size=16).digest()


def squashed(text: str) -> str:
    """``" ".join(text.split())``: whitespace runs as one space, none at the ends. A text
    that is already so is returned as it is, found without splitting it: printable (the only
    whitespace ``str.split`` knows that is printable is the space), no two spaces in a row,
    none at its ends."""
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


def _row_key(row: dict) -> bytes:
    rows = RowFormat()
    return bytes.fromhex(rows.dedup_key(rows.example_of(row)))


class DomainProbe:
    """How many distinct problems the task makes, estimated from the keys of the first split
    in claim order as its shards come in (see the module docstring); ``judge`` refuses the
    run when the splits need more than that.

    Args:
        sizes: the run's splits and sample counts.
        mode: ``splits`` or ``all``.
        maker: how messages name the task (``level 1 of gf17_addition``).
    """

    # Keys looked at, at most (a Counter of them: ~10 MB).
    LIMIT = 100_000
    # The estimate is trusted when fewer than this fraction of the draws were seen only once
    # (Good-Turing: the draws have seen all but about that much of the task's problems), out
    # of at least MIN_DRAWS draws (four equal draws say little).
    UNSEEN = 0.1
    MIN_DRAWS = 20

    def __init__(self, sizes: dict[str, int], mode: str, maker: str):
        self.sizes, self.mode, self.maker = sizes, mode, maker
        self.split = claim_order(sizes)[0]
        self.counts: Counter = Counter()
        self.draws = 0
        self.next_look = 1_000  # judged at 1,000 draws, 2,000, 4,000, ... and at the split's end
        self.done = len(sizes) < 2 and mode == "splits"  # nothing to avoid

    def add(self, key_file: Path, last: bool) -> None:
        """Count the keys of one finished shard of the probed split (``last``: its last one);
        raises ConfigError when the splits need more distinct problems than the task makes."""
        if self.done:
            return
        data = Path(key_file).read_bytes()[:(self.LIMIT - self.draws) * KEY_BYTES]
        self.counts.update(data[i:i + KEY_BYTES] for i in range(0, len(data), KEY_BYTES))
        self.draws += len(data) // KEY_BYTES
        if last or self.draws >= min(self.next_look, self.LIMIT):
            self.next_look *= 2
            self.done = last or self.draws >= self.LIMIT or self.covered
            problem = self.shortage()
            if problem:
                raise ConfigError(problem)

    @property
    def seen(self) -> tuple[int, int, int]:
        """Distinct keys, keys seen once, keys seen twice."""
        repeats = Counter(self.counts.values())
        return len(self.counts), repeats[1], repeats[2]

    @property
    def covered(self) -> bool:
        return self.draws >= self.MIN_DRAWS and self.seen[1] < self.UNSEEN * self.draws

    @property
    def estimate(self) -> int:
        """The bias-corrected Chao1 estimate of the distinct problems the task makes."""
        distinct, once, twice = self.seen
        return distinct + round(once * (once - 1) / (2 * (twice + 1)))

    def about(self) -> str:
        """``289`` (every draw was seen at least twice) or ``about 291``, and what it rests on."""
        distinct, once, _ = self.seen
        count = f"{self.estimate:,}" if once == 0 else f"about {self.estimate:,}"
        return f"{count} distinct problem{'s' if self.estimate != 1 else ''} ({distinct:,} " \
               f"among {self.draws:,} {self.split} samples)"

    def shortage(self) -> str | None:
        """Why the splits cannot get the distinct problems they need (None: they can, or the
        draws so far cannot tell)."""
        if not self.covered:
            return None
        domain = self.estimate
        order = claim_order(self.sizes)
        if self.mode == "all":
            needed = sum(self.sizes.values())
            if needed <= domain:
                return None
            split_list = ", ".join(f"{s} {self.sizes[s]:,}" for s in order)
            return (f"dedup: all needs {needed:,} distinct problems ({split_list}) but "
                    f"{self.maker} makes {self.about()}; make fewer samples or choose a "
                    "harder level")
        # splits: the earlier splits take about this share of the problems (as if all their
        # samples were plain draws: fewer than they do take, so this errs towards running);
        # each sample of the last split tries its seed and MAX_REPLACEMENTS more for a new one
        earlier, last = order[:-1], order[-1]
        drawn = sum(self.sizes[s] for s in earlier)
        taken = 1 - math.exp(-drawn / domain)
        if self.sizes[last] * taken ** (MAX_REPLACEMENTS + 1) < 1:
            return None
        named = " and ".join(f"{s}'s {self.sizes[s]:,}" for s in earlier)
        return (f"dedup: splits: {self.maker} makes {self.about()}; {named} samples would "
                f"hold about {taken * domain:,.0f} of them, too many for the "
                f"{self.sizes[last]:,} samples of {last} to find new ones; make fewer "
                f"{' or '.join(earlier)} samples or choose a harder level")


def exhausted(exc: GenerationError) -> bool:
    """Whether a sample failed because every replacement seed gave a problem already taken."""
    return exc.cause.startswith(f"{MAX_REPLACEMENTS} replacement seeds all gave problems "
                                "already taken")


def shortfall(sizes: dict[str, int], mode: str, state_root: Path, split: str,
              probe: DomainProbe | None) -> str:
    """The counts behind an ``exhausted`` failure in ``split``: what the splits need, what
    the splits before it hold (their seen file), and the task's estimated problems when the
    probe could tell."""
    order = claim_order(sizes)
    if mode == "all":
        needed = sum(sizes.values())
        parts = [f"dedup: all needs {needed:,} distinct problems ("
                 + ", ".join(f"{s} {sizes[s]:,}" for s in order) + ")"]
    else:
        parts = [f"{split} needs {sizes[split]:,} samples"]
    earlier = order[:order.index(split)]
    if earlier:
        held = distinct_count(seen_file(state_root, earlier[-1]))
        parts.append(f"{' and '.join(earlier)} hold{'s' if len(earlier) == 1 else ''} "
                     f"{held:,} distinct problems")
    if probe is not None and probe.covered:
        parts.append(f"{probe.maker} makes {probe.about()}")
    return "; ".join(parts)
