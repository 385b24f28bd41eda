"""Speed of the task-library bridges: per dataset, the library's own single-process loop
beside synthset's engine at n_jobs=2 writing the same number of samples, in one run.

    python bench/bench_bridges.py [--datasets rg/chain_sum rcore/arithmetics ...]
                                  [--seconds 1.5] [--repeats 3] [--samples N]

The library's loop: reasoning-gym ``create_dataset(NAME, seed=0, size=n)`` then ``ds[i]`` for
every i; reasoning-core ``get_task(NAME).generate_example()`` n times (its token counter the
same offline one the bridge uses). synthset: ``DatasetPipeline(task=LIB/NAME, n_jobs=2,
save_text=False, verify_determinism=0)`` — generation, JSON Lines, statistics, manifest,
dataset card; not the default re-check of 16 samples in a fresh process at the end of a run,
a fixed cost whatever the run's size (for reasoning-gym about 1.1 s of CPU at load 8, most
of it importing reasoning_gym in the fresh process; 1.4 s before matplotlib, which only
game_of_life uses, was imported on first use) that would only measure the run's size. n is
chosen so that the loop takes about ``--seconds`` (or is ``--samples``). The two are run
alternately ``--repeats`` times and the medians compared: wall clock, and CPU time (user +
system of the process and of the engine's workers), which a loaded machine disturbs far less.
The machine's load average is recorded with each dataset: the wall figures are only as good
as it. ``cpu_ratio`` is synthset's CPU per sample over the library's: the engine's own cost;
on an idle machine with 2 free cores n_jobs=2 runs about 2 / cpu_ratio times the loop.

Writes bench/results/bridges_speed.csv (the rows of the datasets measured; those of the
others already in the file are kept).

    python bench/bench_bridges.py --all [--seconds 1] [--repeats 2]

measures every dataset of both libraries in one command (about 20 minutes on an idle machine
with 2 cores; run it with PYTHONHASHSEED=0 so that the datasets that need it are measured
too), with short budgets: the probe stops after half a second of CPU, the loop runs about
``--seconds``. A dataset synthset refuses, or whose run fails, gets a row saying why. Writes
bench/results/bridges_speed_all.csv after each dataset (a stopped run keeps what it
measured; run the same command again to measure the rest: the datasets already in the file
are skipped).

    PYTHONHASHSEED=0 python bench/bench_bridges.py --overlap [NAME ...]
        [--overlap-samples 10000] [--overlap-budget 30]

measures instead how much of the test split a train split holds, for every reasoning-gym
dataset (or the NAMEs), cheapest first: ``synthset check`` (the set of dedup keys: any index)
beside reasoning-gym's index-aligned figure (item i of seed 0 against item i of seed 1), then,
where they overlap, with ``dedup: splits``. A dataset whose items would take more than
``--overlap-budget`` CPU seconds gets fewer samples, and its row says how many and why; an
item over 10 s is a failure (counted in the row). Each dataset runs in its own process, in a
scratch working directory (what it leaves there is in the row), and its row is appended to
bench/results/bridges_overlap.csv as it finishes: the same command resumes a stopped run.

    python bench/bench_bridges.py --overlap-table

prints that file as the Markdown table of the datasets whose splits overlap, and

    python bench/bench_bridges.py --speed-table

prints bench/results/bridges_speed_all.csv (``--all``) as Markdown: a summary, every measured
dataset, the ones not measured with their reason.

    python bench/bench_bridges.py --versus SRC [--datasets ...] [--samples 50000]
                                  [--n-jobs 2] [--repeats 6] [--out PATH]

compares two versions of synthset on the same runs: this tree's and the one whose ``src``
folder is SRC (``git archive COMMIT src | tar -x -C DIR``, then DIR/src), each run in a fresh
process, the two alternating, CPU per sample of the process and its workers (medians; every
run in the row). Writes bench/results/bridges_versus.csv (or --out).
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import signal
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


ALL_OUT = HERE / "results" / "bridges_speed_all.csv"
SPEED_FIELDS = ["dataset", "samples", "library_wall_us", "synthset_n_jobs2_wall_us",
                "wall_speedup", "library_cpu_us", "synthset_cpu_us", "cpu_ratio",
                "load_avg_1min", "repeats"]
PROBE_CPU = 0.5  # CPU seconds the probe of an item's cost may take
DATASET_SECONDS = 300  # a dataset still measuring after this long gets a row saying so
MAX_SAMPLES = 50_000


def every_dataset() -> list[str]:
    """Every dataset of both libraries, as ``LIB/NAME``."""
    import reasoning_core
    from reasoning_gym.factory import DATASETS

    return [f"rg/{n}" for n in sorted(DATASETS)] + \
        [f"rcore/{n}" for n in sorted(reasoning_core.list_tasks())]


def probe_cost(loop) -> float:
    """CPU seconds the library takes an item, without what a loop costs once (a dataset's
    construction, a word list): loops of 2, 4, 8... items until one takes ``PROBE_CPU``
    seconds (or has 512 items), against a loop of 1."""
    loop(1)  # warm: imports, caches
    start = time.process_time()
    loop(1)
    once = time.process_time() - start
    k = 2
    while True:
        start = time.process_time()
        loop(k)
        took = time.process_time() - start
        if took >= PROBE_CPU or k >= 512:
            return max((took - once) / (k - 1), took / k / 10, 1e-6)
        k *= 2


def measure(name: str, seconds: float, repeats: int, tmp: str) -> dict:
    """One dataset's row (see the module docstring)."""
    from synthset import get_task

    get_task(name)  # refused or unbuildable: one line, before the library runs anything
    loop = library_loop(name)
    n = int(min(max(seconds / probe_cost(loop), 5), MAX_SAMPLES))
    engine_run(name, min(n, 20), Path(tmp, "warm"))  # the workers' imports
    own, ours = [], []
    load = os.getloadavg()[0]
    for _ in range(repeats):
        own.append(timed_cpu(loop, n))
        ours.append(timed_cpu(engine_run, name, n, Path(tmp, "run")))
    return speed_row(name, n, own, ours, load, repeats)


