"""Determinism audit of the task-library bridges: every reasoning-gym and reasoning-core
dataset through synthset's engine, twice, in two processes, with n_jobs 1 and n_jobs 2; the
bytes of the two train_data.jsonl files compared.

    python bench/audit_bridges.py [--rg-samples 40] [--rcore-samples 12] [--only NAME ...]

Writes bench/results/bridges_determinism.csv: dataset, library, builds, deterministic, reason,
verifies (every stored answer scores 1.0 by the library's own scorer on the entry rebuilt
from the row), distinct (distinct questions among the samples), us_per_sample (the serial
run's wall time over its samples, the task's build and first example included: a rough cost,
not a benchmark), files_written (what a run left in its working directory: each dataset runs
in an empty one).
A dataset that fails to build, or whose run fails, says why. Each pass runs in its own process
(``--pass``), so no state of one (a library's caches, the global random state) reaches the
other.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "results" / "bridges_determinism.csv"
TIMEOUT = 120  # seconds a sample may take before the run is called failed (a loaded machine)


def names(library: str) -> list[str]:
    if library == "rg":
        from reasoning_gym.factory import DATASETS

        return sorted(DATASETS)
    import reasoning_core

    return sorted(reasoning_core.list_tasks())


def one_line(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:300]


def run_pass(library: str, datasets: list[str], count: int, n_jobs: int, folder: str,
             results: Path) -> dict:
    """Each dataset's run through the engine: its file's sha256, or why it failed. Written
    to ``results`` after each dataset (the one a crash stopped at is the one missing)."""
    from synthset import get_task
    from synthset.dataset import DatasetPipeline

    out = {}
    for name in datasets:
        results.write_text(json.dumps(out))
        task_name = f"{library}/{name}"
        record = {}
        try:
            task = get_task(task_name)
        except Exception as exc:
            out[name] = {"builds": False, "reason": one_line(exc)}
            continue
        save = os.path.join(folder, f"{library}_{name}_{n_jobs}")
        cwd = Path(folder, f"cwd_{library}_{name}_{n_jobs}")
        cwd.mkdir()
        home = os.getcwd()
        os.chdir(cwd)  # an empty working directory: what the run leaves there is recorded
        started = time.perf_counter()
        try:
            DatasetPipeline(task=task_name, save_dir=save, num_train_samples=count,
                            num_test_samples=0, n_jobs=n_jobs, batch_size=100_000,
                            save_text=False, verbose=False, timeout=TIMEOUT,
                            verify_determinism=0).run()
        except Exception as exc:
            out[name] = {"builds": True, "reason": "the run failed: " + one_line(exc)}
            continue
        finally:
            os.chdir(home)
            files = " ".join(sorted(p.name for p in cwd.iterdir()))[:200]
        seconds = time.perf_counter() - started
        data = Path(save, "train_data.jsonl").read_bytes()
        record = {"builds": True, "sha256": hashlib.sha256(data).hexdigest(),
                  "us_per_sample": round(seconds / count * 1e6), "files": files}
        rows = [json.loads(line) for line in data.splitlines()]
        bad = []
        for i, row in enumerate(rows):
            try:
                task.validate_example(task.example_of(row))
            except Exception as exc:
                bad.append(f"row {i}: {one_line(exc)}")
        record["verifies"] = not bad
        if bad:
            record["verify_reason"] = bad[0][:200]
        record["distinct"] = len({row["text"][:row["meta"]["prompt_chars"]] for row in rows})
        out[name] = record
    results.write_text(json.dumps(out))
    return out


HASHSEED0 = HERE / "results" / "bridges_determinism_hashseed0.csv"


def verdict(row: dict, hashed: dict) -> tuple[str, str]:
    """``(verdict, why)`` of one audited dataset; ``hashed``: its row of the audit run with
    ``PYTHONHASHSEED=0`` (or {})."""
    reason = row["reason"]
    if "is refused: " in reason:
        why = reason.split("is refused: ", 1)[1]
        if "PYTHONHASHSEED" in why and hashed.get("deterministic") == "True":
            return ("deterministic with `PYTHONHASHSEED` set; refused without it",
                    "its items follow the order of Python sets of strings")
        return "refused", why
    if row["builds"] == "False":
        return "fails to build", reason
    if row["deterministic"] == "True" and row["verifies"] == "True" and not reason:
        return "deterministic", ""
    if reason == "every sample is the same problem":
        return "**one problem only**", reason
    if reason.startswith("the run failed: "):
        return "fails to generate", reason[len("the run failed: "):]
    return "**not deterministic**", reason


def _audit_rows(path: Path) -> tuple[list, dict]:
    """The audit CSV's rows, and the PYTHONHASHSEED=0 audit's rows by (library, dataset)."""
    with path.open() as f:
        rows = list(csv.DictReader(f))
    hashed = {}
    if HASHSEED0.exists():
        with HASHSEED0.open() as f:
            hashed = {(r["library"], r["dataset"]): r for r in csv.DictReader(f)}
    return rows, hashed


def table(path: Path) -> str:
    """The CSV as the Markdown table docs/guide/task-libraries.md holds: each dataset once,
    with its verdict."""
    rows, hashed = _audit_rows(path)
    lines = ["| task | verdict | distinct of N | why |", "| --- | --- | --- | --- |"]
    rows.sort(key=lambda r: (r["library"] != "rg", r["dataset"]))
    for r in rows:
        said, why = verdict(r, hashed.get((r["library"], r["dataset"]), {}))
        distinct = f"{r['distinct']} of {r['samples']}" if r["distinct"] else ""
        why = why.replace("|", "\\|").replace(str(Path(sys.executable).parents[1]), "...")
        lines.append(f"| `{r['library']}/{r['dataset']}` | {said} | {distinct} | {why} |")
    return "\n".join(lines)


def counts(path: Path) -> str:
    """How many datasets of each library have each verdict, one line a library."""
    from collections import Counter

    rows, hashed = _audit_rows(path)
    out = []
    for library in ("rg", "rcore"):
        mine = [r for r in rows if r["library"] == library]
        tally = Counter(verdict(r, hashed.get((library, r["dataset"]), {}))[0] for r in mine)
        out.append(f"{library}: {len(mine)} datasets: " +
                   ", ".join(f"{n} {v}" for v, n in tally.most_common()))
    return "\n".join(out)


STRESS_OUT = HERE / "results" / "bridges_determinism_stress.csv"
# (PYTHONHASHSEED, order): the first two differ in order only, the first and third in the hash
STRESS_RUNS = (("11", "forward"), ("11", "reverse"), ("22", "forward"))


def stress_one(name: str, count: int, order: str, out: str) -> None:
    """Write to ``out`` a digest of each of samples 0..count-1 of ``name`` (root seed 42),
    made in ``order``, as one JSON list (a file: a library may print, or take stdout)."""
    from synthset import get_task

    task = get_task(name)
    indices = range(count) if order == "forward" else reversed(range(count))
    made = {i: json.dumps(task.record(42, i), sort_keys=True) for i in indices}
    Path(out).write_text(json.dumps([hashlib.sha256(made[i].encode()).hexdigest()[:12]
                                     for i in range(count)]))


def stress(datasets: list[str], count: int, out: Path) -> None:
    """A harder test than the audit's for a few datasets: ``count`` samples in three
    processes, two with the same hash seed and the samples made in opposite orders (a sample
    that depends on the ones made before it differs), two with other hash seeds (a sample
    that follows the order of a set of strings differs). A row a dataset, appended to
    ``out``."""
    fields = ["dataset", "samples", "order_dependent", "hash_dependent", "differing", "note"]
    done = set()
    if out.exists():  # a stopped run resumes: the datasets in the file are skipped
        with out.open(newline="") as f:
            done = {r["dataset"] for r in csv.DictReader(f)}
    else:
        with out.open("w", newline="") as f:
            csv.DictWriter(f, fieldnames=fields).writeheader()
    for name in (n for n in datasets if n not in done):
        digests, note = [], ""
        for hash_seed, order in STRESS_RUNS:
            with tempfile.TemporaryDirectory() as cwd:
                result = Path(cwd, "digests.json")
                cmd = [sys.executable, __file__, "--stress-one", name, str(count), order,
                       str(result)]
                proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd,
                                      env={**os.environ, "PYTHONHASHSEED": hash_seed})
                if proc.returncode or not result.exists():
                    note = " ".join(proc.stderr.strip().splitlines()[-1:])[:300] or \
                        f"exit {proc.returncode}, no result"
                    break
                digests.append(json.loads(result.read_text()))
        row = dict.fromkeys(fields, "")
        row.update(dataset=name, samples=count, note=note)
        if len(digests) == 3:
            a, b, c = digests
            row["order_dependent"] = a != b
            row["hash_dependent"] = a != c
            row["differing"] = " ".join(str(i) for i in range(count)
                                        if len({a[i], b[i], c[i]}) > 1)
        with out.open("a", newline="") as f:
            csv.DictWriter(f, fieldnames=fields).writerow(row)
        print(", ".join(f"{k}={v}" for k, v in row.items() if v != ""), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rg-samples", type=int, default=40)
    parser.add_argument("--rcore-samples", type=int, default=12)
    parser.add_argument("--only", nargs="*", default=None, help="LIBRARY/NAME to audit")
    parser.add_argument("--pass", dest="pass_", nargs=4, default=None,
                        metavar=("LIBRARY", "COUNT", "N_JOBS", "FOLDER"), help=argparse.SUPPRESS)
    parser.add_argument("--names", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--stress", nargs="+", default=None, metavar="LIBRARY/NAME",
                        help="the harder test of these datasets (see stress()) into "
                             "bridges_determinism_stress.csv")
    parser.add_argument("--stress-samples", type=int, default=24)
    parser.add_argument("--stress-one", nargs=4, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--table", action="store_true",
                        help="print the results CSV as a Markdown table, and nothing else")
    args = parser.parse_args()
    if args.stress_one:
        name, count, order, out = args.stress_one
        stress_one(name, int(count), order, out)
        return
    if args.stress:
        stress(args.stress, args.stress_samples,
               Path(args.out) if args.out != str(OUT) else STRESS_OUT)
        return
    if args.table:
        print(counts(Path(args.out)))
        print()
        print(table(Path(args.out)))
        return
    if args.pass_:
        library, count, n_jobs, folder = args.pass_
        run_pass(library, json.loads(args.names), int(count), int(n_jobs), folder,
                 Path(folder, f"result_{library}_{n_jobs}.json"))
        return
    rows = []
    for library, count in (("rg", args.rg_samples), ("rcore", args.rcore_samples)):
        wanted = names(library) if args.only is None else \
            [n.partition("/")[2] for n in args.only if n.startswith(library + "/")]
        if not wanted:
            continue
        results = []
        with tempfile.TemporaryDirectory() as folder:
            for n_jobs in (1, 2):  # two processes, n_jobs 1 then 2
                result: dict = {}
                todo = list(wanted)
                while todo:  # a dataset that kills its process is recorded, the rest go on
                    path = Path(folder, f"result_{library}_{n_jobs}.json")
                    path.unlink(missing_ok=True)
                    cmd = [sys.executable, __file__, "--pass", library, str(count),
                           str(n_jobs), folder, "--names", json.dumps(todo)]
                    done = subprocess.run(cmd, capture_output=True, text=True)
                    got = json.loads(path.read_text()) if path.exists() else {}
                    result.update(got)
                    todo = [n for n in todo if n not in got]
                    if todo and done.returncode != 0:
                        tail = " ".join(done.stderr.strip().splitlines()[-1:])[:200]
                        result[todo[0]] = {"builds": True, "reason": f"the process died (exit "
                                           f"{done.returncode}): {tail}"}
                        todo = todo[1:]
                    elif todo:
                        sys.exit(f"{library} pass n_jobs={n_jobs} stopped at {todo[0]}")
                results.append(result)
        one, two = results
        for name in wanted:
            a, b = one[name], two[name]
            row = {"dataset": name, "library": library, "builds": a["builds"],
                   "deterministic": "", "reason": a.get("reason", ""), "verifies": "",
                   "distinct": "", "samples": count, "us_per_sample": "",
                   "files_written": " ".join(sorted(set(
                       a.get("files", "").split() + b.get("files", "").split())))}
            if "sha256" in a and "sha256" in b:
                same = a["sha256"] == b["sha256"]
                row.update(deterministic=same, verifies=a["verifies"], distinct=a["distinct"],
                           us_per_sample=a["us_per_sample"])
                if not same:
                    row["reason"] = "n_jobs 1 and n_jobs 2 (two processes) wrote other bytes"
                elif a["distinct"] == 1 and count > 1:
                    row["reason"] = "every sample is the same problem"
                elif row["files_written"]:
                    row["reason"] = "it wrote files in the working directory: " + \
                        row["files_written"]
                elif not a["verifies"]:
                    row["reason"] = "the library's scorer refuses a stored answer: " + \
                        a["verify_reason"]
            elif "sha256" in a or "sha256" in b:
                row["reason"] = (b if "sha256" in a else a).get("reason", "")
            rows.append(row)
            print(f"{library}/{name}: builds={row['builds']} deterministic="
                  f"{row['deterministic']} {row['reason'][:100]}", flush=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    old = []
    if args.only is not None and out.exists():  # a partial audit updates its rows only
        audited = {(r["library"], r["dataset"]) for r in rows}
        with out.open() as f:
            old = [r for r in csv.DictReader(f) if (r["library"], r["dataset"]) not in audited]
    with out.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(sorted(old + rows, key=lambda r: (r["library"], r["dataset"])))
    print(f"wrote {out} ({len(rows)} datasets audited)")


if __name__ == "__main__":
    main()
