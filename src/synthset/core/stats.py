"""Statistics that are computed incrementally and merged exactly.

CALT's ``IncrementalStatistics`` keeps a Welford mean and M2 in floats. Merging two Welford
partials (Chan et al.) rounds differently for every way of cutting the data, so the stats of a
run would depend on the shard size and ``n_jobs``. Here the sums of values and of squares are kept
*exactly* (integers, with floats scaled to integers by their binary exponent), so a merge is exact
and the reported mean/std are the correctly rounded values of the exact ones — the same bytes for
any partition of the samples (docs/design.md, invariant 1). The API is CALT's: ``update``,
``update_batch``, ``get_statistics`` (population std) and, for parallel shards, ``merge``.

Run times are not deterministic anyway; ``RunningStats`` keeps them in plain floats (Welford,
merged with Chan's formula), which is cheaper on the per-sample path.

A run folds a shard's statistics in bulk (``update_batch``): the run times as one list, the
samples' dicts a column of numbers at a time when they share one shape (a task's statistics
always do), integer columns summed in C. The result is the one ``update_sample`` per sample
gives, to the bit (``update_batch`` is exactly that where the shapes differ).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from fractions import Fraction
from itertools import repeat
from operator import itemgetter, mul, sub
from typing import Any

# A finite double is n / 2**k with k <= 1074; scaling by 2**1074 makes every one an integer.
_SHIFT = 1074
_SCALE = 1 << _SHIFT
_SCALE2 = 1 << (2 * _SHIFT)

EMPTY = {"mean": 0.0, "std": 0.0, "min": 0.0, "max": 0.0}


def _scaled(x: float) -> tuple[int, int]:
    """(x * 2**1074, x*x * 2**2148) as exact integers, for a finite float x."""
    n, d = x.as_integer_ratio()
    k = d.bit_length() - 1  # d == 2**k
    return n << (_SHIFT - k), (n * n) << (2 * (_SHIFT - k))


class IncrementalStatistics:
    """Mean, population std, min and max of a stream of numbers, exactly mergeable.

    ``update`` takes ints and floats; ints are summed as integers, floats as exact binary
    fractions. ``merge`` combines two partial results into the result of seeing both streams.
    """

    __slots__ = ("count", "_isum", "_isq", "_fsum", "_fsq", "_nonfinite", "min_val", "max_val")

    def __init__(self) -> None:
        self.count = 0
        self._isum = 0  # sum of int values
        self._isq = 0  # sum of their squares
        self._fsum = 0  # sum of float values, times 2**1074
        self._fsq = 0  # sum of their squares, times 2**2148
        self._nonfinite = 0.0  # inf/nan make the mean inf/nan, as float arithmetic would
        self.min_val = math.inf
        self.max_val = -math.inf

    def update(self, value: int | float) -> None:
        self.count += 1
        if isinstance(value, int):
            self._isum += value
            self._isq += value * value
            fv = float(value)
        else:
            fv = float(value)
            if math.isfinite(fv):
                s, q = _scaled(fv)
                self._fsum += s
                self._fsq += q
            else:
                self._nonfinite += fv
        if fv < self.min_val:
            self.min_val = fv
        if fv > self.max_val:
            self.max_val = fv

    def update_batch(self, values) -> None:
        """``update`` for each value; a list of ints at once (sums, min and max in C)."""
        if type(values) is list and values and _INT.issuperset(map(type, values)):
            self.count += len(values)
            self._isum += sum(values)
            self._isq += sum(map(mul, values, values))
            low, high = float(min(values)), float(max(values))
            if low < self.min_val:
                self.min_val = low
            if high > self.max_val:
                self.max_val = high
            return
        for value in values:
            self.update(value)

    def merge(self, other: IncrementalStatistics) -> IncrementalStatistics:
        """Add ``other``'s values to this one (in place); returns self."""
        self.count += other.count
        self._isum += other._isum
        self._isq += other._isq
        self._fsum += other._fsum
        self._fsq += other._fsq
        self._nonfinite += other._nonfinite
        self.min_val = min(self.min_val, other.min_val)
        self.max_val = max(self.max_val, other.max_val)
        return self

    @property
    def mean(self) -> float:
        return self.get_statistics()["mean"]

    def get_statistics(self) -> dict[str, float]:
        """``{mean, std, min, max}``; std is the population std; all zeros when empty."""
        n = self.count
        if n == 0:
            return dict(EMPTY)
        if self._nonfinite != 0.0 or math.isnan(self._nonfinite):
            mean = std = self._nonfinite
        else:
            total = Fraction(self._isum) + Fraction(self._fsum, _SCALE)
            squares = Fraction(self._isq) + Fraction(self._fsq, _SCALE2)
            mean = float(total / n)
            variance = (n * squares - total * total) / (n * n) if n > 1 else Fraction(0)
            std = _sqrt(variance)
        return {"mean": mean, "std": std, "min": self.min_val, "max": self.max_val}

    def to_state(self) -> list:
        """A JSON-serialisable copy (shard partials are stored on disk between runs)."""
        return [self.count, self._isum, self._isq, self._fsum, self._fsq,
                _float_state(self._nonfinite), _float_state(self.min_val),
                _float_state(self.max_val)]

    @classmethod
    def from_state(cls, state: list) -> IncrementalStatistics:
        self = cls()
        (self.count, self._isum, self._isq, self._fsum, self._fsq) = state[:5]
        self._nonfinite, self.min_val, self.max_val = (float(v) for v in state[5:])
        return self


