"""``score_answer`` throughput: answers judged per second per core, for every task family.

    python bench/bench_score.py [--seconds 1.5] [--examples 200] [--write]

Each task scores its own examples' answers (all right) and another example's answers (mostly
wrong) in this process for about ``--seconds``; medians of 3. Algebra problems run on the
flint backend (the fast one; the verifier is independent of it). Lano is also reported as
milliseconds per sentence (cfg3f at its defaults: half of the sentence is the answer).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import synthset

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import report  # noqa: E402

TASKS = [("depo1", {}), ("brevo1", {}), ("mano10", {}), ("lano_cfg3f", {}),
         ("capo", {"N": 1000}), ("integer_sum", {}), ("gf17_addition", {}),
         ("integer_factorization", {}), ("eigenvector", {}), ("poly_sum", {}),
         ("poly_product", {}), ("poly_addition", {}), ("poly_gcd", {}), ("poly_factor", {}),
         ("groebner", {}), ("unimodular_inverse", {})]


def rate(task, pairs, seconds: float) -> float:
    done, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for text, ex in pairs:
            task.score_answer(text, ex)
        done += len(pairs)
    return done / (time.perf_counter() - t0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=1.5)
    ap.add_argument("--examples", type=int, default=200)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    lines = ["| task | backend | right answers/s | wrong answers/s | µs per answer (right) |",
             "| --- | --- | ---: | ---: | ---: |"]
    for name, config in TASKS:
        kind = synthset.get_task(name).describe()["kind"]
        backend = "flint" if synthset.get_task(name).describe()["backends"] else None
        task = synthset.get_task(name, backend=backend, **config) if backend else \
            synthset.get_task(name, **config)
        rng = random.Random(0)
        exs = [task.generate_example(rng) for _ in range(args.examples)]
        right = [(ex["answer"], ex) for ex in exs]
        wrong = [(exs[i - 1]["answer"], ex) for i, ex in enumerate(exs)]
        r = statistics.median(rate(task, right, args.seconds) for _ in range(3))
        w = statistics.median(rate(task, wrong, args.seconds) for _ in range(3))
        lines.append(f"| {name} | {backend or '-' if kind == 'algebra' else '-'} | {r:,.0f} | "
                     f"{w:,.0f} | {1e6 / r:,.1f} |")
        print(lines[-1], flush=True)
    report("score_answer throughput",
           f"python bench/bench_score.py --seconds {args.seconds} --examples {args.examples}",
           f"{args.examples} examples a task, medians of 3 runs of {args.seconds} s",
           "\n".join(lines), args.write)


if __name__ == "__main__":
    main()
