"""reasoning-core's tasks as synthset tasks: ``rcore/NAME`` (``rcore/arithmetics``...).

The task's fields are the task's config fields (``min_depth``, ``float_prob``...).

Levels: reasoning-core's configs have an integer ``level`` knob (0 = its defaults; each step
makes the task harder through the config's ``set_level``, no upper bound). Synthset level L is
reasoning-core level ``L - 1``: 1 is the library's defaults, 10 its level 9.

Determinism: reasoning-core draws from Python's and NumPy's global random states ("generation
should not set a seed"), so both are seeded from the run's per-sample seed before each
example. These things of the library would make a sample depend on more than its seed, and are
fixed from outside for the bridge's calls only:
- its per-example time limit retries a slow example with the random state where it stopped (a
  loaded machine writes other samples): off, synthset's ``timeout`` option limits a sample;
- its token counter (the ``max_tokens`` filter) is tiktoken's o200k_base when that file can be
  downloaded, else a count of words: always the count of words here, so every machine keeps
  the same examples and no download is tried;
- its metadata records the wall time an example took (``_time``): dropped;
- coreference's z3 solver stops at a wall-clock time limit (a loaded machine, another
  sample): lifted (``WALL_CLOCK``);
- its grammar generator reseeds the global state from the operating system
  (``random.seed(None)``): such a reseed is given the next seed derived from the sample's.
Its caches that draw randomness when they fill are filled by one example when the task is
first used in a process, so every sample starts from filled caches.
A level's config is drawn with the global state seeded from the level (its stochastic rounding).
The tasks still not deterministic, or that download data, are refused (``REFUSED``), and those
whose samples follow the order of sets of strings need ``PYTHONHASHSEED`` (``HASH_ORDERED``).

Imports ``core`` and the bridge base; reasoning_core when a task is built.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import itertools
import random

from synthset.core.seeding import derive_seed
from synthset.tasks.bridges.base import (OWN_FIELDS, BridgeTask, library_error,
                                         refuse_fields)

DROPPED = ("_time",)  # metadata that is not a function of the seed
WARM_UP_SEED = 0
# Wall-clock time limits inside a task's generator (z3's timeout is wall-clock time: a loaded
# machine would make another sample): lifted for the bridge's calls
WALL_CLOCK = {"reasoning_core.tasks.coreference": {"Z3_TIMEOUT_MS": 2**31 - 1,
                                                   "Z3_TIMEOUT_RETRIES": 0}}
# Packages a task imports only when it makes an example: checked when it is built, so a run
# stops in one line before it starts
NEEDS = {"game_best_move": "pyggp", "game_forced_win": "pyggp"}
# reasoning-core's "level" is the task's level, not a field
KNOBS = OWN_FIELDS + ("level",)


def _library():
    from synthset.core.deps import require

    return require("reasoning_core", "rcore", "an rcore/ task")


def _field_names(config) -> list[str]:
    if dataclasses.is_dataclass(config):
        return [f.name for f in dataclasses.fields(config)]
    return [k for k in vars(config) if not k.startswith("_")]


class _Words:
    """reasoning-core's own offline token counter: whitespace-separated words."""

    def encode(self, text):
        return str(text).split()


def _no_retry(seconds=15, attempts=10):
    return lambda func: func


