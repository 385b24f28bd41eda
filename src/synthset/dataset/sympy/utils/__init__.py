"""CALT's ``calt.dataset.sympy.utils``."""

from synthset.dataset.sympy.utils.polynomial_sampler import PolynomialSampler
from synthset.dataset.sympy.utils.single_polynomial_sampler import SinglePolynomialSampler

__all__ = ["PolynomialSampler", "SinglePolynomialSampler"]
