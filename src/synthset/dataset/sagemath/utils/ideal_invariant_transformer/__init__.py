"""CALT's ``calt.dataset.sagemath.utils.ideal_invariant_transformer``: from a basis G of an
ideal, a random generating set F of the same ideal (the (F, G) training pairs of the backward
method), draw for draw as calt-x 1.5.0 — ``F = U P A G`` for Groebner bases
(``GroebnerIdealTransformer``), ``F = A G`` for border bases (``BorderIdealTransformer``).
Sage is imported by the first transform, not by this import."""

from synthset.dataset.sagemath.utils.ideal_invariant_transformer.border import (
    BorderIdealTransformer,
)
from synthset.dataset.sagemath.utils.ideal_invariant_transformer.groebner import (
    GroebnerIdealTransformer,
)

__all__ = ["BorderIdealTransformer", "GroebnerIdealTransformer"]
