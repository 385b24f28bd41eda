"""Export and batch-loading throughput.

    python bench/bench_export.py [--tokens 100_000_000] [--write]

1. Makes two runs of about ``--tokens`` tokens each (the integer-sum demo, char-level; Depo1
   rows, task vocabulary), then times ``export_nanogpt`` end to end (JSONL on disk -> .bin) and
   the encoding alone on samples already in memory (the ``encode`` step, chunk by chunk).
2. Times ``NanoGPTData.get_batch`` (random, 64 x 256) and a 10M-parameter GPT-2 training step
   on this CPU (transformers, if installed), and reports their ratio.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _report import report  # noqa: E402


def make_runs(tmp: Path, tokens: int):
    from generators import integer_sum

    from synthset.dataset import DatasetGenerator, DatasetPipeline

    n_sum = tokens // 37  # ~37 characters a line
    DatasetGenerator(backend="loky", n_jobs=-1, verbose=False).run(
        {"train": n_sum}, integer_sum, save_dir=str(tmp / "sum"), save_text=False)
    n_depo = tokens // 280  # ~280 tokens a depo1 training row
    DatasetPipeline.from_config({
        "save_dir": str(tmp / "depo"), "num_train_samples": n_depo, "num_test_samples": 0,
        "batch_size": 10_000, "n_jobs": -1, "root_seed": 0, "verbose": False, "task": "depo1",
        "save_text": False}).run()


def time_export(tmp: Path, source: str, tokenizer: str) -> tuple[float, int]:
    from synthset.export import export_nanogpt

    t0 = time.perf_counter()
    meta = export_nanogpt(tmp / source, source, out=tmp / "data", tokenizer=tokenizer,
                          val_fraction=0.01)
    wall = time.perf_counter() - t0
    return wall, meta["splits"]["train"]["tokens"] + meta["splits"]["val"]["tokens"]


def time_encode(tmp: Path, source: str, tokenizer: str) -> float:
    """tokens/s of the encoder alone, on chunks already read into memory."""
    from synthset.export import CHUNK, CharEncoder, Source, TaskEncoder, _chunks

    src = Source(str(tmp / source))
    chunks = list(_chunks(src.samples("train"), CHUNK))[:20]
    enc = CharEncoder.fit(chunks) if tokenizer == "char" else TaskEncoder(src.task)
    if tokenizer == "char":  # the text, in memory, is what the char encoder consumes
        from synthset.export import _texts

        texts = ["".join(_texts(c, None, enc.template)[0]) for c in chunks]
        t0 = time.perf_counter()
        total = 0
        for text in texts:
            import numpy as np

            ids = enc.lut[np.frombuffer(text.encode("utf-32-le"), dtype="<u4")]
            total += ids.size
        return total / (time.perf_counter() - t0)
    lines = list(_chunks(src.lines("train"), CHUNK))[:20]  # the JSONL text, in memory
    t0 = time.perf_counter()
    total = sum(enc.encode_lines(c)[0].size for c in lines)
    return total / (time.perf_counter() - t0)


def time_get_batch(folder: Path, batch=64, block=256, steps=300) -> float:
    from synthset.loaders import NanoGPTData

    d = NanoGPTData(folder)
    t0 = time.perf_counter()
    for _ in range(steps):
        d.get_batch("train", batch, block)
    return steps * batch * block / (time.perf_counter() - t0)


def time_training(batch=8, block=256, steps=5) -> tuple[float, int] | None:
    try:
        import torch
        from transformers import GPT2Config, GPT2LMHeadModel
    except ImportError:
        return None
    torch.manual_seed(0)
    cfg = GPT2Config(vocab_size=512, n_positions=block, n_embd=384, n_layer=6, n_head=6)
    model = GPT2LMHeadModel(cfg)
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    x = torch.randint(0, 512, (batch, block))
    model(input_ids=x, labels=x).loss.backward()  # warm-up
    t0 = time.perf_counter()
    for _ in range(steps):
        opt.zero_grad()
        model(input_ids=x, labels=x).loss.backward()
        opt.step()
    return steps * batch * block / (time.perf_counter() - t0), params


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokens", type=int, default=100_000_000)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="synthset-export-"))
    try:
        t0 = time.perf_counter()
        make_runs(tmp, args.tokens)
        print(f"runs made in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        rows = []
        for source, tok in (("sum", "char"), ("depo", "task")):
            wall, tokens = time_export(tmp, source, tok)
            enc = statistics.median(time_encode(tmp, source, tok) for _ in range(3))
            rows.append((source, tok, tokens, wall, enc))
            print(rows[-1], file=sys.stderr)
        batch_rate = statistics.median(time_get_batch(tmp / "data" / "sum") for _ in range(3))
        train = time_training()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    lines = ["| source | tokenizer | tokens | end to end (s) | end to end (tokens/s) |"
             " encode in memory (tokens/s) |", "|---|---|---:|---:|---:|---:|"]
    for source, tok, tokens, wall, enc in rows:
        lines.append(f"| {source} | {tok} | {tokens:,} | {wall:.1f} | {tokens / wall:,.0f} | "
                     f"{enc:,.0f} |")
    tail = f"\n\n`get_batch` (random, 64 x 256, held memmap): {batch_rate:,.0f} tokens/s."
    if train:
        tail += (f" A {train[1] / 1e6:.1f}M-parameter GPT-2 (6 layers, 384 wide) trains at "
                 f"{train[0]:,.0f} tokens/s on this CPU: batch assembly is "
                 f"{batch_rate / train[0]:,.0f}x faster.")
    report("Exports and loaders", f"python bench/bench_export.py --tokens {args.tokens}",
           "end to end: JSONL on disk to .bin files, both passes of the char encoder "
           "included; in memory: the encoding of samples already read",
           "\n".join(lines) + tail, args.write)


if __name__ == "__main__":
    main()
