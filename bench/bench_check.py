"""``synthset check`` throughput and memory against generation of the same task.

For each built-in task (every registry name at its default level; the flint backend where the
task has one; sizes from ``bench_dedup.SIZES`` times ``--scale``, a hundredth of it test),
generates a run with ``synthset generate`` (``on_error: skip``: poly_reduction draws ideals
that hold 1) and checks it with ``synthset check`` (a FAIL for overlap is a result), each in a
child process, and reports: wall and CPU seconds (the process and its workers, from
``getrusage``), check / generate in CPU and wall, samples/s per core (samples / CPU seconds),
the check's steps (``quality.json``'s ``timing``), keys/s per core of the counting step, and
peak RSS (the largest single process, and the sum over the process tree sampled with psutil
every 0.1 s).

    python bench/bench_check.py [--task integer_sum depo ...] [--scale 1.0] [--n-jobs 2]
                                [--write]

Runs go to a temporary folder (``--keep DIR`` to keep them). ``--write`` appends the table to
docs/benchmarks.md; every run also writes its figures, one object per task, to
``--results`` (default ``bench/results/check.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _report import report  # noqa: E402
from bench_dedup import SIZES, backend_of  # noqa: E402

# Runs a command and prints its children's resource usage (they include its workers: the
# command waits for them).
WRAP = """
import json, resource, subprocess, sys
done = subprocess.run(sys.argv[1:])
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": done.returncode, "cpu": r.ru_utime + r.ru_stime,
                  "maxrss": r.ru_maxrss * 1024}), file=sys.stderr)
