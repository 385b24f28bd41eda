"""The "Physics of Language Models" reasoning tasks (Depo, Brevo, Mano, Lano, Capo) and the
registry of every built-in task.

``get("depo", **config)``, ``get("depo1")`` (a preset) or ``get("poly_gcd", backend="flint")``
builds any registered task; the classes are imported only when first used.
"""

from __future__ import annotations

from synthset.tasks.registry import REGISTRY, get_task, list_tasks, task_class

get = get_task  # the short name, as in ``synthset.tasks.get("depo1")``

_CLASSES = {"DepoTask": "depo", "BrevoTask": "brevo", "ManoTask": "mano", "LanoTask": "lano",
            "CapoTask": "capo"}


def __getattr__(attr: str):  # DepoTask, BrevoTask, ... on first use
    if attr in _CLASSES:
        return task_class(_CLASSES[attr])
    if attr == "ValidationError":
        from synthset.core.task import ValidationError

        return ValidationError
    raise AttributeError(f"module 'synthset.tasks' has no attribute {attr!r}")


__all__ = ["REGISTRY", "get", "get_task", "list_tasks", "task_class", "DepoTask", "BrevoTask",
           "ManoTask", "LanoTask", "CapoTask", "ValidationError"]