_INT = frozenset((int,))
_NUMBER = frozenset((int, float))


def _sqrt(v: Fraction) -> float:
    try:
        return math.sqrt(float(v))
    except OverflowError:  # the variance of values near the float limit exceeds it; std does not
        p, q = v.numerator << 256, v.denominator << 256
        return float(Fraction(math.isqrt(p), math.isqrt(q)))


def _float_state(x: float) -> float | str:
    return x if math.isfinite(x) else repr(x)  # JSON has no inf/nan; float("inf") reads repr


class RunningStats:
    """Welford mean/M2 with min and max in floats, merged with Chan's formula (run times)."""

    __slots__ = ("count", "mean", "M2", "min_val", "max_val")

    def __init__(self) -> None:
        self.count, self.mean, self.M2 = 0, 0.0, 0.0
        self.min_val, self.max_val = math.inf, -math.inf

    def update(self, value: float) -> None:
        self.count += 1
        delta = value - self.mean
        self.mean += delta / self.count
        self.M2 += delta * (value - self.mean)
        if value < self.min_val:
            self.min_val = value
        if value > self.max_val:
            self.max_val = value

    def update_batch(self, values: list) -> None:
        """``update`` for each value, in bulk: the sum and the extremes in C, then the
        squared deviations from the mean in one pass."""
        if not values:
            return
        part = RunningStats()
        part.count = len(values)
        part.mean = mean = math.fsum(values) / part.count
        deviations = list(map(sub, values, repeat(mean)))  # each squared exactly as x ** 2 is
        part.M2 = math.fsum(map(mul, deviations, deviations))
        part.min_val, part.max_val = min(values), max(values)
        self.merge(part)

    def merge(self, other: RunningStats) -> RunningStats:
        n = self.count + other.count
        if other.count:
            delta = other.mean - self.mean
            self.M2 += other.M2 + delta * delta * self.count * other.count / n
            self.mean += delta * other.count / n
            self.count = n
            self.min_val = min(self.min_val, other.min_val)
            self.max_val = max(self.max_val, other.max_val)
        return self

    def get_statistics(self) -> dict[str, float]:
        if self.count == 0:
            return dict(EMPTY)
        var = self.M2 / self.count if self.count > 1 else 0.0
        return {"mean": self.mean, "std": math.sqrt(max(var, 0.0)),
                "min": self.min_val, "max": self.max_val}

    def to_state(self) -> list:
        return [self.count, self.mean, self.M2, _float_state(self.min_val),
                _float_state(self.max_val)]

    @classmethod
    def from_state(cls, state: list) -> RunningStats:
        self = cls()
        self.count, self.mean, self.M2 = state[0], float(state[1]), float(state[2])
        self.min_val, self.max_val = float(state[3]), float(state[4])
        return self


class BaseStatisticsCalculator(ABC):
    """CALT's base class of per-sample statistics calculators.

    A subclass implements ``__call__(problem, answer)`` and returns
    ``{"problem": {name: number, ...}, "answer": {name: number, ...}}``; an instance is then a
    ``statistics_calculator`` like any function of that shape (the run summarises each number
    as ``problem_stats`` / ``answer_stats`` in ``{split}_stats.yaml``).
    """

    @abstractmethod
    def __call__(self, problem: Any, answer: Any) -> dict[str, dict[str, int | float]]:
        """The statistics of one sample: ``{"problem": {...}, "answer": {...}}``."""


