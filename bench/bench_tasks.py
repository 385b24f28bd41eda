"""Reasoning-task throughput: generation and validation tokens/s per core, Lano parse time;
and (--engine) every built-in task through the engine against its own generate_example loop.

    python bench/bench_tasks.py [--seconds 2] [--presets capo depo1 ...] [--write]
    python bench/bench_tasks.py --engine [--seconds 2] [--tasks poly_product ...] [--write]

Each measurement runs one task in this process for about ``--seconds`` and reports tokens/s
(rows' ``input_ids``; Capo: characters of text). Medians of 3.

--engine: per registry task (its default level; the flint backend where it has one), the
samples per CPU second of a whole run through the engine (``DatasetPipeline``, text + JSONL,
default statistics and determinism re-check, on_error: skip as the loops skip a seed that
fails, its child processes' CPU included) at n_jobs=1 and 2, against two loops of the task
alone, each sample from its run seed:

- the task's own loop writing what the run writes (``bare``): ``task(seed)``, then the
  sample's text line and JSON line (the format table's encoders: the run's bytes) written to
  two files. Like for like: the engine's extra work is its statistics, shards, markers,
  merge, card and determinism re-check. ratio = engine n_jobs=1 / bare.
- ``task.generate_example(random.Random(seed))`` (the earlier yardstick): the record and its
  prompt/answer view, no line written (an algebra problem's prompt is its text line's
  problem; a token task decodes texts the run does not write). ratio vs generate_example.

Both loops run in this process, alternating with the engine runs (medians of 3). CPU time,
not wall: the ratios hold on a loaded machine.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import synthset.tasks as T
from synthset.core.seeding import derive_seed, derive_seeds
from synthset.dataset import DatasetPipeline
from synthset.tasks.registry import REGISTRY, get_task

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


def cpu() -> float:
    """CPU seconds of this process (every thread) and of its finished children."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def backend_of(name: str) -> str:
    """flint where the task runs on it, else sympy (the reasoning tasks ignore it)."""
    task = get_task(name)
    return "flint" if "flint" in task.backends() else "sympy"


def alone(task, seconds: float) -> float:
    """CPU seconds per ``generate_example`` call, over about ``seconds``: each from its own
    seed, as a run seeds its samples (the loop makes the samples a run writes)."""
    made = tried = 0
    t0 = time.process_time()
    while time.process_time() - t0 < seconds:
        for _ in range(20):
            try:
                task.generate_example(random.Random(derive_seed(0, "train", tried)))
                made += 1
            except Exception:  # a seed the task cannot use (a degenerate ideal): skipped
                pass
            tried += 1
    return (time.process_time() - t0) / made


def bare_loop(task, count: int) -> float:
    """CPU seconds per sample of the task's own loop writing what a run writes: ``count``
    samples from their run seeds, each as its text line and JSON line, written to two files
    (a seed the task cannot use is skipped, as a run under on_error: skip replaces it)."""
    from synthset.core.nested import to_strings
    from synthset.io.formats import get_format

    text, json = get_format("text"), get_format("json")
    out = tempfile.mkdtemp(prefix="synthset-bench-")
    made = 0
    try:
        t0 = time.process_time()
        with open(f"{out}/raw.txt", "w", encoding="utf-8", newline="\n") as ft, \
                open(f"{out}/data.jsonl", "w", encoding="utf-8", newline="\n") as fj:
            for seed in derive_seeds(0, "train", 0, count):
                try:
                    sample = task(seed)
                    if type(sample) is dict:  # a task row
                        lines = text.encode_row(sample), json.encode_row(sample)
                    else:  # a (problem, answer) pair
                        problem, answer = to_strings(sample[0]), to_strings(sample[1])
                        lines = text.encode(problem, answer), json.encode(problem, answer)
                except Exception:  # a seed the task cannot use: skipped
                    continue
                ft.write(lines[0])
                fj.write(lines[1])
                made += 1
        return (time.process_time() - t0) / max(made, 1)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def through_engine(name: str, backend: str, count: int, n_jobs: int) -> float:
    """Samples per CPU second of a fresh run of ``count`` train samples of task ``name``."""
    out = tempfile.mkdtemp(prefix="synthset-bench-")
    try:
        t0 = cpu()
        DatasetPipeline(task=name, backend=backend, save_dir=out, num_train_samples=count,
                        num_test_samples=0, n_jobs=n_jobs, verbose=False,
                        on_error="skip").run()
        return count / (cpu() - t0)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def engine_table(names, seconds: float) -> str:
    lines = ["| task | backend | µs/sample generate_example | µs/sample bare loop | samples "
             "| engine n_jobs=1 (samples/CPU s) | ratio vs bare | ratio vs generate_example "
             "| engine n_jobs=2 (samples/CPU s) |", "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name in names:
        backend = backend_of(name)
        task = get_task(name, backend=backend)
        each = alone(task, seconds)
        count = max(200, int(seconds / each))
        bare, one = [], []
        for _ in range(3):  # alternating: the loop, then the engine
            bare.append(bare_loop(task, count))
            one.append(through_engine(name, backend, count, 1))
        bare, one = statistics.median(bare), statistics.median(one)
        two = statistics.median(through_engine(name, backend, count, 2) for _ in range(3))
        lines.append(f"| {name} | {backend} | {each * 1e6:,.1f} | {bare * 1e6:,.1f} | "
                     f"{count:,} | {one:,.0f} | {one * bare:.2f}x | {one * each:.2f}x | "
                     f"{two:,.0f} |")
        print(lines[-1], flush=True)
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--presets", nargs="+", default=PRESETS, choices=PRESETS)
    ap.add_argument("--engine", action="store_true")
    ap.add_argument("--tasks", nargs="+", default=list(REGISTRY), choices=list(REGISTRY))
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    if args.engine:
        chosen = "" if args.tasks == list(REGISTRY) else " --tasks " + " ".join(args.tasks)
        report("Built-in tasks through the engine",
               f"python bench/bench_tasks.py --engine --seconds {args.seconds}{chosen}",
               "CPU time, this process and its children; medians of 3 alternating loop/engine "
               "runs",
               engine_table(args.tasks, args.seconds), args.write)
        return
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
