"""synthset: seeds in, training data out.

Importing this package is cheap on purpose (docs/design.md, invariant 5): it loads no SymPy, Sage,
torch, Ray, Dask or pyarrow. The CALT-compatible face lives in `synthset.dataset`.
"""

__version__ = "0.1.0"

from synthset.core.errors import (  # noqa: E402  (re-exported: the errors users catch)
    ConfigError,
    GenerationError,
    ResumeError,
    SynthsetError,
)
from synthset.core.seeding import derive_seed  # noqa: E402
from synthset.core.task import Task, ValidationError  # noqa: E402
from synthset.tasks import registry as _registry  # noqa: E402  (names only: no task imported)


def list_tasks() -> list[str]:
    """Every built-in task name (algebra problems, reasoning tasks, presets)."""
    return _registry.list_tasks()


def get_task(name: str, level: int | None = None, **config) -> Task:
    """A built-in task by name, at an optional ``level`` (1..10), with config overrides
    (``backend=`` picks an algebra problem's engine)."""
    return _registry.get_task(name, level=level, **config)


__all__ = [
    "ConfigError",
    "GenerationError",
    "ResumeError",
    "SynthsetError",
    "Task",
    "ValidationError",
    "__version__",
    "derive_seed",
    "get_task",
    "list_tasks",
]
