"""The "Physics of Language Models" reasoning tasks: Depo, Brevo, Mano, Lano, Capo.

``get("depo", **config)`` or ``get("depo1")`` (a preset) builds one by name; the task classes
are imported only when first used.
"""

from __future__ import annotations

import importlib

from synthset.core.errors import bad_choice

TASKS = {
    "depo": "synthset.tasks.depo:DepoTask",
    "brevo": "synthset.tasks.brevo:BrevoTask",
    "mano": "synthset.tasks.mano:ManoTask",
    "lano": "synthset.tasks.lano:LanoTask",
    "capo": "synthset.tasks.capo:CapoTask",
}
PRESETS = {
    "depo1": "depo", "depo2": "depo", "brevo1": "brevo", "brevo2": "brevo", "mano": "mano",
    "mano13": "mano", "mano16": "mano", "lano_cfg3f": "lano", "lano_cfg3j": "lano",
    "lano_cfg3k": "lano", "capo": "capo",
}


def task_class(name: str):
    if name not in TASKS:
        raise bad_choice("task", name, sorted(TASKS))
    module, _, cls = TASKS[name].partition(":")
    return getattr(importlib.import_module(module), cls)


def get(name: str, **config):
    """A task by name (``depo``) or preset (``depo1``), with config overrides."""
    if name in TASKS:
        return task_class(name)(**config)
    if name in PRESETS:
        return task_class(PRESETS[name]).preset(name, **config)
    raise bad_choice("task", name, sorted(set(TASKS) | set(PRESETS)))


def __getattr__(attr: str):  # DepoTask, BrevoTask, ... on first use
    names = {"DepoTask": "depo", "BrevoTask": "brevo", "ManoTask": "mano", "LanoTask": "lano",
             "CapoTask": "capo"}
    if attr in names:
        return task_class(names[attr])
    if attr == "ValidationError":
        from synthset.tasks.base import ValidationError

        return ValidationError
    raise AttributeError(f"module 'synthset.tasks' has no attribute {attr!r}")


__all__ = ["PRESETS", "TASKS", "get", "task_class", "DepoTask", "BrevoTask", "ManoTask",
           "LanoTask", "CapoTask", "ValidationError"]
