"""Prepare a character-level nanoGPT dataset from input.txt (made by `synthset data new`).

Reads input.txt beside this file, maps every distinct character to an id (sorted order),
splits the text 90/10 into train and val, and writes train.bin / val.bin (uint16, or uint32
past 65535 distinct characters) and meta.pkl (vocab_size, stoi, itos) — the files nanoGPT and
ReaLLM-Forge read. Edit `encode` below for another tokenisation. Run it with
`synthset data prepare NAME` or `python data/NAME/prepare.py`.
"""

import os
import pickle
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
VAL_FRACTION = 0.1  # the last 10% of the text is the validation split


def encode(text, stoi):
    return [stoi[c] for c in text]


def write_atomic(path, data: bytes):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)  # never a half-written file under the final name


def main():
    source = os.path.join(HERE, "input.txt")
    if not os.path.exists(source):
        sys.exit(f"put your text in {source} first")
    with open(source, encoding="utf-8") as f:
        data = f.read()
    if len(data) < 2:
        sys.exit(f"{source} is empty")
    chars = sorted(set(data))
    stoi = {ch: i for i, ch in enumerate(chars)}
    itos = {i: ch for i, ch in enumerate(chars)}
    dtype = np.uint16 if len(chars) <= 65535 else np.uint32
    n = len(data)
    cut = int(n * (1 - VAL_FRACTION))
    train_ids = np.array(encode(data[:cut], stoi), dtype=dtype)
    val_ids = np.array(encode(data[cut:], stoi), dtype=dtype)
    write_atomic(os.path.join(HERE, "train.bin"), train_ids.astype(dtype).tobytes())
    write_atomic(os.path.join(HERE, "val.bin"), val_ids.astype(dtype).tobytes())
    meta = {"vocab_size": len(chars), "itos": itos, "stoi": stoi,
            "dtype": np.dtype(dtype).name, "tokenizer": "char"}
    write_atomic(os.path.join(HERE, "meta.pkl"), pickle.dumps(meta))
    print(f"{n:,} characters, vocab size {len(chars)}: train {len(train_ids):,} tokens, "
          f"val {len(val_ids):,} tokens ({np.dtype(dtype).name})")


if __name__ == "__main__":
    main()

# Output on a 1,115,394-character input.txt (tiny shakespeare):
# 1,115,394 characters, vocab size 65: train 1,003,854 tokens, val 111,540 tokens (uint16)
