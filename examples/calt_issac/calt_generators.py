"""CALT's ISSAC 2026 generators, from the CALT checkout named by ``$CALT_CHECKOUT``
(``make_data.py --calt PATH`` sets it), as submodules ``calt_generators.TASK``: importable by
name in any process that inherits the variable (the run's workers, the determinism re-check's
fresh process).

Importing this module executes each ``issac2026_experiments/TASK/generate_dataset.py`` of that
checkout, its ``calt.dataset`` imports read as ``synthset.dataset`` (nothing else changed).
Sage is loaded first: CALT's Groebner script starts with ``sage.rings.rational_field``, which
passagemath imports only once Sage itself is loaded (otherwise: a circular import).
"""

from __future__ import annotations

import os
import re
import sys
import types
from pathlib import Path

TASKS = ("arithmetic_addition", "arithmetic_factorization", "digit_product", "groebner")
# ``from calt.dataset...`` / ``import calt.dataset...`` at the start of a line
_IMPORT = re.compile(r"^(\s*(?:from|import)\s+)calt\.dataset\b", re.MULTILINE)


def as_synthset(source: str) -> str:
    """A CALT script with its ``calt.dataset`` imports read as ``synthset.dataset``."""
    return _IMPORT.sub(r"\1synthset.dataset", source)


def _exec(task: str, path: Path) -> types.ModuleType:
    module = types.ModuleType(f"{__name__}.{task}")
    module.__file__ = str(path)  # a generator's identity covers this file's source
    sys.modules[module.__name__] = module
    exec(compile(as_synthset(path.read_text()), str(path), "exec"), module.__dict__)
    globals()[task] = module
    return module


def _path(task: str) -> Path:
    return Path(os.environ["CALT_CHECKOUT"]) / "issac2026_experiments" / task / \
        "generate_dataset.py"


def load(task: str) -> types.ModuleType:
    """The submodule of ``task``, from the checkout ``$CALT_CHECKOUT`` names now."""
    from synthset.core.errors import ConfigError

    path = _path(task)
    module = sys.modules.get(f"{__name__}.{task}")
    if module is not None and module.__file__ == str(path):
        return module
    if not path.is_file():
        raise ConfigError(f"--calt: {path} is missing; expected a checkout of CALT's "
                          "experiment/issac2026 branch")
    _load_sage()
    return _exec(task, path)


def _load_sage() -> None:
    from synthset.algebra.backends.sagemath import load_sage

    load_sage()  # first: see the docstring


def _load_all() -> None:
    if not os.environ.get("CALT_CHECKOUT"):
        return
    _load_sage()
    for task in TASKS:
        if _path(task).is_file():
            _exec(task, _path(task))


_load_all()