class MemoryEfficientStatisticsCalculator:
    """Per-split statistics: run times plus the numbers a ``statistics_calculator`` returns.

    CALT's API: ``update_batch(runtimes, batch_sample_stats)`` and
    ``get_overall_statistics(total_time, num_samples)``. A per-sample dict is either nested
    (``{"problem": {"total_degree": 2}, ...}``, reported as ``problem_stats``) or flat
    (``{"size": 3}``, reported as ``size_stats``). Partials of shards ``merge`` exactly.
    """

    def __init__(self) -> None:
        self.runtime_stats = RunningStats()
        self.sample_stats: dict[str, Any] = {}

    def update_sample(self, stats: dict) -> None:
        if not isinstance(stats, dict):
            raise TypeError(
                f"statistics_calculator must return a dict or None, got {type(stats).__name__}"
            )
        for category, category_stats in stats.items():
            if isinstance(category_stats, dict):
                bucket = self.sample_stats.get(category)
                if bucket is None:
                    bucket = self.sample_stats[category] = {}
                elif not isinstance(bucket, dict):
                    raise TypeError(f"statistic {category!r} is nested here but flat before")
                for name, value in category_stats.items():
                    if not isinstance(value, (int, float)):
                        raise TypeError(
                            f"Expected int or float for statistic '{category}.{name}', "
                            f"got {type(value).__name__}: {value!r}"
                        )
                    acc = bucket.get(name)
                    if acc is None:
                        acc = bucket[name] = IncrementalStatistics()
                    acc.update(value)
            elif isinstance(category_stats, (int, float)):
                acc = self.sample_stats.get(category)
                if acc is None:
                    acc = self.sample_stats[category] = IncrementalStatistics()
                elif isinstance(acc, dict):
                    raise TypeError(f"statistic {category!r} is flat here but nested before")
                acc.update(category_stats)
            else:
                raise TypeError(
                    f"Expected dict or int/float for category '{category}', "
                    f"got {type(category_stats).__name__}: {category_stats!r}"
                )

    def update_batch(self, runtimes, batch_sample_stats) -> None:
        """The run times, and ``update_sample`` of every sample's dict (None: a sample
        without statistics), in bulk: a column of numbers at a time when every dict has the
        first one's keys, nesting and number types; else one dict after the other."""
        self.runtime_stats.update_batch(list(runtimes))
        samples = [stats for stats in batch_sample_stats if stats is not None]
        columns = _columns(samples) if samples else None
        if columns is None or any(
                isinstance(self.sample_stats.get(category, names), dict) != isinstance(names, dict)
                for category, names in columns):  # a clash with earlier samples: named there
            for stats in samples:
                self.update_sample(stats)
            return
        for category, names in columns:
            if isinstance(names, dict):
                bucket = self.sample_stats.setdefault(category, {})
                for name, values in names.items():
                    acc = bucket.get(name)
                    if acc is None:
                        acc = bucket[name] = IncrementalStatistics()
                    acc.update_batch(values)
            else:
                acc = self.sample_stats.get(category)
                if acc is None:
                    acc = self.sample_stats[category] = IncrementalStatistics()
                acc.update_batch(names)

    def merge(self, other: MemoryEfficientStatisticsCalculator):
        """Add another partial (e.g. the next shard's) to this one; returns self."""
        self.runtime_stats.merge(other.runtime_stats)
        for category, theirs in other.sample_stats.items():
            mine = self.sample_stats.get(category)
            if isinstance(theirs, dict):
                if mine is None:
                    mine = self.sample_stats[category] = {}
                for name, acc in theirs.items():
                    if name in mine:
                        mine[name].merge(acc)
                    else:
                        mine[name] = IncrementalStatistics().merge(acc)
            elif mine is None:
                self.sample_stats[category] = IncrementalStatistics().merge(theirs)
            else:
                mine.merge(theirs)
        return self

    def get_overall_statistics(self, total_time: float, num_samples: int) -> dict[str, Any]:
        overall: dict[str, Any] = {
            "total_time": total_time,
            "num_samples": num_samples,
            "samples_per_second": num_samples / total_time if total_time > 0 else 0.0,
            "generation_time": self.runtime_stats.get_statistics(),
        }
        for category, acc in self.sample_stats.items():
            if isinstance(acc, dict):
                overall[f"{category}_stats"] = {n: a.get_statistics() for n, a in acc.items()}
            else:
                overall[f"{category}_stats"] = acc.get_statistics()
        return overall

    def to_state(self) -> dict:
        return {
            "runtime": self.runtime_stats.to_state(),
            "samples": [
                [c, {n: a.to_state() for n, a in acc.items()} if isinstance(acc, dict)
                 else acc.to_state()]
                for c, acc in self.sample_stats.items()
            ],
        }

    @classmethod
    def from_state(cls, state: dict) -> MemoryEfficientStatisticsCalculator:
        self = cls()
        self.runtime_stats = RunningStats.from_state(state["runtime"])
        for category, acc in state["samples"]:
            if isinstance(acc, dict):
                self.sample_stats[category] = {
                    n: IncrementalStatistics.from_state(a) for n, a in acc.items()
                }
            else:
                self.sample_stats[category] = IncrementalStatistics.from_state(acc)
        return self


def _columns(samples: list) -> list | None:
    """``[(category, {name: values} or values)]`` of samples that all have the first one's
    shape — the same categories, each a dict of the same names or a number, every value an
    int or a float — in the first one's order; None for any other list (``update_sample``
    then takes them one by one, and says what is wrong)."""
    first = samples[0]
    if type(first) is not dict or {dict} != set(map(type, samples)) \
            or {len(first)} != set(map(len, samples)):
        return None
    columns = []
    try:  # the columns taken in C (itemgetter), their types checked in C
        for category, value in first.items():
            column = list(map(itemgetter(category), samples))
            if type(value) is dict:
                if {dict} != set(map(type, column)) or {len(value)} != set(map(len, column)):
                    return None
                names = {name: list(map(itemgetter(name), column)) for name in value}
                if not all(_NUMBER.issuperset(map(type, v)) for v in names.values()):
                    return None
                columns.append((category, names))
            elif _NUMBER.issuperset(map(type, column)):
                columns.append((category, column))
            else:
                return None
    except KeyError:  # a sample without one of the first one's names
        return None
    return columns
