"""Shards on a Dask cluster (extra ``dask``, via dask.distributed): join ``address`` or start
a local one.

Workers return per-shard summaries, never rows (Dask is ~4x slower moving lists of tuples), and
write the shard files themselves. A local cluster uses processes with one thread each, so a
generator holding the GIL does not serialise the shards.

A cluster started elsewhere (``address``) does not see the driver's import path, and its
scheduler unpickles every task it is sent: a generator imported from the config's folder
(``instance_generator: generator:fn``) would fail there with Dask's "Error during
deserialization of the task graph". So the function travels as bytes the scheduler never opens,
with the user's own modules inside them (by value: a long-lived worker that imported another
project's ``generator`` module still runs this run's code), and each task, as with Ray (ray.py),
first puts the driver's own import folders on the worker's ``sys.path`` and moves to the
driver's working directory (a relative ``save_dir`` means the same folder). The run folder must
be on a file system the workers share. A worker that cannot import what the code needs (a
package not installed there) stops the run with one line naming the module.
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Callable, Iterable, Iterator

from synthset.core.deps import require
from synthset.core.errors import ConfigError
from synthset.core.identity import own_modules
from synthset.engine.executors.base import Executor, WorkerLost
from synthset.engine.executors.ray import _call, driver_folders  # imports no Ray

UNREADABLE_GRAPH = "Error during deserialization of the task graph"  # the scheduler's words


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
        import cloudpickle  # a dependency of distributed

        payload = _by_value(cloudpickle, fn)
        folders, cwd = driver_folders(), os.getcwd()
        item_of = {}
        for i, item in enumerate(items):
            future = self._client.submit(_run, payload, folders, cwd, item, pure=False,
                                         key=f"synthset-{i}-{id(fn)}")
            item_of[future] = item
        futures = list(item_of)
        try:
            for future in distributed.as_completed(futures):
                try:
                    yield future.result()
                except distributed.KilledWorker:  # it died on every worker that tried it
                    raise WorkerLost(self.name, "KilledWorker: every worker that tried it died",
                                     item=item_of[future]) from None
                except RuntimeError as exc:
                    if not str(exc).startswith(UNREADABLE_GRAPH):
                        raise
                    raise ConfigError(
                        f"executor 'dask': the scheduler at {self._client.scheduler.address} "
                        "cannot unpickle synthset's tasks; install this synthset, under the "
                        "same Python version, where the scheduler and its workers run"
                    ) from None
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


def _by_value(cloudpickle, fn) -> bytes:
    """``fn`` pickled with the user's own modules inside it, not named: a long-lived worker
    that imported another ``generator`` module for another run (or none) runs this run's code."""
    modules = own_modules()
    for module in modules:
        cloudpickle.register_pickle_by_value(module)
    try:
        return cloudpickle.dumps(fn)
    finally:
        for module in modules:
            cloudpickle.unregister_pickle_by_value(module)


def _run(payload: bytes, folders: list[str], cwd: str, item):
    """One task on a worker: the driver's import folders first, then its function."""
    sys.path[:0] = [folder for folder in folders if folder not in sys.path]
    try:
        fn = pickle.loads(payload)  # the driver's own job (map_unordered), never a file
    except (ImportError, AttributeError) as exc:  # a module missing, or another of that name
        from distributed import get_worker

        name = exc.name if isinstance(exc, ImportError) else None
        what = f"module {name!r}" if name else "the run's code"
        raise ConfigError(
            f"executor 'dask': worker {get_worker().address} cannot import {what} ({exc}); "
            "every worker must see this machine's import folders "
            f"({', '.join(folders) or 'none'}) at the same paths, as on a shared file system, "
            "and have the packages they import installed"
        ) from None
    return _call(fn, cwd, item)
