"""The CALT-compatible face: ``DatasetPipeline``, ``DatasetGenerator``, ``DatasetWriter``.

Code written for CALT changes one import line (``calt.dataset`` -> ``synthset.dataset``).
The names load on first use: a worker process unpickling a shard job imports
``synthset.driver.job`` alone, not the driver's side of the package.
"""

from __future__ import annotations

import importlib

_NAMES = {
    "BaseStatisticsCalculator": "synthset.core.stats",
    "DatasetGenerator": "synthset.dataset.generator",
    "DatasetPipeline": "synthset.dataset.pipeline",
    "DatasetWriter": "synthset.dataset.writer",
    "IncrementalStatistics": "synthset.core.stats",
    "MemoryEfficientStatisticsCalculator": "synthset.core.stats",
    "get_backend_classes": "synthset.dataset.backends",
}

__all__ = sorted(_NAMES)


def __getattr__(name: str):
    if name in _NAMES:
        value = getattr(importlib.import_module(_NAMES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'synthset.dataset' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_NAMES))
