"""What the run lock, the shard checks (fsync, sizes, row counts, blake2b hashes in the
markers, rows counted at the merge) and the determinism re-check cost, side by side with an
older synthset.

    git archive 2698e01 src | tar -x -C /tmp/prev12        # the older tree to compare with
    python bench/bench_checks.py --prev /tmp/prev12/src [--ablate] [--repeat 9] [--write]
    python bench/bench_checks.py --components [--repeat 5] [--dir /dev/shm] [--write]
    python bench/bench_checks.py --instructions --prev /tmp/before/src [--src SRC] [--write]

``--ablate`` adds a copy of this tree's src/, made afresh, with the checks cut out
(``ABLATIONS``: the lock returns at once, markers are written in the shard's process as before
— no hash, no fsync, no marker thread —, the merge copies without counting) and runs it with
verify_determinism=0: the difference between it and this tree is what the checks cost, apart
from whatever else changed since --prev. ``--components`` times each check inside n_jobs=1
runs (wall and CPU of the thread it runs on): what a loaded machine cannot hide.

The trivial workload of bench_engine.py (integer sum, 200,000 train + 10,000 test, text +
JSONL, loky) at n_jobs 1 and 2. Each contender runs as a child process; their runs are
interleaved (A B C, A B C, ...) so that a load on the machine falls on all of them alike, and
the medians and minima of the wall times are reported, with the median CPU seconds of the
run (the driver's threads and its loky workers), which a busy machine disturbs far less.

``--instructions`` counts instead what no load disturbs: the instructions (valgrind's
cachegrind, ``--cache-sim=no``, ``PYTHONHASHSEED=0``) of a serial run of the same generator
(``DatasetGenerator(backend="serial", n_jobs=1)``, text + JSONL) at 10,000 + 500 and
40,000 + 2,000 samples, for --prev and this tree; the difference between the two sizes, per
sample, is the per-sample cost, the rest the fixed cost, and both give the count at
--train + --test. Valgrind runs the marker thread too: all the CPU work of the checks.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _report import report  # noqa: E402

RUN = """
import sys
sys.path.insert(0, {here!r})
from generators import integer_sum
from synthset.dataset import DatasetGenerator
DatasetGenerator(backend="loky", n_jobs={n_jobs}, verbose=False).run(
    {{"train": {train}, "test": {test}}}, integer_sum, save_dir={out!r}, batch_size=100000
    {extra})
import resource, psutil  # CPU seconds: this process (all threads), its workers (alive or not)
alive = psutil.Process().children(recursive=True)
gone = resource.getrusage(resource.RUSAGE_CHILDREN)
print(sum(sum(p.cpu_times()[:2]) for p in [psutil.Process(), *alive])
      + gone.ru_utime + gone.ru_stime)
"""


# (file under src/synthset, text, the same text with the check cut out)
ABLATIONS = [
    ("engine/state.py",
     "        if isinstance(self.path, RemotePath):\n            return self._acquire_remote()\n",
     "        return self\n"),
    ("engine/state.py",
     "        _marker_writer().queue.put((self, shard, summary))\n",
     "        path = self.completion_file(shard)\n"
     "        path.parent.mkdir(parents=True, exist_ok=True)\n"
     '        atomic_write_text(path, json.dumps(summary) + "\\n")\n'),
    ("io/formats.py",  # the merge copies: no rows counted, no part or final file hashed
     '                with as_path(part).open("rb") as src:\n',
     '                with as_path(part).open("rb") as src:\n'
     "                    while block := src.read(_BUFFER):\n"
     "                        f.write(block)\n"
     "                    continue\n"),
]


def make_ablated() -> str:
    """A copy of this tree's src/ without the checks; returns its path."""
    dst = Path(tempfile.mkdtemp(prefix="synthset-ablated-")) / "src"
    shutil.copytree(HERE.parent / "src", dst)
    for name, text, cut in ABLATIONS:
        path = dst / "synthset" / name
        source = path.read_text()
        if source.count(text) != 1:
            raise SystemExit(f"ablation point not found once in {name}: {text!r}")
        path.write_text(source.replace(text, cut))
    return str(dst)


