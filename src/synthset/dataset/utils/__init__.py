"""CALT's ``calt.dataset.utils``: the writer and the statistics classes, synthset's own."""

from synthset.core.stats import (
    BaseStatisticsCalculator,
    IncrementalStatistics,
    MemoryEfficientStatisticsCalculator,
)
from synthset.dataset.writer import DatasetWriter

__all__ = ["BaseStatisticsCalculator", "DatasetWriter", "IncrementalStatistics",
           "MemoryEfficientStatisticsCalculator"]
