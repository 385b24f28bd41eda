"""CALT's ``calt.dataset.sympy``: the SymPy-backend sampler classes, and the shared face."""

from synthset.algebra.sampling import PolynomialSampler as _Base
from synthset.algebra.sampling import SinglePolynomialSampler
from synthset.core.stats import MemoryEfficientStatisticsCalculator
from synthset.dataset.generator import DatasetGenerator
from synthset.dataset.writer import DatasetWriter


class PolynomialSampler(_Base):
    __doc__ = _Base.__doc__
    backend_name = "sympy"


__all__ = ["DatasetGenerator", "DatasetWriter", "MemoryEfficientStatisticsCalculator",
           "PolynomialSampler", "SinglePolynomialSampler"]
