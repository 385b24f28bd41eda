"""CALT's ``DatasetGenerator``, on synthset's engine.

Same constructor and ``run`` signature as calt-x 1.5.0 (``problem_generator=`` is accepted as the
older name of ``instance_generator=``), same output bytes, plus what CALT lacks: resume,
per-sample timeouts, an error policy, Parquet/pickle output and Ray/Dask executors. Its
options are RunOptions' (``dataset/config.py``), checked there.

``backend`` takes CALT's joblib backend names too: ``loky`` and ``multiprocessing`` are
synthset's executors of the same name (worker processes), ``sequential`` and ``threading`` run
every sample in the calling process (``serial``), as joblib's do — joblib's threads share one
interpreter, so for Python generators they add no parallelism, and the output is the same.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from synthset.core.errors import bad_choice
from synthset.dataset.config import (
    ALGEBRA_BACKENDS,
    EXECUTORS,
    RunOptions,
    arguments,
    check_option,
    format_list,
)
from synthset.dataset.run import RunSpec, execute
from synthset.dataset.writer import DatasetWriter

# CALT's joblib backend names that are not synthset executors: both run in this process.
JOBLIB_BACKENDS = {"sequential": "serial", "threading": "serial"}

ProblemOrAnswer = Any | list[Any] | list[list[Any]] | list[Any | list[Any]]
"""What a generator returns on each side (CALT's alias): a value, a list, or a list mixing
values and lists (at most two levels)."""

logger = logging.getLogger(__name__)


def setup_logging() -> None:
    """CALT's logging set-up: the root logger at INFO, its stream handlers printing the bare
    message (a handler is added when there is none)."""
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        root.addHandler(handler)
        return
    for handler in root.handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setFormatter(logging.Formatter("%(message)s"))


# CALT's positional order of run()'s arguments after the writer, and the keywords run() takes
# besides them (the others belong to the constructor).
RUN_POSITIONAL = ("batch_size", "save_dir", "save_text", "save_json")
RUN_OPTIONS = (*RUN_POSITIONAL, "problem_generator", "formats", "on_error", "timeout", "resume",
               "shard_size", "verify_determinism", "dedup")


class DatasetGenerator:
    """Generates the splits of a dataset from a ``seed -> (problem, answer)`` callable.

    Args:
        backend: where samples are made — an executor (``loky`` (default), ``multiprocessing``,
            ``serial``, ``ray``, ``dask``), one of CALT's joblib backend names (``loky``,
            ``multiprocessing``, ``sequential`` and ``threading``; the last two run in this
            process), or an algebra backend name (``sympy``, ``sagemath``, ``flint``), which
            leaves the executor at loky.
        n_jobs: worker processes; -1 means all cores.
        verbose: progress bars and a summary table on stderr.
        root_seed: the seed every sample's seed is derived from (CALT's derivation).
        address: the Ray or Dask cluster to join (a local one is started when None).
    """

    def __init__(self, backend: str = "loky", n_jobs: int = -1, verbose: bool = True,
                 root_seed: int = 42, address: str | None = None) -> None:
        executor = JOBLIB_BACKENDS.get(backend, backend)
        if executor in ALGEBRA_BACKENDS:  # CALT's users pass the algebra backend here too
            executor = "loky"
        if executor not in EXECUTORS:
            raise bad_choice("backend", backend,
                             EXECUTORS + tuple(JOBLIB_BACKENDS) + ALGEBRA_BACKENDS)
        for key, value in (("n_jobs", n_jobs), ("verbose", verbose), ("root_seed", root_seed),
                           ("address", address)):
            check_option(key, value)
        self.backend = backend  # as given (CALT's attribute)
        self.executor = executor
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.root_seed = root_seed
        self.address = address

    def run(self, dataset_sizes: dict[str, int], instance_generator: Callable | None = None,
            statistics_calculator: Callable | None = None,
            dataset_writer: DatasetWriter | None = None, *args, **options) -> dict[str, dict]:
        """Generate every split of ``dataset_sizes`` into the writer's folder (or ``save_dir``).

        After the writer, CALT's ``batch_size``, ``save_dir``, ``save_text``, ``save_json``
        (positional or by keyword); by keyword also ``problem_generator``, ``formats``,
        ``on_error``, ``timeout``, ``resume``, ``shard_size``, ``verify_determinism``, ``dedup``.
        Returns each split's statistics.
        A run folder that holds the same run, interrupted, is resumed: finished shards are kept.
        Raises ConfigError for bad arguments, ResumeError when the folder holds a different run,
        GenerationError when a sample fails (with ``on_error="raise"``).
        """
        values = arguments("DatasetGenerator.run", RUN_POSITIONAL, RUN_OPTIONS, args, options)
        if dataset_writer is not None:  # the writer says where and what, as in CALT
            values.update(save_dir=str(dataset_writer.save_dir),
                          save_text=dataset_writer.save_text,
                          save_json=dataset_writer.save_json)
            if dataset_writer.save_pickle:
                values["formats"] = [*format_list(values.get("formats")), "pickle"]
        run_options = RunOptions(
            instance_generator=instance_generator, statistics_calculator=statistics_calculator,
            executor=self.executor, n_jobs=self.n_jobs, verbose=self.verbose,
            root_seed=self.root_seed, address=self.address, **values)
        return execute(RunSpec(run_options, dataset_sizes,
                               run_options.resolved(run_options.generator_key),
                               run_options.resolved("statistics_calculator")))
