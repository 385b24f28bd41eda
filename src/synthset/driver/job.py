"""The work done on one shard of a run: call the generator for every index, convert to CALT
strings, encode for every format of the run, write the shard's files, return its counters.

This is the hot path. The loop keeps lookups local and does per sample only what the output
needs: the seed, the call (timed), the statistics call, the conversion and one encoding per
format (in the loop, so that a sample no format can hold is reported with its index and seed),
all formats in one call. The run times and the statistics are folded in bulk at the shard's end
(``core.stats``: the same figures, a column at a time).
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, fields

from synthset.core.errors import FormatError, GenerationError
from synthset.core.fs import atomic_open
from synthset.core.nested import to_strings
from synthset.core.seeding import (MAX_REPLACEMENTS, attempt_seed, derive_seeds,
                                   replacement_seed)
from synthset.core.stats import MemoryEfficientStatisticsCalculator
from synthset.driver.dedup import key_set, sample_keyer, seen_file
from synthset.engine.plan import Shard
from synthset.engine.state import RunState
from synthset.engine.timeout import SampleTimeout, TimeLimit
from synthset.io.formats import StreamFormat, encoders, get_format

# Which process made a shard (kept in its completion marker, for post-mortems).
WORKER = f"{socket.gethostname()}:{os.getpid()}"


def _forked() -> None:  # the local pool forks its workers from the driver
    global WORKER
    WORKER = f"{socket.gethostname()}:{os.getpid()}"


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forked)

@dataclass(frozen=True)
class JobOptions:
    """The run options a worker reads (each field is the RunOptions field of its name): where
    to write, and those that change a shard's bytes. Only these travel to the workers, not the
    whole RunOptions (whose other callables, such as ``check``, need not be picklable)."""

    save_dir: str
    root_seed: int
    formats: tuple[str, ...]
    on_error: str = "raise"
    timeout: float | None = None

    @classmethod
    def of(cls, options) -> JobOptions:
        """The fields of a RunOptions (or anything with attributes of these names)."""
        return cls(**{f.name: getattr(options, f.name) for f in fields(cls)})


@dataclass(kw_only=True)
class SampleJob:
    """Picklable: everything a worker needs to make one shard of a run — the callables, the
    run's options (``JobOptions``; a new option adds a field there, never an argument here)
    and what the run decided for this invocation (checks, dedup)."""

    generator: Callable
    statistics_calculator: Callable | None = None
    options: JobOptions
    # split -> the indices whose samples the completion marker keeps, for the determinism
    # re-check at the end of the run (``remake``)
    checks: dict | None = None
    attempt: str = ""  # which invocation of the run made the shard (for working time)
    # dedup (driver/dedup.py): split -> the seen file whose keys its samples avoid, and the
    # splits whose shards write their samples' keys
    avoid: dict | None = None
    collect: tuple = ()
    # dedup: all — split -> {index: the first replacement attempt to try}: the samples that
    # lost their key to a lower index of their split (driver/dedup.py)
    overrides: dict | None = None

    def __call__(self, shard: Shard) -> dict:
        """Make the shard and write its files; returns the summary its marker records."""
        formats, items, stats, counters, started_at, elapsed, keys, attempts = self.make(shard)
        state = RunState(self.options.save_dir)
        state.shard_file(shard, formats[0].shard_ext).parent.mkdir(parents=True, exist_ok=True)
        files: dict[str, int | None] = {}  # name in the state folder -> its rows
        for fmt, encoded in zip(formats, items):
            path = state.shard_file(shard, fmt.shard_ext)
            fmt.write_shard(path, joined(fmt, encoded), shard.start)
            files[state.name(path)] = len(encoded)
        if keys is not None and shard.split in self.collect:
            path = state.shard_file(shard, "keys")
            with atomic_open(path, "wb") as f:
                f.write(keys)
            files[state.name(path)] = None
        # the statistics partial travels in the marker, not in a file of its own: a file
        # made is the costliest part of a shard's bookkeeping (engine/state.py)
        summary = {"samples": shard.size, "seconds": elapsed, "started_at": started_at,
                   "finished_at": time.time(), "worker": WORKER, "attempt": self.attempt,
                   **counters, "files": files, "stats": stats.to_state()}
        if attempts:  # which samples come from a replacement seed, and which
            summary["attempts"] = attempts
        moved = self._overrides(shard)
        if moved:  # what the shard was made with (a resume compares)
            summary["overrides"] = moved
        kept = [i for i in (self.checks or {}).get(shard.split, ())
                if shard.start <= i < shard.stop]
        if kept and not counters["timeouts"]:  # a timed-out call may not time out again
            column = items[check_format(formats)]
            summary["checks"] = {str(i): shown(column[i - shard.start]) for i in kept}
        return summary

    def remake(self, split: str, index: int) -> str | None:
        """Sample ``index`` of ``split`` made again, as a completion marker keeps it (None
        when a call timed out: timing is not part of what must be deterministic)."""
        formats, items, _, counters, *_ = self.make(Shard(split, -1, index, index + 1))
        return None if counters["timeouts"] else shown(items[check_format(formats)][0])

    def make(self, shard: Shard):
        """Every sample of ``shard``, encoded for every format (in memory), its statistics,
        counters, start time, duration, (under dedup) its samples' keys and the replacement
        attempt of each sample that comes from one."""
        formats = [get_format(name) for name in self.options.formats]
        encode_pair, encode_row = encode = encoders(formats)
        made: list[tuple] = []  # each sample's encodings, one per format
        add = made.append
        times: list[float] = []  # each sample's generator call, in seconds
        took_time = times.append
        calc = self.statistics_calculator
        sample_stats = None
        pending: list = []  # each sample's statistics, folded in bulk at the end
        add_stats = pending.append
        gen = self.generator
        counters = {"errors": 0, "timeouts": 0, "skipped": 0}
        dedup = self._dedup(shard.split)
        if dedup:
            counters["deduplicated"] = 0
            keyer, held = dedup
            keys = bytearray()
        attempts: dict[str, int] = {}
        moved = (self.overrides or {}).get(shard.split)  # index -> first attempt
        timeout = self.options.timeout
        limit = TimeLimit(timeout) if timeout else None
        clock = time.perf_counter
        started_at = time.time()
        started = clock()
        if limit:
            limit.install()
        # a Ctrl-C stops the run; a KeyboardInterrupt the generator raises is a sample error
        interrupts = watch_interrupts()
        try:
            for index, seed in zip(range(shard.start, shard.stop),
                                   derive_seeds(self.options.root_seed, shard.split,
                                                shard.start, shard.stop)):
                if moved and index in moved:  # its first candidates are taken in its split
                    counters["deduplicated"] += moved[index]
                    encoded, sample_stats, took, key, attempt = self._replace(
                        shard.split, index, seed, None, counters, limit, encode, dedup,
                        after=moved[index] - 1)
                    attempts[str(index)] = attempt
                else:
                    # A sample is made whole or not at all: the call, its statistics and its
                    # encoding in every format. Whatever fails in any of them (an exception, a
                    # timeout, a value no format can hold) is a sample error for on_error.
                    try:
                        t0 = clock()
                        if limit:
                            with limit(index):  # names the call for the pool's hang watch
                                out = gen(seed)
                        else:
                            out = gen(seed)
                        took = clock() - t0
                        # Under dedup the key comes first: a duplicate is made again
                        # before its statistics and encodings cost anything.
                        if type(out) is dict:  # a task row
                            if dedup:
                                key = keyer(out)
                                if held is not None and held(key):
                                    raise Duplicate
                            if calc is not None:
                                sample_stats = calc(out)
                            encoded = encode_row(out)
                        else:  # a (problem, answer) pair
                            raw_problem, raw_answer = out if type(out) is tuple and \
                                len(out) == 2 else pair_of(out)
                            problem = to_strings(raw_problem)
                            answer = to_strings(raw_answer)
                            if dedup:
                                key = keyer((problem, answer))
                                if held is not None and held(key):
                                    raise Duplicate
                            if calc is not None:
                                sample_stats = calc(raw_problem, raw_answer)
                            encoded = encode_pair(problem, answer)
                    except (Exception, SystemExit, SampleTimeout, KeyboardInterrupt) as exc:
                        if isinstance(exc, KeyboardInterrupt) and not generators_own(exc):
                            raise
                        encoded, sample_stats, took, key, attempt = self._replace(
                            shard.split, index, seed, exc, counters, limit, encode, dedup)
                        attempts[str(index)] = attempt
                if dedup:
                    keys += key
                took_time(took)
                if calc is not None:
                    add_stats(sample_stats)
                add(encoded)
        except GenerationError:
            # an earlier sample whose statistics have the wrong shape is the first error
            self._fold([], pending, shard, attempts)
            raise
        finally:
            if limit:
                limit.uninstall()
            unwatch_interrupts(interrupts)
        stats = self._fold(times, pending, shard, attempts)
        items = [list(column) for column in zip(*made)] if made else [[] for _ in formats]
        return (formats, items, stats, counters, started_at, clock() - started,
                bytes(keys) if dedup else None, attempts)

    def _fold(self, times, pending, shard: Shard, attempts):
        """The shard's statistics: its run times and its samples' statistics, folded in bulk.
        A calculator's wrong shape is a bug in it, not a sample to skip: GenerationError
        naming the first sample that has it."""
        stats = MemoryEfficientStatisticsCalculator()
        try:
            stats.update_batch(times, pending)
        except TypeError:
            check = MemoryEfficientStatisticsCalculator()
            for index, sample_stats in enumerate(pending, shard.start):
                try:
                    check.update_batch((), [sample_stats])
                except TypeError as exc:
                    seed = attempt_seed(self.options.root_seed, shard.split, index,
                                        attempts.get(str(index), 0))
                    raise GenerationError(shard.split, index, seed, _describe(exc)) from None
            raise
        return stats

    def _overrides(self, shard: Shard) -> dict[str, int]:
        """The overrides of ``shard``'s indices, by index as a string (JSON's keys)."""
        mine = (self.overrides or {}).get(shard.split)
        if not mine:
            return {}
        return {str(i): a for i, a in mine.items() if shard.start <= int(i) < shard.stop}

    def _dedup(self, split: str):
        """``(keyer, membership in the keys to avoid, or None)`` when the samples of ``split``
        are keyed, else None."""
        avoid = self.avoid or {}
        if split not in avoid and split not in self.collect:
            return None
        held = None
        if split in avoid:
            root = RunState(self.options.save_dir).root
            held = key_set(str(seen_file(root, avoid[split]))).contains
        return sample_keyer(self.generator), held

    def _replace(self, split, index, seed, exc, counters, limit, encode, dedup, after=0):
        """Handle a failed or duplicate sample: raise GenerationError, or (on_error=skip for a
        failure, always for a duplicate) make replacements from derived seeds until one is
        whole (and new); returns its encodings, statistics, time, key and attempt. ``after``:
        the attempts up to it are not to be tried (``exc`` is then None)."""
        attempt = after
        duplicates = True  # every candidate so far was whole but taken
        while True:
            if exc is None:
                pass
            elif isinstance(exc, Duplicate):
                counters["deduplicated"] += 1
            else:
                duplicates = False
                timed_out = isinstance(exc, SampleTimeout)
                counters["timeouts" if timed_out else "errors"] += 1
                if self.options.on_error != "skip":
                    raise GenerationError(split, index, seed, self._cause(exc)) from (
                        None if timed_out else exc)
                counters["skipped"] += 1
            attempt += 1
            if attempt > MAX_REPLACEMENTS:
                if duplicates:
                    raise GenerationError(
                        split, index, seed,
                        f"{MAX_REPLACEMENTS} replacement seeds all gave problems already taken "
                        "(by an earlier split, or under dedup: all a lower index of its own): "
                        "the task makes too few distinct problems for these split sizes; make "
                        "fewer samples or a harder level") from None
                raise GenerationError(
                    split, index, seed,
                    f"{MAX_REPLACEMENTS} replacement seeds failed too; last: {self._cause(exc)}",
                ) from None
            seed = replacement_seed(self.options.root_seed, split, index, attempt)
            if limit:
                limit(index, attempt)  # the call _sample makes, for the pool's hang watch
            try:
                return (*self._sample(seed, limit, encode, dedup), attempt)
            except (Exception, SystemExit, SampleTimeout, KeyboardInterrupt) as again:
                if isinstance(again, KeyboardInterrupt) and not generators_own(again):
                    raise
                exc = again

    def _sample(self, seed, limit, encode, dedup=None):
        """One whole sample (the loop in ``make`` is this, written out for speed); raises
        Duplicate when its key is one to avoid. ``encode``: ``io.formats.encoders``'s."""
        t0 = time.perf_counter()
        if limit:
            with limit:
                out = self.generator(seed)
        else:
            out = self.generator(seed)
        took = time.perf_counter() - t0
        calc = self.statistics_calculator
        raw = out if type(out) is dict else pair_of(out)
        if type(out) is not dict:
            out = to_strings(raw[0]), to_strings(raw[1])
        key = None
        if dedup:  # before the statistics and encodings: a duplicate costs only its call
            keyer, held = dedup
            key = keyer(out)
            if held is not None and held(key):
                raise Duplicate
        if type(out) is dict:
            encoded, sample_stats = encode[1](out), calc(out) if calc else None
        else:
            sample_stats = calc(*raw) if calc is not None else None
            encoded = encode[0](*out)
        return encoded, sample_stats, took, key

    def _cause(self, exc) -> str:
        if isinstance(exc, SystemExit):  # sys.exit() in a generator is its failure, not ours
            return f"the generator called sys.exit({exc.code!r})"
        if isinstance(exc, KeyboardInterrupt):  # raised by its code, not by a Ctrl-C
            return f"the generator raised KeyboardInterrupt itself, with no Ctrl-C " \
                   f"({_describe(exc)})"
        if isinstance(exc, SampleTimeout):  # its message says how, when not by the timer
            how = f"; {exc}" if str(exc) else ""
            return f"timed out after {self.options.timeout} s (timeout{how})"
        if isinstance(exc, NotAPair):  # the generator's mistake, not a line of synthset's
            return str(exc)
        if isinstance(exc, FormatError):  # what it returned cannot be written: no code line
            return f"FormatError: {exc}"
        return _describe(exc)