def speed_row(name: str, n: int, own: list, ours: list, load: float, repeats: int) -> dict:
    """The CSV row of ``n`` samples timed ``(wall, cpu)`` per repeat: the library's loop
    (``own``) and synthset's run (``ours``), medians per sample."""
    a, b = (statistics.median(w for w, _ in x) for x in (own, ours))
    ca, cb = (statistics.median(c for _, c in x) for x in (own, ours))
    return {"dataset": name, "samples": n,
            "library_wall_us": round(a / n * 1e6, 1),
            "synthset_n_jobs2_wall_us": round(b / n * 1e6, 1),
            "wall_speedup": round(a / b, 2),
            "library_cpu_us": round(ca / n * 1e6, 1),
            "synthset_cpu_us": round(cb / n * 1e6, 1),
            "cpu_ratio": round(cb / ca, 2),
            "load_avg_1min": round((load + os.getloadavg()[0]) / 2, 2),
            "repeats": repeats}


def measure_all(datasets: list[str], seconds: float, repeats: int, out: Path) -> None:
    """``measure`` each dataset not yet in ``out``, in a scratch working directory (a library
    may write files where it runs); a row appended to ``out`` after each."""
    fields = SPEED_FIELDS + ["note"]
    done = set()
    if out.exists():
        with out.open(newline="") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames != fields:
                raise SystemExit(f"{out} has other columns: move it away first")
            done = {r["dataset"] for r in reader}
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", newline="") as f:
            csv.DictWriter(f, fieldnames=fields).writeheader()
    home = os.getcwd()
    started = time.perf_counter()
    todo = [d for d in datasets if d not in done]
    signal.signal(signal.SIGALRM, _too_slow)
    for i, name in enumerate(todo):
        with tempfile.TemporaryDirectory() as tmp:
            os.chdir(tmp)
            signal.alarm(DATASET_SECONDS)
            try:
                row = {**measure(name, seconds, repeats, tmp), "note": ""}
            except Exception as exc:  # _TooSlow too
                row = dict.fromkeys(fields, "")
                why = f"stopped after {DATASET_SECONDS} s" if isinstance(exc, _TooSlow) else \
                    f"{type(exc).__name__}: {exc}"
                row.update(dataset=name, note=" ".join(why.split())[:300])
            finally:
                signal.alarm(0)
                os.chdir(home)
        with out.open("a", newline="") as f:
            csv.DictWriter(f, fieldnames=fields).writerow(row)
        print(f"[{i + 1}/{len(todo)} {time.perf_counter() - started:.0f} s] " +
              ", ".join(f"{k}={v}" for k, v in row.items() if v != ""), flush=True)
    print(f"wrote {out}")


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


