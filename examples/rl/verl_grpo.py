"""GRPO with verl on a synthset task: the data, the reward, the command.

verl trains on GPUs (vLLM or SGLang rollouts), so this script does the CPU part: it writes
Depo prompts in verl's Parquet layout (``synthset export verl``), loads synthset's reward the
way verl loads it (``verl.trainer.ppo.reward.get_custom_reward_fn`` on the config keys below)
and scores the stored answers and a wrong one with it, then prints the training command.
This file is also a reward file verl can load (``compute_score`` below).

    pip install verl==0.9.1            # verl's own GPU setup: its installation guide
    python examples/rl/verl_grpo.py [--out data/depo_verl] [--count 2000]
"""

from __future__ import annotations

import argparse
import json

from synthset.rewards.verl import compute_score  # noqa: F401  (verl loads it from here)

COMMAND = """python3 -m verl.trainer.main_ppo algorithm.adv_estimator=grpo \\
    data.train_files={out}/train.parquet data.val_files={out}/train.parquet \\
    data.max_prompt_length=512 data.max_response_length=256 \\
    actor_rollout_ref.model.path=Qwen/Qwen2.5-0.5B-Instruct \\
    actor_rollout_ref.rollout.name=vllm actor_rollout_ref.rollout.n=8 \\
    reward.custom_reward_function.path=pkg://synthset.rewards.verl \\
    reward.custom_reward_function.name=compute_score \\
    trainer.n_gpus_per_node=1 trainer.nnodes=1 trainer.total_epochs=1"""


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="data/depo_verl")
    ap.add_argument("--count", type=int, default=2000)
    args = ap.parse_args(argv)

    import pyarrow.parquet as pq
    from omegaconf import OmegaConf
    from verl.trainer.ppo.reward import get_custom_reward_fn

    from synthset.rewards.verl import export_verl

    export_verl("depo1", args.out, count=args.count, seed=0, overwrite=True)
    reward = get_custom_reward_fn(OmegaConf.create({"reward": {"custom_reward_function": {
        "path": "pkg://synthset.rewards.verl", "name": "compute_score"}}}))
    rows = pq.read_table(f"{args.out}/train.parquet").to_pylist()[:100]
    right = [reward(data_source=r["data_source"], ground_truth=r["reward_model"]["ground_truth"],
                    solution_str=f"<answer>{r['reward_model']['ground_truth']}</answer>",
                    extra_info=r["extra_info"]) for r in rows]
    wrong = [reward(data_source=r["data_source"], ground_truth=r["reward_model"]["ground_truth"],
                    solution_str="1 2 3", extra_info=r["extra_info"]) for r in rows]
    summary = {"rows": args.count, "mean_right": sum(right) / len(right),
               "mean_wrong": sum(wrong) / len(wrong)}
    print(json.dumps(summary))
    print(COMMAND.format(out=args.out))
    return summary


if __name__ == "__main__":
    main()

# Output (the command follows the summary):
# {"rows": 2000, "mean_right": 1.0, "mean_wrong": 0.0}
