"""CALT's ``DatasetPipeline``: a ``data.yaml`` ``dataset`` block in, a run folder out."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from synthset.dataset.config import check_dataset_config
from synthset.dataset.generator import pick_generator
from synthset.dataset.identity import resolve_callable
from synthset.dataset.run import RunSpec, execute, formats_from



def make_task(name: str, backend: str, config: dict):
    """A built-in task by name: a reasoning task (``depo``, ``brevo1``...) or an algebra
    problem (``poly_gcd``...) on ``backend``."""
    from synthset import tasks
    from synthset.algebra.problems import PROBLEMS, make_problem
    from synthset.core.errors import bad_choice

    if name in tasks.TASKS or name in tasks.PRESETS:
        return tasks.get(name, **config)
    if name in PROBLEMS:
        return make_problem(name, backend=backend, **config)
    raise bad_choice("task", name, sorted({*tasks.TASKS, *tasks.PRESETS, *PROBLEMS}))


class DatasetPipeline:
    """Generate ``train`` and ``test`` splits from an instance generator.

    The arguments are CALT's (seed 001) plus synthset's: ``executor``, ``address``, ``on_error``,
    ``timeout``, ``formats``, ``resume``, ``shard_size``. ``backend`` defaults to ``sympy``.
    Usually built with ``from_config(cfg.dataset, instance_generator=...)``.
    """

    def __init__(self, instance_generator=None, statistics_calculator=None, save_dir=".",
                 save_text: bool = True, save_json: bool = True, num_train_samples: int = 0,
                 num_test_samples: int = 0, batch_size: int = 100000, n_jobs: int = -1,
                 root_seed: int = 42, verbose: bool = True, backend: str = "sympy", *,
                 problem_generator=None, executor: str = "loky", address: str | None = None,
                 on_error: str = "raise", timeout: float | None = None, formats=(),
                 resume: bool = True, shard_size: int | None = None) -> None:
        check_dataset_config({
            "save_dir": str(save_dir), "num_train_samples": num_train_samples,
            "num_test_samples": num_test_samples, "batch_size": batch_size, "n_jobs": n_jobs,
            "root_seed": root_seed, "save_text": save_text, "save_json": save_json,
            "verbose": verbose, "backend": backend, "executor": executor, "on_error": on_error,
            "timeout": timeout, "formats": list(formats), "resume": resume,
            "shard_size": shard_size,
        })
        self.instance_generator = pick_generator(instance_generator, problem_generator)
        self.statistics_calculator = statistics_calculator
        self.save_dir = str(save_dir)
        self.save_text, self.save_json = save_text, save_json
        self.num_train_samples, self.num_test_samples = num_train_samples, num_test_samples
        self.batch_size, self.n_jobs = batch_size, n_jobs
        self.root_seed, self.verbose, self.backend = root_seed, verbose, backend
        self.executor, self.address = executor, address
        self.on_error, self.timeout = on_error, timeout
        self.formats, self.resume, self.shard_size = list(formats), resume, shard_size

    @classmethod
    def from_config(cls, config, instance_generator: Callable | None = None,
                    statistics_calculator: Callable | None = None, *,
                    problem_generator: Callable | None = None,
                    config_dir: str | Path | None = None) -> DatasetPipeline:
        """Build from a ``dataset`` block (DictConfig or dict).

        Generators passed here win over ``instance_generator: module:function`` in the YAML;
        modules named in the YAML are looked up in ``config_dir``, its parent and the current
        folder too.
        """
        cfg = check_dataset_config(config)
        # A data.yaml usually sits in <project>/configs/ beside the generator's module.
        search = [p for p in (config_dir, config_dir and Path(config_dir).parent, ".") if p]
        named = cfg.pop("instance_generator") or cfg.pop("problem_generator")
        cfg.pop("problem_generator", None)
        if instance_generator is None and problem_generator is None and named:
            instance_generator = resolve_callable(named, "instance_generator", search)
        named_stats = cfg.pop("statistics_calculator")
        if statistics_calculator is None and named_stats:
            statistics_calculator = resolve_callable(named_stats, "statistics_calculator", search)
        task, task_config = cfg.pop("task"), cfg.pop("task_config")
        task_info = None
        if task and instance_generator is None and problem_generator is None:
            instance_generator = make_task(task, cfg["backend"], task_config)
            task_info = {"name": task, "config": dict(task_config)}
            if statistics_calculator is None:
                statistics_calculator = instance_generator.statistics
        pipeline = cls(instance_generator=instance_generator,
                       statistics_calculator=statistics_calculator,
                       problem_generator=problem_generator, **cfg)
        pipeline.task_info = task_info
        return pipeline

    def run(self) -> dict[str, dict]:
        """Generate the splits; returns each split's statistics."""
        if self.backend != "sympy":  # sympy is only needed by generators that use it
            from synthset.algebra.backends import get_backend

            get_backend(self.backend)  # a missing Sage or FLINT: one error naming the extra
        sizes = {name: n for name, n in (("train", self.num_train_samples),
                                         ("test", self.num_test_samples)) if n > 0}
        spec = RunSpec(
            sizes=sizes, generator=self.instance_generator,
            statistics_calculator=self.statistics_calculator, save_dir=self.save_dir,
            formats=formats_from(self.save_text, self.save_json, self.formats),
            root_seed=self.root_seed, on_error=self.on_error, timeout=self.timeout,
            n_jobs=self.n_jobs, executor=self.executor, address=self.address,
            batch_size=self.batch_size, shard_size=self.shard_size, resume=self.resume,
            verbose=self.verbose, task=getattr(self, "task_info", None),
        )
        return execute(spec)