def engine_run(name: str, n: int, folder: Path, n_jobs: int = 2) -> None:
    from synthset.dataset import DatasetPipeline

    shutil.rmtree(folder, ignore_errors=True)
    DatasetPipeline(task=name, save_dir=str(folder), num_train_samples=n, num_test_samples=0,
                    n_jobs=n_jobs, batch_size=100_000, save_text=False, verbose=False,
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


VERSUS_FIELDS = ["dataset", "samples", "n_jobs", "this_cpu_us", "versus_cpu_us",
                 "this_runs", "versus_runs", "load_avg_1min", "repeats"]


def engine_cpu(name: str, n: int, n_jobs: int) -> float:
    """CPU seconds per sample of one run of ``n`` samples (after a warm run of 20): what
    ``--engine-one`` prints, in a fresh process."""
    import json

    with tempfile.TemporaryDirectory() as tmp:
        engine_run(name, 20, Path(tmp, "warm"), n_jobs)
        start = cpu()
        engine_run(name, n, Path(tmp, "run"), n_jobs)
        took = cpu() - start
    print(json.dumps({"cpu": took / n}))
    return took / n


def versus(datasets: list[str], src: str, n: int, n_jobs: int, repeats: int,
           out: Path) -> None:
    """The same runs (``n`` samples, ``n_jobs``) made by this tree's synthset and by the one in
    ``src`` (a ``src`` folder, e.g. an older commit's ``git archive``), each in a fresh
    process, alternating (this, other, other, this, ...), medians of CPU per sample (µs)."""
    import json
    import subprocess
    import sys

    here_src = str(HERE.parent / "src")
    rows = []
    for name in datasets:
        runs: dict[str, list[float]] = {"this": [], "versus": []}
        load = os.getloadavg()[0]
        for r in range(repeats):
            for side in (("this", "versus") if r % 2 == 0 else ("versus", "this")):
                env = dict(os.environ, PYTHONPATH=here_src if side == "this" else src)
                done = subprocess.run(
                    [sys.executable, __file__, "--engine-one", name, str(n), str(n_jobs)],
                    env=env, capture_output=True, text=True, check=True)
                runs[side].append(json.loads(done.stdout.strip().splitlines()[-1])["cpu"])
        row = {"dataset": name, "samples": n, "n_jobs": n_jobs,
               **{f"{k}_cpu_us": round(statistics.median(v) * 1e6, 2)
                  for k, v in (("this", runs["this"]), ("versus", runs["versus"]))},
               "this_runs": " ".join(f"{x * 1e6:.2f}" for x in runs["this"]),
               "versus_runs": " ".join(f"{x * 1e6:.2f}" for x in runs["versus"]),
               "load_avg_1min": round((load + os.getloadavg()[0]) / 2, 2),
               "repeats": repeats}
        rows.append(row)
        print(", ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    with out.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=VERSUS_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {out}")


OVERLAP_OUT = HERE / "results" / "bridges_overlap.csv"
OVERLAP_FIELDS = ["dataset", "samples_per_split", "size_note", "library_ms_per_item",
                  "rg_index_aligned_same", "rg_index_aligned_rate", "dedup_off_test_in_train",
                  "dedup_off_rate", "dedup_off_train_duplicates", "dedup_splits_test_in_train",
                  "dedup_splits_distinct_estimate", "dedup_splits_note", "files_written",
                  "seconds"]


# dedup: splits's refusal: "makes about 217 distinct problems", "makes 1 distinct problem"
DISTINCT = re.compile(r"makes (about )?([\d,]+) distinct problems?")
ITEM_SECONDS = 10  # an item taking longer is a failure (number_sequence squares its way
# into integers of millions of digits for a few seeds): skipped, counted in the row


class _TooSlow(Exception):
    pass


def _too_slow(*_):
    raise _TooSlow


def question(dataset, i: int):
    """The question of item ``i``; None when it fails or takes over ``ITEM_SECONDS``."""
    signal.alarm(ITEM_SECONDS)
    try:
        return dataset[i]["question"]
    except Exception:  # _TooSlow, or the library's own error for this seed
        return None
    finally:
        signal.alarm(0)


def overlap_one(name: str, count: int, budget: float, folder: Path) -> dict:
    """One dataset's row: ``synthset check`` (set-based, by dedup key) on ``count`` train and
    ``count`` test samples (fewer when the library's probed cost would exceed ``budget``
    CPU seconds: the row says so) beside reasoning-gym's index-aligned figure (seed 0 and
    seed 1, item i of one against item i of the other), then, when the splits overlap, the
    same run with ``dedup: splits``."""
    from reasoning_gym import create_dataset

    from synthset.dataset import DatasetPipeline
    from synthset.quality import check_run

    from synthset import get_task
    from synthset.core.errors import ConfigError

    started = time.perf_counter()
    row = dict.fromkeys(OVERLAP_FIELDS, "")
    row["dataset"] = name
    try:
        get_task(f"rg/{name}")
    except ConfigError as exc:  # refused by synthset: nothing to measure
        row["size_note"] = f"not measured: {exc}"[:400]
        return row
    signal.signal(signal.SIGALRM, _too_slow)
    probe = create_dataset(name, seed=0, size=50)
    question(probe, 0)  # warm: word lists, caches
    t0, k = time.process_time(), 1
    while k < 50 and time.process_time() - t0 < 1.0:
        question(probe, k)
        k += 1
    per_item = (time.process_time() - t0) / max(k - 1, 1)
    row["library_ms_per_item"] = round(per_item * 1e3, 3)
    # about 6 items a sample: 2 for reasoning-gym's figure, 2 for a run, 2 for a dedup run
    n = count if per_item * 6 * count <= budget else max(int(budget / (6 * per_item)), 10)
    row["samples_per_split"] = n
    if n < count:
        row["size_note"] = (f"{n} per split, not {count}: the library makes an item in about "
                            f"{per_item * 1e3:.0f} ms of CPU, and {count} per split would take "
                            f"about {per_item * 6 * count / 60:.0f} min here "
                            f"(budget {budget:.0f} s a dataset)")
    a = create_dataset(name, seed=0, size=n)
    b = create_dataset(name, seed=1, size=n)
    pairs = [(question(a, i), question(b, i)) for i in range(n)]
    aligned = sum(x == y and x is not None for x, y in pairs)
    failed = sum(x is None for pair in pairs for x in pair)
    if failed:
        row["size_note"] += (f"{failed} of reasoning-gym's {2 * n} items failed or took over "
                             f"{ITEM_SECONDS} s (not counted as same); ")
    row["rg_index_aligned_same"] = aligned
    row["rg_index_aligned_rate"] = round(aligned / n, 4)
    for dedup in ("off", "splits"):
        if dedup == "splits" and row["dedup_off_test_in_train"] == 0:
            row["dedup_splits_test_in_train"] = 0
            row["dedup_splits_note"] = "disjoint already"
            break
        run = folder / f"run_{dedup}"
        try:
            DatasetPipeline(task=f"rg/{name}", save_dir=str(run), num_train_samples=n,
                            num_test_samples=n, n_jobs=2, batch_size=100_000, save_text=False,
                            verbose=False, dedup=dedup, verify_determinism=0,
                            timeout=ITEM_SECONDS, on_error="skip").run()
        except Exception as exc:
            text = " ".join(str(exc).split())
            row[f"dedup_{dedup}_note" if dedup == "splits" else "size_note"] += text[:400]
            found = DISTINCT.search(text)
            if found and dedup == "splits":
                row["dedup_splits_distinct_estimate"] = int(found.group(2).replace(",", ""))
            break
        report = check_run(run, figures=False, verbose=False, determinism=0, n_jobs=2,
                           card=False)
        pair = report["overlap"][0]
        row[f"dedup_{dedup}_test_in_train"] = pair["b_in_a"]
        skipped = 0
        for split in ("train", "test"):
            stats = (run / f"{split}_stats.yaml").read_text()
            skipped += sum(int(line.split(":")[1]) for line in stats.splitlines()
                           if line.startswith(("errors:", "timeouts:")))
        if skipped:
            row["size_note"] += f"dedup {dedup}: {skipped} failed samples replaced; "
        if dedup == "off":
            row["dedup_off_rate"] = round(pair["b_in_a"] / pair["b_samples"], 4)
            row["dedup_off_train_duplicates"] = report["splits"]["train"]["duplicates"]
        shutil.rmtree(run, ignore_errors=True)
    row["seconds"] = round(time.perf_counter() - started, 1)
    return row


def overlap_all(datasets: list[str], count: int, budget: float, out: Path) -> None:
    """Every dataset of ``datasets`` not yet in ``out``, each in its own process (run in a
    scratch working directory: the files a dataset writes there are listed in its row) with a
    time limit; one row appended to ``out`` as each finishes, so an interrupted run resumes
    where it stopped."""
    import json
    import subprocess
    import sys

    done = set()
    if out.exists():
        with out.open(newline="") as f:
            done = {r["dataset"] for r in csv.DictReader(f)}
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", newline="") as f:
            csv.DictWriter(f, fieldnames=OVERLAP_FIELDS).writeheader()
    for name in datasets:
        if name in done:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            result = Path(tmp, "row.json")
            cwd = Path(tmp, "cwd")
            cwd.mkdir()
            cmd = [sys.executable, str(Path(__file__).resolve()), "--overlap-one", name,
                   str(count), str(budget), tmp]
            started = time.perf_counter()
            try:
                proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True,
                                      timeout=budget * 4 + 300)
                tail = " ".join(proc.stderr.strip().splitlines()[-1:])[:300]
            except subprocess.TimeoutExpired:
                tail = f"stopped after {budget * 4 + 300:.0f} s"
            if result.exists():
                row = json.loads(result.read_text())
            else:
                row = dict.fromkeys(OVERLAP_FIELDS, "")
                row.update(dataset=name, size_note=f"not measured: {tail}",
                           seconds=round(time.perf_counter() - started, 1))
            row["files_written"] = " ".join(sorted(p.name for p in cwd.iterdir()))[:200]
        with out.open("a", newline="") as f:
            csv.DictWriter(f, fieldnames=OVERLAP_FIELDS).writerow(row)
        print(", ".join(f"{k}={v}" for k, v in row.items() if v != ""), flush=True)
    print(f"wrote {out}")


