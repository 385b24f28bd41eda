"""The "Physics of Language Models" reasoning tasks (Depo, Brevo, Mano, Lano, Capo) and the
registry of every built-in task.

``get("depo", **config)``, ``get("depo1")`` (a preset) or ``get("poly_gcd", backend="flint")``
builds any registered task. The class of every registry entry is an attribute too —
``synthset.tasks.DepoTask``, ``synthset.tasks.PolyGCD``, ... — named by the registry's targets,
so a task added to the registry is one here with no other edit; a class's module is imported
only when the class is first used.
"""

from __future__ import annotations

from synthset.core.task import ValidationError
from synthset.tasks.registry import REGISTRY, class_names, get_task, list_tasks, task_class

get = get_task  # the short name, as in ``synthset.tasks.get("depo1")``


def __getattr__(attr: str):  # DepoTask, PolyGCD, ... on first use
    name = class_names().get(attr)
    if name is not None:
        return task_class(name)
    raise AttributeError(f"module 'synthset.tasks' has no attribute {attr!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = ["REGISTRY", "get", "get_task", "list_tasks", "task_class", "ValidationError",
           *class_names()]
