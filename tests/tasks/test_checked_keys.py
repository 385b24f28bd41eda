"""A task's ``checked_key`` (the key ``synthset check`` takes from its fast check) is the
row's ``dedup_key`` when the row passes every check, and None whenever a check fails."""

import random

import pytest

import synthset.tasks as T
from tests.tasks.test_fast_checks import _mutants


@pytest.mark.parametrize("config", [{}, {"qa": True, "N": 16, "K": 4},
                                    {"N": 12, "K": 3, "min_len": 2, "max_len": 3}])
def test_depo_checked_key_is_the_dedup_key_of_a_valid_row(config):
    task = T.get("depo", **config)
    rng = random.Random(11)
    keyed = refused = 0
    for seed in range(40):
        row = task(seed)
        assert task.checked_key(row) == task.dedup_key(row)
        for r in _mutants(row, rng, 4):
            key = task.checked_key(r)
            try:
                task.validate_example(r)
                valid = True
            except Exception:  # any check's failure
                valid = False
            if key is not None:
                assert valid and key == task.dedup_key(r)
                keyed += 1
            refused += not valid
        assert task.checked_key({**row, "prompt": "p", "answer": "a"}) is None
    assert refused > 60