def overlap_table(path: Path) -> str:
    """The overlap CSV as Markdown: a summary line, then the datasets whose splits overlap,
    most first, and those not measured."""
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    measured = [r for r in rows if r["dedup_off_test_in_train"] != ""]
    over = [r for r in measured if int(r["dedup_off_test_in_train"]) > 0]
    for r in rows:  # rows written before the pattern knew the exact count's wording
        found = DISTINCT.search(r["dedup_splits_note"])
        if found and not r["dedup_splits_distinct_estimate"]:
            r["dedup_splits_distinct_estimate"] = found.group(2).replace(",", "")
    small = [r for r in over if r["dedup_splits_distinct_estimate"]]
    fewer = [r for r in measured if int(r["samples_per_split"]) < 10_000]
    lines = [f"{len(rows)} datasets in the file; {len(measured)} measured, {len(fewer)} of them on fewer "
             f"than 10,000 samples a split (their cost; the CSV says why); the splits of "
             f"{len(over)} overlap; `dedup: splits` makes {len(over) - len(small)} of those "
             f"disjoint and refuses {len(small)} whose problem space is too small.", "",
             "| dataset | samples a split | index-aligned same (reasoning-gym's figure) | "
             "test samples whose question train holds (`synthset check`) | with "
             "`dedup: splits` |", "| --- | --- | --- | --- | --- |"]
    over.sort(key=lambda r: (-float(r["dedup_off_rate"]), r["dataset"]))
    for r in over:
        n = int(r["samples_per_split"])
        test = int(r["dedup_off_test_in_train"])
        if r["dedup_splits_distinct_estimate"]:
            about = "about " if "makes about" in r["dedup_splits_note"] else ""
            count = int(r["dedup_splits_distinct_estimate"])
            after = f"refused: {about}{count:,} distinct problem{'s' if count != 1 else ''}"
        elif r["dedup_splits_test_in_train"] != "":
            after = f"{int(r['dedup_splits_test_in_train']):,} shared"
        else:
            after = r["dedup_splits_note"][:120]
        lines.append(f"| `rg/{r['dataset']}` | {n:,} | {int(r['rg_index_aligned_same']):,} | "
                     f"{test:,} ({test / n:.1%}) | {after} |")
    rest = [r for r in rows if r["dedup_off_test_in_train"] == ""]
    from reasoning_gym.factory import DATASETS

    missing = sorted(set(DATASETS) - {r["dataset"] for r in rows})
    if rest or missing:
        lines += ["", "Not measured: " + "; ".join(
            [f"`rg/{r['dataset']}` ({r['size_note'].removeprefix('not measured: ')[:160]})"
             for r in rest] + [f"`rg/{n}` (not reached in the time the run had)"
                               for n in missing])]
    return "\n".join(lines)