# -- a Ctrl-C, or the generator's own KeyboardInterrupt -----------------------------------------
# A Ctrl-C (SIGINT) stops the run, to be resumed; a KeyboardInterrupt that the generator's code
# raises itself is that sample's failure (else "run the same command again" fails the same way).
# They are told apart in a process's main thread: while a shard is made there, SIGINT goes to a
# handler that records its arrival before raising KeyboardInterrupt as Python's own does; where
# SIGINT is ignored (the local pool's workers) no signal raises one. Elsewhere (another handler
# installed, a worker thread) they cannot be told apart, and every KeyboardInterrupt stops the
# run, as a Ctrl-C.
_SIGINT = {"watching": False, "ignored": False, "arrived": False}


def _record_sigint(signum, frame):
    _SIGINT["arrived"] = True
    raise KeyboardInterrupt


def watch_interrupts():
    """Start telling a Ctrl-C from the generator's KeyboardInterrupt (``generators_own``);
    returns what ``unwatch_interrupts`` takes."""
    if threading.current_thread() is not threading.main_thread():
        return None
    handler = signal.getsignal(signal.SIGINT)
    if handler is _record_sigint:  # already watching (a make inside a make)
        return _NESTED
    _SIGINT.update(watching=handler is signal.default_int_handler,
                   ignored=handler is signal.SIG_IGN, arrived=False)
    if _SIGINT["watching"]:
        signal.signal(signal.SIGINT, _record_sigint)
    return handler


