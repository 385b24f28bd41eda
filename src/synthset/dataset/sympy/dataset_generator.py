"""CALT's ``calt.dataset.sympy.dataset_generator``: synthset's ``DatasetGenerator`` (one for
every backend: SymPy polynomials are written as calt-x writes them, ``^`` for ``**`` and no
`` mod p``), with CALT's aliases and logging helpers — the names of the Sage face's module."""

from synthset.dataset.sagemath.dataset_generator import *  # noqa: F401,F403
from synthset.dataset.sagemath.dataset_generator import __all__  # noqa: F401
