"""Training throughput on the CPU Depo preset's data, plain vs length-bucketed batches.

    python bench/bench_train.py [--steps 400] [--repeat 3] [--bucket 8] [--write]

Trains the preset's model (`conf/depo_curve/preset/cpu_demo.yaml`: GPT-2 2 x 128 with Canon
layers) on the preset's Depo stream with its batch size and learning rate for ``--steps``
steps, alternating
``train.bucket=1`` and ``train.bucket=N`` ``--repeat`` times, and reports median steps/s and
tokens/s (the rows' tokens, padding not counted). Needs the ``train`` extra.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _report import report  # noqa: E402



def preset():
    """The CPU preset's composed config (the same file ``synthset curves`` reads)."""
    from synthset.cli.train import CONF
    from synthset.core.compose import compose

    return compose(CONF / "depo_curve", ["+preset=cpu_demo"])


def one_run(cfg, steps: int, bucket: int) -> tuple[float, float]:
    from omegaconf import OmegaConf

    from synthset import tasks
    from synthset.train.loop import train

    data = OmegaConf.to_container(cfg.task, resolve=True)
    task = tasks.get(data.pop("name"), **data)
    model = OmegaConf.to_container(cfg.model, resolve=True)
    started = time.perf_counter()
    _, result = train(task, model, steps=steps, batch_size=int(cfg.train.batch_size),
                      lr=float(cfg.train.lr), device="cpu", bucket=bucket, log=None,
                      eval_examples=4)
    return steps / (time.perf_counter() - started), result.tokens_per_second


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--bucket", type=int, default=8)
    ap.add_argument("--write", action="store_true", help="append to docs/benchmarks.md")
    args = ap.parse_args(argv)
    import torch

    cfg = preset()
    runs: dict[int, list[tuple[float, float]]] = {1: [], args.bucket: []}
    for _ in range(args.repeat):
        for bucket in runs:
            runs[bucket].append(one_run(cfg, args.steps, bucket))
    lines = ["| batches | steps/s | tokens/s (unpadded) | vs plain |", "|---|---:|---:|---:|"]
    plain = statistics.median(s for s, _ in runs[1])
    for bucket, rs in runs.items():
        steps = statistics.median(s for s, _ in rs)
        tokens = statistics.median(t for _, t in rs)
        name = "plain (`train.bucket=1`)" if bucket == 1 else f"`train.bucket={bucket}`"
        lines.append(f"| {name} | {steps:.2f} | {tokens:,.0f} | {steps / plain:.2f}x |")
    report("Training throughput, CPU Depo preset",
           f"python bench/bench_train.py --steps {args.steps} --repeat {args.repeat} "
           f"--bucket {args.bucket}",
           f"medians of {args.repeat}; torch {torch.__version__}, {torch.get_num_threads()} "
           f"threads; each run includes model construction and its final small evaluation",
           "\n".join(lines), args.write)


if __name__ == "__main__":
    main()