"""


def measure(cmd: list[str], ok=(0,)) -> dict:
    """Wall, CPU, largest-process RSS and sampled process-tree RSS of ``cmd`` (``ok``: its
    exit codes that are no failure)."""
    import psutil

    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", WRAP, *cmd], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    peak = [0]
    stop = threading.Event()

    def sample():
        try:
            root = psutil.Process(proc.pid)
        except psutil.Error:
            return
        while not stop.is_set():
            total = 0
            try:
                for p in [root, *root.children(recursive=True)]:
                    try:
                        total += p.memory_info().rss
                    except psutil.Error:
                        pass
            except psutil.Error:
                return
            peak[0] = max(peak[0], total)
            stop.wait(0.1)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    out, err = proc.communicate()
    stop.set()
    thread.join()
    wall = time.perf_counter() - started
    usage = json.loads(err.strip().splitlines()[-1])
    if usage["rc"] not in ok:
        raise SystemExit(f"{' '.join(cmd)} failed ({usage['rc']}):\n{out}\n{err}")
    return {"wall": wall, "cpu": usage["cpu"], "maxrss": usage["maxrss"], "tree": peak[0],
            "out": out}


def data_yaml(path: Path, save_dir: Path, task: str, train: int, test: int, n_jobs: int):
    import yaml

    backend = backend_of(task)
    path.write_text(yaml.safe_dump({"dataset": {
        "save_dir": str(save_dir), "num_train_samples": train, "num_test_samples": test,
        "batch_size": 100_000, "n_jobs": n_jobs, "root_seed": 42, "verbose": False,
        "task": task, "save_text": False, "resume": False, "on_error": "skip",
        **({"backend": backend} if backend else {})}}))
    return path


def workload(tmp: Path, name: str, task: str, train: int, test: int, n_jobs: int) -> dict:
    synthset = [sys.executable, "-m", "synthset.cli.main"]
    run = tmp / name
    shutil.rmtree(run, ignore_errors=True)
    config = data_yaml(tmp / f"{name}.yaml", run, task, train, test, n_jobs)
    gen = measure([*synthset, "generate", str(config)])
    shutil.rmtree(run / "quality", ignore_errors=True)
    check = measure([*synthset, "check", str(run), "--n-jobs", str(n_jobs), "-q",
                     "--no-figures"], ok=(0, 1))  # 1: a FAIL (overlap in a small task)
    quality = json.loads((run / "quality.json").read_text())
    n = train + test
    timing = quality["timing"]
    return {"name": name, "samples": n, "gen": gen, "check": check, "timing": timing,
            "ok": quality["ok"], "partitions": quality["partitions"], "n_jobs": n_jobs,
            "count_keys_per_core": n / max(timing["count"], 1e-9)
            / min(n_jobs, quality["partitions"])}


def table(rows: list[dict]) -> str:
    mb = 2 ** 20
    lines = ["| workload | step | wall (s) | CPU (s) | samples/s per core (CPU) | samples/s "
             "(wall) | peak RSS: largest process / process tree (MB) |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        for step in ("gen", "check"):
            m = r[step]
            lines.append(
                f"| {r['name']} ({r['samples']:,}) | {'generate' if step == 'gen' else 'check'}"
                f" | {m['wall']:.1f} | {m['cpu']:.1f} | {r['samples'] / m['cpu']:,.0f} | "
                f"{r['samples'] / m['wall']:,.0f} | {m['maxrss'] / mb:,.0f} / "
                f"{m['tree'] / mb:,.0f} |")
    lines += ["", "| workload | check / generate: CPU | wall | check steps (s): plan, verify, "
              "aggregate, count, report | counting keys/s per core | partitions |",
              "|---|---:|---:|---|---:|---:|"]
    for r in rows:
        t = r["timing"]
        steps = ", ".join(f"{t[k]:.1f}" for k in ("plan", "verify", "aggregate", "count",
                                                   "report") if k in t)
        lines.append(f"| {r['name']} | {r['check']['cpu'] / r['gen']['cpu']:.2f} | "
                     f"{r['check']['wall'] / r['gen']['wall']:.2f} | {steps} | "
                     f"{r['count_keys_per_core']:,.0f} | {r['partitions']} |")
    return "\n".join(lines)


def write_results(path: str, command: str, rows: list[dict]) -> None:
    """The figures of ``rows`` as JSON: per task, samples, CPU and wall seconds of generate
    and check, and check / generate."""
    from datetime import date

    out = {"command": command, "date": date.today().isoformat(),
           "load_at_end": round(os.getloadavg()[0], 1), "tasks": [
               {"task": r["name"], "samples": r["samples"], "n_jobs": r["n_jobs"],
                "generate_cpu_s": round(r["gen"]["cpu"], 3),
                "generate_wall_s": round(r["gen"]["wall"], 3),
                "check_cpu_s": round(r["check"]["cpu"], 3),
                "check_wall_s": round(r["check"]["wall"], 3),
                "check_over_generate_cpu": round(r["check"]["cpu"] / r["gen"]["cpu"], 3),
                "check_steps_s": r["timing"], "ok": r["ok"]} for r in rows]}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(out, indent=1) + "\n")


def main() -> None:
    from synthset.tasks.registry import list_tasks

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", nargs="+", default=list_tasks())
    parser.add_argument("--scale", type=float, default=1.0, help="times bench_dedup.SIZES")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--keep", help="make the runs in this folder and keep them")
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--results", default=str(HERE / "results" / "check.json"),
                        help="where the figures go (JSON)")
    args = parser.parse_args()
    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-check-"))
    tmp.mkdir(parents=True, exist_ok=True)
    rows = []
    try:
        for task in args.task:
            total = max(200, int(SIZES.get(task, 20_000) * args.scale))
            test = max(1, total // 100)
            rows.append(workload(tmp, task, task, total - test, test, args.n_jobs))
            print(table(rows[-1:]), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    command = "python bench/bench_check.py " + " ".join(sys.argv[1:])
    write_results(args.results, command, rows)
    report("synthset check", command,
           f"n_jobs={args.n_jobs}; CPU seconds include the workers; one run each; load: "
           f"{os.getloadavg()[0]:.1f} at the end", table(rows), args.write)


if __name__ == "__main__":
    main()
