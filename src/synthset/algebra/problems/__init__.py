"""A library of ready algebra problems: each a picklable ``seed -> (problem, answer)`` with a
``statistics`` calculator and an independent ``check(problem, answer)`` verifier.

``make_problem(name, backend="sympy", **params)`` builds one by name; ``PROBLEMS`` lists them.
A problem module is imported only when its problem is asked for.
"""

from __future__ import annotations

import importlib

from synthset.core.errors import ConfigError, bad_choice

# name -> "module:Class" (lazy: a registry that needs no import order)
PROBLEMS = {
    "integer_sum": "synthset.algebra.problems.integers:IntegerSum",
    "gf17_addition": "synthset.algebra.problems.integers:GF17Addition",
    "integer_factorization": "synthset.algebra.problems.integers:IntegerFactorization",
    "eigenvector": "synthset.algebra.problems.eigenvector:Eigenvector",
    "poly_sum": "synthset.algebra.problems.arithmetic:PolySum",
    "poly_product": "synthset.algebra.problems.arithmetic:PolyProduct",
    "poly_addition": "synthset.algebra.problems.arithmetic:PolyAddition",
    "poly_gcd": "synthset.algebra.problems.gcd:PolyGCD",
    "poly_factor": "synthset.algebra.problems.factor:PolyFactor",
    "poly_reduction": "synthset.algebra.problems.reduction:PolyReduction",
    "groebner": "synthset.algebra.problems.groebner:GroebnerBackward",
    "unimodular_inverse": "synthset.algebra.problems.matrix:UnimodularInverse",
}


def problem_class(name: str):
    if name not in PROBLEMS:
        raise bad_choice("task", name, sorted(PROBLEMS))
    module, _, cls = PROBLEMS[name].partition(":")
    return getattr(importlib.import_module(module), cls)


def make_problem(name: str, backend: str = "sympy", **params):
    """The problem ``name`` with ``params`` (its dataclass fields) on ``backend``."""
    import dataclasses

    cls = problem_class(name)
    fields = {f.name for f in dataclasses.fields(cls)}
    for key in params:
        if key not in fields:
            from synthset.core.errors import unknown_key

            raise unknown_key(key, sorted(fields - {"backend"}), where=f"task '{name}'")
    try:
        return cls(backend=backend, **params)
    except TypeError as exc:
        raise ConfigError(f"task {name!r}: {exc}") from None


__all__ = ["PROBLEMS", "make_problem", "problem_class"]
