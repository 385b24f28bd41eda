"""CALT's ``calt.dataset.sagemath.utils``."""

from synthset.dataset.sagemath.utils.polynomial_sampler import PolynomialSampler

__all__ = ["PolynomialSampler"]