def measure(argv, env, where=None) -> tuple[float, float]:
    """Wall seconds of the child process, and the CPU seconds it and its workers used."""
    out = tempfile.mkdtemp(prefix="synthset-bench-", dir=where)
    try:
        t0 = time.perf_counter()
        proc = subprocess.run([*argv[:-1], argv[-1].replace("OUT", out)], env=env,
                              capture_output=True)
        took = time.perf_counter() - t0
        if proc.returncode:
            raise SystemExit(proc.stderr.decode()[-2000:])
        return took, float(proc.stdout.split()[-1])
    finally:
        shutil.rmtree(out, ignore_errors=True)


COMPONENTS = """
import json, resource, sys, time
sys.path.insert(0, {here!r})
from generators import integer_sum
import synthset.driver.run as run
import synthset.engine.state as st
from synthset.dataset import DatasetGenerator

spent = {{}}


def timed(name, fn):  # wall and CPU of the calling thread (the marker thread for markers)
    def wrapper(*args, **kwargs):
        w0, c0 = time.perf_counter(), time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            s = spent.setdefault(name, [0.0, 0.0])
            s[0] += time.perf_counter() - w0
            s[1] += time.thread_time() - c0
    return wrapper


st.RunLock.acquire = timed("lock", st.RunLock.acquire)
st.RunLock.release = timed("lock", st.RunLock.release)
run.sort_out = timed("resume check of finished shards", run.sort_out)
run.verify_determinism = timed("determinism re-check (16 samples)", run.verify_determinism)
run.flush_markers = timed("waiting for the last markers", run.flush_markers)
st._write_markers = timed("marker thread: read, blake2b, fsync, marker", st._write_markers)
r0, w0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
DatasetGenerator(backend="serial", n_jobs=1, verbose=False).run(
    {{"train": {train}, "test": {test}}}, integer_sum, save_dir={out!r}, batch_size=100000)
wall = time.perf_counter() - w0
r1 = resource.getrusage(resource.RUSAGE_SELF)
w0, c0 = time.perf_counter(), time.thread_time()
for name in ("train_raw.txt", "train_data.jsonl", "test_raw.txt", "test_data.jsonl"):
    with open({out!r} + "/" + name, "rb") as f:  # what the merge counts as it copies
        while block := f.read(16 << 20):
            block.count(b"\\n")
spent["rows counted by the merge"] = [time.perf_counter() - w0, time.thread_time() - c0]
spent["the run"] = [wall, r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime]
print(json.dumps(spent))
"""

# Which components run on the thread that makes the samples (the others overlap with it).
ON_MAIN_THREAD = ("lock", "resume check of finished shards", "determinism re-check (16 samples)",
                  "waiting for the last markers", "rows counted by the merge")


def components(args) -> str:
    """Each check timed inside one n_jobs=1 run of this tree (medians of --repeat runs)."""
    runs = []
    for _ in range(args.repeat):
        out = tempfile.mkdtemp(prefix="synthset-bench-", dir=args.dir)
        try:
            code = COMPONENTS.format(here=str(HERE), train=args.train, test=args.test, out=out)
            proc = subprocess.run([sys.executable, "-c", code], capture_output=True,
                                  env={**os.environ, "SYMPY_GROUND_TYPES": "python"})
            if proc.returncode:
                raise SystemExit(proc.stderr.decode()[-2000:])
            runs.append(json.loads(proc.stdout))
        finally:
            shutil.rmtree(out, ignore_errors=True)
    whole = [statistics.median(r["the run"][i] for r in runs) for i in (0, 1)]
    lines = ["| step | wall (s) | CPU (s) | share of the run's wall | on the sampling thread |",
             "|---|---:|---:|---:|---|"]
    main_wall = 0.0
    for name in [*ON_MAIN_THREAD, "marker thread: read, blake2b, fsync, marker", "the run"]:
        w, c = (statistics.median(r.get(name, [0.0, 0.0])[i] for r in runs) for i in (0, 1))
        on_main = name in ON_MAIN_THREAD
        main_wall += w if on_main else 0.0
        lines.append(f"| {name} | {w:.4f} | {c:.4f} | {100 * w / whole[0]:.2f}% | "
                     f"{'yes' if on_main else ('' if name == 'the run' else 'no')} |")
    lines.append(f"| **checks on the sampling thread, total** | {main_wall:.4f} | | "
                 f"**{100 * main_wall / whole[0]:.2f}%** | |")
    return "\n".join(lines)


