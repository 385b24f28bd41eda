"""Training throughput: the task's in-memory stream vs the same task's rows exported to files,
and torch's threads on a busy machine.

    python bench/bench_train_files.py [--steps 200] [--repeat 3] [--data DIR] [--threads-check]

Default mode: makes (once, in ``--data``) a run of ``task: depo`` at level 3 with
``synthset generate`` and exports it with ``synthset export nanogpt --tokenizer task``, then
trains the ``synthset train`` default model (gpt2_tiny, batch 32, lr 2e-3) for ``--steps``
steps on the stream (``synthset train task=depo``'s loop) and on the files (``synthset train
data=...``'s loop, block = the longest sample), alternating, ``--repeat`` times, each run in a
fresh process. The clock runs from step 1 to the last step (model construction and the final
evaluation excluded). Reported: steps/s; tokens/s as ``synthset train`` reports them (stream:
the rows' tokens, padding excluded; files: the window's tokens, all real: samples are packed);
tokens/s the model computes on (stream: padded batch); the load before each run.

``--threads-check``: the time of one training step of the same model with torch's threads at
1 and 2 and OpenMP's wait policy PASSIVE or ACTIVE, with and without one extra busy loop
(``python -c 'while True: pass'``, started and killed by this script). Needs the ``train``
extra.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _report import report  # noqa: E402

CLI = [str(Path(sys.executable).parent / "synthset")]


def load() -> str:
    with open("/proc/loadavg") as f:
        parts = f.read().split()
    return f"{parts[0]} ({parts[3].split('/')[0]} runnable)"


def make_data(root: Path, count: int) -> Path:
    folder = root / "data" / "depo3"
    if (folder / "meta.json").exists():
        return folder
    root.mkdir(parents=True, exist_ok=True)
    (root / "data.yaml").write_text(
        f"dataset:\n  save_dir: {root / 'depo_run'}\n  num_train_samples: {count}\n"
        "  num_test_samples: 2000\n  batch_size: 10000\n  n_jobs: 1\n  root_seed: 0\n"
        "  task: depo\n  task_config: {level: 3}\n")
    subprocess.run([*CLI, "generate", str(root / "data.yaml")], check=True)
    subprocess.run([*CLI, "export", "nanogpt", str(root / "depo_run"), "--name", "depo3",
                    "--output-dir", str(root / "data"), "--tokenizer", "task", "--val-split", "test"],
                   check=True)
    return folder


def _model():
    from omegaconf import OmegaConf

    from synthset.cli.train import CONF

    return OmegaConf.to_container(OmegaConf.load(CONF / "train" / "model" / "gpt2_tiny.yaml"))


def one(kind: str, steps: int, data: str) -> dict:
    """One run in this process: ``kind`` is stream or files."""
    import synthset.train  # noqa: F401  (before torch: its OpenMP setting)
    import torch

    times: dict[int, float] = {}

    def log(line: str) -> None:
        times[int(line.split()[1])] = time.perf_counter()

    common = dict(steps=steps, batch_size=32, lr=2e-3, warmup=50, seed=0, device="cpu",
                  weight_decay=0.01, log_every=10 ** 9, eval_examples=4, log=log)
    if kind == "stream":
        from synthset.tasks.registry import get_task
        from synthset.train.loop import batches, rows_of, train

        task = get_task("depo", level=3)
        _, result = train(task, _model(), **common)
        stream = batches(rows_of(task, 0), 32)
        real = padded = 0
        for _ in range(steps):
            rows = next(stream)
            lengths = [len(r["input_ids"]) for r in rows]
            real, padded = real + sum(lengths), padded + max(lengths) * len(rows)
    else:
        from synthset.train.files import train_on_folder

        _, result = train_on_folder(data, _model(), **common)
        from synthset.train.files import load_folder, sample_bounds

        d, _ = load_folder(data)
        block = max(b - a for a, b in sample_bounds(d, "train"))
        real = padded = steps * 32 * block
    seconds = times[steps] - times[1]  # steps 2..steps
    per = (steps - 1) / steps
    return {"kind": kind, "steps_per_s": (steps - 1) / seconds,
            "tokens_per_s": result.tokens_per_second,
            "model_tokens_per_s": padded * per / seconds, "real_tokens_per_s": real * per / seconds,
            "threads": torch.get_num_threads()}


STEP = r"""
import os, sys, time
import synthset.train  # noqa: F401
import torch
from synthset.tasks.registry import get_task
from synthset.train import evaluate as E
from synthset.train.loop import batches, rows_of
from synthset.train.models import ModelConfig, build_model
torch.set_num_threads(int(sys.argv[1]))
task = get_task("depo", level=3)
m = build_model(ModelConfig.from_dict(dict(type="gpt2", n_layer=4, n_embd=128, n_head=4,
                                           dropout=0.0, canon=0)), len(task.vocab), 128)
