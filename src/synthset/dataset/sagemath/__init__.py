"""CALT's ``calt.dataset.sagemath``: the SageMath face (passagemath, extra ``sage``).

``PolynomialSampler`` is calt-x 1.5.0's Sage sampler, draw for draw: it draws from Sage's
random state (seed it with ``sage.misc.randstate.set_random_seed(seed)``), so a CALT Sage
generator writes the same bytes under calt-x and synthset. Sage is imported when the first
sampler is made, not by this import. ``SinglePolynomialSampler`` is synthset's
backend-independent one (Python ``random`` draws; it takes a Sage ring too).
"""

from synthset.algebra.sampling import SinglePolynomialSampler
from synthset.core.stats import BaseStatisticsCalculator, MemoryEfficientStatisticsCalculator
from synthset.dataset.generator import DatasetGenerator
from synthset.dataset.sagemath.utils.polynomial_sampler import PolynomialSampler
from synthset.dataset.writer import DatasetWriter

__all__ = ["BaseStatisticsCalculator", "DatasetGenerator", "DatasetWriter",
           "MemoryEfficientStatisticsCalculator", "PolynomialSampler",
           "SinglePolynomialSampler"]