SERIAL = """
import sys
sys.path.insert(0, {here!r})
from generators import integer_sum
from synthset.dataset import DatasetGenerator
DatasetGenerator(backend="serial", n_jobs=1, verbose=False).run(
    {{"train": {train}, "test": {test}}}, integer_sum, save_dir={out!r}, batch_size=100000)
"""
# The two sizes whose difference is the per-sample cost.
INSTRUCTION_SIZES = ((10_000, 500), (40_000, 2_000))


def count_instructions(src: str, train: int, test: int, where=None) -> int:
    """Instructions of one serial run of ``src``'s synthset (cachegrind's ``I refs``)."""
    out = tempfile.mkdtemp(prefix="synthset-bench-", dir=where)
    try:
        code = SERIAL.format(here=str(HERE), train=train, test=test, out=out)
        proc = subprocess.run(
            ["valgrind", "--tool=cachegrind", "--cache-sim=no",
             "--cachegrind-out-file=/dev/null", sys.executable, "-c", code],
            env={**os.environ, "PYTHONPATH": src, "PYTHONHASHSEED": "0",
                 "SYMPY_GROUND_TYPES": "python"}, capture_output=True)
        if proc.returncode:
            raise SystemExit(proc.stderr.decode()[-2000:])
        found = re.search(r"I\s+refs:\s+([\d,]+)", proc.stderr.decode())
        if found is None:
            raise SystemExit("no instruction count in valgrind's output: "
                             + proc.stderr.decode()[-500:])
        return int(found.group(1).replace(",", ""))
    finally:
        shutil.rmtree(out, ignore_errors=True)


