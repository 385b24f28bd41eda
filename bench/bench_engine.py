"""Engine throughput, start-up and memory: synthset vs calt-x 1.5.0 vs a bare loop.

Runs every contender as a child process of this one (side by side, same machine, same
moment), REPEAT times each, and reports medians: wall time, and CPU time (user + system, the
child and its own children), which a loaded machine changes little. calt-x lives in its own
virtual environment (`make peers` makes bench/.peers/calt); pass another with --calt-python.

    python bench/bench_engine.py [--repeat 3] [--calt-python PATH] [--write]

--write appends the tables to docs/benchmarks.md with the machine, date and command.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

BARE_LOOP = """
import json, sys, time
from hashlib import sha256
sys.path.insert(0, {here!r})
from generators import {gen} as gen
t0 = time.perf_counter()
with open({out!r} + "/raw.txt", "w") as ft, open({out!r} + "/data.jsonl", "w") as fj:
    for split, n in (("train", {train}), ("test", {test})):
        for i in range(n):
            seed = int.from_bytes(sha256(f"42_{{split}}_{{i}}".encode()).digest()[:16], "big")
            p, a = gen(seed)
            ft.write(" | ".join(map(str, p)) + " # " + str(a) + "\\n")
            fj.write(json.dumps({{"problem": [str(x) for x in p], "answer": str(a)}},
                                ensure_ascii=False) + "\\n")
print(time.perf_counter() - t0)
"""

SYNTHSET_RUN = """
import sys, time
t0 = time.perf_counter()
sys.path.insert(0, {here!r})
from generators import {gen} as gen
from synthset.dataset import DatasetGenerator
DatasetGenerator(backend="loky", n_jobs={n_jobs}, verbose=False).run(
    {{"train": {train}, "test": {test}}}, gen, save_dir={out!r}, batch_size=100000)
print(time.perf_counter() - t0)
"""

# `synthset generate` on a data.yaml, as a user runs it (the CLI's own imports and config
# loading included); the workload's module is found through the config's folder.
SYNTHSET_CLI = """
import sys
from pathlib import Path
sys.path.insert(0, {here!r})
config = Path({out!r}) / "data.yaml"
config.write_text(
    "dataset:\\n  save_dir: {out}\\n  num_train_samples: {train}\\n"
    "  num_test_samples: {test}\\n  batch_size: 100000\\n  n_jobs: {n_jobs}\\n"
    "  root_seed: 42\\n  verbose: false\\n  instance_generator: generators:{gen}\\n")
