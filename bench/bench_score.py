"""``score_answer`` throughput: answers judged per CPU second, for every task family, and side by
side with reasoning-gym's ``score_answer`` on its comparable datasets.

    python bench/bench_score.py [--seconds 1.5] [--examples 200] [--tasks NAME ...]
                                [--peer PYTHON] [--write]

Each task scores, in this process for about ``--seconds`` of CPU time each (medians of 3):
its own examples' answers as stored (right: ``score_answer`` takes them at once), the same
answers through the verifier alone (``_score``: what a right answer spelled another way
costs), and another example's answers (mostly wrong: the verifier judges them). Algebra
problems run on the flint backend (the fast one; the verifier is independent of it).

``--peer`` is the Python of a virtual environment with reasoning-gym (`make peers` makes
bench/.peers/rg, the default when it exists): this script runs there as a child, scoring each
comparable dataset's own answers and the previous entry's answers with its ``score_answer``,
the same way.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _report import report  # noqa: E402

TASKS = [("depo1", {}), ("brevo1", {}), ("mano10", {}), ("lano_cfg3f", {}),
         ("capo", {"N": 1000}), ("integer_sum", {}), ("gf17_addition", {}),
         ("integer_factorization", {}), ("eigenvector", {}), ("poly_sum", {}),
         ("poly_product", {}), ("poly_addition", {}), ("poly_gcd", {}), ("poly_factor", {}),
         ("groebner", {}), ("unimodular_inverse", {})]
# synthset task -> reasoning-gym datasets (at their defaults) that pose the same kind of problem
PEERS = {"integer_sum": ["chain_sum", "basic_arithmetic"],
         "integer_factorization": ["prime_factorization"],
         "poly_product": ["polynomial_multiplication"],
         "brevo1": ["shortest_path"]}


def rate(score, pairs, seconds: float) -> float:
    """Answers ``score(text, example)`` judges per CPU second (this process's clock: what a
    core of its own gives on a machine other jobs share)."""
    done, t0 = 0, time.process_time()
    while time.process_time() - t0 < seconds:
        for text, ex in pairs:
            score(text, ex)
        done += len(pairs)
    return done / (time.process_time() - t0)


def median_rate(score, pairs, seconds: float) -> float:
    return statistics.median(rate(score, pairs, seconds) for _ in range(3))


def right_and_wrong(examples: list) -> tuple[list, list]:
    """Each example with its own answer, and with the previous example's answer."""
    return ([(ex["answer"], ex) for ex in examples],
            [(examples[i - 1]["answer"], ex) for i, ex in enumerate(examples)])


def peer_side(names: list[str], seconds: float, examples: int) -> None:
    """In reasoning-gym's environment: ``{dataset: [right/s, wrong/s], "version": ...}``."""
    from importlib.metadata import version

    from reasoning_gym import create_dataset

    out = {"version": version("reasoning_gym")}
    for name in names:
        ds = create_dataset(name, seed=0, size=examples)
        right, wrong = right_and_wrong(list(ds))
        out[name] = [median_rate(ds.score_answer, right, seconds),
                     median_rate(ds.score_answer, wrong, seconds)]
    print(json.dumps(out))


def peer_rates(python: str, names: list[str], seconds: float, examples: int) -> dict:
    argv = [python, __file__, "--peer-side", *names, "--seconds", str(seconds), "--examples",
            str(examples)]
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"the peer failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=1.5)
    ap.add_argument("--examples", type=int, default=200)
    ap.add_argument("--tasks", nargs="+", choices=[n for n, _ in TASKS],
                    default=[n for n, _ in TASKS])
    ap.add_argument("--peer", default=str(HERE / ".peers/rg/bin/python"),
                    help="the Python of a venv with reasoning-gym")
    ap.add_argument("--peer-side", nargs="+", help=argparse.SUPPRESS)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    if args.peer_side:
        return peer_side(args.peer_side, args.seconds, args.examples)
    import synthset

    peer = args.peer if Path(args.peer).exists() else None
    if peer is None:
        print(f"note: no reasoning-gym at {args.peer}; run `make peers` to compare",
              file=sys.stderr)
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    lines = ["| task | backend | right answers/s | right, verifier only/s | wrong answers/s |"
             " µs per answer (right) |", "| --- | --- | ---: | ---: | ---: | ---: |"]
    ours = {}
    for name, config in TASKS:
        if name not in args.tasks:
            continue
        backend = "flint" if synthset.get_task(name).describe()["backends"] else None
        task = synthset.get_task(name, backend=backend, **config) if backend else \
            synthset.get_task(name, **config)
        rng = random.Random(0)
        right, wrong = right_and_wrong([task.generate_example(rng)
                                        for _ in range(args.examples)])
        r = median_rate(task.score_answer, right, args.seconds)
        v = median_rate(task._score, right, args.seconds)
        w = median_rate(task.score_answer, wrong, args.seconds)
        ours[name] = (r, w)
        lines.append(f"| {name} | {backend or '-'} | {r:,.0f} | {v:,.0f} | {w:,.0f} | "
                     f"{1e6 / r:,.2f} |")
        print(lines[-1], flush=True)
    body = "\n".join(lines)
    command = (f"python bench/bench_score.py --seconds {args.seconds} --examples "
               f"{args.examples}")
    if len(args.tasks) < len(TASKS):
        command += f" --tasks {' '.join(args.tasks)}"
    if peer:
        pairs = [(n, d) for n in ours for d in PEERS.get(n, [])]
        theirs = peer_rates(peer, [d for _, d in pairs], args.seconds, args.examples)
        side = ["", f"Side by side with reasoning-gym {theirs['version']} (its datasets at "
                f"their defaults; ratio: synthset's rate over reasoning-gym's):", "",
                "| synthset task | reasoning-gym dataset | right/s synthset | right/s "
                "reasoning-gym | ratio | wrong/s synthset | wrong/s reasoning-gym | ratio |",
                "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for name, dataset in pairs:
            (r, w), (pr, pw) = ours[name], theirs[dataset]
            side.append(f"| {name} | {dataset} | {r:,.0f} | {pr:,.0f} | {r / pr:.2f}x | "
                        f"{w:,.0f} | {pw:,.0f} | {w / pw:.2f}x |")
            print(side[-1], flush=True)
        body += "\n" + "\n".join(side)
        command += f" --peer {args.peer}"
    report("score_answer throughput", command,
           f"{args.examples} examples a task, medians of 3 runs of {args.seconds} s of CPU "
           f"time; load average {load}", body, args.write)


if __name__ == "__main__":
    main()
