"""CALT's ``calt.dataset.sagemath.utils.ideal_sampler``: bases of ideals sampled directly (the
backward method), draw for draw as calt-x 1.5.0 — Groebner bases in shape position
(``GroebnerBasisSampler``) and border bases (``BorderBasisSampler``). Turn a basis G into a
generating set F of the same ideal with ``ideal_invariant_transformer``. Sage is imported by
the first sample, not by this import."""

from synthset.dataset.sagemath.utils.ideal_sampler.border import BorderBasisSampler
from synthset.dataset.sagemath.utils.ideal_sampler.groebner import GroebnerBasisSampler

__all__ = ["BorderBasisSampler", "GroebnerBasisSampler"]
