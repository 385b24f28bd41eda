"""synthset.rewards.trl inside TRL's own GRPOTrainer: its reward step (``_calculate_rewards``,
the code that calls reward functions during training) turns our None into NaN for another
task's rows, and takes the answers and metrics we log."""

import math

import pytest
from datasets import concatenate_datasets

from synthset.core.errors import ConfigError
from synthset.rewards.trl import prompt_dataset, reward_function

DEPO = {"N": 6, "K": 2, "V": 8, "min_len": 1, "max_len": 1, "num_queries": 2}


def _trainer(tmp_path, reward_funcs, dataset):
    import transformers
    from tokenizers import Tokenizer, models, pre_tokenizers
    from trl import GRPOConfig, GRPOTrainer

    names = ["<pad>", "<bos>", "<eos>", "a"]
    core = Tokenizer(models.WordLevel({n: i for i, n in enumerate(names)}, unk_token="<pad>"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=core, pad_token="<pad>", eos_token="<eos>", bos_token="<bos>")
    model = transformers.GPT2LMHeadModel(transformers.GPT2Config(
        vocab_size=len(names), n_positions=16, n_embd=8, n_layer=1, n_head=1))
    return GRPOTrainer(model=model, processing_class=tokenizer, reward_funcs=reward_funcs,
                       train_dataset=dataset,
                       args=GRPOConfig(output_dir=str(tmp_path), per_device_train_batch_size=4,
                                       num_generations=2, max_completion_length=4,
                                       report_to=[], use_cpu=True, save_strategy="no"))


def test_grpo_reward_step_on_a_mixed_dataset(tmp_path):
    depo = prompt_dataset("depo", count=2, seed=0, **DEPO)
    gcd = prompt_dataset("poly_gcd", count=2, seed=0)
    mixed = concatenate_datasets([depo, gcd])
    trainer = _trainer(tmp_path, [reward_function("depo", **DEPO),
                                  reward_function("poly_gcd")], mixed)
    rows = mixed.to_list()
    completions = [rows[0]["answer"], "no idea", f"<think>hm</think>\\boxed{{{rows[2]['answer']}}}",
                   "x + 1"]
    rewards = trainer._calculate_rewards(rows, [r["prompt"] for r in rows], completions,
                                         [[0]] * 4)
    got = [[None if math.isnan(v) else v for v in row] for row in rewards.tolist()]
    assert got == [[1.0, None], [0.0, None], [None, 1.0], [None, 0.0]]
    assert trainer.reward_func_names == ["synthset_depo", "synthset_poly_gcd"]
    assert trainer._pending_extra_logs["synthset_answer"] == [
        rows[0]["answer"], "no idea", None, None, None, None, rows[2]["answer"], "x + 1"]
    assert dict(trainer._pending_metrics) == {
        "synthset/depo/correct": [0.5], "synthset/depo/answered": [1.0],
        "synthset/poly_gcd/correct": [0.5], "synthset/poly_gcd/answered": [1.0]}


def test_rows_of_another_task_are_none_without_a_task_column():
    """The answer column tells Mano's rows from Depo's, whichever record would decode."""
    depo = prompt_dataset("depo", count=2, seed=0, **DEPO).to_list()
    mano = prompt_dataset("mano", count=2, seed=0).to_list()
    rows = depo + mano
    reward = reward_function("mano")
    assert reward(prompts=[r["prompt"] for r in rows], completions=[r["answer"] for r in rows],
                  example=[r["example"] for r in rows], answer=[r["answer"] for r in rows]) \
        == [None, None, 1.0, 1.0]


def test_a_task_column_tells_two_algebra_problems_apart():
    gcd = prompt_dataset("poly_gcd", count=2, seed=0).to_list()
    total = prompt_dataset("integer_sum", count=2, seed=0).to_list()
    rows = gcd + total
    columns = {key: [r[key] for r in rows] for key in ("prompt", "answer", "example", "task")}
    sums = reward_function("integer_sum")
    assert sums(completions=columns["answer"], **columns) == [None, None, 1.0, 1.0]
    # without the column, integer_sum reads poly_gcd's record as one of its own (same shape)
    del columns["task"]
    assert sums(completions=columns["answer"], **columns)[:2] == [1.0, 1.0]


def test_the_level_is_part_of_the_task():
    level2 = prompt_dataset("depo", count=1, seed=0, level=2).to_list()
    reward = reward_function("depo", level=3)
    columns = {key: [r[key] for r in level2] for key in ("example", "answer", "task")}
    assert reward(completions=columns["answer"], **columns) == [None]
    assert reward_function("depo", level=2)(completions=columns["answer"], **columns) == [1.0]


def test_missing_columns_are_one_line_errors():
    reward = reward_function("mano")
    with pytest.raises(ConfigError, match="no 'example' column"):
        reward(prompts=["p"], completions=["c"])
    with pytest.raises(ConfigError, match="2 completions but 1 examples"):
        reward(prompts=["p", "q"], completions=["c", "d"], example=["{}"])


def test_a_run_folder_of_your_own_generator(tmp_path, monkeypatch):
    from synthset.cli.main import main

    monkeypatch.chdir(__import__("pathlib").Path(__file__).parent.parent.parent)
    run = tmp_path / "run"
    assert main(["generate", "examples/integer_sum/configs/data.yaml", f"save_dir={run}",
                 "num_train_samples=3", "num_test_samples=2", "n_jobs=1",
                 "verbose=false"]) == 0
    rows = prompt_dataset(run, split="test").to_list() + \
        prompt_dataset("integer_sum", count=1).to_list()
    assert rows[0]["task"] == '{"run":"%s"}' % run.resolve()
    columns = {key: [r[key] for r in rows] for key in ("prompt", "answer", "example", "task")}
    assert reward_function(run)(completions=columns["answer"], **columns) == [1.0, 1.0, None]
