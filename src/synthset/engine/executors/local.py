"""Executors on this machine: in-process, joblib's loky pool, and a multiprocessing pool.

The pool is made once per run and every shard of every split is one task (CALT rebuilds a pool
per batch and sends each sample as its own task, which makes 2 jobs slower than 1 on fast
generators). With one worker the shards run in this process: no pool to start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from synthset.engine.executors.base import Executor


class SerialExecutor(Executor):
    name = "serial"

    def __init__(self, n_jobs: int = 1):
        super().__init__(1)

    def map_unordered(self, fn: Callable, items: Iterable) -> Iterator:
        for item in items:
            yield fn(item)


class LokyExecutor(Executor):
    """joblib.Parallel on its reusable loky pool, one task a shard."""

    name = "loky"
    needs_pickle = True
    cloudpickle = True  # loky pickles functions by value: lambdas and closures travel

    def map_unordered(self, fn: Callable, items: Iterable) -> Iterator:
        from joblib import Parallel, delayed

        parallel = Parallel(n_jobs=self.workers, backend="loky", batch_size=1,
                            pre_dispatch="2*n_jobs", return_as="generator_unordered")
        yield from parallel(delayed(fn)(item) for item in items)


class MultiprocessingExecutor(Executor):
    """The standard library's process pool (fork on Linux); functions travel by reference."""

    name = "multiprocessing"
    needs_pickle = True

    def map_unordered(self, fn: Callable, items: Iterable) -> Iterator:
        import multiprocessing

        with multiprocessing.Pool(self.workers) as pool:
            yield from pool.imap_unordered(fn, items, chunksize=1)


def local_executor(name: str, n_jobs: int) -> Executor:
    kinds = {"serial": SerialExecutor, "loky": LokyExecutor,
             "multiprocessing": MultiprocessingExecutor}
    executor = kinds[name](n_jobs)
    return executor if executor.workers > 1 else SerialExecutor()