from synthset.cli.main import main
sys.exit(main(["generate", str(config)]))
"""


def run_child(argv, env=None) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MB, the child itself) and CPU seconds (user + system, the
    child and the processes it waited for) of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        raise SystemExit(f"{argv[:3]} failed: {proc.stderr.read().decode()[-2000:]}")
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def median_run(make_argv, repeat: int) -> tuple[float, float, float]:
    """Medians of ``repeat`` runs: wall seconds, peak RSS (MB), CPU seconds."""
    runs = []
    for _ in range(repeat):
        out = tempfile.mkdtemp(prefix="synthset-bench-")
        try:
            runs.append(run_child(make_argv(out)))
        finally:
            shutil.rmtree(out, ignore_errors=True)
    return tuple(statistics.median(column) for column in zip(*runs))


def contenders(gen: str, train: int, test: int, calt_python: str | None, jobs=(1, 2)):
    py = sys.executable
    rows = []
    if gen == "integer_sum":
        rows.append(("bare loop (seed + generator + 2 lines)", lambda out: [
            py, "-c", BARE_LOOP.format(here=str(HERE), gen=gen, out=out, train=train,
                                       test=test)]))
    for n in jobs:
        rows.append((f"synthset n_jobs={n}", lambda out, n=n: [
            py, "-c", SYNTHSET_RUN.format(here=str(HERE), gen=gen, out=out, train=train,
                                          test=test, n_jobs=n)]))
    if gen == "integer_sum":
        rows.append(("synthset generate n_jobs=1 (CLI, data.yaml)", lambda out: [
            py, "-c", SYNTHSET_CLI.format(here=str(HERE), gen=gen, out=out, train=train,
                                          test=test, n_jobs=1)]))
    if calt_python:
        for n in jobs:
            rows.append((f"calt-x 1.5.0 n_jobs={n}", lambda out, n=n: [
                calt_python, str(HERE / "calt_parity.py"), str(HERE), f"generators:{gen}", out,
                str(train), str(test), "100000", str(n)]))
    return rows


def startup(calt_python: str | None, repeat: int) -> list[tuple[str, float]]:
    """Seconds from process start to a 1-sample run finished: import + set-up cost."""
    out = []
    cfg = Path(tempfile.mkdtemp()) / "data.yaml"
    cfg.write_text(
        "dataset:\n  save_dir: {}\n  num_train_samples: 1\n  num_test_samples: 1\n"
        "  batch_size: 10\n  n_jobs: 1\n  root_seed: 42\n  verbose: false\n"
        "  instance_generator: generators:integer_sum\n".format(cfg.parent / "o"))
    synthset_bin = str(Path(sys.executable).parent / "synthset")
    # The bench folder first; an existing PYTHONPATH kept (it picks the synthset measured).
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(HERE), os.environ.get("PYTHONPATH")) if p)}
    walls = [run_child([synthset_bin, "generate", str(cfg), "resume=false"], env)[0]
             for _ in range(repeat)]
    out.append(("synthset generate (1 sample)", statistics.median(walls)))
    if calt_python:
        walls = []
        for _ in range(repeat):
            o = tempfile.mkdtemp()
            walls.append(run_child([calt_python, str(HERE / "calt_parity.py"), str(HERE),
                                    "generators:integer_sum", o, "1", "1", "10", "1"])[0])
            shutil.rmtree(o, ignore_errors=True)
        out.append(("calt-x 1.5.0 DatasetPipeline (1 sample)", statistics.median(walls)))
    return out


def table(title, rows, total, base_label=None):
    lines = [f"#### {title}", "", "| contender | median wall (s) | samples/s | peak RSS (MB) |"
             " ratio | CPU (s) | CPU ratio |", "|---|---:|---:|---:|---:|---:|---:|"]
    base = {label: (wall, cpu) for label, wall, _, cpu in rows}.get(base_label)
    for label, wall, rss, cpu in rows:
        ratio = f"{base[0] / wall:.2f}x" if base else ""
        cpu_ratio = f"{cpu / base[1]:.2f}x" if base else ""
        lines.append(f"| {label} | {wall:.2f} | {total / wall:,.0f} | {rss:.0f} | {ratio} | "
                     f"{cpu:.2f} | {cpu_ratio} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--calt-python", default=str(HERE / ".peers/calt/bin/python"))
    ap.add_argument("--train", type=int, default=200_000)
    ap.add_argument("--test", type=int, default=10_000)
    ap.add_argument("--cpu-train", type=int, default=20_000)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    calt = args.calt_python if Path(args.calt_python).exists() else None
    if calt is None:
        print(f"note: no calt-x at {args.calt_python}; run `make peers` to compare",
              file=sys.stderr)
    os.environ["SYMPY_GROUND_TYPES"] = "python"
    sections = []
    for gen, train, test, title, base in (
        ("integer_sum", args.train, args.test,
         f"Trivial generator (integer sum), {args.train:,} train + {args.test:,} test, text + "
         "JSONL; ratio = samples/s relative to the bare loop",
         "bare loop (seed + generator + 2 lines)"),
        ("poly_product_gf7", args.cpu_train, args.cpu_train // 10,
         f"CPU-bound generator (SymPy product in GF(7)[x,y]), {args.cpu_train:,} + "
         f"{args.cpu_train // 10:,}; ratio relative to synthset n_jobs=1", "synthset n_jobs=1"),
    ):
        rows = []
        for label, make in contenders(gen, train, test, calt):
            wall, rss, cpu = median_run(make, args.repeat)
            rows.append((label, wall, rss, cpu))
            print(f"{label:<45} {wall:8.2f} s  {(train + test) / wall:>10,.0f}/s  "
                  f"{rss:6.0f} MB  {cpu:6.2f} s CPU", file=sys.stderr)
        sections.append(table(title, rows, train + test, base))
    starts = startup(calt, args.repeat)
    sections.append("#### Start-up (process start to a finished 1-sample run)\n\n"
                    "| contender | median wall (s) |\n|---|---:|\n" +
                    "\n".join(f"| {label} | {wall:.2f} |" for label, wall in starts))
    machine = (f"{platform.machine()}, {os.cpu_count()} cores, Python "
               f"{platform.python_version()}, {platform.platform()}")
    report = (f"### Engine vs calt-x — {date.today().isoformat()}\n\n"
              f"Machine: {machine}. Command: `python bench/bench_engine.py "
              f"--repeat {args.repeat}` (medians of {args.repeat} runs; every wall time "
              "includes interpreter start-up and imports).\n\n" + "\n\n".join(sections) + "\n")
    print(report)
    if args.write:
        doc = ROOT / "docs" / "benchmarks.md"
        with open(doc, "a", encoding="utf-8") as f:
            f.write("\n" + report)


if __name__ == "__main__":
    main()
