"""Optional dependencies: import on demand, or fail with the pip command that fixes it."""

from __future__ import annotations

import importlib
from types import ModuleType


# Extras that hold torch: pip would pull a multi-GB CUDA build for an unpinned torch, so its
# CPU build is installed first, pinned (the version the project is tested with).
TORCH_FIRST = "pip install torch==2.13.0 && "
WITH_TORCH = ("train", "rl")


class MissingDependency(ImportError):
    """An optional package is not installed; the message carries the install command."""


def require(module: str, extra: str, purpose: str) -> ModuleType:
    """Import ``module`` or raise MissingDependency naming the extra that provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependency(
            f"{purpose} needs the optional package {module.split('.')[0]!r}, which is not "
            f"installed: {TORCH_FIRST if extra in WITH_TORCH else ''}"
            f"pip install 'synthset[{extra}]'"
        ) from exc
