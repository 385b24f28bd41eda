"""Speed of the task-library bridges: per dataset, the library's own single-process loop
beside synthset's engine at n_jobs=2 writing the same number of samples, in one run.

    python bench/bench_bridges.py [--datasets rg/chain_sum rcore/arithmetics ...]
                                  [--seconds 1.5] [--repeats 3]

The library's loop: reasoning-gym ``create_dataset(NAME, seed=0, size=n)`` then ``ds[i]`` for
every i; reasoning-core ``get_task(NAME).generate_example()`` n times (its token counter the
same offline one the bridge uses). synthset: ``DatasetPipeline(task=LIB/NAME, n_jobs=2,
save_text=False, verify_determinism=0)`` — generation, JSON Lines, statistics, manifest,
dataset card; not the default re-check of 16 samples in a fresh process at the end of a run,
a fixed cost whatever the run's size (for reasoning-gym about 0.9 s of CPU, nearly all
of it ``import reasoning_gym`` in the fresh process; about 6 s of wall time at load 10) that would only measure the run's size. n is chosen so that the loop takes about ``--seconds``. The two are run
alternately ``--repeats`` times and the medians compared: wall clock, and CPU time (user +
system of the process and of the engine's workers), which a loaded machine disturbs far less.
The machine's load average is recorded with each dataset: the wall figures are only as good
as it. ``cpu_ratio`` is synthset's CPU per sample over the library's: the engine's own cost;
on an idle machine with 2 free cores n_jobs=2 runs about 2 / cpu_ratio times the loop.

Writes bench/results/bridges_speed.csv (the rows of the datasets measured; those of the
others already in the file are kept).

    python bench/bench_bridges.py --overlap [NAME ...] [--overlap-samples 10000]

measures instead how much of the test split a train split holds: ``synthset check`` (the set
of dedup keys: any index) beside reasoning-gym's index-aligned figure (item i of seed 0 against
item i of seed 1), then with ``dedup: splits``. Writes bench/results/bridges_overlap.csv.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "results" / "bridges_speed.csv"
# A spread of cheap and costly datasets of both libraries (all of them take hours here).
DEFAULT = [
    "rg/chain_sum", "rg/basic_arithmetic", "rg/spell_backward", "rg/letter_counting",
    "rg/number_sorting", "rg/gcd", "rg/caesar_cipher", "rg/mini_sudoku", "rg/maze",
    "rg/propositional_logic", "rg/family_relationships", "rg/sudoku", "rg/zebra_puzzles",
    "rcore/arithmetics", "rcore/graph_successors", "rcore/table_qa",
]


def library_loop(name: str):
    """A function of n running the library's own loop over n items."""
    library, _, dataset = name.partition("/")
    if library == "rg":
        from reasoning_gym import create_dataset

        def run(n):
            ds = create_dataset(dataset, seed=0, size=n)
            for i in range(n):
                ds[i]
        return run
    from synthset.tasks.bridges.rcore import _patched, _Words
    import reasoning_core

    with _patched(_load_tokenizer=_Words):
        task = reasoning_core.get_task(dataset)
    task.tokenizer = _Words()

    def run(n):
        for _ in range(n):
            task.generate_example()
    return run


def engine_run(name: str, n: int, folder: Path) -> None:
    from synthset.dataset import DatasetPipeline

    shutil.rmtree(folder, ignore_errors=True)
    DatasetPipeline(task=name, save_dir=str(folder), num_train_samples=n, num_test_samples=0,
                    n_jobs=2, batch_size=100_000, save_text=False, verbose=False,
                    verify_determinism=0).run()


