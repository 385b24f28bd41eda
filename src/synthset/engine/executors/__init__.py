"""Executors decide *where* shards run; they map a function over shards and nothing else.

``get_executor(name, n_jobs, address)`` builds one by name: ``serial``, ``loky`` and
``multiprocessing`` (local process pools), ``ray`` (extra ``ray``) and ``dask`` (extra ``dask``).
Ray and Dask are imported only when chosen.
"""

from __future__ import annotations

from synthset.core.errors import ConfigError, bad_choice
from synthset.engine.executors.base import Executor

EXECUTORS = ("serial", "loky", "multiprocessing", "ray", "dask")


def check_n_jobs(n_jobs) -> int:
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or not (n_jobs == -1 or n_jobs > 0):
        raise ConfigError(f"n_jobs must be -1 (all cores) or a positive integer, got {n_jobs!r}")
    return n_jobs


def get_executor(name: str, n_jobs: int = -1, address: str | None = None) -> Executor:
    check_n_jobs(n_jobs)
    if name not in EXECUTORS:
        raise bad_choice("executor", name, EXECUTORS)
    if name in ("serial", "loky", "multiprocessing"):
        from synthset.engine.executors.local import local_executor

        return local_executor(name, n_jobs)
    if name == "ray":
        from synthset.engine.executors.ray import RayExecutor

        return RayExecutor(n_jobs, address)
    from synthset.engine.executors.dask import DaskExecutor

    return DaskExecutor(n_jobs, address)


__all__ = ["EXECUTORS", "Executor", "check_n_jobs", "get_executor"]
