"""One verifier, every trainer: TRL's reward, verl's compute_score, OpenRLHF's reward_func and
the verifiers taskset's reward give the same score to the same completion, each reached the
way its trainer reaches it (verl's and OpenRLHF's own loaders, verifiers' Task.score on a
trace), on 10,000 completions of every kind per task (1,000 per preset of a task already
compared): right, wrong, mangled, garbage."""

import asyncio
import json

import numpy as np
import pyarrow.parquet as pq
import pytest

import synthset
from synthset.rewards import reward_function
from synthset.rewards import trl as rl_trl
from synthset.rewards.trl import prompt_dataset
from synthset.rewards.openrlhf import export_openrlhf
from synthset.rewards.verl import export_verl
from tests.rl.completions import completions
from tests.rl.helpers import openrlhf_reward, trace_for, verl_reward

REASONING = [n for n in synthset.list_tasks() if synthset.get_task(n).kind == "reasoning"]
FAMILIES = ["depo", "brevo", "mano", "lano", "capo"]  # each task class at its defaults
ALGEBRA = ["integer_sum", "gf17_addition", "poly_gcd"]
ROWS, TOTAL = 100, 10_000
PRESET_TOTAL = 1_000  # a preset is one of the classes above with other fields: fewer suffice


def test_every_reasoning_task_is_compared():
    assert len(REASONING) == 15 and set(FAMILIES) <= set(REASONING)


@pytest.mark.parametrize("name", REASONING + ALGEBRA)
def test_four_adapters_give_the_same_scores(tmp_path, name):
    total = TOTAL if name in FAMILIES or name in ALGEBRA else PRESET_TOTAL
    import synthset.rewards.verifiers_env as vfe

    trl_rows = prompt_dataset(name, count=ROWS, seed=0)  # to_hf_dataset's, plus a task column
    export_verl(name, tmp_path / "verl", count=ROWS, seed=0)
    export_openrlhf(name, tmp_path / "orl", count=ROWS, seed=0)
    verl_rows = pq.read_table(tmp_path / "verl" / "train.parquet").to_pylist()
    orl_rows = [json.loads(line) for line in
                (tmp_path / "orl" / "train.jsonl").read_text().splitlines()]
    tasks = list(vfe.load_taskset(name, count=ROWS, seed=0))
    rows = trl_rows.to_list()
    # the same samples in the same order in every layout
    assert [r["prompt"][0]["content"] for r in verl_rows] == [r["input"] for r in orl_rows] \
        == [t.data.prompt for t in tasks] == [r["prompt"] for r in rows]
    pairs = completions(rows, total, seed=len(name))

    columns = {key: [rows[r][key] for r, _ in pairs] for key in rows[0]}  # as TRL passes them
    trl = rl_trl.reward_function(name)(completions=[c for _, c in pairs],
                                       prompts=columns.pop("prompt"), **columns)
    plain = reward_function(name)(
        prompts=[rows[r]["prompt"] for r, _ in pairs], completions=[c for _, c in pairs],
        example=[rows[r]["example"] for r, _ in pairs])
    compute_score = verl_reward()
    verl = [compute_score(data_source=verl_rows[r]["data_source"], solution_str=c,
                          ground_truth=verl_rows[r]["reward_model"]["ground_truth"],
                          extra_info=dict(verl_rows[r]["extra_info"])) for r, c in pairs]
    reward_func = openrlhf_reward(tmp_path)
    prompts = [orl_rows[r]["input"] for r, _ in pairs]
    orl = reward_func([p + c + "<|im_end|>" for p, (_, c) in zip(prompts, pairs)], prompts,
                      [orl_rows[r]["label"] for r, _ in pairs])["rewards"].tolist()

    async def verifiers_scores():
        traces = [trace_for(tasks[r], c) for r, c in pairs]
        for (r, _), trace in zip(pairs, traces):
            await tasks[r].score(trace)
        return [trace.reward for trace in traces]

    vf = asyncio.run(verifiers_scores())
    assert trl == plain == verl == vf
    assert orl == [float(np.float32(s)) for s in trl]  # OpenRLHF's rewards are float32
    assert len(trl) == total and all(0.0 <= s <= 1.0 for s in trl)
    assert {0.0, 1.0} <= set(trl)  # right and wrong completions among them
