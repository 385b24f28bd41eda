"""Run shards: skip the done ones, map the rest over an executor, mark each one done.

The marker is written by the worker right after the shard's own files (``ShardTask``), so a
driver killed mid-run loses nothing a worker finished.
"""

from __future__ import annotations

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
        RunState(self.save_dir).mark_done(shard, summary)
        return shard, summary


def run_shards(
    shards: list[Shard], work: Callable[[Shard], dict], executor: Executor, state: RunState
) -> Iterator[tuple[Shard, dict]]:
    """Yield ``(shard, summary)`` for every shard: done ones first (from their markers), then
    the others as the executor completes them."""
    todo = []
    for shard in shards:
        if state.is_done(shard):
            yield shard, state.summary(shard)
        else:
            todo.append(shard)
    if todo:
        yield from executor.map_unordered(ShardTask(work, str(state.save_dir)), todo)
