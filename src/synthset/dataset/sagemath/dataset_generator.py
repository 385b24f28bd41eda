"""CALT's ``calt.dataset.sagemath.dataset_generator``: synthset's ``DatasetGenerator`` (one for
every backend: a generator's Sage objects are written with ``str()``, as calt-x does)."""

from synthset.dataset.generator import (
    DatasetGenerator,
    ProblemOrAnswer,
    logger,
    setup_logging,
)
from synthset.dataset.writer import StatisticsDict, StringProblemOrAnswer

__all__ = ["DatasetGenerator", "ProblemOrAnswer", "StatisticsDict", "StringProblemOrAnswer",
           "logger", "setup_logging"]
