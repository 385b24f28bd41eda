"""A billion Depo tokens in one command: ``synthset export nanogpt task=depo --tokens N`` to
nanoGPT's train.bin/val.bin and to llm.c shards, timed at 10M, 100M and 1B tokens.

Each run is the real command in a subprocess: its wall time, its CPU time (user + sys of the
whole process tree), its user-space instructions (``perf stat -e instructions:u``, which load
on a shared machine does not change), its peak memory (the process tree's RSS, sampled every
0.2 s: driver plus workers, pages they share counted twice, so an upper bound; and the largest
single process), the bytes it wrote, and the load average while it ran. ``--profile`` splits
the instructions of one export into making the samples (the bare ``iter_records`` loop) and
the rest (encoding, cutting, writing).

    python bench/bench_billion.py --sizes 10M 100M            # then 1B if 100M projects < 10 min
    python bench/bench_billion.py --profile --samples 50000

Results are merged into bench/results/billion.json (one record per size and format); the
outputs are removed after each run unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "billion.json"
SYNTHSET = [sys.executable, "-m", "synthset.cli.main"]


def amount(text: str) -> int:
    scale = {"K": 10 ** 3, "M": 10 ** 6, "B": 10 ** 9}.get(text[-1].upper(), 1)
    return int(float(text[:-1] if scale != 1 else text) * scale)


def perf_available() -> bool:
    if shutil.which("perf") is None:
        return False
    done = subprocess.run(["perf", "stat", "-e", "instructions:u", "-x,", "true"],
                          capture_output=True, text=True)
    return done.returncode == 0 and "instructions" in done.stderr


def measured(cmd: list[str], perf: bool) -> dict:
    """Run ``cmd``; its wall time, tree CPU time, instructions, peak RSS and load."""
    import psutil

    stat = Path(tempfile.mkstemp(prefix="perf-", suffix=".csv")[1])
    full = (["perf", "stat", "-e", "instructions:u", "-x,", "-o", str(stat)] if perf else []) \
        + cmd
    before = os.times()
    started = time.perf_counter()
    proc = subprocess.Popen(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = {"tree": 0, "one": 0}
    loads = []
    stop = threading.Event()

    def sample():
        root = psutil.Process(proc.pid)
        last_load = 0.0
        while not stop.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
                rss = [p.memory_info().rss for p in procs if p.is_running()]
            except psutil.Error:
                rss = []
            if rss:
                peak["tree"] = max(peak["tree"], sum(rss))
                peak["one"] = max(peak["one"], max(rss))
            if time.monotonic() - last_load >= 5:
                loads.append(os.getloadavg()[0])
                last_load = time.monotonic()
            stop.wait(0.2)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    stop.set()
    watcher.join()
    after = os.times()
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err[-2000:]}")
    instructions = None
    if perf:
        for line in stat.read_text().splitlines():
            parts = line.split(",")
            if len(parts) > 2 and parts[2].startswith("instructions") and parts[0].isdigit():
                instructions = int(parts[0])
    stat.unlink(missing_ok=True)
    return {"wall_s": round(wall, 2),
            "cpu_s": round((after.children_user - before.children_user)
                           + (after.children_system - before.children_system), 2),
            "instructions": instructions,
            "peak_rss_tree_mb": round(peak["tree"] / 2 ** 20, 1),
            "peak_rss_process_mb": round(peak["one"] / 2 ** 20, 1),
            "load_mean": round(sum(loads) / len(loads), 2) if loads else None,
            "stdout": out.strip()}


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def run_size(size: str, fmt: str, out: Path, n_jobs: int, perf: bool, keep: bool) -> dict:
    name = f"depo_{fmt}_{size}"
    cmd = [*SYNTHSET, "export", "nanogpt", "task=depo", "--tokens", size, "--tokenizer",
           "task", "--shard-format", fmt, "--name", name, "--output-dir", str(out),
           "--n-jobs", str(n_jobs), "--overwrite"]
    load_start = os.getloadavg()[0]
    result = measured(cmd, perf)
    folder = out / name
    meta = json.loads((folder / "meta.json").read_text())
    record = {
        "size": size, "format": fmt, "tokens_asked": amount(size),
        "tokens": sum(s["tokens"] for s in meta["splits"].values()),
        "samples": sum(s["samples"] for s in meta["splits"].values()),
        **{k: v for k, v in result.items() if k != "stdout"},
        "disk_bytes": folder_bytes(folder), "load_start": round(load_start, 2),
        "n_jobs": n_jobs, "cores": os.cpu_count(),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "synthset " + " ".join(cmd[len(SYNTHSET):]).replace(str(out), "OUT"),
    }
    if not keep:
        shutil.rmtree(folder)
    return record


def profile(samples: int, perf: bool) -> dict:
    """Instructions of making ``samples`` Depo rows alone, and of exporting the same rows to
    llm.c shards in one process: what the export adds is the difference."""
    loop = ("import synthset.tasks as T; t = T.get('depo'); n = 0\n"
            f"for r in t.iter_records(0, {samples}): n += len(r['input_ids'])\n")
    bare = measured([sys.executable, "-c", loop], perf)
    with tempfile.TemporaryDirectory() as tmp:
        full = measured([*SYNTHSET, "export", "nanogpt", "task=depo", "--count", str(samples),
                         "--tokenizer", "task", "--shard-format", "llmc", "--name", "p",
                         "--output-dir", tmp, "--n-jobs", "1"], perf)
    start = measured([sys.executable, "-c", "import synthset.cli.main, synthset.export, "
                      "synthset.tasks as T; T.get('depo')"], perf)
    return {"samples": samples, "generation_instructions": bare["instructions"],
            "export_instructions": full["instructions"],
            "startup_instructions": start["instructions"],
            "generation_cpu_s": bare["cpu_s"], "export_cpu_s": full["cpu_s"],
            "startup_cpu_s": start["cpu_s"],
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def save(records: list[dict], prof: dict | None) -> dict:
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"runs": []}
    keep = [r for r in data["runs"]
            if (r["size"], r["format"]) not in {(x["size"], x["format"]) for x in records}]
    data["runs"] = sorted(keep + records, key=lambda r: (r["tokens_asked"], r["format"]))
    if prof is not None:
        data["profile"] = prof
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(data, indent=2) + "\n")
    return data


def table(runs: list[dict]) -> str:
    lines = ["| tokens | format | samples | wall | CPU | instructions | peak RSS (tree / one "
             "process) | disk | load |", "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: "
             "| ---: |"]
    for r in runs:
        ins = f"{r['instructions'] / 1e9:,.0f}G" if r.get("instructions") else "-"
        lines.append(f"| {r['size']} | {r['format']} | {r['samples']:,} | {r['wall_s']:,.0f} s "
                     f"| {r['cpu_s']:,.0f} s | {ins} | {r['peak_rss_tree_mb']:,.0f} / "
                     f"{r['peak_rss_process_mb']:,.0f} MB | {r['disk_bytes'] / 1e9:.2f} GB | "
                     f"{r['load_start']} -> {r['load_mean']} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="*", default=["10M", "100M"])
    parser.add_argument("--formats", nargs="*", default=["nanogpt", "llmc"])
    parser.add_argument("--n-jobs", type=int, default=-1)
    parser.add_argument("--out", default=None, help="where the exports go (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the exported folders")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--samples", type=int, default=50_000, help="rows for --profile")
    args = parser.parse_args()
    perf = perf_available()
    out = Path(args.out or tempfile.mkdtemp(prefix="bench-billion-"))
    records = []
    for size in args.sizes:
        for fmt in args.formats:
            record = run_size(size, fmt, out, args.n_jobs, perf, args.keep)
            records.append(record)
            print(table([record]).splitlines()[-1], flush=True)
    prof = profile(args.samples, perf) if args.profile else None
    data = save(records, prof)
    print(table(data["runs"]))
    if prof is not None:
        print(json.dumps(prof, indent=2))
    if not args.keep and args.out is None:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