def speed_table(path: Path) -> str:
    """The ``--all`` CSV as Markdown: a summary (costly items: over 20 us of the library's CPU
    each), every measured dataset costliest first, then the rows with a note instead."""
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    measured = [r for r in rows if r["cpu_ratio"] != ""]
    noted = [r for r in rows if r["cpu_ratio"] == ""]
    costly = [r for r in measured if float(r["library_cpu_us"]) > 20]
    cheap = [r for r in measured if float(r["library_cpu_us"]) <= 20]

    def median(rs, key):
        return statistics.median(float(r[key]) for r in rs) if rs else float("nan")

    def part(rs, goal):
        met = sum(float(r["wall_speedup"]) >= goal for r in rs)
        return (f"{len(rs)} datasets: {met} at or above {goal}x the library's own loop in wall "
                f"time (2 workers), median wall speed-up {median(rs, 'wall_speedup'):.2f}x, "
                f"median CPU ratio {median(rs, 'cpu_ratio'):.2f}")
    slower = sum(float(r["wall_speedup"]) < 1 for r in measured)
    lines = [f"{len(rows)} datasets in the file: {len(measured)} measured, {len(noted)} with a "
             f"note instead (below). Costly items (over 20 us of library CPU each): "
             f"{part(costly, 1.7)}. Cheap items: {part(cheap, 1.0)}. {slower} of the "
             f"{len(measured)} are slower through synthset than their own loop in wall time.",
             "", "| dataset | samples | library CPU us/item | synthset CPU us/item | CPU ratio "
             "| wall speed-up (2 workers) | load |", "| --- | ---: | ---: | ---: | ---: | ---: "
             "| ---: |"]
    for r in sorted(measured, key=lambda r: -float(r["library_cpu_us"])):
        lines.append(f"| `{r['dataset']}` | {int(r['samples']):,} | {r['library_cpu_us']} | "
                     f"{r['synthset_cpu_us']} | {r['cpu_ratio']} | {r['wall_speedup']} | "
                     f"{r['load_avg_1min']} |")
    if noted:
        lines += ["", "Not measured: " + "; ".join(
            f"`{r['dataset']}` ({r['note'][:140]})" for r in sorted(noted,
                                                                  key=lambda r: r["dataset"]))]
    return "\n".join(lines)


