"""A task's ``checked_key`` (the key ``synthset check`` takes from its fast check) is the
row's ``dedup_key`` when the row passes every check, and None whenever a check fails."""

import copy
import random

import pytest

import synthset.tasks as T


def _broken(row, rng):
    r = copy.deepcopy(row)
    key = rng.choice(["input_ids"] * 3 + ["loss_mask", "labels"])
    seq = r[key]
    p, q = rng.randrange(len(seq)), rng.randrange(len(seq))
    op = rng.randrange(3)
    if op == 0:
        seq[p] = rng.randrange(-1, max(seq) + 3)
    elif op == 1:
        seq[p], seq[q] = seq[q], seq[p]
    else:
        del seq[p]
    if key == "input_ids" and len(seq) == len(r["loss_mask"]) and rng.random() < 0.5:
        r["labels"] = [t if m else -100 for t, m in zip(seq, r["loss_mask"])]
    return r


@pytest.mark.parametrize("config", [{}, {"qa": True, "N": 16, "K": 4},
                                    {"N": 12, "K": 3, "min_len": 2, "max_len": 3}])
def test_depo_checked_key_is_the_dedup_key_of_a_valid_row(config):
    task = T.get("depo", **config)
    rng = random.Random(11)
    keyed = refused = 0
    for seed in range(40):
        row = task(seed)
        assert task.checked_key(row) == task.dedup_key(row)
        for _ in range(4):
            r = _broken(row, rng)
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
