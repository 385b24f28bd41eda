"""Executors on this machine: in-process, a loky pool, and a multiprocessing pool.

loky is joblib's process-pool engine, used here directly: joblib's own import costs ~0.12 s in
the driver *and* in every worker (measured here), and a loky worker of joblib ran its first task
0.33 s after the pool was asked for, against 0.10 s for standalone loky.

The pool is made once per run and every shard of every split is one task (CALT rebuilds a pool
per batch and sends each sample as its own task, which makes 2 jobs slower than 1 on fast
generators). With one worker the shards run in this process: no pool to start.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator

from synthset.engine.executors.base import Executor, WorkerLost


class SerialExecutor(Executor):
    name = "serial"

    def __init__(self, n_jobs: int = 1):
        super().__init__(1)

    def map_unordered(self, fn: Callable, items: Iterable) -> Iterator:
        for item in items:
            yield fn(item)


class LokyExecutor(Executor):
    """loky's reusable pool, one task a shard, with the driver as the last worker.

    ``n_jobs=k`` starts k-1 pool processes and the calling process works too: it begins on the
    first shard at once instead of idling while the pool's interpreters start (~0.3 s here,
    a sixth of a 200k-sample trivial run), and it has nothing else to do while waiting.
    """

    name = "loky"
    needs_pickle = True
    cloudpickle = True  # loky pickles functions by value: lambdas and closures travel

    def map_unordered(self, fn: Callable, items: Iterable) -> Iterator:
        from concurrent.futures import FIRST_COMPLETED, wait

        from concurrent.futures.process import BrokenProcessPool

        from loky import get_reusable_executor
        from loky.process_executor import TerminatedWorkerError

        queue = deque(items)
        pool = get_reusable_executor(max_workers=self.workers - 1, reuse=True)
        in_flight: set = set()
        depth = 4 * (self.workers - 1)  # queued shards keep workers busy during driver turns
        try:
            while queue or in_flight:
                # Near the end the driver keeps as many shards as the pool still holds: it
                # works through them while the pool finishes its backlog, and both end
                # together instead of the driver waiting on a queued shard.
                while len(in_flight) < depth and len(queue) > len(in_flight):
                    in_flight.add(pool.submit(fn, queue.popleft()))
                    _stop_at_exit(pool)  # after the first submit, when loky registers its own
                for future in [f for f in in_flight if f.done()]:
                    in_flight.discard(future)
                    yield future.result()
                if queue:
                    yield fn(queue.popleft())
                elif in_flight:
                    wait(in_flight, return_when=FIRST_COMPLETED)
        except (TerminatedWorkerError, BrokenProcessPool) as exc:
            raise WorkerLost(self.name, str(exc).splitlines()[0]) from None
        finally:
            for future in in_flight:
                future.cancel()


_STOPPED_AT_EXIT: set = set()


def _stop_at_exit(pool) -> None:
    """Kill the pool's idle workers when the interpreter exits. loky's own exit hook asks each
    worker to finish and joins it (~35 ms of a 1.4 s two-process run here); by then every
    shard is written and the workers have nothing left to do. Registered with threading's
    exit hooks after loky's (which it adds on the first submit), so it runs first: they are
    called in reverse order."""
    if id(pool) in _STOPPED_AT_EXIT:
        return
    _STOPPED_AT_EXIT.add(id(pool))
    import atexit
    import threading

    register = getattr(threading, "_register_atexit", atexit.register)
    register(lambda: pool.shutdown(wait=False, kill_workers=True))


class MultiprocessingExecutor(Executor):
    """The standard library's process pool; functions travel by reference (pickle).

    concurrent.futures' pool, not ``multiprocessing.Pool``: the latter waits forever for a
    result when a worker is killed; this one reports the broken pool.
    """

    name = "multiprocessing"
    needs_pickle = True

    def map_unordered(self, fn: Callable, items: Iterable) -> Iterator:
        from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
        from concurrent.futures.process import BrokenProcessPool

        queue = deque(items)
        with ProcessPoolExecutor(self.workers) as pool:
            in_flight: set = set()
            try:
                while queue or in_flight:
                    while queue and len(in_flight) < 2 * self.workers:
                        in_flight.add(pool.submit(fn, queue.popleft()))
                    done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                    for future in done:
                        yield future.result()
            except BrokenProcessPool as exc:
                raise WorkerLost(self.name, str(exc)) from None
            finally:
                for future in in_flight:
                    future.cancel()


def local_executor(name: str, n_jobs: int) -> Executor:
    kinds = {"serial": SerialExecutor, "loky": LokyExecutor,
             "multiprocessing": MultiprocessingExecutor}
    executor = kinds[name](n_jobs)
    return executor if executor.workers > 1 else SerialExecutor()
