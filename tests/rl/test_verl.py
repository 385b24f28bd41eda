"""synthset.rewards.verl through verl's own code: ``get_custom_reward_fn`` loads
``compute_score`` from the config keys a verl run sets, verl's ``RLHFDataset`` reads the
Parquet ``synthset export verl`` writes, and verl's naive reward manager scores a decoded
response with it (all on the CPU: verl's training needs GPUs)."""

import json

import numpy as np
import pyarrow.parquet as pq
import pytest
import torch

from synthset.cli.main import main
from synthset.core.errors import ConfigError
from synthset.rewards.verl import export_verl
from tests.rl.helpers import task_tokenizer, verl_reward

DEPO = {"N": 6, "K": 2, "V": 8, "min_len": 1, "max_len": 1, "num_queries": 2}


def test_export_layout(tmp_path):
    assert main(["export", "verl", "mano", str(tmp_path / "out"), "--count", "3",
                 "task.level=2"]) == 0
    rows = pq.read_table(tmp_path / "out" / "train.parquet").to_pylist()
    assert len(rows) == 3
    row = rows[0]
    assert row["data_source"] == "synthset/mano" and row["ability"] == "reasoning"
    assert row["prompt"] == [{"role": "user", "content": "<bos> <len_2> + 15 * 16 7 <ans>"}]
    assert row["reward_model"] == {"style": "rule", "ground_truth": "12"}
    info = row["extra_info"]
    assert (info["split"], info["index"]) == ("train", 0)
    assert json.loads(info["task"]) == {"backend": "sympy", "config": {"level": 2},
                                        "name": "mano"}
    assert json.loads(info["example"])["meta"] == {"l": 2, "value": 12}


def test_export_refuses_to_overwrite(tmp_path, capsys):
    out = str(tmp_path / "out")
    assert main(["export", "verl", "poly_gcd", out, "--count", "2"]) == 0
    assert main(["export", "verl", "poly_gcd", out, "--count", "2"]) == 2
    assert capsys.readouterr().err.strip().endswith(
        "out/train.parquet exists; give another OUT folder, or --overwrite to replace it")
    assert main(["export", "verl", "poly_gcd", out, "--count", "2", "--overwrite"]) == 0
    row = pq.read_table(tmp_path / "out" / "train.parquet").to_pylist()[0]
    assert (row["data_source"], row["ability"]) == ("synthset/poly_gcd", "math")


@pytest.mark.parametrize("path", ["pkg://synthset.rewards.verl", "file"])
def test_verl_loads_compute_score(tmp_path, path):
    export_verl("poly_gcd", tmp_path, count=2)
    if path == "file":  # a reward file of the user's own, as verl's examples write them
        (tmp_path / "reward.py").write_text(
            "from synthset.rewards.verl import compute_score  # noqa: F401\n")
        path = str(tmp_path / "reward.py")
    compute_score = verl_reward(path)
    rows = pq.read_table(tmp_path / "train.parquet").to_pylist()
    calls = [(rows[0], rows[0]["reward_model"]["ground_truth"]),
             (rows[0], "<think>the gcd</think>\\boxed{" + rows[0]["reward_model"]["ground_truth"]
              + "}"),
             (rows[1], rows[0]["reward_model"]["ground_truth"]), (rows[1], "")]
    assert [compute_score(data_source=r["data_source"], solution_str=s,
                          ground_truth=r["reward_model"]["ground_truth"],
                          extra_info=r["extra_info"]) for r, s in calls] == [1.0, 1.0, 0.0, 0.0]


def test_other_data_sources_go_to_verls_own_scorer():
    compute_score = verl_reward()
    assert compute_score(data_source="openai/gsm8k", solution_str="so #### 42",
                         ground_truth="42", extra_info={}) == 1.0
    assert compute_score(data_source="openai/gsm8k", solution_str="so #### 41",
                         ground_truth="42", extra_info={}) == 0.0


def test_rlhf_dataset_reads_the_export_and_the_reward_manager_scores(tmp_path):
    from omegaconf import OmegaConf
    from verl import DataProto
    from verl.experimental.reward_loop.reward_manager.naive import NaiveRewardManager
    from verl.utils.dataset.rl_dataset import RLHFDataset

    import synthset

    export_verl("depo", tmp_path, count=4, task_config=DEPO)
    tokenizer = task_tokenizer(synthset.get_task("depo", **DEPO))
    data = RLHFDataset(str(tmp_path / "train.parquet"), tokenizer, OmegaConf.create(
        {"max_prompt_length": 256, "filter_overlong_prompts_workers": 1,
         "cache_dir": str(tmp_path / "cache")}))
    assert len(data) == 4
    item = data[1]
    assert item["raw_prompt"][0]["role"] == "user" and item["index"] == 1
    answer = item["reward_model"]["ground_truth"]

    manager = NaiveRewardManager(OmegaConf.create({}), tokenizer, verl_reward())
    scores = []
    for response in (answer, "| " + answer):
        ids = tokenizer(response, add_special_tokens=False)["input_ids"] + \
            [tokenizer.eos_token_id, tokenizer.pad_token_id]  # eos and padding are decoded away
        prompt = torch.tensor([[tokenizer.pad_token_id]])
        batch = DataProto.from_dict(
            tensors={"prompts": prompt, "responses": torch.tensor([ids]),
                     "attention_mask": torch.tensor([[1] * (len(ids))])},
            non_tensors={key: np.array([item[key]], dtype=object)
                         for key in ("data_source", "reward_model", "extra_info")})
        result = manager.loop.run_until_complete(manager.run_single(batch))  # verl's loop
        scores.append(result["reward_score"])
        assert result["reward_extra_info"] == {"acc": result["reward_score"]}
    assert scores == [1.0, 0.0]


def test_a_bound_compute_score_for_a_run_of_your_own(tmp_path):
    from synthset.rewards.verl import compute_score_for

    export_verl("integer_sum", tmp_path, count=1)
    row = pq.read_table(tmp_path / "train.parquet").to_pylist()[0]
    score = compute_score_for("integer_sum")
    truth = row["reward_model"]["ground_truth"]
    assert score("anything", f"Answer: {truth}", truth, row["extra_info"]) == 1.0
    with pytest.raises(ConfigError, match="timeout must be a positive number"):
        compute_score_for("integer_sum", timeout=0)
