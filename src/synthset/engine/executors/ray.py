"""Shards on a Ray cluster (extra ``ray``): join ``address`` or start a local one.

Workers write their shard files themselves (the run folder must be reachable from every node),
so only small per-shard summaries travel back to the driver.

Ray starts its workers itself, from its own folder: they do not see the driver's import path,
so a generator imported from the config's folder (``instance_generator: generator:fn``) would
not be found. Every task therefore runs in a runtime environment whose ``PYTHONPATH`` holds the
driver's own folders on ``sys.path`` (not the interpreter's or installed packages'), as absolute
paths — what Dask's spawned workers inherit anyway — and whose working directory is the
driver's, so a relative ``save_dir`` means the same folder to the workers. Both must exist on
every node: true on a local cluster, and on a cluster that shares the file system the run
folder is on.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator

from synthset.core.deps import require
from synthset.engine.executors.base import Executor, WorkerLost


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
        remote = ray.remote(num_cpus=1, runtime_env=driver_runtime_env())(_call)
        fn_ref = ray.put(fn)
        item_of = {}
        for item in items:
            item_of[remote.remote(fn_ref, os.getcwd(), item)] = item
        pending = list(item_of)
        try:
            while pending:
                done, pending = ray.wait(pending, num_returns=1)
                try:
                    yield ray.get(done[0])
                except ray.exceptions.WorkerCrashedError as exc:
                    raise WorkerLost(self.name, str(exc).splitlines()[0],
                                     item=item_of[done[0]]) from None
        except BaseException:
            for ref in pending:
                ray.cancel(ref, force=True)
            raise

    def close(self) -> None:
        if self._started:
            import ray

            ray.shutdown()
            self._started = False


def driver_runtime_env() -> dict:
    """The runtime environment of every task: the driver's own import folders (see the module
    docstring); the task itself moves to the driver's working directory."""
    folders = driver_folders()
    return {"env_vars": {"PYTHONPATH": os.pathsep.join(folders)}} if folders else {}


def driver_folders() -> list[str]:
    """The driver's own import folders (not the installed packages'), then its PYTHONPATH."""
    installed = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    folders: list[str] = []
    for entry in sys.path:
        folder = os.path.abspath(entry or os.getcwd())
        real = os.path.realpath(folder)
        if (not os.path.isdir(folder) or folder in folders or "site-packages" in real
                or any(real == p or real.startswith(p + os.sep) for p in installed)):
            continue
        folders.append(folder)
    inherited = os.environ.get("PYTHONPATH")
    if inherited:
        folders += [p for p in inherited.split(os.pathsep) if p and p not in folders]
    return folders


def _call(fn, cwd, item):
    if os.path.isdir(cwd) and os.getcwd() != cwd:
        os.chdir(cwd)  # a relative save_dir is the driver's folder, as in every other executor
    return fn(item)