def cpu() -> float:
    """CPU seconds (user + system) of this process and of its finished children (the
    engine's workers)."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def timed_cpu(fn, *args) -> tuple[float, float]:
    """(wall, CPU) seconds of one call."""
    start, start_cpu = time.perf_counter(), cpu()
    fn(*args)
    return time.perf_counter() - start, cpu() - start_cpu


OVERLAP_OUT = HERE / "results" / "bridges_overlap.csv"
# reasoning-gym's own collision analysis named the first four; the rest are a spread.
OVERLAP = ["spell_backward", "string_synthesis", "string_splitting", "self_reference",
           "chain_sum", "basic_arithmetic", "gcd", "letter_counting", "number_sorting",
           "caesar_cipher", "word_sorting", "power_function", "count_bits", "lcm",
           "mini_sudoku", "leg_counting"]


def overlap(datasets: list[str], count: int, out: Path) -> None:
    """``synthset check`` (set-based, by dedup key) on ``count`` train and ``count`` test
    samples beside reasoning-gym's index-aligned figure (seed 0 and seed 1, item i of one
    against item i of the other), then the same run with ``dedup: splits``."""
    from reasoning_gym import create_dataset

    from synthset.dataset import DatasetPipeline
    from synthset.quality import check_run

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in datasets:
            a = create_dataset(name, seed=0, size=count)
            b = create_dataset(name, seed=1, size=count)
            aligned = sum(a[i]["question"] == b[i]["question"] for i in range(count))
            row = {"dataset": name, "samples_per_split": count,
                   "rg_index_aligned_same": aligned,
                   "rg_index_aligned_rate": round(aligned / count, 4)}
            for dedup in ("off", "splits"):
                folder = Path(tmp, f"{name}_{dedup}")
                try:
                    DatasetPipeline(task=f"rg/{name}", save_dir=str(folder),
                                    num_train_samples=count, num_test_samples=count,
                                    n_jobs=2, batch_size=100_000, save_text=False,
                                    verbose=False, dedup=dedup).run()
                except Exception as exc:
                    row[f"dedup_{dedup}_test_in_train"] = ""
                    row[f"dedup_{dedup}_note"] = " ".join(str(exc).split())[:300]
                    continue
                report = check_run(folder, figures=False, verbose=False)
                pair = report["overlap"][0]
                row[f"dedup_{dedup}_test_in_train"] = pair["b_in_a"]
                row[f"dedup_{dedup}_note"] = (
                    f"{pair['rate']:.2%} of a split; "
                    f"{report['splits']['train'].get('duplicates', '')} duplicates in train"
                    if dedup == "off" else "")
                shutil.rmtree(folder, ignore_errors=True)
            rows.append(row)
            print(", ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--overlap", nargs="*", default=None, metavar="NAME",
                        help="measure split overlap instead (reasoning-gym NAMEs; none: "
                             "the default list) on --overlap-samples per split")
    parser.add_argument("--overlap-samples", type=int, default=10_000)
    parser.add_argument("--datasets", nargs="*", default=DEFAULT)
    parser.add_argument("--seconds", type=float, default=1.5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args()
    if args.overlap is not None:
        overlap(args.overlap or OVERLAP, args.overlap_samples,
                Path(args.out if args.out != str(OUT) else OVERLAP_OUT))
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.datasets:
            try:
                loop = library_loop(name)
                loop(3)  # warm: imports, word lists
                # per item, without the dataset's construction (a word list, ...)
                probe = max((timed(loop, 401) - timed(loop, 1)) / 400, 1e-6)
                n = int(min(max(args.seconds / probe, 200), 50_000))
                engine_run(name, min(n, 200), Path(tmp, "warm"))  # the workers' imports
                own, ours = [], []
                load = os.getloadavg()[0]
                for _ in range(args.repeats):
                    own.append(timed_cpu(loop, n))
                    ours.append(timed_cpu(engine_run, name, n, Path(tmp, "run")))
            except Exception as exc:
                print(f"{name}: failed: {type(exc).__name__}: {exc}"[:300], flush=True)
                continue
            a, b = (statistics.median(w for w, _ in x) for x in (own, ours))
            ca, cb = (statistics.median(c for _, c in x) for x in (own, ours))
            row = {"dataset": name, "samples": n,
                   "library_wall_us": round(a / n * 1e6, 1),
                   "synthset_n_jobs2_wall_us": round(b / n * 1e6, 1),
                   "wall_speedup": round(a / b, 2),
                   "library_cpu_us": round(ca / n * 1e6, 1),
                   "synthset_cpu_us": round(cb / n * 1e6, 1),
                   "cpu_ratio": round(cb / ca, 2),
                   "load_avg_1min": round((load + os.getloadavg()[0]) / 2, 2),
                   "repeats": args.repeats}
            rows.append(row)
            print(", ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    out = Path(args.out)
    if not rows:
        raise SystemExit(f"no dataset measured: {out} left as it was")
    rows = merged(out, rows)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {out}")


def merged(out: Path, rows: list[dict]) -> list[dict]:
    """The rows already in ``out`` with this run's rows in place of those of the same
    dataset (in the file's order; new datasets last): a run of a few datasets keeps the
    others' figures."""
    if not rows or not out.exists():
        return rows
    new = {row["dataset"]: row for row in rows}
    with out.open(newline="") as f:
        old = list(csv.DictReader(f))
    if not old or list(old[0]) != list(rows[0]):  # another layout: this run's rows only
        return rows
    kept = [new.pop(row["dataset"], row) for row in old]
    return kept + list(new.values())


if __name__ == "__main__":
    main()
