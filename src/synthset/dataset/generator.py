"""CALT's ``DatasetGenerator``, on synthset's engine.

Same constructor and ``run`` signature as calt-x 1.5.0 (``problem_generator=`` is accepted as the
older name of ``instance_generator=``), same output bytes, plus what CALT lacks: resume,
per-sample timeouts, an error policy, Parquet/pickle output and Ray/Dask executors. Its
options are RunOptions' (``driver/options.py``), checked there: ``run`` takes every one of them
by keyword, as DatasetPipeline does, and resolves them as it does (``pipeline.resolve``).

``backend`` takes CALT's joblib backend names too: ``loky`` and ``multiprocessing`` are
synthset's executors of the same name (worker processes), ``sequential`` and ``threading`` run
every sample in the calling process (``serial``), as joblib's do — joblib's threads share one
interpreter, so for Python generators they add no parallelism, and the output is the same.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from synthset.core.errors import ConfigError, bad_choice
from synthset.driver.options import (
    ALGEBRA_BACKENDS,
    EXECUTORS,
    RunOptions,
    arguments,
    check_option,
    format_list,
)
from synthset.dataset.pipeline import check_backend, resolve
from synthset.driver.run import RunSpec, execute
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


# CALT's positional order of run()'s arguments after the writer (every option is a keyword).
RUN_POSITIONAL = ("batch_size", "save_dir", "save_text", "save_json")
# The options CALT's DatasetPipeline sizes its splits with, which dataset_sizes replaces here.
PIPELINE_SIZES = ("num_train_samples", "num_test_samples")


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

    def run(self, dataset_sizes: dict[str, int] | None = None,
            instance_generator: Callable | str | None = None,
            statistics_calculator: Callable | str | None = None,
            dataset_writer: DatasetWriter | None = None, *args, **options) -> dict[str, dict]:
        """Generate every split of ``dataset_sizes`` into the writer's folder (or ``save_dir``).

        After the writer, CALT's ``batch_size``, ``save_dir``, ``save_text``, ``save_json``
        (positional or by keyword); by keyword every other option ``RunOptions`` declares
        (``driver/options.py``), as DatasetPipeline takes them: ``task``, ``check`` and
        ``license`` among them, and the constructor's ``n_jobs``, ``verbose``, ``root_seed``,
        ``executor`` and ``address`` for this run only (``backend`` here is the algebra backend
        of a ``task``, as in a data.yaml). ``num_train_samples``/``num_test_samples`` size the
        splits ``train``/``test`` instead of ``dataset_sizes``.
        Returns each split's statistics.
        A run folder that holds the same run, interrupted, is resumed: finished shards are kept.
        Raises ConfigError for bad arguments, ResumeError when the folder holds a different run,
        GenerationError when a sample fails (with ``on_error="raise"``).
        """
        values = arguments("DatasetGenerator.run", RunOptions, RUN_POSITIONAL, args, options)
        if dataset_writer is not None:  # the writer says where and what, as in CALT
            values.update(save_dir=str(dataset_writer.save_dir),
                          save_text=dataset_writer.save_text,
                          save_json=dataset_writer.save_json)
            if dataset_writer.save_pickle:
                values["formats"] = [*format_list(values.get("formats")), "pickle"]
        sized = [key for key in PIPELINE_SIZES if key in values]
        if dataset_sizes is not None and sized:
            raise ConfigError(f"give dataset_sizes or {' and '.join(sized)}, not both: "
                              "dataset_sizes names every split and its samples")
        # The constructor's options, unless this call gives its own.
        values = {"executor": self.executor, "n_jobs": self.n_jobs, "verbose": self.verbose,
                  "root_seed": self.root_seed, "address": self.address, **values}
        run_options = RunOptions(instance_generator=instance_generator,
                                 statistics_calculator=statistics_calculator, **values)
        sizes = run_options.split_sizes() if sized else dataset_sizes
        generator, statistics_calculator, _, task = resolve(run_options)
        check_backend(run_options)
        return execute(RunSpec(run_options, sizes, generator, statistics_calculator, task))
