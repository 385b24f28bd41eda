"""Every run makes a few samples again before merging a split and compares them."""

import random
import re

import pytest

from synthset import ConfigError, GenerationError
from synthset.driver.run import determinism_checks
from tests import gens
from tests.conftest import make_run, read_outputs


def unseeded(seed):
    """Takes its randomness from the global generator, not from the seed."""
    return [random.randint(0, 10**9)], 0


def test_a_generator_that_ignores_its_seed_fails_naming_the_index_and_both_values(tmp_path):
    with pytest.raises(GenerationError) as info:
        make_run(tmp_path, unseeded)
    message = str(info.value)
    found = re.search(r"sample (\d+) of split '(\w+)' \(seed \d+\) failed: the generator is not "
                      r"deterministic: made again from the same seed it gave '(.*)', the first "
                      r"time '(.*)'; take all randomness from the seed", message)
    assert found, message
    index, split, again, first = int(found[1]), found[2], found[3], found[4]
    assert index in determinism_checks({"train": 60, "test": 17}, 16)[split]
    assert again != first
    # "the first time" is what the shard holds; the split was not merged.
    shard = sorted((tmp_path / ".synthset" / "shards" / split).glob("*.jsonl"))[index // 25]
    line = shard.read_text().splitlines()[index % 25]
    assert first == line.replace("\\", "\\\\") + "\\n"
    assert not (tmp_path / f"{split}_data.jsonl").exists()


def test_verify_determinism_0_turns_the_check_off_and_is_not_part_of_the_run(tmp_path):
    make_run(tmp_path, unseeded, verify_determinism=0)
    assert (tmp_path / "train_data.jsonl").exists()
    make_run(tmp_path / "b", gens.integer_sum, verify_determinism=0)
    before = read_outputs(tmp_path / "b")
    make_run(tmp_path / "b", gens.integer_sum, verify_determinism=64)  # resumes: no refusal
    assert read_outputs(tmp_path / "b") == before


def test_the_checks_spread_over_the_splits():
    checks = determinism_checks({"train": 200_000, "test": 10_000}, 16)
    assert len(checks["train"]) == 15 and len(checks["test"]) == 1
    assert checks["train"][0] < 200_000 // 15 and checks["train"][-1] > 200_000 * 14 // 15
    assert determinism_checks({"train": 3, "test": 1}, 16) == {"train": [0, 1, 2], "test": [0]}
    assert determinism_checks({"train": 10}, 0) == {}
    with pytest.raises(ConfigError, match="verify_determinism must be an integer >= 0, got -1"):
        make_run("unused", gens.integer_sum, verify_determinism=-1)
