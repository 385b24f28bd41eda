"""Reward throughput: completions scored per second per core through
``synthset.rewards.reward_function`` with TRL's call signature.

    python bench/bench_rewards.py [--seconds 1.5] [--examples 200] [--group 16] [--write]

For Depo, Brevo, Mano and one algebra problem (poly_gcd, checked on flint), the dataset comes
from ``to_hf_dataset(name, prompts=True, count=--examples)`` (columns prompt, answer, example,
index) and the reward is called as ``GRPOTrainer`` calls it: ``reward(prompts=...,
completions=..., example=..., answer=..., index=...)``, ``--group`` completions a call. Right
completions are the examples' own answers; wrong ones the previous example's answer (mostly
wrong). Each rate runs for ``--seconds``, median of 3, on the wall clock and on this process's
CPU clock (what a core of its own would give on a machine other jobs share); with the default
5 s time limit per completion and without one (``timeout=None``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import report  # noqa: E402

TASKS = [("depo1", {}), ("brevo1", {}), ("mano10", {}), ("poly_gcd", {"backend": "flint"})]


def rate(reward, columns, completions, group: int, seconds: float, clock) -> float:
    n = len(completions)
    done, t0 = 0, clock()
    while clock() - t0 < seconds:
        for i in range(0, n, group):
            part = {k: v[i:i + group] for k, v in columns.items()}
            scores = reward(completions=completions[i:i + group], **part)
            done += len(scores)
    return done / (clock() - t0)


def load() -> str:
    with open("/proc/loadavg") as f:
        parts = f.read().split()
    return f"{parts[0]} ({parts[3].split('/')[0]} runnable)"


def main(argv=None) -> None:
    from synthset.export import to_hf_dataset
    from synthset.rewards import reward_function

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=1.5)
    ap.add_argument("--examples", type=int, default=200)
    ap.add_argument("--group", type=int, default=16, help="completions per reward call")
    ap.add_argument("--write", action="store_true", help="append to docs/benchmarks.md")
    args = ap.parse_args(argv)
    command = (f"python bench/bench_rewards.py --seconds {args.seconds} --examples "
               f"{args.examples} --group {args.group}")
    print(command, flush=True)
    lines = ["| task | right completions/s | wrong completions/s | CPU clock: right /s | "
             "CPU clock: wrong /s | right, timeout=None: CPU clock /s | load before |",
             "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for name, config in TASKS:
        before = load()
        data = to_hf_dataset(name, prompts=True, count=args.examples, seed=0, **(
            {"backend": config["backend"]} if "backend" in config else {}))
        columns = {"prompts": list(data["prompt"]), "example": list(data["example"]),
                   "answer": list(data["answer"]), "index": list(data["index"])}
        right = list(data["answer"])
        wrong = [right[i - 1] for i in range(len(right))]
        reward = reward_function(name, **config)
        unlimited = reward_function(name, timeout=None, **config)
        assert all(s == 1.0 for s in reward(completions=right, **columns)), name
        got = []
        for fn, completions, clock in ((reward, right, time.perf_counter),
                                       (reward, wrong, time.perf_counter),
                                       (reward, right, time.process_time),
                                       (reward, wrong, time.process_time),
                                       (unlimited, right, time.process_time)):
            got.append(statistics.median(rate(fn, columns, completions, args.group,
                                              args.seconds, clock) for _ in range(3)))
        lines.append(f"| {name} | " + " | ".join(f"{g:,.0f}" for g in got) + f" | {before} |")
        print(lines[-1], flush=True)
    report("Reward throughput", command,
           f"{args.examples} examples a task, {args.group} completions a call, medians of 3 "
           f"runs of {args.seconds} s; {os.cpu_count()} cores, one process",
           "\n".join(lines), args.write)


if __name__ == "__main__":
    main()
