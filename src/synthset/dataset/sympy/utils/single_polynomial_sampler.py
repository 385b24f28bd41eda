"""CALT's ``calt.dataset.sympy.utils.single_polynomial_sampler``: synthset's
``SinglePolynomialSampler`` (CALT's draws, from Python's ``random`` module or ``rng=``)."""

from synthset.algebra.sampling import SinglePolynomialSampler

__all__ = ["SinglePolynomialSampler"]
