"""Samples made by a task's name, with no run (``Task.record``: to_hf_dataset, the prompt
streams, ``Task.take``), are the samples a run stores: a draw the task rejects is replaced by
the engine's rule (``core.seeding.draw``). poly_reduction raises ``DegenerateIdeal`` for some
seeds; by name it used to raise where a run with ``on_error: skip`` replaces the sample."""

import json

import pytest

from synthset.algebra.problems.reduction import DegenerateIdeal
from synthset.core.errors import GenerationError
from synthset.core.seeding import MAX_REPLACEMENTS, derive_seed, draw, replacement_seed
from synthset.dataset import DatasetPipeline
from synthset.export import to_hf_dataset
from synthset.rewards.stream import PromptRows
from synthset.tasks.registry import get_task

COUNT = 200


@pytest.fixture(scope="module")
def run_rows(tmp_path_factory):
    """The 200 train samples of a poly_reduction run with root seed 0 (``on_error: skip``)."""
    folder = tmp_path_factory.mktemp("poly_reduction")
    DatasetPipeline(task="poly_reduction", save_dir=str(folder), num_train_samples=COUNT,
                    num_test_samples=0, root_seed=0, n_jobs=1, executor="serial",
                    on_error="skip").run()
    return [json.loads(line) for line in (folder / "train_data.jsonl").read_text().splitlines()]


def _rejected(task, count: int) -> list[int]:
    """The indices whose own seed the task rejects."""
    rejected = []
    for index in range(count):
        try:
            task(derive_seed(0, "train", index))
        except DegenerateIdeal:
            rejected.append(index)
    return rejected


def test_to_hf_dataset_by_name_gives_every_row_and_the_runs_rows(run_rows):
    rows = to_hf_dataset("poly_reduction", prompts=True, count=COUNT, seed=0)
    assert len(rows) == COUNT
    assert [json.loads(r["example"]) for r in rows] == run_rows
    assert rows["index"] == list(range(COUNT))
    # the rows replaced are there, each from a replacement seed, as in the run
    rejected = _rejected(get_task("poly_reduction"), COUNT)
    assert rejected
    for index in rejected:
        assert rows[index]["prompt"] == " | ".join(run_rows[index]["problem"])


def test_the_prompt_rows_and_take_by_name_give_the_runs_rows(run_rows):
    first = 60  # holds rejected draws (the first at index 6 for root seed 0)
    assert _rejected(get_task("poly_reduction"), first)
    streamed = list(PromptRows("poly_reduction", seed=0, count=first).rows())  # prompt_stream's
    assert [json.loads(r["example"]) for r in streamed] == run_rows[:first]
    taken = get_task("poly_reduction").take(0, first)
    assert [{"problem": ex["meta"]["problem"], "answer": ex["meta"]["answer"]}
            for ex in taken] == run_rows[:first]


def test_a_draw_tries_the_replacement_seeds_in_turn():
    tried = [derive_seed(5, "test", 3)] + [replacement_seed(5, "test", 3, a) for a in (1, 2)]
    calls = []

    def generator(seed):
        calls.append(seed)
        if seed in tried[:2]:
            raise ValueError("rejected")
        return seed

    assert draw(generator, 5, "test", 3) == tried[2]
    assert calls == tried


def test_a_sys_exit_is_a_failed_draw_and_a_keyboard_interrupt_stops():
    own = derive_seed(0, "train", 0)

    def exits(seed):
        if seed == own:
            raise SystemExit(1)
        return seed

    assert draw(exits, 0, "train", 0) == replacement_seed(0, "train", 0, 1)
    calls = []

    def interrupted(seed):
        calls.append(seed)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        draw(interrupted, 0, "train", 0)
    assert calls == [own]


def test_a_sample_whose_every_seed_fails_names_itself_and_the_last_failure():
    calls = []

    def failing(seed):
        calls.append(seed)
        raise ValueError(f"no good {len(calls)}")

    with pytest.raises(GenerationError) as info:
        draw(failing, 7, "test", 2)
    assert len(calls) == 1 + MAX_REPLACEMENTS
    assert str(info.value) == (
        f"sample 2 of split 'test' (seed {derive_seed(7, 'test', 2)}) failed: "
        f"{MAX_REPLACEMENTS} replacement seeds failed too; last: ValueError: no good "
        f"{1 + MAX_REPLACEMENTS}")
    assert isinstance(info.value.__cause__, ValueError)