def by_cost(datasets: list[str]) -> list[str]:
    """``datasets``, cheapest first by the determinism audit's rough cost a sample."""
    costs = {}
    audit = HERE / "results" / "bridges_determinism.csv"
    if audit.exists():
        with audit.open(newline="") as f:
            costs = {r["dataset"]: float(r["us_per_sample"]) for r in csv.DictReader(f)
                     if r["library"] == "rg" and r["us_per_sample"]}
    return sorted(datasets, key=lambda n: (costs.get(n, 20_000.0), n))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--overlap", nargs="*", default=None, metavar="NAME",
                        help="measure split overlap instead (reasoning-gym NAMEs; none: "
                             "every dataset, cheapest first) on --overlap-samples per split")
    parser.add_argument("--overlap-samples", type=int, default=10_000)
    parser.add_argument("--overlap-budget", type=float, default=30.0,
                        help="CPU seconds a dataset may take: a costlier one gets fewer "
                             "samples per split, and its row says so")
    parser.add_argument("--overlap-one", nargs=4, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--overlap-table", action="store_true",
                        help="print the overlap CSV (--out) as a Markdown table, and nothing "
                             "else")
    parser.add_argument("--speed-table", action="store_true",
                        help="print the --all CSV (--out) as a Markdown table, and nothing else")
    parser.add_argument("--all", action="store_true",
                        help="every dataset of both libraries (or --datasets), short budgets, "
                             "into bridges_speed_all.csv")
    parser.add_argument("--datasets", nargs="*", default=None)
    parser.add_argument("--seconds", type=float, default=None,
                        help="how long the library's loop runs (default 1.5; 1 with --all)")
    parser.add_argument("--repeats", type=int, default=None, help="default 3; 2 with --all")
    parser.add_argument("--samples", type=int, default=None,
                        help="samples per run instead of about --seconds of the loop (the "
                             "same n for every dataset and every run: to compare two versions "
                             "of synthset, whose fixed costs per run weigh with n)")
    parser.add_argument("--versus", default=None, metavar="SRC",
                        help="compare this tree's engine runs (--samples, default 50000; "
                             "--n-jobs) with those of the synthset in SRC, CPU only")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--engine-one", nargs=3, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    if args.engine_one:
        name, count, jobs = args.engine_one
        engine_cpu(name, int(count), int(jobs))
        return
    if args.versus:
        versus(args.datasets or DEFAULT[:1], args.versus, args.samples or 50_000, args.n_jobs,
               args.repeats or 6, Path(args.out or HERE / "results" / "bridges_versus.csv"))
        return
    if args.all:
        measure_all(args.datasets or every_dataset(), args.seconds or 1.0, args.repeats or 2,
                    Path(args.out or ALL_OUT))
        return
    if args.speed_table:
        print(speed_table(Path(args.out or ALL_OUT)))
        return
    if args.overlap_table:
        print(overlap_table(Path(args.out or OVERLAP_OUT)))
        return
    if args.overlap_one:
        import json

        name, count, budget, folder = args.overlap_one
        row = overlap_one(name, int(count), float(budget), Path(folder))
        Path(folder, "row.json").write_text(json.dumps(row))
        return
    if args.overlap is not None:
        from reasoning_gym.factory import DATASETS

        overlap_all(args.overlap or by_cost(sorted(DATASETS)), args.overlap_samples,
                    args.overlap_budget, Path(args.out or OVERLAP_OUT))
        return
    args.datasets = args.datasets or DEFAULT
    args.seconds = args.seconds or 1.5
    args.repeats = args.repeats or 3
    args.out = args.out or str(OUT)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.datasets:
            try:
                loop = library_loop(name)
                loop(3)  # warm: imports, word lists
                # per item, without the dataset's construction (a word list, ...)
                probe = max((timed(loop, 401) - timed(loop, 1)) / 400, 1e-6)
                n = args.samples or int(min(max(args.seconds / probe, 200), 50_000))
                engine_run(name, min(n, 200), Path(tmp, "warm"))  # the workers' imports
                own, ours = [], []
                load = os.getloadavg()[0]
                for _ in range(args.repeats):
                    own.append(timed_cpu(loop, n))
                    ours.append(timed_cpu(engine_run, name, n, Path(tmp, "run")))
            except Exception as exc:
                print(f"{name}: failed: {type(exc).__name__}: {exc}"[:300], flush=True)
                continue
            row = speed_row(name, n, own, ours, load, args.repeats)
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
