"""What ``dedup: splits`` costs over a plain run of the same size, on every built-in task.

    python bench/bench_dedup.py [--task depo mano ...] [--scale 1.0] [--n-jobs 1] [--repeat 3]
                                [--write]

Each built-in task (every registry name, at its default level; the flint backend where the task
has one) makes a run with ``dedup: off`` and one with ``dedup: splits``, each in a child
process, interleaved (off, splits, off, splits, ...) so that a load on the machine falls on both
alike. Sizes (``SIZES``, times ``--scale``) are chosen so that a run generates for a few CPU
seconds; a twentieth of each is the test split; ``on_error: skip`` (poly_reduction draws ideals
that hold 1 and makes those samples again). Reported: the medians of the wall times and of
the CPU seconds of the driver and its workers, and the ratio splits/off. The dedup run does more
than key its samples: test is made before train (the splits run one after another), its keys
are folded, and train's samples that test holds are made again (a task with few distinct
problems, like gf17_addition, makes many again: that is the price of the guarantee, not of the
keys). The figures also go to ``--results`` (default ``bench/results/dedup.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _report import report  # noqa: E402
from bench_checks import measure  # noqa: E402

# Samples per run: a few CPU seconds of generation each on a 2020s core.
SIZES = {
    "integer_sum": 200_000, "gf17_addition": 150_000, "integer_factorization": 200_000,
    "eigenvector": 50_000, "poly_sum": 60_000, "poly_product": 60_000, "poly_addition": 30_000,
    "poly_gcd": 30_000, "poly_factor": 20_000, "poly_reduction": 6_000, "groebner": 10_000,
    "unimodular_inverse": 10_000, "depo": 15_000, "brevo": 20_000, "mano": 100_000,
    "lano": 20_000, "capo": 100_000,
}

RUN = """
from synthset.dataset import DatasetPipeline
DatasetPipeline.from_config({{"save_dir": "OUT", "num_train_samples": {train},
    "num_test_samples": {test}, "batch_size": 100000, "n_jobs": {n_jobs}, "root_seed": 42,
    "verbose": False, "task": {task!r}, "task_config": {config!r}, "dedup": {dedup!r},
    "on_error": "skip",
    **({{"backend": {backend!r}}} if {backend!r} else {{}})}}).run()
import resource, psutil  # CPU seconds: this process (all threads), its workers (alive or not)
alive = psutil.Process().children(recursive=True)
gone = resource.getrusage(resource.RUSAGE_CHILDREN)
print(sum(sum(p.cpu_times()[:2]) for p in [psutil.Process(), *alive])
      + gone.ru_utime + gone.ru_stime)
"""


def backend_of(task: str) -> str | None:
    """flint where the task has it, else its default (None)."""
    from synthset.tasks.registry import describe

    backends = describe(task).get("backends") or []
    return "flint" if "flint" in backends else None


def sizes(task: str, scale: float) -> tuple[int, int]:
    """(train, test) of the benchmark's runs of ``task``."""
    total = max(200, int(SIZES.get(task, 20_000) * scale))
    return total - total // 20, total // 20


def main():
    from synthset.tasks.registry import list_tasks

    ap = argparse.ArgumentParser()
    ap.add_argument("--task", nargs="+", default=list_tasks())
    ap.add_argument("--level", type=int, default=None)
    ap.add_argument("--n-jobs", type=int, nargs="+", default=[1])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--scale", type=float, default=1.0, help="times the samples of SIZES")
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--results", default=str(HERE / "results" / "dedup.json"),
                    help="where the figures go (JSON)")
    args = ap.parse_args()
    config = {"level": args.level} if args.level else {}
    env = {**os.environ, "SYMPY_GROUND_TYPES": "python"}
    rows = ["| task | samples | n_jobs | off: wall / CPU (s) | splits: wall / CPU (s) | "
            "splits/off wall | splits/off CPU |", "|---|---:|---:|---:|---:|---:|---:|"]
    figures: list[dict] = []
    for task in args.task:
        train, test = sizes(task, args.scale)
        backend = backend_of(task)
        for n_jobs in args.n_jobs:
            runs = {"off": [], "splits": []}
            for _ in range(args.repeat):
                for dedup in runs:
                    code = RUN.format(train=train, test=test, n_jobs=n_jobs, task=task,
                                      config=config, dedup=dedup, backend=backend)
                    runs[dedup].append(measure([sys.executable, "-c", code], env))
            med = {d: [statistics.median(r[i] for r in runs[d]) for i in (0, 1)]
                   for d in runs}
            ratio = [med["splits"][i] / med["off"][i] for i in (0, 1)]
            rows.append(f"| {task}{' (' + backend + ')' if backend else ''} | "
                        f"{train + test:,} | {n_jobs} | {med['off'][0]:.2f} / "
                        f"{med['off'][1]:.2f} | {med['splits'][0]:.2f} / "
                        f"{med['splits'][1]:.2f} | {ratio[0]:.3f} | {ratio[1]:.3f} |")
            print(rows[-1], flush=True)
            figures.append({"task": task, "backend": backend, "samples": train + test,
                            "n_jobs": n_jobs, "off_wall_s": round(med["off"][0], 3),
                            "off_cpu_s": round(med["off"][1], 3),
                            "splits_wall_s": round(med["splits"][0], 3),
                            "splits_cpu_s": round(med["splits"][1], 3),
                            "splits_over_off_cpu": round(ratio[1], 3),
                            "cpu_s_off_runs": [r[1] for r in runs["off"]],
                            "cpu_s_splits_runs": [r[1] for r in runs["splits"]]})
    level = f" --level {args.level}" if args.level else ""
    tasks = "" if args.task == list_tasks() else " --task " + " ".join(args.task)
    command = (f"python bench/bench_dedup.py{tasks}{level} --n-jobs "
               f"{' '.join(map(str, args.n_jobs))} --repeat {args.repeat} --scale {args.scale}")
    Path(args.results).parent.mkdir(parents=True, exist_ok=True)
    Path(args.results).write_text(json.dumps(
        {"command": command, "date": date.today().isoformat(),
         "load_at_end": round(os.getloadavg()[0], 1), "tasks": figures}, indent=1) + "\n")
    report("Cost of dedup: splits, per built-in task", command,
           f"a twentieth of each run is test; text + JSONL, loky; medians of {args.repeat} "
           f"interleaved runs; load: {os.getloadavg()[0]:.1f} at the end",
           "\n".join(rows), args.write)


if __name__ == "__main__":
    main()