_NESTED = object()


def unwatch_interrupts(previous) -> None:
    if previous is None or previous is _NESTED:
        return
    if _SIGINT["watching"]:
        signal.signal(signal.SIGINT, previous)
    _SIGINT.update(watching=False, ignored=False)


def generators_own(exc: KeyboardInterrupt) -> bool:
    """Whether ``exc`` was raised by the generator's code, not by a Ctrl-C (False when that
    cannot be told)."""
    if threading.current_thread() is not threading.main_thread():
        return False
    return _SIGINT["ignored"] or (_SIGINT["watching"] and not _SIGINT["arrived"])


def joined(fmt, encoded: list) -> list:
    """A shard's encoded samples as ``fmt.write_shard`` takes them: for a stream format that
    writes its items one after another (``StreamFormat.write_shard``), one item, their
    concatenation — the same bytes, in one write (a text file's ``writelines`` encodes and
    writes each line by itself: ~0.45 µs a JSON line of 300 bytes, a third of that joined)."""
    if len(encoded) < 2 or type(fmt).write_shard is not StreamFormat.write_shard:
        return encoded
    return ["".join(encoded) if fmt.mode == "w" else b"".join(encoded)]


# The format whose encoding of a sample the determinism re-check compares, by preference.
CHECK_ORDER = ("json", "text", "parquet", "pickle")