def instructions(args) -> str:
    """A table of instructions, per sample, fixed and at --train + --test, for --prev and
    this tree (the first row is the base of the percentages)."""
    (t1, s1), (t2, s2) = INSTRUCTION_SIZES
    total = args.train + args.test
    lines = [f"| synthset | instructions, {t1 + s1:,} samples | {t2 + s2:,} samples | per sample "
             f"| fixed | at {args.train:,} + {args.test:,} |", "|---|---:|---:|---:|---:|---:|"]
    base = None
    for label, src in (("before", args.prev), ("after", args.src or str(HERE.parent / "src"))):
        small = count_instructions(src, t1, s1, args.dir)
        large = count_instructions(src, t2, s2, args.dir)
        per = (large - small) / (t2 + s2 - t1 - s1)
        fixed = small - per * (t1 + s1)
        at = fixed + per * total
        versus = "" if base is None else f" ({100 * (at / base - 1):+.1f}%)"
        base = at if base is None else base
        lines.append(f"| {label} | {small / 1e6:,.1f}M | {large / 1e6:,.1f}M | {per:,.0f} | "
                     f"{fixed / 1e6:,.0f}M | {at / 1e9:.2f}G{versus} |")
        print(lines[-1], file=sys.stderr)
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--prev", help="the src/ folder of the synthset to compare")
    ap.add_argument("--components", action="store_true",
                    help="instead: time each check inside n_jobs=1 runs of this tree")
    ap.add_argument("--instructions", action="store_true",
                    help="instead: count the instructions of serial runs of --prev and this "
                         "tree under cachegrind")
    ap.add_argument("--src", help="with --instructions: the src/ folder to measure against "
                                  "--prev (default: this tree's)")
    ap.add_argument("--ablate", action="store_true",
                    help="also run this tree with the checks cut out")
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--train", type=int, default=200_000)
    ap.add_argument("--test", type=int, default=10_000)
    ap.add_argument("--dir", help="where the runs write (default: the system's temporary "
                                  "folder; /dev/shm takes the disk, and fsync, out)")
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    if args.components:
        report("What each check costs inside one run",
               f"python bench/bench_checks.py --components --repeat {args.repeat}"
               + (f" --dir {args.dir}" if args.dir else ""),
               f"{args.train:,} + {args.test:,} samples of the trivial generator, n_jobs=1, "
               f"written to {args.dir or tempfile.gettempdir()}; medians of {args.repeat} runs; "
               "CPU of the calling thread", components(args), args.write)
        return
    if not args.prev:
        ap.error("--prev is needed (or --components)")
    if args.instructions:
        report("Instructions of the run lock, shard checks and determinism re-check",
               f"python bench/bench_checks.py --instructions --prev {args.prev}"
               + (f" --src {args.src}" if args.src else ""),
               "valgrind --tool=cachegrind --cache-sim=no, PYTHONHASHSEED=0; serial runs of "
               "the trivial generator, text + JSONL", instructions(args), args.write)
        return
    here_src = str(HERE.parent / "src")
    contenders = [  # label, PYTHONPATH, extra run() arguments
        ("previous main", args.prev, ""),
        ("this tree", here_src, ""),
        ("this tree, verify_determinism=0", here_src, ", verify_determinism=0"),
    ]
    if args.ablate:
        contenders.append(("this tree without the checks", make_ablated(),
                           ", verify_determinism=0"))
    rows = []
    for n_jobs in (1, 2):
        walls: dict[str, list[float]] = {label: [] for label, *_ in contenders}
        cpus: dict[str, list[float]] = {label: [] for label, *_ in contenders}
        for _ in range(args.repeat):
            for label, path, extra in contenders:
                env = {**os.environ, "PYTHONPATH": path, "SYMPY_GROUND_TYPES": "python"}
                code = RUN.format(here=str(HERE), n_jobs=n_jobs, train=args.train,
                                  test=args.test, out="OUT", extra=extra)
                took, cpu = measure([sys.executable, "-c", code], env, args.dir)
                walls[label].append(took)
                cpus[label].append(cpu)
        bases = [label for label in ("previous main", "this tree without the checks")
                 if label in walls]
        for label, *_ in contenders:
            wall, cpu = statistics.median(walls[label]), statistics.median(cpus[label])
            versus = " | ".join(
                f"{100 * (wall / statistics.median(walls[b]) - 1):+.1f}% / "
                f"{100 * (cpu / statistics.median(cpus[b]) - 1):+.1f}%" for b in bases)
            rows.append(f"| {n_jobs} | {label} | {wall:.3f} | {min(walls[label]):.3f} | "
                        f"{cpu:.3f} | {versus} |")
            print(rows[-1], file=sys.stderr)
    heads = [f"vs {b} (wall / CPU)" for b in bases]
    body = ("| n_jobs | synthset | median wall (s) | min wall (s) | median CPU (s) | "
            + " | ".join(heads) + " |\n|---:|---|---:|---:|---:|" + "---:|" * len(heads)
            + "\n" + "\n".join(rows))
    report("Cost of the run lock, shard checks and determinism re-check",
           f"python bench/bench_checks.py --prev {args.prev} "
           + "--ablate " * args.ablate + (f"--dir {args.dir} " if args.dir else "")
           + f"--repeat {args.repeat}",
           f"{args.train:,} + {args.test:,} samples of the trivial generator, text + JSONL, "
           f"written to {args.dir or tempfile.gettempdir()}, "
           f"loky; {args.repeat} interleaved runs per contender, whole-process wall times; CPU = "
           "user + system seconds of the driver and its workers",
           body, args.write)


if __name__ == "__main__":
    main()
