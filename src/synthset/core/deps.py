"""Optional dependencies: import on demand, or fail with the pip command that fixes it."""

from __future__ import annotations

import importlib
from types import ModuleType


class MissingDependency(ImportError):
    """An optional package is not installed; the message carries the install command."""


def require(module: str, extra: str, purpose: str) -> ModuleType:
    """Import ``module`` or raise MissingDependency naming the extra that provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependency(
            f"{purpose} needs the optional package {module.split('.')[0]!r}, which is not "
            f"installed: pip install 'synthset[{extra}]'"
        ) from exc