def check_format(formats) -> int:
    """The position, in ``formats``, of the one the determinism re-check compares."""
    rank = {name: i for i, name in enumerate(CHECK_ORDER)}
    return min(range(len(formats)), key=lambda i: rank.get(formats[i].name, len(rank)))


def shown(item) -> str:
    """An encoded sample as a completion marker keeps it (JSON-safe, comparable)."""
    return item if type(item) is str else repr(item)


class Duplicate(Exception):
    """A whole sample whose dedup key an earlier split holds (``dedup: splits``)."""


class NotAPair(Exception):
    """A generator returned something other than a (problem, answer) pair."""


def pair_of(out) -> tuple:
    """The ``(problem, answer)`` a generator returned: a tuple or a list of two. Anything else
    is a sample error: a set above all, whose two items come out in an order that changes from
    one Python process to the next (unpacked, it made samples that ``synthset check`` finds
    made again differently); a dict, a string or None too."""
    if isinstance(out, (tuple, list)) and len(out) == 2:
        return out
    if out is None:
        got = "None"
    elif isinstance(out, (tuple, list)):
        got = f"a {type(out).__name__} of {len(out)} items"
    elif isinstance(out, (set, frozenset)):
        got = f"a {type(out).__name__}, whose order changes from one Python process to the next"
    else:
        got = f"a {type(out).__name__}"
    raise NotAPair(f"the generator must return a (problem, answer) pair, a tuple or a list of "
                   f"two, got {got}")


def _describe(exc: BaseException) -> str:
    """``Type: message``, plus where in the user's code it was raised."""
    text = f"{type(exc).__name__}: {exc}"
    tb = exc.__traceback__
    if tb is not None:
        while tb.tb_next is not None:
            tb = tb.tb_next
        code = tb.tb_frame.f_code
        text += f" (raised in {code.co_name}, {code.co_filename}:{tb.tb_lineno})"
    return text
