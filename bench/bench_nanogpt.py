"""A training step of synthset's trainer beside nanoGPT's own train.py: same model shape, data,
batch, block size, float32, CPU, one thread.

    python bench/bench_nanogpt.py [--nanogpt bench/.peers/nanoGPT] [--steps 40] [--repeat 3]
        [--block-size 128] [--batch-size 32] [--activation gelu] [--write]

Makes (once, in ``--data``) a nanoGPT data folder with ``synthset export nanogpt depo
task.level=3 --tokenizer task``, then runs, alternating, ``--repeat`` times, each in a fresh
process with ``OMP_NUM_THREADS=1``:

- nanoGPT: ``train.py`` of the checkout ``--nanogpt`` (``make peers`` clones it at a pinned
  commit) on that folder, ``--dtype=float32 --compile=False --device=cpu``, GPT-2's biases,
  dropout 0, one micro-batch a step, a loss line every step;
- synthset: ``synthset train data=FOLDER`` with the same shape (a GPT-2 of ``--n-layer`` x
  ``--n-embd``, ``--n-head`` heads, ``model.activation=--activation``), ``threads=1``, a log
  line every step, no output folder.

A step's time is the time between two consecutive step lines of the process's output, read as
they come (both print a line right after each optimiser step): the wall time's median over the
steps after the first ``--skip``, and the process's CPU time (``/proc/PID/stat``, read at each
line) over those steps divided by their number; then the median over runs. On a busy machine
the CPU figure is the steadier one. Peak RSS is the kernel's
accounting of each finished process (``wait4``): start-up, data and the evaluations included.
nanoGPT evaluates once (one batch a split) before training, synthset once (4 examples) after.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _report import report  # noqa: E402

CLI = str(Path(sys.executable).parent / "synthset")
TICKS = os.sysconf("SC_CLK_TCK")
STEP = re.compile(rb"^(?:iter \d+: loss|step +\d+  loss)")  # nanoGPT's, synthset's


def load() -> str:
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def make_data(root: Path, count: int) -> Path:
    folder = root / "depo3"
    if not (folder / "meta.json").exists():
        subprocess.run([CLI, "export", "nanogpt", "depo", "--count", str(count), "--seed", "0",
                        "task.level=3", "--tokenizer", "task", "--name", "depo3",
                        "--output-dir", str(root), "--overwrite"], check=True)
    return folder


def nanogpt_command(args, folder: Path, out_dir: str) -> tuple[list[str], str]:
    """nanoGPT's train.py reads configurator.py from its working folder: run it from there."""
    opts = {"dataset": folder.resolve(), "out_dir": out_dir, "n_layer": args.n_layer,
            "n_head": args.n_head, "n_embd": args.n_embd, "block_size": args.block_size,
            "batch_size": args.batch_size, "dtype": "float32", "compile": False,
            "device": "cpu", "bias": True, "dropout": 0.0, "max_iters": args.steps,
            "eval_interval": args.steps + 1, "eval_iters": 1, "log_interval": 1,
            "gradient_accumulation_steps": 1, "learning_rate": 2e-3, "warmup_iters": 5,
            "lr_decay_iters": args.steps, "always_save_checkpoint": False}
    return ([sys.executable, "train.py", *(f"--{k}={v}" for k, v in opts.items())],
            str(Path(args.nanogpt).resolve()))


def synthset_command(args, folder: Path) -> list[str]:
    return [CLI, "train", f"data={folder}", "device=cpu", "threads=1", "output_dir=null",
            f"train.steps={args.steps}", f"train.batch_size={args.batch_size}",
            f"train.block_size={args.block_size}", "train.log_every=1", "train.warmup=5",
            f"model.n_layer={args.n_layer}", f"model.n_head={args.n_head}",
            f"model.n_embd={args.n_embd}", f"model.activation={args.activation}",
            "eval.examples=4"]


