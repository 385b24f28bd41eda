"""CALT's ``calt.dataset.sympy``: the SymPy face.

``PolynomialSampler`` and ``SinglePolynomialSampler`` draw as calt-x 1.5.0's SymPy samplers do,
from Python's ``random`` module (or ``rng=``), so a CALT SymPy generator writes the same bytes
under calt-x and synthset.
"""

from synthset.core.stats import BaseStatisticsCalculator, MemoryEfficientStatisticsCalculator
from synthset.dataset.generator import DatasetGenerator
from synthset.dataset.sympy.utils.polynomial_sampler import PolynomialSampler
from synthset.dataset.sympy.utils.single_polynomial_sampler import SinglePolynomialSampler
from synthset.dataset.writer import DatasetWriter

__all__ = ["BaseStatisticsCalculator", "DatasetGenerator", "DatasetWriter",
           "MemoryEfficientStatisticsCalculator", "PolynomialSampler",
           "SinglePolynomialSampler"]