@contextlib.contextmanager
def _patched(module=None, **names):
    """``module``'s ``names`` (reasoning_core.template's by default) replaced for the
    duration of one call."""
    if module is None:
        from reasoning_core import template as module

    saved = {name: getattr(module, name) for name in names}
    for name, value in names.items():
        setattr(module, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(module, name, value)


@contextlib.contextmanager
def _seeded(seed: int):
    """Python's global random state seeded (and put back afterwards): a level's config."""
    state = random.getstate()
    random.seed(seed)
    try:
        yield
    finally:
        random.setstate(state)


@contextlib.contextmanager
def _derived_reseeds(seed: int):
    """``random.seed()`` and ``numpy.random.seed()`` without a value (reasoning-core's
    grammar generator calls ``random.seed(None)``: a seed from the operating system) given the
    next value derived from the sample's seed instead, for one example's duration."""
    import numpy as np

    real, real_np = random.seed, np.random.seed
    calls = itertools.count(1)

    def derived() -> int:
        return derive_seed(seed, "reseed", next(calls)) % 2**32

    def seed_random(a=None, version=2):
        real(derived() if a is None else a, version)

    def seed_numpy(a=None):
        real_np(derived() if a is None else a)

    random.seed, np.random.seed = seed_random, seed_numpy
    try:
        yield
    finally:
        random.seed, np.random.seed = real, real_np


class RCoreTask(BridgeTask):
    """A reasoning-core task (see the module docstring)."""

    library = "rcore"
    package = "reasoning-core"
    extra = "rcore"
    KNOBS = ("level",)
    # Measured by bench/audit_bridges.py: its audit, and its --stress test (the same seeds in
    # three processes: two in opposite orders, two with other hash seeds).
    HASH_ORDERED = frozenset({"analogical_case_matching", "belief_tracking", "logic_qa",
                              "set_expression"})
    REFUSED = {
        **dict.fromkeys(
            ("code_runnability", "defeasible_nli", "lambda_reduction",
             "qualitative_causal_reasoning", "rewrite_system", "table_equivalence",
             "table_qa", "unification_entailment"),
            "the same seed gives other samples even within one process (it draws from a "
            "random source that is not seeded from outside)"),
        **dict.fromkeys(
            ("logic_derivation", "multistep_evidence_retrieval", "multistep_nli"),
            "a sample depends on the samples made before it in the same process (its "
            "caches), so it changes with the shards and n_jobs"),
        **dict.fromkeys(
            ("constrained_continuation", "parsing_derivation", "regex_following",
             "syntax_error_detection"),
            "its samples differ from process to process even with PYTHONHASHSEED fixed "
            "(randomness drawn when its modules are imported)"),
        **dict.fromkeys(
            ("metamath_core_select", "metamath_entailment"),
            "it downloads its data (a Metamath database) from the network when first used"),
    }

    def names(self) -> list[str]:
        return sorted(_library().list_tasks())

    def task_class(self):
        return _library().DATASETS[self.dataset]

    def _new_task(self, config=None):
        """The library's task object (its token counter the offline one), with its own
        default config when ``config`` is None."""
        try:
            with _patched(_load_tokenizer=_Words):
                task = self.task_class()() if config is None else \
                    self.task_class()(config=config)
        except Exception as exc:  # an import the task needs, its own checks
            raise library_error(self.name, exc) from None
        task.tokenizer = _Words()
        return task

    def build(self):
        package = NEEDS.get(self.dataset)
        if package:
            import importlib.util

            from synthset.core.deps import MissingDependency

            if importlib.util.find_spec(package) is None:
                raise MissingDependency(
                    f"task {self.name} needs the package {package!r}, which is not installed: "
                    "pip install 'reasoning-core[gen]'")
        task = self._new_task()
        self._shared["pristine"] = copy.deepcopy(task.config)
        config = task.config
        accepted = set(_field_names(config))
        refuse_fields(self.library, self.dataset, self.fields, accepted - set(KNOBS))
        try:
            if self.level is not None and self.level > 1:
                with _seeded(self.level):
                    config.set_level(self.level - 1)
            for key, value in self.fields.items():
                setattr(config, key, value)
        except Exception as exc:  # the library's own checks
            raise library_error(self.name, exc) from None
        self._shared["task"] = task
        doc = (getattr(type(task), "summary", None) or "").strip().splitlines()
        self._shared["summary"] = doc[0] if doc else f"reasoning-core's {self.dataset}"
        return config

    def level_config(self, level: int) -> dict:
        """The fields reasoning-core's level ``level - 1`` changes from its defaults."""
        base = self._shared["pristine"]
        config = copy.deepcopy(base)
        if level > 1:
            with _seeded(level):
                config.set_level(level - 1)
        return {name: getattr(config, name) for name in _field_names(config)
                if name not in KNOBS and getattr(config, name) != getattr(base, name)}

    def _defaults(self) -> dict:
        base = self._shared["pristine"]
        return {name: getattr(base, name) for name in _field_names(base)}

    def _task(self):
        task = self._shared["task"]
        if not self._shared.get("warm"):
            # A first example fills the library's caches (some draw from the random state
            # only when they fill): every sample of the process then starts from them.
            self._generate(task, WARM_UP_SEED)
            self._shared["warm"] = True
        return task

    def entry(self, seed: int):
        example = self._generate(self._task(), seed)
        metadata = {k: v for k, v in dict(example.metadata).items() if k not in DROPPED}
        return example.prompt, example.answer, metadata

    @staticmethod
    def _generate(task, seed: int):
        import sys

        import numpy as np

        random.seed(seed)
        np.random.seed(seed % 2**32)
        module = type(task).__module__
        with _patched(timeout_retry=_no_retry), _derived_reseeds(seed), \
                _patched(sys.modules[module], **WALL_CLOCK.get(module, {})):
            return task.generate_example()

    def library_score(self, text: str, entry: dict) -> float:
        from easydict import EasyDict

        scorer = _library().get_score_answer_fn(self.dataset)
        return scorer(text, EasyDict({"answer": entry["answer"], "metadata": entry["metadata"],
                                      "task": self.dataset}))
