"""Every built-in task under one name: the algebra problems, the reasoning tasks and their
presets. ``get_task(name, level=..., **config)`` builds one; ``list_tasks()`` lists them.

Entries are ``"module:Class"`` strings: a task's module is imported only when it is asked for,
and the registry does not depend on any import order. A preset is a reasoning task with some
config fields set (the paper's named variants); its fields sit under the level's and the
caller's: ``defaults < preset < level < explicit fields``.

A name ``rg/NAME`` or ``rcore/NAME`` is a task library's dataset (``tasks/bridges/``): built
like a reasoning task whose preset names the dataset; ``list_tasks()`` holds only synthset's
own names.
"""

from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass, field

from synthset.core.errors import ConfigError, bad_choice, unknown_key
from synthset.core.task import check_level


@dataclass(frozen=True)
class Entry:
    target: str  # "module:Class"
    kind: str  # "algebra" or "reasoning"
    preset: dict = field(default_factory=dict)
    summary: str = ""  # a preset's own summary (a family's comes from its class)


_P = "synthset.algebra.problems."
_T = "synthset.tasks."
REGISTRY: dict[str, Entry] = {
    # computer algebra (CALT's examples and synthset's own problems)
    "integer_sum": Entry(_P + "integers:IntegerSum", "algebra"),
    "gf17_addition": Entry(_P + "integers:GF17Addition", "algebra"),
    "integer_factorization": Entry(_P + "integers:IntegerFactorization", "algebra"),
    "eigenvector": Entry(_P + "eigenvector:Eigenvector", "algebra"),
    "poly_sum": Entry(_P + "arithmetic:PolySum", "algebra"),
    "poly_product": Entry(_P + "arithmetic:PolyProduct", "algebra"),
    "poly_addition": Entry(_P + "arithmetic:PolyAddition", "algebra"),
    "poly_gcd": Entry(_P + "gcd:PolyGCD", "algebra"),
    "poly_factor": Entry(_P + "factor:PolyFactor", "algebra"),
    "poly_reduction": Entry(_P + "reduction:PolyReduction", "algebra"),
    "groebner": Entry(_P + "groebner:GroebnerBackward", "algebra"),
    "unimodular_inverse": Entry(_P + "matrix:UnimodularInverse", "algebra"),
    # reasoning tasks (Physics of Language Models), each with its defaults
    "depo": Entry(_T + "depo:DepoTask", "reasoning"),
    "brevo": Entry(_T + "brevo:BrevoTask", "reasoning"),
    "mano": Entry(_T + "mano:ManoTask", "reasoning"),
    "lano": Entry(_T + "lano:LanoTask", "reasoning"),
    "capo": Entry(_T + "capo:CapoTask", "reasoning"),
    # the papers' named variants
    "depo1": Entry(_T + "depo:DepoTask", "reasoning",
                   {"N": 225, "K": 8, "V": 50, "min_len": 1, "max_len": 2},
                   "Depo1: words of 1-2 tokens (V=50), N=225, K=8"),
    "depo2": Entry(_T + "depo:DepoTask", "reasoning",
                   {"N": 75, "K": 16, "V": 4, "min_len": 5, "max_len": 7},
                   "Depo2: words of 5-7 tokens (V=4), N=75, K=16"),
    "brevo1": Entry(_T + "brevo:BrevoTask", "reasoning", {"N": 70, "min_len": 1, "max_len": 1},
                    "Brevo1: single-token nodes, N=70"),
    "brevo2": Entry(_T + "brevo:BrevoTask", "reasoning",
                    {"N": 30, "V": 4, "min_len": 2, "max_len": 4},
                    "Brevo2: nodes are words of 2-4 tokens (V=4), N=30"),
    "mano10": Entry(_T + "mano:ManoTask", "reasoning", {"L": 10}, "Mano with L=10 operators"),
    "mano13": Entry(_T + "mano:ManoTask", "reasoning", {"L": 13}, "Mano with L=13 operators"),
    "mano16": Entry(_T + "mano:ManoTask", "reasoning", {"L": 16}, "Mano with L=16 operators"),
    "lano_cfg3f": Entry(_T + "lano:LanoTask", "reasoning", {"grammar": "cfg3f"},
                        "Lano on cfg3f (depth 6, 54 rules)"),
    "lano_cfg3j": Entry(_T + "lano:LanoTask", "reasoning", {"grammar": "cfg3j"},
                        "Lano on cfg3j (depth 7, 57 rules)"),
    "lano_cfg3k": Entry(_T + "lano:LanoTask", "reasoning", {"grammar": "cfg3k"},
                        "Lano on cfg3k (depth 7, 68 rules)"),
}


