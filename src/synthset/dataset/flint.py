"""synthset.dataset.flint: the FLINT-backend (python-flint, extra ``flint``) sampler classes, and the
shared CALT face, for code that imported ``calt.dataset.sympy``."""

from synthset.algebra.sampling import PolynomialSampler as _Base
from synthset.algebra.sampling import SinglePolynomialSampler
from synthset.core.stats import MemoryEfficientStatisticsCalculator
from synthset.dataset.generator import DatasetGenerator
from synthset.dataset.writer import DatasetWriter


class PolynomialSampler(_Base):
    __doc__ = _Base.__doc__
    backend_name = "flint"


__all__ = ["DatasetGenerator", "DatasetWriter", "MemoryEfficientStatisticsCalculator",
           "PolynomialSampler", "SinglePolynomialSampler"]
