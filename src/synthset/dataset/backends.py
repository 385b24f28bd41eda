"""CALT's ``calt.dataset.backends``: backend names -> ``(DatasetGenerator, DatasetWriter)``.

synthset has one generator and one writer for every algebra backend, so each name maps to the
same pair; the registry keeps CALT's shape for code that reads it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from synthset.core.errors import bad_choice
from synthset.dataset.generator import DatasetGenerator
from synthset.dataset.writer import DatasetWriter


@dataclass(frozen=True)
class BackendSpec:
    """A backend: ``load()`` returns its ``(DatasetGenerator, DatasetWriter)`` classes."""

    load: Callable[[], tuple[type, type]]


def _load() -> tuple[type, type]:
    return DatasetGenerator, DatasetWriter


BACKENDS: dict[str, BackendSpec] = {name: BackendSpec(load=_load)
                                    for name in ("sagemath", "sympy", "flint")}


def get_backend_classes(name: str) -> tuple[type, type]:
    """``(DatasetGenerator, DatasetWriter)`` for backend ``name`` (``sagemath``, ``sympy`` or
    ``flint``); a ConfigError (a ValueError) naming the accepted names otherwise."""
    spec = BACKENDS.get(name) if isinstance(name, str) else None
    if spec is None:
        raise bad_choice("backend", name, list(BACKENDS))
    return spec.load()
