"""Reasoning-task throughput: generation and validation tokens/s per core, Lano parse time.

    python bench/bench_tasks.py [--seconds 2] [--presets capo depo1 ...] [--write]

Each measurement runs one task in this process for about ``--seconds`` and reports tokens/s
(rows' ``input_ids``; Capo: characters of text). Medians of 3.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import synthset.tasks as T

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import report  # noqa: E402
PRESETS = ["depo1", "depo2", "brevo1", "brevo2", "mano10", "lano_cfg3f", "lano_cfg3j",
           "lano_cfg3k", "capo"]


def _size(row) -> int:
    return len(row["input_ids"]) if "input_ids" in row else len(row["text"])


def rate(fn, seconds: float) -> float:
    tokens, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        tokens += fn()
    return tokens / (time.perf_counter() - t0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--presets", nargs="+", default=PRESETS, choices=PRESETS)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    lines = ["| preset | mode | generate (tokens/s) | validate (tokens/s) | tokens/row |",
             "|---|---|---:|---:|---:|"]
    for preset in args.presets:
        for qa in (False, True):
            if qa and preset.startswith(("lano", "capo")):
                continue
            task = T.get(preset, qa=True) if qa else T.get(preset)
            it = task.iter_examples(0)
            gen = statistics.median(rate(lambda: _size(next(it)), args.seconds)
                                    for _ in range(3))
            rows = task.take(1, 200)
            k = [0]

            def validate():
                row = rows[k[0] % len(rows)]
                k[0] += 1
                task.validate_example(row)
                return _size(row)

            val = statistics.median(rate(validate, args.seconds) for _ in range(3))
            mean_len = sum(map(_size, rows)) / len(rows)
            mode = "evaluation (qa)" if qa else "training"
            lines.append(f"| {preset} | {mode} | {gen:,.0f} | {val:,.0f} | {mean_len:.0f} |")
            print(lines[-1], flush=True)
    parse = ["| grammar | sentences | mean length | parse ms/sentence (median) | max ms |",
             "|---|---:|---:|---:|---:|"]
    grammars = [p.split("_")[1] for p in args.presets if p.startswith("lano_")]
    for grammar in grammars:
        task = T.get("lano", grammar=grammar)
        times, lengths = [], []
        for row in task.iter_examples(2, 100):
            s = row["input_ids"][1:]
            t0 = time.perf_counter()
            assert task.parses(s)
            times.append((time.perf_counter() - t0) * 1e3)
            lengths.append(len(s))
        parse.append(f"| {grammar} | 100 | {sum(lengths) / 100:.0f} | "
                     f"{statistics.median(times):.2f} | {max(times):.2f} |")
        print(parse[-1], flush=True)
    body = "\n".join(lines)
    if grammars:
        body += "\n\nLano membership (the parser in tasks/lano.py):\n\n" + "\n".join(parse)
    chosen = "" if args.presets == PRESETS else " --presets " + " ".join(args.presets)
    report("Reasoning tasks", f"python bench/bench_tasks.py --seconds {args.seconds}{chosen}",
           "one core; medians of 3; Capo counts characters", body, args.write)


if __name__ == "__main__":
    main()
