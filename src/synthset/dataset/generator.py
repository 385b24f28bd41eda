"""CALT's ``DatasetGenerator``, on synthset's engine.

Same constructor and ``run`` signature as calt-x 1.5.0 (``problem_generator=`` is accepted as the
older name of ``instance_generator=``), same output bytes, plus what CALT lacks: resume,
per-sample timeouts, an error policy, Parquet/pickle output and Ray/Dask executors.
"""

from __future__ import annotations

from collections.abc import Callable

from synthset.core.errors import ConfigError, bad_choice
from synthset.dataset.run import RunSpec, execute, formats_from
from synthset.dataset.writer import DatasetWriter
from synthset.engine.executors import EXECUTORS, check_n_jobs

ALGEBRA_BACKENDS = ("sympy", "sagemath", "flint")


def pick_generator(instance_generator, problem_generator):
    """CALT 1.5.0 says ``instance_generator``, its older docs ``problem_generator``."""
    if instance_generator is not None and problem_generator is not None \
            and instance_generator is not problem_generator:
        raise ConfigError("pass instance_generator or problem_generator (older name), not both")
    generator = instance_generator if instance_generator is not None else problem_generator
    if generator is None:
        raise ConfigError("instance_generator must be provided (problem_generator is accepted "
                          "as its older name)")
    return generator


class DatasetGenerator:
    """Generates the splits of a dataset from a ``seed -> (problem, answer)`` callable.

    Args:
        backend: where samples are made — an executor (``loky`` (default), ``multiprocessing``,
            ``serial``, ``ray``, ``dask``) as CALT's joblib backend argument, or an algebra
            backend name (``sympy``, ``sagemath``, ``flint``), which leaves the executor at loky.
        n_jobs: worker processes; -1 means all cores.
        verbose: progress bars and a summary table on stderr.
        root_seed: the seed every sample's seed is derived from (CALT's derivation).
        address: the Ray or Dask cluster to join (a local one is started when None).
    """

    def __init__(self, backend: str = "loky", n_jobs: int = -1, verbose: bool = True,
                 root_seed: int = 42, address: str | None = None) -> None:
        if backend in ALGEBRA_BACKENDS:
            backend = "loky"
        if backend not in EXECUTORS:
            raise bad_choice("backend", backend, EXECUTORS + ALGEBRA_BACKENDS)
        self.backend = backend
        self.n_jobs = check_n_jobs(n_jobs)
        self.verbose = verbose
        self.root_seed = root_seed
        self.address = address

    def _generate_seed(self, sample_index: int, tag: str) -> int:
        from synthset.core.seeding import derive_seed

        return derive_seed(self.root_seed, tag, sample_index)

    def run(
        self,
        dataset_sizes: dict[str, int],
        instance_generator: Callable | None = None,
        statistics_calculator: Callable | None = None,
        dataset_writer: DatasetWriter | None = None,
        batch_size: int = 100000,
        save_dir: str | None = None,
        save_text: bool = True,
        save_json: bool = True,
        *,
        problem_generator: Callable | None = None,
        formats: list[str] | None = None,
        on_error: str = "raise",
        timeout: float | None = None,
        resume: bool = True,
        shard_size: int | None = None,
    ) -> dict[str, dict]:
        """Generate every split of ``dataset_sizes`` into the writer's folder (or ``save_dir``).

        Returns each split's statistics. A run folder that holds the same run, interrupted,
        is resumed: finished shards are kept. Raises ConfigError for bad arguments,
        ResumeError when the folder holds a different run, GenerationError when a sample fails
        (with ``on_error="raise"``).
        """
        generator = pick_generator(instance_generator, problem_generator)
        if dataset_writer is not None:
            save_dir = dataset_writer.save_dir
            chosen = formats_from(dataset_writer.save_text, dataset_writer.save_json, formats)
            if getattr(dataset_writer, "save_pickle", False) and "pickle" not in chosen:
                chosen += ("pickle",)
        else:
            chosen = formats_from(save_text, save_json, formats)
        spec = RunSpec(
            sizes=dataset_sizes, generator=generator,
            statistics_calculator=statistics_calculator,
            save_dir=str(save_dir) if save_dir is not None else ".", formats=chosen,
            root_seed=self.root_seed, on_error=on_error, timeout=timeout, n_jobs=self.n_jobs,
            executor=self.backend, address=self.address, batch_size=batch_size,
            shard_size=shard_size, resume=resume, verbose=self.verbose,
        )
        return execute(spec)
