"""Token counts of samples under a real tokenizer, read from local files only.

    tok = load_tokenizer("tokenizers/gpt2")          # a tokenizer.json, or a folder holding one
    prompt_n, answer_n = count_tokens(tok, prompts, answers)
    counts = TokenCounts(); counts.add(prompt_n, answer_n); counts.summary()
    keep = TokenFilter(tok, max_tokens=512)          # keep.keep(prompts, answers) -> [bool]

A sample's prompt and answer are encoded separately, in batches (``encode_batch``, which
tokenizers runs on every core), without the tokenizer's special tokens: the counts are those
of the sample's own text, the same whatever template or BOS/EOS a trainer adds around it. A
sample is over a limit when its prompt's tokens plus its answer's are more than
``max_tokens``. Nothing here depends on the order or batching of the samples, so a filter's
decisions and the summaries are the same for any chunk size.

Counts are kept as exact histograms (a count -> how many samples), so percentiles are exact
and memory grows with the longest sample, not with the number of samples.

Nothing is downloaded: a path that holds no tokenizer is one ConfigError naming the flag.
``tokenizers`` (extra ``hf``) is imported when a tokenizer is loaded; a folder without a
``tokenizer.json`` (vocabulary files only) is read with ``transformers``, also from disk only.
Imports ``core`` only.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from synthset.core.deps import require
from synthset.core.errors import ConfigError

# Percentiles the summaries give (exact, from the histogram: the smallest count with at least
# p% of the samples at or below it).
PERCENTILES = (50, 90, 99)
PARTS = ("prompt", "answer", "total")


def load_tokenizer(path, flag: str = "--tokenizer"):
    """A ``tokenizers.Tokenizer`` from ``path``: a ``tokenizer.json`` file, or a folder holding
    one (or a ``transformers`` tokenizer's vocabulary files). Anything else is one
    ConfigError naming ``flag``."""
    text = str(path)
    local = Path(text)
    if "://" in text or not local.exists():
        raise ConfigError(f"{flag} {text!r}: no such file or folder (a tokenizer.json, or a "
                          "folder holding one; tokenizers are read from local files only)")
    tokenizers = require("tokenizers", "hf", f"{flag}")
    file = local / "tokenizer.json" if local.is_dir() else local
    if file.is_file():
        try:
            return tokenizers.Tokenizer.from_file(str(file))
        except Exception as exc:  # the Rust parser's own error: one line of it
            why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ConfigError(f"{flag} {text!r}: {file.name} is not a tokenizers "
                              f"tokenizer.json ({why})") from None
    if local.is_dir():
        return _from_transformers(local, flag)
    raise ConfigError(f"{flag} {text!r}: not a tokenizer.json")


# The files a transformers tokenizer folder holds besides tokenizer.json (one is enough to try).
VOCAB_FILES = ("tokenizer_config.json", "vocab.json", "vocab.txt", "spiece.model",
               "tokenizer.model", "sentencepiece.bpe.model")


def _from_transformers(folder: Path, flag: str):
    """The fast tokenizer ``transformers`` builds from a folder's vocabulary files (no
    download: ``local_files_only``)."""
    if not any((folder / name).is_file() for name in VOCAB_FILES):
        raise ConfigError(f"{flag} {str(folder)!r}: holds no tokenizer.json (nor "
                          f"{', '.join(VOCAB_FILES)}); save one with "
                          "tokenizer.save('folder/tokenizer.json')")
    transformers = require("transformers", "train", flag)
    try:
        tok = transformers.AutoTokenizer.from_pretrained(str(folder), local_files_only=True,
                                                         use_fast=True)
    except Exception as exc:
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"{flag} {str(folder)!r}: holds no tokenizer.json and no tokenizer "
                          f"transformers can read ({why[:200]})") from None
    backend = getattr(tok, "backend_tokenizer", None)
    if backend is None:
        raise ConfigError(f"{flag} {str(folder)!r}: transformers reads only a slow (Python) "
                          "tokenizer there; save a fast one (tokenizer.json) to count tokens")
    return backend


def tokenizer_digest(tokenizer) -> str:
    """The first 16 hex digits of the sha256 of the tokenizer's JSON: what a report records
    besides the path, so that a changed tokenizer at the same path is told apart."""
    return hashlib.sha256(tokenizer.to_str().encode()).hexdigest()[:16]


def count_tokens(tokenizer, prompts: list[str], answers: list[str]) -> tuple[list[int], list[int]]:
    """The token counts of each prompt and each answer (special tokens left out)."""
    if len(prompts) != len(answers):
        raise ValueError(f"{len(prompts)} prompts but {len(answers)} answers")
    if not prompts:
        return [], []
    encs = tokenizer.encode_batch([*prompts, *answers], add_special_tokens=False)
    lengths = [len(e.ids) for e in encs]
    return lengths[:len(prompts)], lengths[len(prompts):]


def check_max_tokens(max_tokens, flag: str = "--max-tokens") -> int:
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
        raise ConfigError(f"{flag} must be a positive integer (tokens of a sample's prompt "
                          f"and answer together), got {max_tokens!r}")
    return max_tokens


def over_limit(prompt_tokens: int, answer_tokens: int, max_tokens: int) -> bool:
    """Whether a sample of these counts is over ``max_tokens`` (prompt and answer together)."""
    return prompt_tokens + answer_tokens > max_tokens


class TokenCounts:
    """Exact histograms of prompt, answer and prompt + answer token counts, mergeable.

    Args:
        max_tokens: also count the samples over this many tokens (None: no limit).
    """

    def __init__(self, max_tokens: int | None = None):
        self.max_tokens = max_tokens
        self.hist: dict[str, dict[int, int]] = {p: {} for p in PARTS}
        self.over = 0

    def add(self, prompt_counts: list[int], answer_counts: list[int]) -> None:
        for part, values in (("prompt", prompt_counts), ("answer", answer_counts),
                             ("total", [p + a for p, a in zip(prompt_counts, answer_counts)])):
            hist = self.hist[part]
            for v in values:
                hist[v] = hist.get(v, 0) + 1
            if part == "total" and self.max_tokens is not None:
                self.over += sum(1 for v in values if v > self.max_tokens)

    def merge(self, other: TokenCounts) -> None:
        for part in PARTS:
            for v, n in other.hist[part].items():
                self.hist[part][v] = self.hist[part].get(v, 0) + n
        self.over += other.over

    def summary(self) -> dict:
        """``{prompt, answer, total}``, each ``{samples, tokens, min, mean, max, p50, p90,
        p99}``, and ``over_max_tokens`` when a limit was given."""
        out = {part: summarize(self.hist[part]) for part in PARTS}
        if self.max_tokens is not None:
            out["max_tokens"] = self.max_tokens
            out["over_max_tokens"] = self.over
        return out


def summarize(hist: dict[int, int]) -> dict:
    """The summary of a histogram of counts; the mean is rounded to 4 decimals."""
    samples = sum(hist.values())
    if not samples:
        return {"samples": 0, "tokens": 0, "min": 0, "mean": 0.0, "max": 0,
                **{f"p{p}": 0 for p in PERCENTILES}}
    values = sorted(hist)
    tokens = sum(v * n for v, n in hist.items())
    out = {"samples": samples, "tokens": tokens, "min": values[0],
           "mean": round(tokens / samples, 4), "max": values[-1]}
    for p in PERCENTILES:
        need, seen = -(-p * samples // 100), 0  # ceil(p% of the samples), at least 1
        for v in values:
            seen += hist[v]
            if seen >= max(need, 1):
                out[f"p{p}"] = v
                break
    return out


class TokenFilter:
    """Keeps the samples of at most ``max_tokens`` tokens (prompt and answer together) under
    ``tokenizer``, and counts the ones it skips.

    Args:
        tokenizer: a ``tokenizers.Tokenizer`` or the path ``load_tokenizer`` reads.
        max_tokens: the largest accepted prompt + answer token count.
    """

    def __init__(self, tokenizer, max_tokens: int):
        self.max_tokens = check_max_tokens(max_tokens)
        self.tokenizer = tokenizer if hasattr(tokenizer, "encode_batch") else \
            load_tokenizer(tokenizer)
        self.digest = tokenizer_digest(self.tokenizer)
        self.kept = 0
        self.skipped = 0

    def keep(self, prompts: list[str], answers: list[str]) -> list[bool]:
        """For each sample, whether it is kept; the counts of kept and skipped grow."""
        p, a = count_tokens(self.tokenizer, prompts, answers)
        keep = [not over_limit(x, y, self.max_tokens) for x, y in zip(p, a)]
        kept = sum(keep)
        self.kept += kept
        self.skipped += len(keep) - kept
        return keep
