"""A shard's statistics are folded in bulk at its end; a calculator that returns the wrong
shape is still named at its first sample, before any later sample's failure."""

import pytest

from synthset import GenerationError
from synthset.core.seeding import derive_seed, replacement_seed
from tests.conftest import make_run

INDEX = {derive_seed(42, "train", i): i for i in range(30)}


def numbered(fails_at=None):
    """Sample i is ([i], i); sample ``fails_at`` raises (its replacements are sample 100)."""
    def gen(seed):
        i = INDEX.get(seed, 100)
        if i == fails_at:
            raise ValueError("no sample here")
        return [i], i
    return gen


def wrong_at_5(problem, answer):
    return {"problem": {"size": "big" if answer == 5 else answer}}


@pytest.mark.parametrize("fails_at, on_error", [(None, "raise"), (9, "raise"), (9, "skip")])
def test_the_first_sample_with_wrong_statistics_is_named(tmp_path, fails_at, on_error):
    with pytest.raises(GenerationError) as info:
        make_run(tmp_path, numbered(fails_at), sizes={"train": 30}, batch_size=30,
                 statistics_calculator=wrong_at_5, on_error=on_error)
    assert (info.value.split, info.value.index, info.value.seed) == \
        ("train", 5, derive_seed(42, "train", 5))
    assert "statistic 'problem.size', got str: 'big'" in info.value.cause


def test_a_replacement_sample_with_wrong_statistics_is_named_with_its_seed(tmp_path):
    def wrong_for_replacements(problem, answer):
        return {"problem": {"size": "big" if answer == 100 else answer}}

    with pytest.raises(GenerationError) as info:
        make_run(tmp_path, numbered(7), sizes={"train": 30}, batch_size=30,
                 statistics_calculator=wrong_for_replacements, on_error="skip")
    assert (info.value.index, info.value.seed) == (7, replacement_seed(42, "train", 7, 1))


def test_statistics_of_a_run_in_bulk_are_the_samples(tmp_path):
    stats = make_run(tmp_path, numbered(), sizes={"train": 30}, batch_size=7,
                     statistics_calculator=lambda p, a: {"answer": {"value": a}, "n": len(p)})
    assert stats["train"]["answer_stats"] == {
        "value": {"mean": 14.5, "std": pytest.approx(8.655441, rel=1e-6), "min": 0.0,
                  "max": 29.0}}
    assert stats["train"]["n_stats"] == {"mean": 1.0, "std": 0.0, "min": 1.0, "max": 1.0}
    assert stats["train"]["generation_time"]["max"] >= stats["train"]["generation_time"]["min"]
