"""Determinism audit of the task-library bridges: every reasoning-gym and reasoning-core
dataset through synthset's engine, twice, in two processes, with n_jobs 1 and n_jobs 2; the
bytes of the two train_data.jsonl files compared.

    python bench/audit_bridges.py [--rg-samples 40] [--rcore-samples 12] [--only NAME ...]

Writes bench/results/bridges_determinism.csv: dataset, library, builds, deterministic, reason,
verifies (every stored answer scores 1.0 by the library's own scorer on the entry rebuilt
from the row), distinct (distinct questions among the samples), us_per_sample (the serial
run's wall time over its samples, the task's build and first example included: a rough cost,
not a benchmark).
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
TIMEOUT = 20  # seconds a sample may take before the run is called failed


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
        started = time.perf_counter()
        try:
            DatasetPipeline(task=task_name, save_dir=save, num_train_samples=count,
                            num_test_samples=0, n_jobs=n_jobs, batch_size=100_000,
                            save_text=False, verbose=False, timeout=TIMEOUT,
                            verify_determinism=0).run()
        except Exception as exc:
            out[name] = {"builds": True, "reason": "the run failed: " + one_line(exc)}
            continue
        seconds = time.perf_counter() - started
        data = Path(save, "train_data.jsonl").read_bytes()
        record = {"builds": True, "sha256": hashlib.sha256(data).hexdigest(),
                  "us_per_sample": round(seconds / count * 1e6)}
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


def table(path: Path) -> str:
    """The CSV as the Markdown table docs/guide/task-libraries.md holds."""
    with path.open() as f:
        rows = list(csv.DictReader(f))
    lines = ["| task | builds | deterministic | scorer accepts its answers | distinct of N | "
             "why not |", "| --- | --- | --- | --- | --- | --- |"]
    yes = {"True": "yes", "False": "**no**", "": ""}
    for r in rows:
        if "is refused" in r["reason"]:  # built, and refused by the bridge
            r = {**r, "builds": "refused", "reason": r["reason"].split("is refused: ", 1)[1]}
            yes = {**yes, "refused": "refused"}
        distinct = f"{r['distinct']} of {r['samples']}" if r["distinct"] else ""
        reason = r["reason"].replace("|", "\\|")
        lines.append(f"| `{r['library']}/{r['dataset']}` | {yes[r['builds']]} | "
                     f"{yes[r['deterministic']]} | {yes[r['verifies']]} | {distinct} | "
                     f"{reason} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rg-samples", type=int, default=40)
    parser.add_argument("--rcore-samples", type=int, default=12)
    parser.add_argument("--only", nargs="*", default=None, help="LIBRARY/NAME to audit")
    parser.add_argument("--pass", dest="pass_", nargs=4, default=None,
                        metavar=("LIBRARY", "COUNT", "N_JOBS", "FOLDER"), help=argparse.SUPPRESS)
    parser.add_argument("--names", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--table", action="store_true",
                        help="print the results CSV as a Markdown table, and nothing else")
    args = parser.parse_args()
    if args.table:
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
                   "distinct": "", "samples": count, "us_per_sample": ""}
            if "sha256" in a and "sha256" in b:
                same = a["sha256"] == b["sha256"]
                row.update(deterministic=same, verifies=a["verifies"], distinct=a["distinct"],
                           us_per_sample=a["us_per_sample"])
                if not same:
                    row["reason"] = "n_jobs 1 and n_jobs 2 (two processes) wrote other bytes"
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
