"""synthset.rewards.stream: prompt rows made live, equal to the exported prompt datasets,
the same in every process, split across DataLoader workers."""

import hashlib
import json
import os
import subprocess
import sys

import pytest
import torch

import synthset
from synthset.core.errors import ConfigError
from synthset.export import to_hf_dataset
from synthset.rewards import reward_function
from synthset.rewards.curriculum import RewardCurriculum
from synthset.rewards.stream import PromptRows, prompt_stream, torch_prompt_stream

# sha256 of the first 200 rows of prompt_stream("depo1", seed=0), one JSON line each
GOLDEN_DEPO1 = "ea232a40b35810140f2f94ad77bf792d442990f7ff26def8973d194fa53f88a2"

FIRST_ROWS = """
import json, sys
from synthset.rewards.stream import prompt_stream
rows = prompt_stream("depo1", seed=0).take(200)
sys.stdout.write("".join(json.dumps(r, sort_keys=True) + "\\n" for r in rows))
"""


def _lines(rows) -> bytes:
    return "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows).encode()


def test_the_first_200_rows_are_the_same_bytes_in_another_process():
    here = _lines(prompt_stream("depo1", seed=0).take(200))
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    there = subprocess.run([sys.executable, "-c", FIRST_ROWS], capture_output=True, check=True,
                           env=env).stdout
    assert there == here
    assert hashlib.sha256(here).hexdigest() == GOLDEN_DEPO1
    assert _lines(prompt_stream("depo1", seed=1).take(200)) != here


@pytest.mark.parametrize("name, level, count", [("depo1", None, 120), ("depo", 2, 40),
                                                ("gf17_addition", 4, 60)])
def test_row_i_is_row_i_of_to_hf_dataset(name, level, count):
    config = {} if level is None else {"level": level}
    exported = to_hf_dataset(name, prompts=True, count=count, seed=7, task_config=config)
    stream = prompt_stream(name, seed=7, level=level, count=count)
    assert stream.features == exported.features
    assert list(stream) == list(exported)
    # endless without count: the same rows first
    assert list(prompt_stream(name, seed=7, level=level).take(count)) == list(exported)


def test_a_schedule_draws_row_i_at_its_level_for_i():
    step = prompt_stream("gf17_addition", seed=2, level="step:1,3:5", count=10)
    at = {lv: to_hf_dataset("gf17_addition", prompts=True, count=10, seed=2,
                            task_config={"level": lv}) for lv in (1, 3)}
    assert list(step) == [*at[1].select(range(5)), *at[3].select(range(5, 10))]


def test_the_reward_scores_the_rows():
    rows = list(prompt_stream("depo1", seed=0).take(20))
    reward = reward_function("depo1")
    columns = {k: [r[k] for r in rows] for k in rows[0]}
    assert reward(completions=columns["answer"], **columns) == [1.0] * 20
    assert reward(completions=["garbage"] * 20, **columns) == [0.0] * 20


def test_shuffle_and_take_keep_each_row_whole_and_are_deterministic():
    rows = PromptRows("depo1", seed=0)
    shuffled = [dict(r) for r in prompt_stream("depo1", seed=0).shuffle(seed=1, buffer_size=16)
                .take(24)]
    again = list(prompt_stream("depo1", seed=0).shuffle(seed=1, buffer_size=16).take(24))
    assert shuffled == again
    indices = [r["index"] for r in shuffled]
    assert indices != sorted(indices) and len(set(indices)) == 24
    assert all(r == rows.row(r["index"]) for r in shuffled)


def _by_worker(dataset, workers):
    """The indices of the rows a DataLoader with ``workers`` workers reads, in its order."""
    loader = torch.utils.data.DataLoader(dataset, num_workers=workers, batch_size=None)
    return [int(r["index"]) for r in loader]


def test_torch_stream_workers_read_disjoint_slices_in_the_single_process_order():
    rows = list(torch_prompt_stream("depo1", seed=5, count=30))
    assert [r["index"] for r in rows] == list(range(30))
    assert rows == list(prompt_stream("depo1", seed=5, count=30))
    loader = torch.utils.data.DataLoader(torch_prompt_stream("depo1", seed=5, count=30),
                                         num_workers=2, batch_size=None)
    assert list(loader) == rows  # worker 0: rows 0, 2, ...; worker 1: rows 1, 3, ...
    # with batches, each batch is one worker's: its rows are every other index
    batches = torch.utils.data.DataLoader(torch_prompt_stream("depo1", seed=5, count=30),
                                          num_workers=2, batch_size=5)
    assert [b["index"].tolist() for b in batches][:2] == [[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]]
    # ranks cut the stream the same way
    ranks = [list(torch_prompt_stream("depo1", seed=5, count=30, rank=r, world_size=3))
             for r in range(3)]
    assert [r["index"] for r in ranks[1]] == list(range(1, 30, 3))
    assert sorted((r["index"] for part in ranks for r in part)) == list(range(30))


def test_spawned_workers_make_the_same_rows():
    # workers that are spawned, not forked, unpickle the stream (a schedule travels with it)
    stream = torch_prompt_stream("depo1", seed=5, count=6, level="step:1,2:3")
    loader = torch.utils.data.DataLoader(stream, num_workers=2, batch_size=None,
                                         multiprocessing_context="spawn")
    assert list(loader) == list(stream)


def test_datasets_stream_workers_read_disjoint_slices():
    rows = list(prompt_stream("depo1", seed=5, count=30))
    assert _by_worker(prompt_stream("depo1", seed=5, count=30, num_shards=2), 2) == \
        list(range(30))
    loader = torch.utils.data.DataLoader(prompt_stream("depo1", seed=5, count=30, num_shards=2),
                                         num_workers=2, batch_size=None)
    assert [{k: (int(v) if k == "index" else v) for k, v in r.items()} for r in loader] == rows
    # one shard: one worker reads it all, in order
    assert _by_worker(prompt_stream("depo1", seed=5, count=30), 2) == list(range(30))


def test_a_reward_curriculum_is_refused_in_a_worker():
    curriculum = RewardCurriculum()
    loader = torch.utils.data.DataLoader(torch_prompt_stream("depo1", seed=0, level=curriculum),
                                         num_workers=1, batch_size=None)
    with pytest.raises(ConfigError, match=r"a curriculum driven by rewards lives in the "
                                          r"trainer's process: read this stream there"):
        next(iter(loader))


@pytest.mark.parametrize("kwargs, message", [
    ({"count": 0}, "count must be a positive integer or None (endless), got 0"),
    ({"seed": "0"}, "seed must be an integer, got '0'"),
    ({"split": ""}, "split must be a split name, got ''"),
    ({"num_shards": 0}, "num_shards must be a positive integer (the number of DataLoader "
                        "workers), got 0"),
    ({"level": 11}, "level must be an integer from 1 to 10, got 11"),
    ({"level": "linear:1:10"}, "curriculum 'linear:1:10' is not one of fixed:L"),
    ({"N": 4, "task": synthset.get_task("depo1")}, "task fields (N) go with a task name, not "
                                                   "with"),
])
def test_bad_arguments_are_one_line(kwargs, message):
    with pytest.raises(ConfigError) as info:
        prompt_stream(**{"task": "depo1", **kwargs})
    assert str(info.value).startswith(message)
