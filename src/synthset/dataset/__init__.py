"""The CALT-compatible face: ``DatasetPipeline``, ``DatasetGenerator``, ``DatasetWriter``.

Code written for CALT changes one import line (``calt.dataset`` -> ``synthset.dataset``).
"""

from synthset.core.stats import IncrementalStatistics, MemoryEfficientStatisticsCalculator
from synthset.dataset.generator import DatasetGenerator
from synthset.dataset.pipeline import DatasetPipeline
from synthset.dataset.writer import DatasetWriter

__all__ = [
    "DatasetGenerator",
    "DatasetPipeline",
    "DatasetWriter",
    "IncrementalStatistics",
    "MemoryEfficientStatisticsCalculator",
]
