"""Algebra backends: per-sample cost of samplers and problems, synthset vs calt-x vs backends.

Each contender runs in its own child process (after its imports) and times N calls of a
generator plus CALT's string conversion, REPEAT times; medians are reported.

    python bench/bench_algebra.py [--n 2000] [--repeat 3] [--calt-python PATH] [--write]
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
t0 = time.perf_counter()
sys.path.insert(0, {here!r})
{setup}
import_s = time.perf_counter() - t0
try:
    from synthset.core.nested import to_strings
except ImportError:  # under calt-x: its own conversion
    from calt.dataset.sympy.dataset_generator import DatasetGenerator
    to_strings = DatasetGenerator()._convert_nested_structure
for seed in range(20):
    gen(seed)  # warm caches (rings, contexts)
c0, w0 = time.process_time(), time.perf_counter()
for seed in range({n}):
    p, a = gen(seed)
    to_strings(p), to_strings(a)
print(import_s, (time.process_time() - c0) / {n}, (time.perf_counter() - w0) / {n})
"""

SYNTHSET_TASK = """
from synthset.tasks.registry import get_task as make_problem
gen = make_problem({name!r}, backend={backend!r}, **{params!r})
"""
SAMPLER = """
from algebra_gens import product
gen = product({field!r})
"""


def child(python: str, setup: str, n: int) -> tuple[float, float, float]:
    code = LOOP.format(here=str(HERE), setup=setup, n=n)
    out = subprocess.run([python, "-c", code], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stderr[-2000:])
    imp, cpu, wall = map(float, out.stdout.split())
    return imp, cpu, wall


def measure(python, setup, n, repeat):
    runs = [child(python, setup, n) for _ in range(repeat)]
    return tuple(statistics.median(r[i] for r in runs) for i in range(3))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--calt-python", default=str(HERE / ".peers/calt/bin/python"))
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    calt = args.calt_python if Path(args.calt_python).exists() else None
    py = sys.executable
    rows = []

    def add(group, label, python, setup, n=args.n):
        imp, cpu, wall = measure(python, setup, n, args.repeat)
        rows.append((group, label, imp, cpu, wall))
        print(f"{group:<34} {label:<34} import {imp:5.2f} s  {cpu * 1e3:8.3f} ms CPU  "
              f"{1 / wall:10,.0f}/s", file=sys.stderr)

    for field in ("GF(7)", "QQ"):
        group = f"sampler + product, {field}[x,y]"
        add(group, "synthset sympy (CALT's draws)", py, SAMPLER.format(field=field))
        if calt:
            add(group, "calt-x 1.5.0 sympy", calt, SAMPLER.format(field=field))
    tasks = [
        ("poly_product GF(7)[x,y] deg<=5, 10 terms", "poly_product",
         {"field": "GF(7)", "max_degree": 5, "max_num_terms": 10}),
        ("poly_product QQ[x,y] deg<=5, 10 terms", "poly_product",
         {"field": "QQ", "max_degree": 5, "max_num_terms": 10}),
        ("poly_product GF(7)[x,y,z] deg<=8, 20 terms", "poly_product",
         {"symbols": "x, y, z", "field": "GF(7)", "max_degree": 8, "max_num_terms": 20}),
        ("poly_factor QQ[x,y,z], 2 factors", "poly_factor",
         {"symbols": "x, y, z", "field": "QQ", "max_degree": 3, "max_num_terms": 5}),
        ("poly_gcd GF(32003)[x,y,z]", "poly_gcd",
         {"symbols": "x, y, z", "field": "GF(32003)", "max_degree": 4, "max_num_terms": 6}),
        ("poly_factor GF(7)[x,y] (not on sympy)", "poly_factor", {"field": "GF(7)"}),
    ]
    for group, name, params in tasks:
        for backend in ("sympy", "flint", "sagemath"):
            if backend == "sympy" and "not on sympy" in group:
                continue
            n = args.n // 10 if backend == "sympy" and name in ("poly_factor", "poly_gcd") \
                else args.n
            add(group, f"synthset {backend}", py,
                SYNTHSET_TASK.format(name=name, backend=backend, params=params), n)

    lines = ["| workload | contender | import (s) | CPU per sample (ms) | samples/s (1 core) |"
             " vs sympy |", "|---|---|---:|---:|---:|---:|"]
    base = {}
    for group, label, imp, cpu, wall in rows:
        if "sympy" in label and "calt" not in label:
            base[group] = wall
        ratio = f"{base[group] / wall:.1f}x" if group in base else ""
        lines.append(f"| {group} | {label} | {imp:.2f} | {cpu * 1e3:.3f} | {1 / wall:,.0f} |"
                     f" {ratio} |")
    report("Algebra backends", f"python bench/bench_algebra.py --n {args.n} --repeat {args.repeat}",
           "medians; per-sample cost of the generator call plus CALT's string conversion, after imports and 20 warm-up calls", "\n".join(lines), args.write)


if __name__ == "__main__":
    main()
