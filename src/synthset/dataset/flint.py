"""synthset.dataset.flint: the FLINT-backend (python-flint, extra ``flint``) face, for code that
imported ``calt.dataset.sympy``: the same classes and draws, polynomials from python-flint."""

from synthset.algebra.sampling import PolynomialSampler as _Base
from synthset.algebra.sampling import SinglePolynomialSampler
from synthset.core.stats import BaseStatisticsCalculator, MemoryEfficientStatisticsCalculator
from synthset.dataset.generator import DatasetGenerator
from synthset.dataset.writer import DatasetWriter


class PolynomialSampler(_Base):
    __doc__ = _Base.__doc__
    backend_name = "flint"


__all__ = ["BaseStatisticsCalculator", "DatasetGenerator", "DatasetWriter",
           "MemoryEfficientStatisticsCalculator", "PolynomialSampler", "SinglePolynomialSampler"]
