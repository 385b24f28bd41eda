"""What the run lock, the shard checks (fsync, sizes, row counts, blake2b hashes in the
markers, rows counted at the merge) and the determinism re-check cost, side by side with an
older synthset.

    git archive 2698e01 src | tar -x -C /tmp/prev12        # the older tree to compare with
    python bench/bench_checks.py --prev /tmp/prev12/src [--ablate] [--repeat 9] [--write]

``--ablate`` adds a copy of this tree's src/, made afresh, with the checks cut out
(``ABLATIONS``: the lock returns at once, markers are written in the shard's process as before
— no hash, no fsync, no marker thread —, the merge copies without counting) and runs it with
verify_determinism=0: the difference between it and this tree is what the checks cost, apart
from whatever else changed since --prev.

The trivial workload of bench_engine.py (integer sum, 200,000 train + 10,000 test, text +
JSONL, loky) at n_jobs 1 and 2. Each contender runs as a child process; their runs are
interleaved (A B C, A B C, ...) so that a load on the machine falls on all of them alike, and
the medians and minima of the wall times are reported, with the median CPU seconds of the
run (the driver's threads and its loky workers), which a busy machine disturbs far less.
"""

from __future__ import annotations

import argparse
import os
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
    ("io/formats.py",
     '                with as_path(part).open("rb") as src:\n',
     '                with as_path(part).open("rb") as src:\n'
     "                    shutil.copyfileobj(src, out, _BUFFER)\n"
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


def measure(argv, env) -> tuple[float, float]:
    """Wall seconds of the child process, and the CPU seconds it and its workers used."""
    out = tempfile.mkdtemp(prefix="synthset-bench-")
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--prev", required=True, help="the src/ folder of the synthset to compare")
    ap.add_argument("--ablate", action="store_true",
                    help="also run this tree with the checks cut out")
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--train", type=int, default=200_000)
    ap.add_argument("--test", type=int, default=10_000)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
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
                took, cpu = measure([sys.executable, "-c", code], env)
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
    report("Cost of the run lock, shard checks and determinism re-check (issue 12)",
           f"python bench/bench_checks.py --prev {args.prev} "
           + "--ablate " * args.ablate + f"--repeat {args.repeat}",
           f"{args.train:,} + {args.test:,} samples of the trivial generator, text + JSONL, "
           f"loky; {args.repeat} interleaved runs per contender, whole-process wall times; CPU = "
           "user + system seconds of the driver and its workers",
           body, args.write)


if __name__ == "__main__":
    main()
