"""Task rows through a Hugging Face tokenizer read from local files (never downloaded).

The row is rendered as text — its token names joined by spaces — and encoded; a new token is
trained on (``loss_mask = 1``) when every original token its characters overlap is trained, so
the mask stays aligned to the new tokens.
"""

from __future__ import annotations

import bisect
from pathlib import Path

from synthset.core.deps import require
from synthset.core.errors import ConfigError


def load_tokenizer(name_or_path):
    """A ``tokenizers.Tokenizer`` from a ``tokenizer.json`` file or a folder holding one."""
    tokenizers = require("tokenizers", "hf", "tokenizer_name_or_path")
    path = Path(str(name_or_path))
    if path.is_dir():
        path = path / "tokenizer.json"
    if not path.is_file():
        raise ConfigError(
            f"tokenizer_name_or_path {str(name_or_path)!r}: no tokenizer.json there. synthset "
            "reads tokenizers from local files only (no hub downloads): save one with "
            "tokenizer.save('folder/tokenizer.json')")
    return tokenizers.Tokenizer.from_file(str(path))


def render(task, row: dict) -> tuple[str, list[tuple[int, int]]]:
    """The row's text and the character span of every original token."""
    names = task.decode(row["input_ids"])
    spans, pos = [], 0
    for name in names:
        spans.append((pos, pos + len(name)))
        pos += len(name) + 1
    return " ".join(names), spans


def retokenize(task, row: dict, tokenizer) -> dict:
    """``{"input_ids", "loss_mask", "labels", "tokens"}`` under ``tokenizer``. A new token is
    trained when every original token its characters overlap is trained (the spaces between
    them belong to none): a merge of trained tokens (``" 83 12"`` in a byte-level BPE) stays
    trained, one reaching into the prompt does not, and whitespace alone is not."""
    text, spans = render(task, row)
    enc = tokenizer.encode(text)
    starts = [a for a, _ in spans]
    mask = []
    for start, end in enc.offsets:
        first = max(bisect.bisect_right(starts, start) - 1, 0)
        last = bisect.bisect_left(starts, end)  # the tokens starting before `end`
        touched = [i for i in range(first, last) if spans[i][0] < end and start < spans[i][1]]
        mask.append(1 if touched and all(row["loss_mask"][i] for i in touched) else 0)
    ids = list(enc.ids)
    return {"input_ids": ids, "loss_mask": mask,
            "labels": [t if m else -100 for t, m in zip(ids, mask)], "tokens": list(enc.tokens)}
