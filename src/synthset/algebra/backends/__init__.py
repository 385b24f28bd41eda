"""Algebra backends: one small adapter class per library, loaded by name on demand."""

from __future__ import annotations

from synthset.core.errors import bad_choice

BACKENDS = ("sympy", "flint", "sagemath")


_SHARED: dict = {}  # name -> the process's adapter (asked for on every sample's statistics)


def get_backend(name: str):
    """The backend adapter called ``name`` (imports its library now, or names the extra)."""
    try:
        return _SHARED[name]
    except (KeyError, TypeError):
        backend = _SHARED[name] = backend_class(name).shared()
        return backend


def backend_class(name: str):
    """The adapter class called ``name``, without importing its library (what a backend
    supports is known before it is installed)."""
    if name not in BACKENDS:
        raise bad_choice("backend", name, BACKENDS)
    # A plugin loaded by name: only the backend asked for is imported.
    if name == "sympy":
        from synthset.algebra.backends.sympy import SympyBackend as cls
    elif name == "flint":
        from synthset.algebra.backends.flint import FlintBackend as cls
    else:
        from synthset.algebra.backends.sagemath import SageBackend as cls
    return cls
