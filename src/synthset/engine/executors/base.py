"""The executor interface: map a picklable function over items, results in completion order;
and how many workers an ``n_jobs`` means (``worker_count``, the one place that says so)."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator

from synthset.core.errors import SynthsetError


class WorkerLost(SynthsetError):
    """A worker process died (killed, out of memory, crashed in C code) during a shard.

    Names the shard (``item``) it was making — and the sample, when the run has a time limit
    (``index``) — and how to resume. The CLI exits with status 1, as for a failed sample.
    """

    exit_code = 1

    def __init__(self, executor: str, detail: str, item=None, index: int | None = None):
        self.executor, self.detail, self.item, self.index = executor, detail, item, index
        what = describe_item(item) if item is not None else "a shard"
        if index is not None:
            what += f", at sample {index}"
        hint = ""
        if all(hasattr(item, key) for key in ("split", "start", "stop")):
            first, last = (index, index + 1) if index is not None else (item.start, item.stop)
            hint = (f". If it dies there again, the generator crashes on one of its samples: "
                    f"call it on synthset.derive_seed(root_seed, {item.split!r}, i) for i in "
                    f"range({first}, {last}) to see how")
        super().__init__(
            f"a worker process of executor {executor!r} died while making {what} ({detail}). "
            f"Shards finished before it are kept: run the same command again to resume{hint}"
        )

    def __reduce__(self):
        return (WorkerLost, (self.executor, self.detail, self.item, self.index))


def describe_item(item) -> str:
    """``shard 3 of split 'train' (samples 75 to 99)`` for a shard; ``repr`` for anything else."""
    if all(hasattr(item, key) for key in ("split", "number", "start", "stop")):
        return (f"shard {item.number} of split {item.split!r} "
                f"(samples {item.start} to {item.stop - 1})")
    return repr(item)


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def worker_count(n_jobs: int, tasks: int | None = None) -> int:
    """How many workers ``n_jobs`` asks for (-1: one per core), never more than ``tasks``, the
    items there are to map (a worker with nothing to do only costs its start), and at least 1."""
    workers = cpu_count() if n_jobs == -1 else n_jobs
    return workers if tasks is None else max(1, min(workers, tasks))


class Executor(ABC):
    """Runs ``fn(item)`` for every item; yields results as they complete.

    Subclasses implement ``map_unordered``. ``workers`` is how many run at once. An exception in
    ``fn`` is re-raised in the caller (with the worker's traceback chained where the backend
    keeps it) and the remaining items are cancelled.
    """

    name = "base"
    needs_pickle = False  # whether fn and items cross a process boundary
    cloudpickle = False  # whether the backend pickles functions by value (lambdas, closures)

    def __init__(self, n_jobs: int = -1):
        self.workers = worker_count(n_jobs)

    @abstractmethod
    def map_unordered(self, fn: Callable, items: Iterable) -> Iterator:
        ...

    def close(self) -> None:
        """Release the workers (a no-op for pools meant to be reused)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
