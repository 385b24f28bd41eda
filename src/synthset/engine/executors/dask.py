"""Shards on a Dask cluster (extra ``dask``, via dask.distributed): join ``address`` or start
a local one.

Workers return per-shard summaries, never rows (Dask is ~4x slower moving lists of tuples), and
write the shard files themselves. A local cluster uses processes with one thread each, so a
generator holding the GIL does not serialise the shards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from synthset.core.deps import require
from synthset.engine.executors.base import Executor, WorkerLost


class DaskExecutor(Executor):
    name = "dask"
    needs_pickle = True
    cloudpickle = True

    def __init__(self, n_jobs: int = -1, address: str | None = None):
        super().__init__(n_jobs)
        self.address = address
        self._client = None
        self._cluster = None

    def _connect(self):
        distributed = require("distributed", "dask", "executor 'dask'")
        if self._client is None:
            if self.address:
                self._client = distributed.Client(self.address)
            else:
                self._cluster = distributed.LocalCluster(
                    n_workers=self.workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=40,
                )
                self._client = distributed.Client(self._cluster)
        return distributed

    def map_unordered(self, fn: Callable, items: Iterable) -> Iterator:
        distributed = self._connect()
        item_of = {}
        for i, item in enumerate(items):
            item_of[self._client.submit(fn, item, pure=False, key=f"synthset-{i}-{id(fn)}")] = item
        futures = list(item_of)
        try:
            for future in distributed.as_completed(futures):
                try:
                    yield future.result()
                except distributed.KilledWorker:  # it died on every worker that tried it
                    raise WorkerLost(self.name, "KilledWorker: every worker that tried it died",
                                     item=item_of[future]) from None
        except BaseException:
            self._client.cancel(futures)
            raise

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None
