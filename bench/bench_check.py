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
                                [--repeat 1] [--write]
    python bench/bench_check.py --instructions COUNT [--task ...]
    python bench/bench_check.py --before OTHER/src [--task ...] [--repeat 3]

``--before SRC`` runs each generate + check with ``PYTHONPATH=SRC`` (another tree, e.g. a
``git archive`` of a previous commit) and with this tree, alternately, and reports both.

``--instructions COUNT`` counts instead what no load disturbs: the instructions per sample
(valgrind's cachegrind) of the check's per-range loop over COUNT stored lines of a run, and of
a serial generation of COUNT samples, each the difference with a run without them; their
ratio leaves out the fixed costs of both commands.

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


def measure(cmd: list[str], ok=(0,), env=None) -> dict:
    """Wall, CPU, largest-process RSS and sampled process-tree RSS of ``cmd`` (``ok``: its
    exit codes that are no failure; ``env``: its environment, None the bench's)."""
    import psutil

    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", WRAP, *cmd], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
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


def workload(tmp: Path, name: str, task: str, train: int, test: int, n_jobs: int,
             repeat: int = 1, env=None) -> dict:
    """Generate, then check, ``repeat`` times in turn (a load on the machine falls on both
    alike); the figures of the run whose check / generate CPU ratio is the median, and every
    run's ratio (``env``: the commands' environment, None the bench's)."""
    synthset = [sys.executable, "-m", "synthset.cli.main"]
    run = tmp / name
    pairs = []
    for _ in range(repeat):
        shutil.rmtree(run, ignore_errors=True)
        config = data_yaml(tmp / f"{name}.yaml", run, task, train, test, n_jobs)
        gen = measure([*synthset, "generate", str(config)], env=env)
        shutil.rmtree(run / "quality", ignore_errors=True)
        check = measure([*synthset, "check", str(run), "--n-jobs", str(n_jobs), "-q",
                         "--no-figures"], ok=(0, 1), env=env)  # 1: a FAIL (overlap)
        quality = json.loads((run / "quality.json").read_text())
        pairs.append((check["cpu"] / gen["cpu"], gen, check, quality))
    ratios = [p[0] for p in pairs]
    _, gen, check, quality = sorted(pairs, key=lambda p: p[0])[(len(pairs) - 1) // 2]
    n = train + test
    timing = quality["timing"]
    return {"name": name, "samples": n, "gen": gen, "check": check, "timing": timing,
            "ok": quality["ok"], "partitions": quality["partitions"], "n_jobs": n_jobs,
            "ratios": ratios,
            "count_keys_per_core": n / max(timing["count"], 1e-9)
            / min(n_jobs, quality["partitions"])}


def alternating(tmp: Path, name: str, task: str, train: int, test: int, n_jobs: int,
                repeat: int, before: str) -> dict:
    """``workload`` once with ``PYTHONPATH=before`` (another tree's ``src``) and once with
    this one, ``repeat`` times in turn; this tree's run of median ratio, with the other's
    under ``before``."""
    env = {**os.environ, "PYTHONPATH": str(Path(before).resolve())}
    runs: dict = {"before": [], "after": []}
    for _ in range(repeat):
        runs["before"].append(workload(tmp, name, task, train, test, n_jobs, 1, env))
        runs["after"].append(workload(tmp, name, task, train, test, n_jobs, 1))

    def median(rs):
        return sorted(rs, key=lambda r: r["ratios"][0])[(len(rs) - 1) // 2]

    row = dict(median(runs["after"]), ratios=[r["ratios"][0] for r in runs["after"]])
    old = median(runs["before"])
    row["before"] = {"gen": old["gen"], "check": old["check"],
                     "ratios": [r["ratios"][0] for r in runs["before"]]}
    return row


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
                "check_over_generate_cpu_runs": [round(x, 3) for x in r["ratios"]],
                "check_steps_s": r["timing"], "ok": r["ok"],
                **({"before_generate_cpu_s": round(r["before"]["gen"]["cpu"], 3),
                    "before_check_cpu_s": round(r["before"]["check"]["cpu"], 3),
                    "before_check_over_generate_cpu": round(
                        r["before"]["check"]["cpu"] / r["before"]["gen"]["cpu"], 3),
                    "before_check_over_generate_cpu_runs": [
                        round(x, 3) for x in r["before"]["ratios"]]}
                   if "before" in r else {})} for r in rows]}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(out, indent=1) + "\n")


