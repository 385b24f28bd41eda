"""CALT's ``calt.dataset.utils.dataset_writer``: synthset's ``DatasetWriter`` and CALT's
aliases and YAML helpers (``synthset/dataset/writer.py``)."""

from synthset.dataset import writer as _writer
from synthset.dataset.writer import (
    DatasetWriter,
    StatisticsDict,
    StringProblemOrAnswer,
    StringSample,
    StringSampleList,
    timedelta_representer,
)

__all__ = ["DatasetWriter", "StatisticsDict", "StringProblemOrAnswer", "StringSample",
           "StringSampleList", "TimedeltaDumper", "timedelta_representer"]


def __getattr__(name: str):
    if name == "TimedeltaDumper":  # made on first use (it imports PyYAML)
        return _writer.TimedeltaDumper
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
