"""Run shards: sort out the finished ones, map the rest over an executor, mark each one done.

The marker is written by the worker right after the shard's own files (``ShardTask``), so a
driver killed mid-run loses nothing a worker finished. A finished shard is trusted only when
its files still match its marker (``RunState.check_shard``: size and rows here, the hash of the
files the merge reads as the merge reads them): a damaged one is named on stderr and made
again (``make_again``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator

from synthset.engine.executors.base import Executor
from synthset.engine.plan import Shard
from synthset.engine.state import RunState


class ShardTask:
    """What travels to a worker: the layer above's work function plus the run folder."""

    def __init__(self, work: Callable[[Shard], dict], save_dir: str):
        self.work = work
        self.save_dir = save_dir

    def __call__(self, shard: Shard) -> tuple[Shard, dict]:
        summary = self.work(shard)
        return shard, RunState(self.save_dir).mark_done(shard, summary)


def sort_out(shards, state: RunState, count_rows: Callable | None = None,
             verify: bool | Callable[[str], bool] = False
             ) -> tuple[list[tuple[Shard, dict]], list[Shard]]:
    """``(done, todo)``: the finished shards with their markers' summaries, and the shards to
    make — damaged finished ones included, each named on stderr and unmarked. ``verify``: which
    files' hashes are checked here (``RunState.check_shard``); the caller checks the others'
    when it reads them."""
    done, todo = [], []
    for shard in shards:
        summary, damage = state.check_shard(shard, count_rows, verify)
        if summary is not None:
            done.append((shard, summary))
            continue
        if damage:
            make_again(state, shard, damage)
        todo.append(shard)
    return done, todo


def make_again(state: RunState, shard: Shard, damage: str) -> None:
    """Name a damaged finished shard on stderr and unmark it: it is made again."""
    print(f"synthset: shard {shard.key} is damaged ({damage}): making it again",
          file=sys.stderr)
    state.unmark(shard)


def run_shards(done: list[tuple[Shard, dict]], todo: list[Shard],
               work: Callable[[Shard], dict], executor: Executor, state: RunState
               ) -> Iterator[tuple[Shard, dict]]:
    """Yield ``(shard, summary)`` for every shard: the done ones first, then the others as the
    executor completes them."""
    yield from done
    if todo:
        yield from executor.map_unordered(ShardTask(work, str(state.save_dir)), todo)
