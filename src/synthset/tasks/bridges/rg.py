"""reasoning-gym's datasets as synthset tasks: ``rg/NAME`` (``rg/chain_sum``, ``rg/sudoku``...).

The task's fields are the dataset's config fields (``max_terms``, ``allow_negation``...).

Levels: reasoning-gym's curriculum gives each difficulty attribute of a dataset a list of
levels 0..n-1 (``create_curriculum(NAME)``). Level L of synthset sets EVERY attribute to its
level ``min(L - 1, n - 1)`` (clamped: an attribute with 4 levels is at its hardest from L = 4
on) and reads the fields with the curriculum's own default context (``inclusive``: a range
attribute spans its levels 0..level). The three datasets without a curriculum (acre,
gsm_symbolic, list_functions) refuse a level.

Seeds: reasoning-gym makes item ``idx`` of a dataset from ``Random(seed + idx)``. The record of
a run's per-sample seed ``s`` is item 0 of the dataset with seed ``s``: one dataset object per
task is kept, its ``seed`` set to ``s`` before each item; the datasets that draw a pool from
their seed when built (``INIT_SEEDED``), and those whose items read the config's seed instead
of the dataset's (``CONFIG_SEEDED``), are built per sample, with ``size=1``. Python's and
NumPy's global random states are seeded from ``s`` for the datasets that draw from them
(``GLOBAL_STATE``, found by ``bench/audit_bridges.py``). ``codeio``, which executes code
snippets that write files where they run, is refused (``REFUSED``). The datasets whose items
follow the iteration order of sets of strings (``HASH_ORDERED``) are the same in every
process only when ``PYTHONHASHSEED`` fixes Python's string hashing: refused without it.
reasoning-gym's costly imports of one dataset only (``DEFERRED``) happen on first use.

Imports ``core`` and the bridge base; reasoning_gym when a task is built.
"""

from __future__ import annotations

import dataclasses
import random

from synthset.core.errors import ConfigError
from synthset.tasks.bridges.base import (OWN_FIELDS, SEED_MASK, BridgeTask, library_error,
                                         refuse_fields)

# Datasets that draw their item pool from the dataset's seed when built: built per sample.
INIT_SEEDED = frozenset({"acre", "gsm_symbolic", "list_functions"})
# Datasets whose item idx comes from Random(config.seed + idx), not from the dataset's seed
# (setting that one would give every sample the same item): built per sample too.
CONFIG_SEEDED = frozenset({"survo"})
# Datasets that draw from Python's or NumPy's global random state: seeded per sample.
GLOBAL_STATE = frozenset({"list_functions"})
# Datasets whose items follow the iteration order of sets of strings, which Python's string
# hashing makes differ from process to process: refused unless PYTHONHASHSEED fixes it.
HASH_ORDERED = frozenset({"isomorphic_strings", "knight_swap", "polynomial_multiplication",
                          "ransom_note", "word_ladder"})



# Datasets that seed NumPy with ``seed + idx`` (which must be below 2**32): given the seed
# modulo 2**32.
SEED_32 = frozenset({"pool_matrix"})


# Imported by reasoning-gym for one or two datasets, and costly: imported when first used.
# cellpylib (game_of_life) imports matplotlib.pyplot: ~0.45 s of CPU, half of what importing
# reasoning_gym costs each process of a run (its workers, the determinism re-check's).
DEFERRED = ("cellpylib",)


def _library():
    import sys

    from synthset.core.deps import require

    if "reasoning_gym" not in sys.modules:
        for name in DEFERRED:
            defer(name)
    require("reasoning_gym", "rg", "an rg/ task")
    from reasoning_gym import factory

    return factory


def defer(name: str) -> None:
    """Module ``name`` imported on first use of one of its attributes, not when imported:
    ``import name`` gets a stand-in that imports the module then and hands every attribute
    on (once imported, ``sys.modules`` holds the module itself)."""
    import importlib.util
    import sys
    import threading
    import types

    if name in sys.modules or importlib.util.find_spec(name) is None:
        return
    lock = threading.Lock()

    class Deferred(types.ModuleType):
        def __getattr__(self, attr):
            with lock:
                module = sys.modules.get(name)
                if module is self or module is None:
                    sys.modules.pop(name, None)
                    module = importlib.import_module(name)
            return getattr(module, attr)

    sys.modules[name] = Deferred(name)


def level_fields(name: str, level: int) -> dict:
    """The config fields reasoning-gym's curriculum of ``name`` gives synthset level
    ``level`` (1..10): every attribute at its level ``min(level - 1, n - 1)``; ``{}`` for a
    dataset with no curriculum."""
    factory = _library()
    if not factory.has_curriculum(name):
        return {}
    curriculum = factory.create_curriculum(name)
    for attr in curriculum.attributes.values():
        curriculum.set_attr_level(attr.name, min(level - 1, len(attr.levels) - 1))
    config = curriculum.generate_configuration()
    out = {}
    for attr in curriculum.attributes.values():
        for key in ("lower_field_name", "upper_field_name", "field_name"):
            field = getattr(attr, key, None)
            if field:
                out[field] = getattr(config, field)
    return dict(sorted(out.items()))


