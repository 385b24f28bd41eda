"""GRPO with OpenRLHF on a synthset task: the data, the reward file, the command.

OpenRLHF trains on GPUs (Ray, vLLM, DeepSpeed), so this script does the CPU part: it writes
Mano prompts in OpenRLHF's JSONL layout (``synthset export openrlhf``), has OpenRLHF's own
executor load THIS file as the reward file (``--reward.remote_url``: it reads
``reward_func`` below) and score the stored answers and a wrong one, then prints the
training command.

    pip install openrlhf==0.11.2       # with its GPU dependencies (vLLM, DeepSpeed, flash-attn)
    python examples/rl/openrlhf_grpo.py [--out data/mano_openrlhf] [--count 2000]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from synthset.rewards.openrlhf import reward_func  # noqa: F401  (OpenRLHF loads it from here)

COMMAND = """python3 -m openrlhf.cli.train_ppo_ray --algo.advantage.estimator group_norm \\
    --actor.model_name_or_path Qwen/Qwen2.5-0.5B-Instruct \\
    --data.prompt_dataset {out}/train.jsonl --data.input_key input \\
    --data.label_key label --data.apply_chat_template \\
    --reward.remote_url {reward} --rollout.n_samples_per_prompt 8 \\
    --vllm.num_engines 1"""


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="data/mano_openrlhf")
    ap.add_argument("--count", type=int, default=2000)
    args = ap.parse_args(argv)

    from openrlhf.utils.agent import SingleTurnAgentExecutor

    from synthset.rewards.openrlhf import export_openrlhf

    export_openrlhf("mano", args.out, count=args.count, seed=0, overwrite=True)
    this_file = str(Path(__file__).resolve())
    reward = SingleTurnAgentExecutor(remote_rm_url=this_file).reward_func
    rows = [json.loads(line) for line in
            Path(args.out, "train.jsonl").read_text().splitlines()[:100]]
    right = reward([r["input"] + " " + r["answer"] + "</s>" for r in rows],
                   [r["input"] for r in rows], [r["label"] for r in rows])
    wrong = reward([r["input"] + " 99" for r in rows], [r["input"] for r in rows],
                   [r["label"] for r in rows])
    summary = {"rows": args.count, "mean_right": right["rewards"].mean().item(),
               "mean_wrong": wrong["rewards"].mean().item()}
    print(json.dumps(summary))
    print(COMMAND.format(out=args.out, reward=this_file))
    return summary


if __name__ == "__main__":
    main()

# Output (the command follows the summary):
# {"rows": 2000, "mean_right": 1.0, "mean_wrong": 0.0}