def list_tasks() -> list[str]:
    """Every built-in task name: the algebra problems, the reasoning tasks, their presets."""
    return list(REGISTRY)


def entry(name: str) -> Entry:
    library = _library_entry(name)  # rg/NAME, rcore/NAME: a task library's dataset
    if library is not None:
        return library
    if not isinstance(name, str) or name not in REGISTRY:
        raise bad_choice("task", name, REGISTRY)
    return REGISTRY[name]


def _library_entry(name) -> Entry | None:
    from synthset.tasks.bridges import LIBRARIES, split_name

    parts = split_name(name)
    if parts is None:
        return None
    return Entry(LIBRARIES[parts[0]][0], "reasoning", {"dataset": parts[1]})


def task_class(name: str):
    module, _, cls = entry(name).target.partition(":")
    return getattr(importlib.import_module(module), cls)


def class_names() -> dict[str, str]:
    """Each registered class's name and the first registry name made from it (``"DepoTask":
    "depo"``, ``"PolyGCD": "poly_gcd"``), read from the entries' targets without importing
    them: ``synthset.tasks.<Class>`` resolves through it."""
    out: dict[str, str] = {}
    for name, spec in REGISTRY.items():
        out.setdefault(spec.target.rpartition(":")[2], name)
    return out


def get_task(name: str, level: int | None = None, backend: str | None = None, **config):
    """The built-in task ``name`` at ``level`` (1..10, optional) with config overrides.

    ``backend`` (``sympy``, ``flint``, ``sagemath``) picks an algebra problem's engine; the
    reasoning tasks need none and ignore it. Unknown names and fields are ConfigErrors naming
    the closest accepted one.
    """
    task = _build(name, level, backend, config)
    if task.kind == "algebra":
        task.load_backend()
    return task


def describe(name: str) -> dict:
    """What ``synthset tasks`` shows of ``name`` (summary, fields, levels, backends): read
    without importing an algebra backend, which only making samples needs."""
    return _build(name, None, None, {}).describe()


def _build(name: str, level, backend, config: dict):
    spec = entry(name)
    cls = task_class(name)
    # Sorted: a task (and so a run's identity, which hashes the task object) never depends on
    # the order its fields were written in.
    config = dict(sorted(config.items()))
    if spec.kind == "reasoning":
        task = cls(level=level, preset=spec.preset, **config)
    else:
        task = _make_problem(name, cls, level, backend, config)
    task.name = name
    task.explicit = dict(config)  # what the caller set (a curriculum keeps it)
    if spec.kind == "algebra":
        task.family = name
    doc = ((type(task).__doc__ or "").strip().splitlines() or [""])[0].replace("``", "")
    task.summary = spec.summary or task.summary or doc
    return task


def _make_problem(name: str, cls, level, backend, config: dict):
    fields = {f.name for f in dataclasses.fields(cls)} - {"backend"}
    for key in config:
        if key not in fields:
            raise unknown_key(key, sorted(fields), where=f"task '{name}'")
    level = check_level(level)
    chosen = {**(cls.LEVELS.get(level, {}) if level else {}), **config}
    try:
        task = cls(backend=backend or "sympy", **chosen)
    except TypeError as exc:
        raise ConfigError(f"task {name!r}: {exc}") from None
    task.level = level
    return task