def tuples(value):
    """``value`` with every list a tuple (mappings kept)."""
    if isinstance(value, list):
        return tuple(tuples(v) for v in value)
    if isinstance(value, dict):
        return {k: tuples(v) for k, v in value.items()}
    return value


class RGTask(BridgeTask):
    """A reasoning-gym dataset (see the module docstring)."""

    library = "rg"
    package = "reasoning-gym"
    extra = "rg"
    HASH_ORDERED = HASH_ORDERED
    REFUSED = {
        "composite": "it mixes other reasoning-gym datasets by weight; name each as rg/NAME "
                     "(synthset's mixtures weigh tasks)",
        # e.g. the snippet asking for the line of a file writes file_N.txt where it runs
        "codeio": "it executes the library's code snippets, some of which write files in the "
                  "working directory and in the temporary folder (file_N.txt, temporary "
                  "files kept), so a run would write outside its folder",
    }

    def names(self) -> list[str]:
        return sorted(_library().DATASETS)

    def classes(self):
        return _library().DATASETS[self.dataset]

    def build(self):
        dataset_cls, config_cls = self.classes()
        accepted = {f.name for f in dataclasses.fields(config_cls)}
        refuse_fields(self.library, self.dataset, self.fields, accepted - set(OWN_FIELDS))
        values = {}
        if self.level is not None:
            if not _library().has_curriculum(self.dataset):
                raise ConfigError(f"task {self.name} has no levels (reasoning-gym has no "
                                  "curriculum for it): set its fields instead")
            values = level_fields(self.dataset, self.level)
        values.update(self.fields)
        values.update({k: v for k, v in (("seed", 0), ("size", 1)) if k in accepted})
        try:
            config = config_cls(**values)
            if hasattr(config, "validate"):
                config.validate()
        except Exception as exc:  # the library's own checks: asserts, ValueErrors
            raise library_error(self.name, exc) from None
        doc = (dataset_cls.__doc__ or "").strip().splitlines()
        self._shared["summary"] = doc[0] if doc else f"reasoning-gym's {self.dataset}"
        return config

    def level_config(self, level: int) -> dict:
        return level_fields(self.dataset, level)

    def _defaults(self) -> dict:
        out = {}
        for f in dataclasses.fields(self.classes()[1]):
            if f.default is not dataclasses.MISSING:
                out[f.name] = f.default
            elif f.default_factory is not dataclasses.MISSING:
                out[f.name] = f.default_factory()
        return out

    def _dataset(self):
        dataset = self._shared.get("dataset")
        if dataset is None:
            dataset = self._shared["dataset"] = self.classes()[0](config=self._config)
        return dataset

    def entry(self, seed: int):
        item = (self._shared.get("item") or self._item_maker())(seed)
        return item["question"], item["answer"], item["metadata"]

    def __call__(self, seed: int) -> dict:
        # ``entry`` and ``row`` inlined: for the cheapest datasets (~10 us an item) each call
        # and lookup on the way is a measurable part of a sample
        item = (self._shared.get("item") or self._item_maker())(seed & SEED_MASK)
        return self.row(item["question"], item["answer"], item["metadata"])

    def _item_maker(self):
        """The function of a seed making the library's item, chosen once per process (and
        shared by every copy of the task) for this dataset's seeding."""
        name = self.dataset
        per_sample = name in INIT_SEEDED or name in CONFIG_SEEDED
        if name in GLOBAL_STATE or name in SEED_32 or per_sample:
            def item(seed: int) -> dict:
                if name in GLOBAL_STATE:
                    import numpy as np

                    random.seed(seed)
                    np.random.seed(seed % 2**32)
                if name in SEED_32:
                    seed %= 2**32
                if per_sample:
                    config = dataclasses.replace(self._config, seed=seed, size=1)
                    return self.classes()[0](config=config)[0]
                dataset = self._dataset()
                dataset.seed = seed  # item 0 comes from Random(seed + 0)
                return dataset[0]
        else:
            dataset = self._dataset()
            getitem = type(dataset).__getitem__

            def item(seed: int) -> dict:
                dataset.seed = seed  # item 0 comes from Random(seed + 0)
                return getitem(dataset, 0)
        self._shared["item"] = item
        return item

    def library_score(self, text: str, entry: dict) -> float:
        """reasoning-gym's ``score_answer`` on the entry as stored; where that is below 1,
        also on the entry with its metadata's lists as tuples (JSON has no tuples; scorers
        such as arc_agi's compare a parsed tuple grid with the metadata's), the higher of
        the two."""
        score = self._dataset().score_answer(text, entry)
        if score is None or score < 1:
            again = self._dataset().score_answer(text, {**entry, "metadata":
                                                        tuples(entry["metadata"])})
            score = max(score or 0.0, again or 0.0)
        return score
