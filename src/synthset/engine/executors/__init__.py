"""Executors decide *where* shards run; they map a function over shards and nothing else.

``get_executor(name, n_jobs, address)`` builds one by name: ``serial``, ``loky`` and
``multiprocessing`` (local process pools), ``ray`` (extra ``ray``) and ``dask`` (extra ``dask``).
Ray and Dask are imported only when chosen. What ``executor`` and ``n_jobs`` accept is said
here once (``EXECUTORS``, ``N_JOBS``, ``valid_n_jobs``); the run options' declaration
(``driver/options.py``) reads it from here, and ``synthset check`` checks through that.
"""

from __future__ import annotations

from synthset.core.errors import ConfigError, bad_choice
from synthset.engine.executors.base import Executor, worker_count
from synthset.engine.executors.local import local_executor

EXECUTORS = ("serial", "loky", "multiprocessing", "ray", "dask")
N_JOBS = "-1 (all cores) or a positive integer"  # completes "n_jobs must be ..."


def valid_n_jobs(n_jobs) -> bool:
    return not isinstance(n_jobs, bool) and isinstance(n_jobs, int) and (n_jobs == -1
                                                                          or n_jobs > 0)


def check_n_jobs(n_jobs) -> int:
    if not valid_n_jobs(n_jobs):
        raise ConfigError(f"n_jobs must be {N_JOBS}, got {n_jobs!r}")
    return n_jobs


def get_executor(name: str, n_jobs: int = -1, address: str | None = None) -> Executor:
    check_n_jobs(n_jobs)
    if name not in EXECUTORS:
        raise bad_choice("executor", name, EXECUTORS)
    if name in ("serial", "loky", "multiprocessing"):
        return local_executor(name, n_jobs)
    # Ray's and Dask's adapters are plugins loaded by name, only when chosen.
    if name == "ray":
        from synthset.engine.executors.ray import RayExecutor

        return RayExecutor(n_jobs, address)
    from synthset.engine.executors.dask import DaskExecutor

    return DaskExecutor(n_jobs, address)


__all__ = ["EXECUTORS", "N_JOBS", "Executor", "check_n_jobs", "get_executor", "valid_n_jobs",
           "worker_count"]
