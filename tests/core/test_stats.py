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


def _one_by_one(samples, calc=None):
    calc = calc or MemoryEfficientStatisticsCalculator()
    for sample in samples:
        if sample is not None:
            calc.update_sample(sample)
    return calc


@pytest.mark.parametrize("make", [
    lambda i, rng: {"problem": {"deg": rng.randint(0, 9), "terms": i}, "answer": {"n": -i}},
    lambda i, rng: {"size": rng.uniform(-1, 1), "row": {"len": i, "w": rng.random() * i}},
    lambda i, rng: {"problem": {"a": i, "b": 2 ** 70 - i}, "meta": {}},  # big ints; empty
    lambda i, rng: None if i % 4 else {"x": i},  # samples without statistics
    lambda i, rng: {"b": {"x": i}} if i % 3 else {"a": i, "b": {"y": i * 0.5}},  # shapes vary
    lambda i, rng: {"k": True if i % 2 else 3, "f": float("nan") if i == 5 else -0.0},
])
def test_update_batch_is_update_sample_one_by_one_to_the_bit(make):
    rng = random.Random(3)
    samples = [make(i, rng) for i in range(200)]
    bulk = MemoryEfficientStatisticsCalculator()
    bulk.update_batch([], samples)
    assert repr(bulk.to_state()) == repr(_one_by_one(samples).to_state())
    # on top of earlier samples too (the order of first sight kept)
    again = MemoryEfficientStatisticsCalculator()
    again.update_batch([], samples[:7])
    again.update_batch([], samples[7:])
    assert repr(again.to_state()) == repr(bulk.to_state())
    assert list(again.get_overall_statistics(1, 200)) == list(bulk.get_overall_statistics(1, 200))


def test_update_batch_names_a_clash_of_shapes_as_update_sample_does():
    calc = MemoryEfficientStatisticsCalculator()
    with pytest.raises(TypeError, match="statistic 'a' is flat here but nested before"):
        calc.update_batch([], [{"a": {"x": 1}}, {"a": 2}])
    calc = MemoryEfficientStatisticsCalculator()
    calc.update_batch([], [{"a": 1}, {"a": 2}])
    with pytest.raises(TypeError, match="statistic 'a' is nested here but flat before"):
        calc.update_batch([], [{"a": {"x": 1}}, {"a": {"x": 2}}])


def test_run_times_in_bulk_match_one_at_a_time():
    rng = random.Random(5)
    times = [rng.expovariate(1e5) for _ in range(5000)]
    bulk, single = MemoryEfficientStatisticsCalculator(), MemoryEfficientStatisticsCalculator()
    bulk.update_batch(times[:10], [])
    bulk.update_batch(times[10:], [])
    for t in times:
        single.runtime_stats.update(t)
    a, b = bulk.runtime_stats.get_statistics(), single.runtime_stats.get_statistics()
    assert (a["min"], a["max"]) == (b["min"], b["max"]) == (min(times), max(times))
    assert a["mean"] == pytest.approx(b["mean"], rel=1e-12)
    assert a["std"] == pytest.approx(b["std"], rel=1e-9)
