"""CALT's ``calt.dataset.utils.statistics_calculator``: synthset's statistics classes
(``synthset/core/stats.py``; exact, mergeable sums instead of Welford floats)."""

from synthset.core.stats import (
    BaseStatisticsCalculator,
    IncrementalStatistics,
    MemoryEfficientStatisticsCalculator,
)

__all__ = ["BaseStatisticsCalculator", "IncrementalStatistics",
           "MemoryEfficientStatisticsCalculator"]
