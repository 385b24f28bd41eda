"""The Sage face vs calt-x's Sage backend on the same generators, side by side in one run.

The generators are the ``sage_*`` ones of tests/calt_gens.py (CALT-style code that seeds Sage
and samples; the Sage golden files come from them): under calt-x's venv they use calt-x's
Sage sampler, under ours synthset's. Each contender runs in its own child process (after its
imports, 20 warm-up calls) and times N calls of the generator plus CALT's string conversion;
contenders alternate, REPEAT times, and the medians are reported.

    python bench/bench_sage.py [--n 500] [--repeat 3] [--calt-python PATH] [--write]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _report import report  # noqa: E402

LOOP = """
import os, sys, time
os.environ.setdefault("SYMPY_GROUND_TYPES", "python")
sys.path.insert(0, {root!r})
from tests import calt_gens
gen = getattr(calt_gens, {name!r})
try:
    from synthset.core.nested import to_strings
    who = "synthset"
except ImportError:  # under calt-x: its own conversion
    from calt.dataset.sagemath.dataset_generator import DatasetGenerator
    to_strings = DatasetGenerator()._convert_nested_structure
    who = "calt"
for seed in range(20):
    gen(seed)  # warm caches (Sage's parents, imports)
c0, w0 = time.process_time(), time.perf_counter()
for seed in range(100, 100 + {n}):
    p, a = gen(seed)
    to_strings(p), to_strings(a)
print(who, (time.process_time() - c0) / {n}, (time.perf_counter() - w0) / {n})
"""


def child(python: str, name: str, n: int) -> tuple[float, float]:
    code = LOOP.format(root=str(HERE.parent), name=name, n=n)
    out = subprocess.run([python, "-c", code], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stderr[-2000:])
    who, cpu, wall = out.stdout.split()[-3:]
    return float(cpu), float(wall)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--calt-python", default=str(HERE / ".peers/calt/bin/python"))
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    if not Path(args.calt_python).exists():
        raise SystemExit(f"{args.calt_python} not found: run `make peers` first")
    sys.path.insert(0, str(HERE.parent))
    from tests.calt_gens import SAGE_GENERATORS

    contenders = [("synthset (sagemath face)", sys.executable),
                  ("calt-x 1.5.0 (Sage backend)", args.calt_python)]
    lines = ["| generator | synthset CPU/sample (ms) | calt-x CPU/sample (ms) "
             "| calt-x / synthset |",
             "|---|---:|---:|---:|"]
    for name in SAGE_GENERATORS:
        runs = {label: [] for label, _ in contenders}
        for _ in range(args.repeat):
            for label, python in contenders:  # alternate, so drift hits both
                runs[label].append(child(python, name, args.n))
        ours, theirs = (statistics.median(cpu for cpu, _ in runs[label])
                        for label, _ in contenders)
        print(f"{name:<22} synthset {ours * 1e3:7.3f} ms  calt-x {theirs * 1e3:7.3f} ms  "
              f"{theirs / ours:5.2f}x", file=sys.stderr)
        lines.append(f"| `{name}` | {ours * 1e3:.3f} | {theirs * 1e3:.3f} | "
                     f"{theirs / ours:.2f}x |")
    report("Sage face vs calt-x's Sage backend",
           f"python bench/bench_sage.py --n {args.n} --repeat {args.repeat}",
           "medians of CPU time per sample: the generator call plus CALT's string conversion, "
           "after imports and 20 warm-up calls, each contender in its own process, alternating; "
           "the generators are tests/calt_gens.py's sage_*, whose outputs are byte-identical "
           "under both (tests/golden/sage_*)", "\n".join(lines), args.write)


if __name__ == "__main__":
    main()
