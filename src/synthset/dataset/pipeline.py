"""CALT's ``DatasetPipeline``: a ``data.yaml`` ``dataset`` block in, a run folder out.

Its options are RunOptions' (``driver/options.py``); this file resolves what they name — a
``module:function`` generator, statistics calculator or verifier, or a built-in task
(``resolve``, which ``DatasetGenerator.run`` uses too) — and hands the run to
``driver/run.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from synthset.algebra.backends import get_backend
from synthset.core.identity import callable_name
from synthset.driver.options import RunOptions, arguments, dataset_block
from synthset.driver.run import RunSpec, execute
from synthset.tasks.registry import get_task

# CALT's positional order of DatasetPipeline's arguments after the two callables.
POSITIONAL = ("save_dir", "save_text", "save_json", "num_train_samples", "num_test_samples",
              "batch_size", "n_jobs", "root_seed", "verbose", "backend")
# Generator keys of a data.yaml that a generator passed to from_config replaces.
GENERATOR_KEYS = ("instance_generator", "problem_generator", "task", "task_config")


def build_task(name: str, backend: str, config: dict):
    """A built-in task from the task registry (``task_config`` may hold its ``level``)."""
    return get_task(name, backend=backend, **config)


def resolve(options: RunOptions, search=(".",)) -> tuple:
    """``(generator, statistics_calculator, check, task)``: what the options name, resolved
    (a ``module:function`` is imported from ``search``); ``task`` is what the manifest records
    under "task" (not fingerprinted: the generator's identity is; read back by exports and
    ``synthset check``). Every failure here is a ConfigError naming its key."""
    statistics_calculator = options.resolved("statistics_calculator", search)
    check = options.resolved("check", search)
    if options.task:
        config = dict(options.task_config or {})
        generator = build_task(options.task, options.backend, config)
        if statistics_calculator is None:
            statistics_calculator = getattr(generator, "statistics", None)
        task = {"name": options.task, "config": config, "backend": options.backend}
    else:
        generator = options.resolved(options.generator_key, search)
        task = {"check": callable_name(options.check)} if options.check else None
    return generator, statistics_calculator, check, task


def check_backend(options: RunOptions) -> None:
    """A missing Sage or FLINT: one error, naming the extra, before the run starts (sympy is
    only needed by generators that use it)."""
    if options.backend != "sympy":
        get_backend(options.backend)


class DatasetPipeline:
    """Generate ``train`` and ``test`` splits from an instance generator or a built-in task.

    Args:
        instance_generator: ``seed -> (problem, answer)`` (``problem_generator=`` is its older
            name), or ``"module:function"``.
        statistics_calculator: ``(problem, answer) -> dict`` of numbers to summarise, or None.
        *args, **options: CALT's arguments in CALT's order (save_dir, save_text, save_json,
            num_train_samples, num_test_samples, batch_size, n_jobs, root_seed, verbose,
            backend), and by keyword every option ``RunOptions`` declares
            (``driver/options.py``). ``backend`` defaults to ``sympy``.

    Usually built with ``from_config(cfg.dataset, instance_generator=...)``. The options read
    back as attributes (``pipeline.n_jobs``); ``pipeline.check`` is the resolved verifier.
    """

    def __init__(self, instance_generator: Callable | str | None = None,
                 statistics_calculator: Callable | str | None = None, *args, **options):
        values = arguments("DatasetPipeline", RunOptions, POSITIONAL, args, options)
        self._setup(RunOptions(instance_generator=instance_generator,
                               statistics_calculator=statistics_calculator, **values), ["."])

    @classmethod
    def from_config(cls, config, instance_generator: Callable | None = None,
                    statistics_calculator: Callable | None = None, *,
                    problem_generator: Callable | None = None,
                    config_dir: str | Path | None = None) -> DatasetPipeline:
        """Build from a ``dataset`` block (DictConfig or dict).

        Generators passed here win over the YAML's generator or task; names in the YAML
        (``module:function``) are imported from ``config_dir``, its parent or the current
        folder.
        """
        block = dataset_block(config, RunOptions)
        if instance_generator is not None or problem_generator is not None:
            block.update(dict.fromkeys(GENERATOR_KEYS),
                         instance_generator=instance_generator,
                         problem_generator=problem_generator)
        if statistics_calculator is not None:
            block["statistics_calculator"] = statistics_calculator
        # A data.yaml usually sits in <project>/configs/ beside the generator's module.
        search = [p for p in (config_dir, config_dir and Path(config_dir).parent, ".") if p]
        pipeline = cls.__new__(cls)
        pipeline._setup(RunOptions(**block), search)
        return pipeline

    def _setup(self, options: RunOptions, search: list) -> None:
        """Resolve what the options name; every failure here is a ConfigError naming its key."""
        self.options = options
        self.statistics = None  # each split's statistics, once run() has run
        self.sizes = options.split_sizes()
        self.instance_generator, self.statistics_calculator, self.check, self.task_info = \
            resolve(options, search)

    def __getattr__(self, name: str):
        options = self.__dict__.get("options")
        if options is not None and name in options.declared():  # CALT's: pipeline.save_dir
            return getattr(options, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def run(self) -> None:
        """Generate the splits. Returns None, as calt-x's does; each split's statistics (what
        ``{split}_stats.yaml`` holds) are then in ``self.statistics``."""
        check_backend(self.options)
        self.statistics = execute(RunSpec(self.options, self.sizes, self.instance_generator,
                                          self.statistics_calculator, self.task_info))