# --instructions: the check's per-range loop over COUNT stored lines after 200 warm-up lines
# (COUNT 0: the warm-up alone), and a serial generation of 200 + COUNT samples after a warm-up
# run (COUNT 0: 200); run under cachegrind, the difference per sample.
CHECK_LOOP = """
import sys, tempfile
from pathlib import Path
from synthset.quality.check import plan_task
from synthset.quality.verify import Range, RangeJob, build
from synthset.runs import RunFolder
folder, count = Path(sys.argv[1]), int(sys.argv[2])
plan = plan_task(RunFolder(folder), False)
job = RangeJob(str(folder), tempfile.mkdtemp(), plan.task_plan, 0, None, "raise", {})
build(plan.task_plan)
data = (folder / "train_data.jsonl").read_bytes()
ends = [0]
while len(ends) < 201 + count:
    ends.append(data.index(b"\\n", ends[-1]) + 1)
job(Range("train", 0, 0, 200, 0, ends[200]))
if count:
    job(Range("train", 1, 200, 200 + count, ends[200], ends[200 + count]))
"""
GENERATE = """
import shutil, sys
from synthset.dataset import DatasetPipeline
task, backend, count, out = sys.argv[1], sys.argv[2] or None, int(sys.argv[3]), sys.argv[4]
def run(n):
    shutil.rmtree(out, ignore_errors=True)
    DatasetPipeline.from_config({"save_dir": out, "num_train_samples": n,
        "num_test_samples": 1, "batch_size": 100000, "n_jobs": 1, "root_seed": 42,
        "verbose": False, "task": task, "on_error": "skip", "executor": "serial",
        "save_text": False, **({"backend": backend} if backend else {})}).run()
run(50)
run(200 + count)
"""


def instructions(cmd: list[str]) -> int:
    """Instructions (cachegrind, ``--cache-sim=no``, ``PYTHONHASHSEED=0``) of ``cmd``."""
    import re

    done = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no",
                           "--cachegrind-out-file=/dev/null", *cmd], capture_output=True,
                          text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if found is None:
        raise SystemExit(f"cachegrind gave no count for {cmd}:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def per_sample(tmp: Path, task: str, count: int) -> dict:
    """Instructions per sample of the check's loop and of generation, for ``task``."""
    from bench_dedup import backend_of

    run = tmp / task
    if not (run / "train_data.jsonl").exists():
        config = data_yaml(tmp / f"{task}.yaml", run, task, 200 + count, 1, 1)
        subprocess.run([sys.executable, "-m", "synthset.cli.main", "generate", str(config)],
                       check=True, capture_output=True)
    py = sys.executable
    check = [instructions([py, "-c", CHECK_LOOP, str(run), str(n)]) for n in (0, count)]
    out = str(tmp / f"{task}-gen")
    gen = [instructions([py, "-c", GENERATE, task, backend_of(task) or "", str(n), out])
           for n in (0, count)]
    return {"task": task, "count": count, "check": (check[1] - check[0]) // count,
            "generate": (gen[1] - gen[0]) // count}


def main() -> None:
    from synthset.tasks.registry import list_tasks

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", nargs="+", default=list_tasks())
    parser.add_argument("--scale", type=float, default=1.0, help="times bench_dedup.SIZES")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--keep", help="make the runs in this folder and keep them")
    parser.add_argument("--repeat", type=int, default=1,
                        help="generate and check this many times in turn; the median ratio")
    parser.add_argument("--before", metavar="SRC",
                        help="another tree's src folder: each run is made with it on "
                             "PYTHONPATH and with this tree, in turn (before / after)")
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--results", default=str(HERE / "results" / "check.json"),
                        help="where the figures go (JSON)")
    parser.add_argument("--instructions", type=int, metavar="COUNT",
                        help="count instructions per sample instead (cachegrind) over COUNT "
                             "samples: the check's loop and generation")
    args = parser.parse_args()
    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-check-"))
    tmp.mkdir(parents=True, exist_ok=True)
    if args.instructions:
        try:
            for task in args.task:
                r = per_sample(tmp, task, args.instructions)
                print(f"| {task} | {r['check']:,} | {r['generate']:,} | "
                      f"{r['check'] / r['generate']:.2f} |", flush=True)
        finally:
            if not args.keep:
                shutil.rmtree(tmp, ignore_errors=True)
        return
    rows = []
    try:
        for task in args.task:
            total = max(200, int(SIZES.get(task, 20_000) * args.scale))
            test = max(1, total // 100)
            if args.before:
                rows.append(alternating(tmp, task, task, total - test, test, args.n_jobs,
                                        args.repeat, args.before))
                old = rows[-1]["before"]
                print(f"{task}: check / generate CPU, before (median of "
                      f"{args.repeat}): {old['check']['cpu'] / old['gen']['cpu']:.2f} "
                      f"{[round(x, 2) for x in old['ratios']]}", flush=True)
            else:
                rows.append(workload(tmp, task, task, total - test, test, args.n_jobs,
                                     args.repeat))
            print(table(rows[-1:]), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    command = "python bench/bench_check.py " + " ".join(sys.argv[1:])
    write_results(args.results, command, rows)
    runs = "one run each" if args.repeat == 1 else f"the median of {args.repeat} runs"
    report("synthset check", command,
           f"n_jobs={args.n_jobs}; CPU seconds include the workers; {runs}; load: "
           f"{os.getloadavg()[0]:.1f} at the end", table(rows), args.write)


if __name__ == "__main__":
    main()
