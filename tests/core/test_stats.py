import math
import random
import statistics

import pytest

from synthset.core.stats import IncrementalStatistics, MemoryEfficientStatisticsCalculator


def _stream(values, cuts):
    """Partials over the pieces of ``values`` cut at ``cuts``, merged in order."""
    parts, start = [], 0
    for stop in [*cuts, len(values)]:
        part = IncrementalStatistics()
        part.update_batch(values[start:stop])
        parts.append(part)
        start = stop
    total = IncrementalStatistics()
    for part in parts:
        total.merge(part)
    return total.get_statistics()


def test_merge_is_exact_for_any_partition():
    rng = random.Random(0)
    values = [rng.uniform(-1e6, 1e6) for _ in range(3000)] + [rng.randint(-50, 50)
                                                              for _ in range(500)]
    whole = _stream(values, [])
    for cuts in ([1], [1000, 2000], list(range(7, 3500, 97)), [3499]):
        assert _stream(values, cuts) == whole  # bit-identical, not approximately equal


def test_values_match_population_statistics():
    values = [0.1, 0.2, 0.3, 7, 11.5, -3]
    st = _stream(values, [2])
    assert st["mean"] == pytest.approx(statistics.fmean(values), rel=1e-15)
    assert st["std"] == pytest.approx(statistics.pstdev(values), rel=1e-15)
    assert (st["min"], st["max"]) == (-3.0, 11.5)
    assert isinstance(st["min"], float)  # CALT reports float(value)


def test_single_and_empty():
    assert _stream([5], []) == {"mean": 5.0, "std": 0.0, "min": 5.0, "max": 5.0}
    assert IncrementalStatistics().get_statistics() == {
        "mean": 0.0, "std": 0.0, "min": 0.0, "max": 0.0}


def test_infinite_values_do_not_crash():
    st = _stream([1.0, math.inf], [])
    assert st["mean"] == math.inf and st["max"] == math.inf


def test_state_round_trip():
    acc = IncrementalStatistics()
    acc.update_batch([1.5, 2, -7.25, 1e300])
    again = IncrementalStatistics.from_state(acc.to_state())
    assert again.get_statistics() == acc.get_statistics()


def test_calculator_categories_like_calt():
    calc = MemoryEfficientStatisticsCalculator()
    calc.update_batch([0.5, 1.5], [{"problem": {"deg": 2}, "size": 3},
                                   {"problem": {"deg": 4}, "size": 5}])
    out = calc.get_overall_statistics(2.0, 2)
    assert list(out) == ["total_time", "num_samples", "samples_per_second", "generation_time",
                         "problem_stats", "size_stats"]
    assert out["problem_stats"] == {"deg": {"mean": 3.0, "std": 1.0, "min": 2.0, "max": 4.0}}
    assert out["size_stats"]["mean"] == 4.0
    assert out["generation_time"]["mean"] == 1.0
    assert out["samples_per_second"] == 1.0


def test_calculator_merge_equals_one_pass_and_keeps_first_seen_order():
    samples = [{"b": {"x": i}} if i % 3 else {"a": i, "b": {"y": i * 0.5}} for i in range(40)]
    one = MemoryEfficientStatisticsCalculator()
    one.update_batch([], samples)
    left, right = MemoryEfficientStatisticsCalculator(), MemoryEfficientStatisticsCalculator()
    left.update_batch([], samples[:1])
    right.update_batch([], samples[1:])
    merged = left.merge(right)
    assert merged.get_overall_statistics(1, 40) == one.get_overall_statistics(1, 40)
    assert list(merged.get_overall_statistics(1, 40)) == list(one.get_overall_statistics(1, 40))


def test_calculator_rejects_non_numbers_naming_the_statistic():
    calc = MemoryEfficientStatisticsCalculator()
    with pytest.raises(TypeError, match=r"statistic 'problem.size', got str"):
        calc.update_batch([], [{"problem": {"size": "big"}}])
    with pytest.raises(TypeError, match="category 'size'"):
        calc.update_batch([], [{"size": [1]}])
