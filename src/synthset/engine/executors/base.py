"""The executor interface: map a picklable function over items, results in completion order."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator

from synthset.core.errors import SynthsetError


class WorkerLost(SynthsetError):
    """A worker process died (killed, out of memory, crashed in C code) during a shard."""

    def __init__(self, executor: str, detail: str):
        super().__init__(
            f"a worker process of executor {executor!r} died while making a shard ({detail}). "
            "Shards finished before it are kept: run the same command again to resume"
        )


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


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
        self.workers = cpu_count() if n_jobs == -1 else n_jobs

    @abstractmethod
    def map_unordered(self, fn: Callable, items: Iterable) -> Iterator:
        ...

    def close(self) -> None:
        """Release the workers (a no-op for pools meant to be reused)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
