"""synthset.rewards.openrlhf through OpenRLHF's own code: its single-turn executor loads
``reward_func`` from a reward file (``--reward.remote_url reward.py``) and scores a rollout
(the engine that samples is vLLM's place: here it hands back fixed token ids), and its
dataset code reads the JSONL ``synthset export openrlhf`` writes with ``--data.label_key
label``. OpenRLHF is installed without its GPU dependencies (``pip install --no-deps
openrlhf==0.11.2``)."""

import asyncio
import json
from types import SimpleNamespace

import pytest

import synthset
from synthset.cli.main import main
from synthset.core.errors import ConfigError
from synthset.rewards.openrlhf import export_openrlhf, response_of, reward_func, reward_func_for
from tests.rl.helpers import REWARD_FILE, task_tokenizer

DEPO = {"N": 6, "K": 2, "V": 8, "min_len": 1, "max_len": 1, "num_queries": 2}


class Engine:
    """Stands where OpenRLHF's vLLM engine stands: the token ids the policy sampled."""

    def __init__(self, ids):
        self.ids = ids

    async def generate(self, prompt_token_ids, params, multi_modal_data=None):
        return SimpleNamespace(outputs=[SimpleNamespace(token_ids=self.ids,
                                                        finish_reason="stop", logprobs=None)])


def _rows(folder):
    return [json.loads(line) for line in (folder / "train.jsonl").read_text().splitlines()]


def test_export_layout(tmp_path):
    assert main(["export", "openrlhf", "mano", str(tmp_path), "--count", "2",
                 "task.level=2"]) == 0
    row = _rows(tmp_path)[0]
    assert set(row) == {"input", "label", "datasource", "answer", "index"}
    assert (row["input"], row["answer"], row["datasource"], row["index"]) == \
        ("<bos> <len_2> + 15 * 16 7 <ans>", "12", "synthset/mano", 0)
    label = json.loads(row["label"])
    assert label["task"] == {"backend": "sympy", "config": {"level": 2}, "name": "mano"}
    assert json.loads(label["example"])["meta"] == {"l": 2, "value": 12}


def test_openrlhf_reads_the_rows_and_scores_a_rollout(tmp_path):
    from openrlhf.datasets.prompts_dataset import PromptDataset
    from openrlhf.datasets.utils import blending_datasets
    from openrlhf.utils.agent import SingleTurnAgentExecutor

    export_openrlhf("depo", tmp_path, count=3, task_config=DEPO)
    tokenizer = task_tokenizer(synthset.get_task("depo", **DEPO))
    strategy = SimpleNamespace(print=lambda *a: None, is_rank_0=lambda: False,
                               args=SimpleNamespace(use_ms=False, data=SimpleNamespace(
                                   input_key="input", label_key="label",
                                   apply_chat_template=False)))
    data = PromptDataset(blending_datasets(str(tmp_path / "train.jsonl"), None, strategy),
                         tokenizer, strategy)
    datasource, prompt, label, _ = data[2]
    assert datasource == "synthset/depo" and prompt == _rows(tmp_path)[2]["input"]
    answer = _rows(tmp_path)[2]["answer"]

    (tmp_path / "reward.py").write_text(REWARD_FILE)
    executor = SingleTurnAgentExecutor(remote_rm_url=str(tmp_path / "reward.py"))
    got = []
    eos, pad = tokenizer.eos_token_id, tokenizer.pad_token_id
    for response, end in ((answer, [eos]), ("| " + answer, [eos]), (answer, [eos, pad, pad])):
        # decoded with its special tokens: "<bos> ... <ans> 3 4 <eos> <pad> <pad>"
        ids = tokenizer(response, add_special_tokens=False)["input_ids"] + end
        out = asyncio.run(executor.execute(
            prompt, label, SimpleNamespace(max_tokens=16, logprobs=None), max_length=256,
            hf_tokenizer=tokenizer, llm_engine=Engine(ids)))
        got.append((out["reward"].tolist(), out["scores"].tolist(),
                    out["extra_logs"]["synthset_correct"].tolist()))
    assert got == [([1.0], [1.0], [1.0]), ([0.0], [0.0], [0.0]), ([1.0], [1.0], [1.0])]


def test_response_of_a_query():
    assert response_of("<bos> 1 2 <ans> 3 4 <eos>", "<bos> 1 2 <ans>") == " 3 4"
    assert response_of("Q: 2+2?\nA: 4<|im_end|><|endoftext|>", "Q: 2+2?\n") == "A: 4"
    assert response_of("4</s>", "other prompt") == "4"
    assert response_of(None, "p") == ""


def test_labels_that_are_not_ours_are_one_line_errors(tmp_path):
    with pytest.raises(ConfigError, match="pass --data.label_key label"):
        reward_func(["q"], ["p"], [""])
    with pytest.raises(ConfigError, match="label must be JSON"):
        reward_func(["q"], ["p"], ["not json"])
    with pytest.raises(ConfigError, match=r"label must be a synthset label"):
        reward_func(["q"], ["p"], ['{"answer": 3}'])
    with pytest.raises(ConfigError, match="2 queries, 1 prompts and 1 labels"):
        reward_func(["q", "r"], ["p"], ["x"])


def test_a_bound_reward_func(tmp_path):
    export_openrlhf("integer_sum", tmp_path, count=2)
    rows = _rows(tmp_path)
    bound = reward_func_for("integer_sum")
    result = bound([r["input"] + " " + r["answer"] for r in rows], [r["input"] for r in rows],
                   [r["label"] for r in rows])
    assert result["rewards"].tolist() == [1.0, 1.0]