def cpu_seconds(pid: int) -> float:
    """The process's user + system time so far (its threads included), from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def one(cmd: list[str], cwd: str | None, skip: int) -> dict:
    """One run: the median wall time between step lines after the first ``skip``, the mean
    CPU time of those steps, the peak RSS and CPU seconds of the process."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    before = load()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    stamps, cpu, tail = [], [], []
    for line in proc.stdout:
        if STEP.match(line):
            stamps.append(time.perf_counter())
            cpu.append(cpu_seconds(proc.pid))
        tail = (tail + [line])[-5:]
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{cmd[:2]} failed ({proc.returncode}):\n"
                         + b"".join(tail).decode(errors="replace"))
    gaps = [b - a for a, b in zip(stamps, stamps[1:])][skip:]
    return {"ms": statistics.median(gaps) * 1e3,
            "cpu_ms": (cpu[-1] - cpu[skip]) / len(gaps) * 1e3, "rss": usage.ru_maxrss / 1024,
            "cpu": usage.ru_utime + usage.ru_stime, "steps": len(stamps), "load": before}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nanogpt", default=str(HERE / ".peers" / "nanoGPT"),
                    help="a nanoGPT checkout (make peers)")
    ap.add_argument("--data", default="/tmp/synthset_bench_nanogpt")
    ap.add_argument("--count", type=int, default=20000, help="samples exported")
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--skip", type=int, default=5, help="first steps not timed")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--n-layer", type=int, default=4)
    ap.add_argument("--n-head", type=int, default=4)
    ap.add_argument("--n-embd", type=int, default=128)
    ap.add_argument("--block-size", type=int, default=128)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--activation", default="gelu", help="synthset's model.activation")
    ap.add_argument("--write", action="store_true", help="append to docs/benchmarks.md")
    args = ap.parse_args(argv)
    if not (Path(args.nanogpt) / "train.py").is_file():
        raise SystemExit(f"--nanogpt {args.nanogpt}: no train.py there (make peers)")
    folder = make_data(Path(args.data), args.count)
    runs: dict[str, list[dict]] = {"nanoGPT train.py": [], "synthset train": []}
    with tempfile.TemporaryDirectory() as out_dir:
        commands = {"nanoGPT train.py": nanogpt_command(args, folder, out_dir),
                    "synthset train": (synthset_command(args, folder), None)}
        for _ in range(args.repeat):
            for name, (cmd, cwd) in commands.items():
                runs[name].append(one(cmd, cwd, args.skip))
                print(name, runs[name][-1], flush=True)
    keys = ("ms", "cpu_ms", "rss", "cpu")
    med = {name: {k: statistics.median(r[k] for r in rs) for k in keys}
           for name, rs in runs.items()}
    lines = ["| trainer | ms a step (wall) | ms a step (CPU) | peak RSS (MiB) | CPU s a run | "
             "loads before the runs |", "|---|---:|---:|---:|---:|---|"]
    for name, m in med.items():
        lines.append(f"| {name} | {m['ms']:,.0f} | {m['cpu_ms']:,.0f} | {m['rss']:,.0f} | "
                     f"{m['cpu']:.1f} | {', '.join(r['load'] for r in runs[name])} |")
    ours, theirs = med["synthset train"], med["nanoGPT train.py"]
    lines.append(f"\nsynthset / nanoGPT: step time {ours['ms'] / theirs['ms']:.2f}x (wall), "
                 f"{ours['cpu_ms'] / theirs['cpu_ms']:.2f}x (CPU); peak RSS "
                 f"{ours['rss'] / theirs['rss']:.2f}x")
    report("A training step beside nanoGPT's train.py",
           f"python bench/bench_nanogpt.py --steps {args.steps} --repeat {args.repeat} "
           f"--block-size {args.block_size} --batch-size {args.batch_size} "
           f"--activation {args.activation}",
           f"GPT-2 {args.n_layer} x {args.n_embd}, {args.n_head} heads, batch "
           f"{args.batch_size} x {args.block_size} tokens, float32, 1 thread, Depo level 3 "
           f"exported with the task's ids; medians over steps {args.skip + 1}.. of "
           f"{args.repeat} alternating runs", "\n".join(lines), args.write)


if __name__ == "__main__":
    main()
