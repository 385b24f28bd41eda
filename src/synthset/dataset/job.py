"""The work done on one shard of a run: call the generator for every index, convert to CALT
strings, encode for every format of the run, write the shard's files, return its counters.

This is the hot path. The loop keeps lookups local and does per sample only what the output
needs: the seed, the call (timed), the statistics, the conversion and one encoding per format
(in the loop, so that a sample no format can hold is reported with its index and seed).
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from hashlib import sha256

from synthset.core.errors import FormatError, GenerationError
from synthset.core.fs import atomic_write_text
from synthset.core.nested import to_strings
from synthset.core.seeding import replacement_seed
from synthset.core.stats import MemoryEfficientStatisticsCalculator
from synthset.engine.plan import Shard
from synthset.engine.state import RunState
from synthset.engine.timeout import SampleTimeout, TimeLimit
from synthset.io.formats import get_format

# Which process made a shard (kept in its completion marker, for post-mortems).
WORKER = f"{socket.gethostname()}:{os.getpid()}"

# How many replacement seeds ``on_error: skip`` tries for one index before it gives up.
MAX_REPLACEMENTS = 100


@dataclass
class SampleJob:
    """Picklable: everything a worker needs to make one shard of a run."""

    generator: Callable
    statistics_calculator: Callable | None
    root_seed: int
    formats: tuple[str, ...]
    save_dir: str
    on_error: str = "raise"
    timeout: float | None = None

    def __call__(self, shard: Shard) -> dict:
        state = RunState(self.save_dir)
        formats = [get_format(name) for name in self.formats]
        items: list[list] = [[] for _ in formats]  # each format's encoded samples
        pairs = [(f.encode, out.append) for f, out in zip(formats, items)]
        rows = [(f.encode_row, out.append) for f, out in zip(formats, items)]
        stats = MemoryEfficientStatisticsCalculator()
        runtime = stats.runtime_stats.update
        calc = self.statistics_calculator
        gen = self.generator
        prefix = f"{self.root_seed}_{shard.split}_"
        counters = {"errors": 0, "timeouts": 0, "skipped": 0}
        limit = TimeLimit(self.timeout) if self.timeout else None
        clock = time.perf_counter
        started_at = time.time()
        started = clock()
        if limit:
            limit.install()
        try:
            for index in range(shard.start, shard.stop):
                seed = int.from_bytes(sha256(f"{prefix}{index}".encode()).digest()[:16], "big")
                t0 = clock()
                try:
                    if limit:
                        with limit:
                            out = gen(seed)
                    else:
                        out = gen(seed)
                    if type(out) is not dict:  # a row is a dict; else a (problem, answer)
                        problem, answer = out
                except (Exception, SampleTimeout) as exc:
                    out, seed, t0 = self._replace(shard.split, index, seed, exc, counters, limit)
                runtime(clock() - t0)
                try:
                    if type(out) is dict:
                        if calc is not None:
                            sample_stats = calc(out)
                            if sample_stats is not None:
                                stats.update_sample(sample_stats)
                        for encode, add in rows:
                            add(encode(out))
                        continue
                    problem, answer = out
                    if calc is not None:
                        sample_stats = calc(problem, answer)
                        if sample_stats is not None:
                            stats.update_sample(sample_stats)
                    problem = to_strings(problem)
                    answer = to_strings(answer)
                    for encode, add in pairs:
                        add(encode(problem, answer))
                except (FormatError, TypeError) as exc:
                    raise GenerationError(shard.split, index, seed, _describe(exc)) from None
        finally:
            if limit:
                limit.uninstall()
        elapsed = clock() - started
        state.stats_file(shard).parent.mkdir(parents=True, exist_ok=True)
        state.shard_file(shard, formats[0].shard_ext).parent.mkdir(parents=True, exist_ok=True)
        for fmt, encoded in zip(formats, items):
            fmt.write_shard(state.shard_file(shard, fmt.shard_ext), encoded, shard.start)
        atomic_write_text(state.stats_file(shard), json.dumps(stats.to_state()))
        return {"samples": shard.size, "seconds": elapsed, "started_at": started_at,
                "finished_at": time.time(), "worker": WORKER, **counters}

    def _replace(self, split, index, seed, exc, counters, limit):
        """Handle a failed call: raise GenerationError, or (on_error=skip) draw replacements."""
        attempt = 0
        while True:
            timed_out = isinstance(exc, SampleTimeout)
            counters["timeouts" if timed_out else "errors"] += 1
            if self.on_error != "skip":
                raise GenerationError(split, index, seed, self._cause(exc)) from (
                    None if timed_out else exc)
            attempt += 1
            if attempt > MAX_REPLACEMENTS:
                raise GenerationError(
                    split, index, seed,
                    f"{MAX_REPLACEMENTS} replacement seeds failed too; last: {self._cause(exc)}",
                ) from None
            counters["skipped"] += 1
            seed = replacement_seed(self.root_seed, split, index, attempt)
            t0 = time.perf_counter()
            try:
                if limit:
                    with limit:
                        out = self.generator(seed)
                else:
                    out = self.generator(seed)
                if type(out) is not dict:
                    _problem, _answer = out
                return out, seed, t0
            except (Exception, SampleTimeout) as again:
                exc = again

    def _cause(self, exc) -> str:
        if isinstance(exc, SampleTimeout):
            return f"timed out after {self.timeout} s (timeout)"
        if isinstance(exc, (TypeError, ValueError)) and "unpack" in str(exc):
            return f"the generator must return a (problem, answer) pair ({exc})"
        return _describe(exc)


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
