"""What ``dedup: splits`` costs over a plain run of the same size.

    python bench/bench_dedup.py [--task integer_sum] [--n-jobs 1 2] [--repeat 5] [--write]

A built-in task's run (default: integer_sum, 200,000 train + 10,000 test, text + JSONL, loky)
with ``dedup: off`` and ``dedup: splits``, each in a child process, interleaved (off, splits,
off, splits, ...) so that a load on the machine falls on both alike. Reported: the medians of
the wall times and of the CPU seconds of the driver and its workers, and the ratio splits/off.
The dedup run does more than check keys: test is made before train (the splits run one after
another), its keys are folded, and train's samples that test holds are made again.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _report import report  # noqa: E402
from bench_checks import measure  # noqa: E402

RUN = """
from synthset.dataset import DatasetPipeline
DatasetPipeline.from_config({{"save_dir": "OUT", "num_train_samples": {train},
    "num_test_samples": {test}, "batch_size": 100000, "n_jobs": {n_jobs}, "root_seed": 42,
    "verbose": False, "task": {task!r}, "task_config": {config!r}, "dedup": {dedup!r}}}).run()
import resource, psutil  # CPU seconds: this process (all threads), its workers (alive or not)
alive = psutil.Process().children(recursive=True)
gone = resource.getrusage(resource.RUSAGE_CHILDREN)
print(sum(sum(p.cpu_times()[:2]) for p in [psutil.Process(), *alive])
      + gone.ru_utime + gone.ru_stime)
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--task", default="integer_sum")
    ap.add_argument("--level", type=int, default=None)
    ap.add_argument("--n-jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--train", type=int, default=200_000)
    ap.add_argument("--test", type=int, default=10_000)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    config = {"level": args.level} if args.level else {}
    env = {**os.environ, "SYMPY_GROUND_TYPES": "python"}
    rows = ["| n_jobs | dedup | median wall (s) | median CPU (s) | splits/off wall | "
            "splits/off CPU |", "|---:|---|---:|---:|---:|---:|"]
    for n_jobs in args.n_jobs:
        runs = {"off": [], "splits": []}
        for _ in range(args.repeat):
            for dedup in runs:
                code = RUN.format(train=args.train, test=args.test, n_jobs=n_jobs,
                                  task=args.task, config=config, dedup=dedup)
                runs[dedup].append(measure([sys.executable, "-c", code], env))
        med = {d: [statistics.median(r[i] for r in runs[d]) for i in (0, 1)] for d in runs}
        for dedup in runs:
            wall, cpu = med[dedup]
            ratio = [med[dedup][i] / med["off"][i] for i in (0, 1)]
            rows.append(f"| {n_jobs} | {dedup} | {wall:.3f} | {cpu:.3f} | {ratio[0]:.3f} | "
                        f"{ratio[1]:.3f} |")
    level = f" --level {args.level}" if args.level else ""
    report("Cost of dedup: splits",
           f"python bench/bench_dedup.py --task {args.task}{level} --n-jobs "
           f"{' '.join(map(str, args.n_jobs))} --repeat {args.repeat}",
           f"task {args.task}{level}, {args.train:,} train + {args.test:,} test samples, text + "
           f"JSONL, loky; medians of {args.repeat} interleaved runs; load: "
           f"{os.getloadavg()[0]:.1f} at the end",
           "\n".join(rows), args.write)


if __name__ == "__main__":
    main()