opt = torch.optim.AdamW(m.parameters(), 1e-3)
s = batches(rows_of(task, 0), 32)
bs = [E.collate(next(s)) for _ in range(5)]
def step(b):
    out = m(input_ids=b[0], labels=b[1]); opt.zero_grad(); out.loss.backward(); opt.step()
step(bs[0])
n = int(sys.argv[2]); w = time.perf_counter(); c = time.process_time()
for i in range(n):
    step(bs[i % 5])
print((time.perf_counter() - w) / n * 1e3, (time.process_time() - c) / n * 1e3)
"""


def threads_check(repeat: int, steps: int) -> str:
    cases = [(t, p) for t in (2, 1) for p in ("PASSIVE", "ACTIVE")]
    rows = []
    for busy in (False, True):
        proc = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
        try:
            time.sleep(1 if busy else 0)
            got = {c: [] for c in cases}
            loads = []
            for _ in range(repeat):
                for t, p in cases:
                    loads.append(load())
                    env = {**os.environ, "OMP_WAIT_POLICY": p}
                    out = subprocess.run([sys.executable, "-c", STEP, str(t), str(steps)],
                                         env=env, capture_output=True, text=True, check=True)
                    got[(t, p)].append(tuple(map(float, out.stdout.split())))
        finally:
            if proc is not None:
                proc.kill()
                proc.wait()
        for t, p in cases:
            wall = statistics.median(w for w, _ in got[(t, p)])
            cpu = statistics.median(c for _, c in got[(t, p)])
            rows.append(f"| {'+1 busy loop' if busy else 'as found'} | {t} | {p} | "
                        f"{wall:,.0f} | {cpu:,.0f} | {loads[0]} .. {loads[-1]} |")
    return ("| machine | threads | OMP_WAIT_POLICY | ms a step (wall, median) | ms a step "
            "(CPU) | load before the first / last run |\n|---|---:|---|---:|---:|---|\n"
            + "\n".join(rows))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--data", default="/tmp/synthset_bench_train_files")
    ap.add_argument("--count", type=int, default=40000, help="train samples exported")
    ap.add_argument("--threads-check", action="store_true")
    ap.add_argument("--one", choices=["stream", "files"], help=argparse.SUPPRESS)
    ap.add_argument("--write", action="store_true", help="append to docs/benchmarks.md")
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.one, args.steps, args.data)))
        return
    if args.threads_check:
        body = threads_check(args.repeat, args.steps)
        report("Torch threads on a busy machine", "python bench/bench_train_files.py "
               f"--threads-check --repeat {args.repeat} --steps {args.steps}",
               f"median of {args.repeat} interleaved runs of {args.steps} steps, gpt2_tiny on "
               "Depo level 3, batch 32", body, args.write)
        return
    folder = str(make_data(Path(args.data), args.count))
    runs: dict[str, list[dict]] = {"stream": [], "files": []}
    for _ in range(args.repeat):
        for kind in runs:
            before = load()
            out = subprocess.run([sys.executable, __file__, "--one", kind, "--steps",
                                  str(args.steps), "--data", folder],
                                 capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            r["load"] = before
            runs[kind].append(r)
            print(kind, r, flush=True)
    med = {k: {m: statistics.median(r[m] for r in rs) for m in
               ("steps_per_s", "tokens_per_s", "model_tokens_per_s")} for k, rs in runs.items()}
    lines = ["| source | steps/s | tokens/s (as reported) | tokens/s the model computes "
             "(padded) | loads before the runs |", "|---|---:|---:|---:|---|"]
    for k, m in med.items():
        lines.append(f"| {k} | {m['steps_per_s']:.2f} | {m['tokens_per_s']:,.0f} | "
                     f"{m['model_tokens_per_s']:,.0f} | "
                     f"{', '.join(r['load'] for r in runs[k])} |")
    s, f = med["stream"], med["files"]
    lines.append(f"\nfiles / stream: steps/s {f['steps_per_s'] / s['steps_per_s']:.2f}x, "
                 f"tokens/s as reported {f['tokens_per_s'] / s['tokens_per_s']:.2f}x, "
                 f"model tokens/s {f['model_tokens_per_s'] / s['model_tokens_per_s']:.2f}x")
    report("Training from files vs the stream", "python bench/bench_train_files.py "
           f"--steps {args.steps} --repeat {args.repeat}",
           f"medians of {args.repeat} interleaved runs; {runs['stream'][0]['threads']} torch "
           "threads", "\n".join(lines), args.write)


if __name__ == "__main__":
    main()
