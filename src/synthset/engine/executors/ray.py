"""Shards on a Ray cluster (extra ``ray``): join ``address`` or start a local one.

Workers write their shard files themselves (the run folder must be reachable from every node),
so only small per-shard summaries travel back to the driver.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from synthset.core.deps import require
from synthset.engine.executors.base import Executor


class RayExecutor(Executor):
    name = "ray"
    needs_pickle = True
    cloudpickle = True

    def __init__(self, n_jobs: int = -1, address: str | None = None):
        super().__init__(n_jobs)
        self.address = address
        self._started = False

    def _init(self):
        ray = require("ray", "ray", "executor 'ray'")
        if not ray.is_initialized():
            if self.address:
                ray.init(address=self.address, log_to_driver=False)
            else:
                # A local cluster sized to the job: Ray's defaults reserve 30% of free memory
                # for the object store, which this workload (small summaries) never uses.
                ray.init(
                    num_cpus=self.workers,
                    object_store_memory=80 * 1024 * 1024,
                    include_dashboard=False,
                    log_to_driver=False,
                )
                self._started = True
        return ray

    def map_unordered(self, fn: Callable, items: Iterable) -> Iterator:
        ray = self._init()
        remote = ray.remote(num_cpus=1)(_call)
        fn_ref = ray.put(fn)
        pending = [remote.remote(fn_ref, item) for item in items]
        try:
            while pending:
                done, pending = ray.wait(pending, num_returns=1)
                yield ray.get(done[0])
        except BaseException:
            for ref in pending:
                ray.cancel(ref, force=True)
            raise

    def close(self) -> None:
        if self._started:
            import ray

            ray.shutdown()
            self._started = False


def _call(fn, item):
    return fn(item)
