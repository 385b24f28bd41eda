"""Exports: a run folder (or a task, generated on the fly) to a nanoGPT data folder, to llm.c
/ modded-nanogpt token shards, or to a Hugging Face ``datasets`` folder.

    synthset export nanogpt SOURCE --name NAME [--output-dir data] [--tokenizer char|task|PATH]
                                   [--val-fraction 0.1 | --val-split test]
                                   [--shard-format nanogpt|llmc] [--shard-tokens 100M]
                                   [--count N | --tokens 1B] [--n-jobs -1]
    synthset export hf SOURCE OUT [--prompts]

Memory stays bounded: samples are read, encoded and appended in chunks; the character set of
a char-level export is collected in a first streaming pass. A task source is generated as it
is written, by the engine's worker processes (``_made``), in blocks that are put back in
index order, so the bytes are the same for any number of workers; nothing but the output is
stored. On a terminal, a bar per split on stderr shows the samples (or a budget's tokens) done.

The folder an export writes is new or empty, or holds this very export already (the same
source fingerprint and options, recorded in meta.json or ``.synthset-export.json``): then there
is nothing to do, so a command can be run twice. Anything else is refused unless
``overwrite``, which first removes the files an export writes (never other files).
"""

from __future__ import annotations

import glob
import hashlib
import itertools
import json
import math
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from importlib import metadata
from itertools import chain, islice
from pathlib import Path

import numpy as np

from synthset.core.deps import require
from synthset.core.errors import ConfigError, FormatError, bad_choice
from synthset.core.fs import atomic_write_text, is_tmp_name
from synthset.core.identity import callable_identity
from synthset.core.nested import text_field, to_strings
from synthset.engine.executors import check_n_jobs
from synthset.engine.progress import bar
from synthset.io import parquet
from synthset.io.nanogpt import (
    LLMC_LAYOUTS,
    LLMC_MAX_TOKENS,
    LlmcWriter,
    SplitWriter,
    token_dtype,
    write_meta,
)
from synthset.io.parquet import split_glob
from synthset.io.tokens import TokenFilter, check_max_tokens
from synthset.runs import RunFolder, card
from synthset.tasks.spec import TaskSpec
from synthset.tasks.tokenize import load_tokenizer, render

CHUNK = 20_000
# Samples a worker makes at once for a task source (~1.4M Depo tokens, ~0.7 s of a core): a
# worker's memory is a few such blocks, whatever the export's size.
BLOCK = 5_000
SHARD_FORMATS = ("nanogpt", "llmc")
SHARD_TOKENS = 100_000_000  # an llm.c shard: fineweb.py's and modded-nanogpt's 10**8 tokens
DEFAULT_TEMPLATE = "{problem} # {answer}\n"
# How meta.pkl spells task ids for nanoGPT's tools, which read one character per id. The token
# that starts a sample (START_TOKEN) is "\n": the start nanoGPT's sample.py and ReaLLM-Forge's
# sampling use by default, so their default prompt begins a sample. Every other id, in id
# order, is the next character of TASK_ALPHABET: the CJK Unified Ideographs (U+4E00..U+9FFF),
# then the Hangul syllables (U+AC00..U+D7A3). Each is a letter of Python names, never a digit,
# space, quote, bracket or '=', so any string of them typed as `--start=...` stays a string in
# nanoGPT's configurator (its literal_eval fails on a name) and one word to a shell; each is a
# single code point NFC keeps as it is. 32,164 ids besides the start token.
START_TOKEN = "<bos>"
TASK_ALPHABET = "".join(map(chr, [*range(0x4E00, 0xA000), *range(0xAC00, 0xD7A4)]))
HF_PARTS = ".parts"  # an hf export's parts before the merge (a killed one's: taken over)
HF_RECORD = ".synthset-export.json"  # an hf export's identity, splits and files, written last
# Every file a nanoGPT export may write, meta.json (written last) first: what --overwrite
# removes before writing.
NANOGPT_FILES = ("meta.json", "meta.pkl", "train.bin", "val.bin", "train.mask.bin",
                 "val.mask.bin", "train.starts.bin", "val.starts.bin")


# -- sources ---------------------------------------------------------------------------------
class Source:
    """Samples by split from a run folder (read through ``RunFolder``) or from a task
    generated on the fly (``task_config`` may hold its ``level``; the spec is canonical)."""

    def __init__(self, source: str, count: int | None = None, seed: int = 0,
                 task_config: dict | None = None, backend: str = "sympy",
                 tokens: int | None = None):
        for flag, value in (("--count", count), ("--tokens", tokens)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                      or value < 1):
                raise ConfigError(f"{flag} must be a positive integer, got {value}")
        self.name = str(source)
        self.tokens = tokens  # a token budget: samples are made until it is reached
        path = Path(str(source))
        if path.is_dir():
            if count is not None or tokens is not None:
                raise ConfigError(f"--{'count' if count is not None else 'tokens'} is for a "
                                  f"task SOURCE; the run folder {source} holds its own samples")
            self.folder = path
            self.run = RunFolder(path)
            self.run.require_complete("export")
            self.splits = self.run.splits
            # A run's stored samples are read without importing any code it names.
            self.task = self.run.task() if self.run.task_spec is not None else None
            self.sizes = self.run.sizes
            self.fingerprint = self.run.fingerprint
            self.spec = self.run.task_spec
        else:
            if (count is None) == (tokens is None):
                raise ConfigError(f"{source!r} is not a run folder; to export a task by name, "
                                  "give --count or --tokens (and --seed)" if count is None
                                  else "give --count or --tokens, not both")
            self.folder = self.run = None
            self.spec = TaskSpec.of(str(source), backend=backend, **(task_config or {}))
            self.task = self.spec.build()
            self.splits = ["train"]
            self.sizes = {"train": count} if count is not None else {}
            self.seed = seed
            size = f"count={count}" if count is not None else f"tokens={tokens}"
            self.fingerprint = (f"task:{source}:{self.spec.config}:backend="
                                f"{self.spec.backend or 'sympy'}:seed={seed}:{size}")

    def contract_task(self):
        """The task that turns this source's records into examples (prompt and answer text):
        the built-in task, or the run's own generator seen as a task over its stored samples
        (no code the run names is imported: its verifier is not needed to read)."""
        if self.task is not None:
            return self.task
        return self.run.task(verifier=False)

    def examples(self, split: str) -> Iterator[tuple[dict, object]]:
        """``(example, record)`` of every sample of ``split``, in index order."""
        task = self.contract_task()
        for record in self.samples(split):
            yield task.example_of(record), record

    def lines(self, split: str) -> Iterator[bytes] | None:
        """Raw JSONL lines of a run folder's split (None for a generated source)."""
        return None if self.run is None else self.run.lines(split)

    def samples(self, split: str, start: int = 0, stop: int | None = None) -> Iterator:
        """The samples of ``split`` in index order; of a generated source, ``start`` to
        ``stop`` (default: its count; endless for a token budget)."""
        if self.run is not None:
            return self.run.samples(split)
        # The records of split "train" of a run with root_seed = --seed: the same rows.
        stop = self.sizes.get("train") if stop is None else stop
        records = self.task.iter_records(self.seed, stop, start=start, split="train")
        if self.task.kind == "reasoning":
            return records
        return ((to_strings(p), to_strings(a)) for p, a in records)

    def size(self, split: str) -> int:
        if split in self.sizes:
            return self.sizes[split]
        return sum(1 for _ in self.samples(split))


def record_json(record) -> str:
    """A record as the JSON the prompt datasets carry: ``{"problem", "answer"}`` for a
    (problem, answer) pair, the row itself for a task row."""
    import json

    if isinstance(record, dict):
        return json.dumps(record, separators=(",", ":"), ensure_ascii=False)
    problem, answer = record
    return json.dumps({"problem": problem, "answer": answer}, separators=(",", ":"),
                      ensure_ascii=False)


def record_from_json(text: str):
    """A record as ``to_hf_dataset(..., prompts=True)`` writes it in its ``example`` column.
    Read by orjson (twice as fast on a Depo record) when the text holds only numbers orjson
    reads exactly as ``json`` does: no number of 19 digits or more (orjson makes a float of an
    integer past 64 bits), no fraction or exponent; anything else, or anything orjson
    refuses, by ``json``."""
    data = None
    if type(text) is str:
        import orjson

        raw = text.encode("utf-8", "surrogatepass")
        shape = raw.translate(_NUMBER_SHAPE)  # digits as 1, "." "e" "E" as x, the rest spaces
        if b"1" * 19 not in shape and b"1x" not in shape:
            try:
                data = (orjson.loads(raw),)
            except orjson.JSONDecodeError:
                pass
    if data is None:
        import json

        data = (json.loads(text),)
    data = data[0]
    if isinstance(data, dict) and set(data) == {"problem", "answer"}:
        return data["problem"], data["answer"]
    return data


_NUMBER_SHAPE = bytes(0x31 if 0x30 <= b <= 0x39 else 0x78 if b in b".eE" else 0x20
                      for b in range(256))


# -- encoders --------------------------------------------------------------------------------
class Encoder(ABC):
    name = "base"
    vocab_size = 0

    @abstractmethod
    def encode(self, samples: list) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(ids, sample starts, mask or None) for a chunk of samples."""
        ...


def _texts(samples, task, template) -> tuple[list[str], list | None]:
    """Texts of samples, and per-sample character masks: for task rows the trained tokens'
    characters; for problem/answer samples the answer and what follows it in the template (its
    end marker, a newline by default) — a trainer's loss on the answer only."""
    texts, masks = [], None
    for s in samples:
        if isinstance(s, dict) and "input_ids" in s:
            if task is None:
                raise ConfigError("this run holds task rows but its manifest names no task: "
                                  "export it with --tokenizer task is impossible; re-run it "
                                  "with task: NAME")
            text, spans = render(task, s)
            masks = [] if masks is None else masks
            cmask = np.zeros(len(text) + 1, dtype=np.uint8)
            for (a, b), m in zip(spans, s["loss_mask"]):
                if m:
                    cmask[a:b] = 1
            masks.append(cmask)
            texts.append(text + "\n")
        elif isinstance(s, dict):
            texts.append(s["text"] + "\n")
        else:
            head, _, _ = template.partition("{answer}")
            text = template.format(problem=text_field(s[0]), answer=text_field(s[1]))
            start = len(head.format(problem=text_field(s[0])))
            masks = [] if masks is None else masks
            cmask = np.zeros(len(text), dtype=np.uint8)
            cmask[start:] = 1
            masks.append(cmask)
            texts.append(text)
    return texts, masks


class CharEncoder(Encoder):
    """Characters as tokens (nanoGPT's shakespeare_char): ids in sorted character order."""

    name = "char"

    def __init__(self, chars: list[str], task=None, template=DEFAULT_TEMPLATE):
        self.chars, self.task, self.template = chars, task, template
        self.vocab_size = len(chars)
        codes = np.array([ord(c) for c in chars], dtype=np.int64)
        self.lut = np.full(int(codes.max()) + 1 if len(codes) else 1, -1, dtype=np.int64)
        self.lut[codes] = np.arange(len(chars))

    @classmethod
    def fit(cls, chunks, task=None, template=DEFAULT_TEMPLATE) -> CharEncoder:
        seen: set[str] = set()
        for samples in chunks:
            texts, _ = _texts(samples, task, template)
            for text in texts:
                seen.update(text)
        return cls(sorted(seen), task, template)

    def encode(self, samples):
        texts, masks = _texts(samples, self.task, self.template)
        joined = "".join(texts)
        cps = np.frombuffer(joined.encode("utf-32-le"), dtype="<u4")
        ids = self.lut[cps]
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if len(texts) else lengths
        mask = np.concatenate(masks) if masks else None
        return ids, starts, mask

    def meta(self) -> dict:
        return {"stoi": {c: i for i, c in enumerate(self.chars)},
                "itos": {i: c for i, c in enumerate(self.chars)}}


class TaskEncoder(Encoder):
    """A reasoning task's own vocabulary: the rows' ids as they are."""

    name = "task"

    def __init__(self, task):
        if task is None or getattr(task, "vocab", None) is None:
            raise ConfigError("--tokenizer task needs a run made from a built-in task with a "
                              "vocabulary (depo, brevo, mano, lano); use char or a tokenizer "
                              "path for text")
        self.task = task
        self.vocab_size = len(task.vocab)

    def encode(self, samples):
        if samples and not isinstance(samples[0], dict):
            raise ConfigError("--tokenizer task needs task rows; this source holds "
                              "problem/answer text: use --tokenizer char or a tokenizer path")
        ids, starts = self.encode_ids(samples, np.int64)
        # np.fromiter over the chained lists, its length given: 1.3x one array per row
        # and a concatenation (1.4x for the ids alone, in the export's own dtype).
        mask = np.fromiter(chain.from_iterable(s["loss_mask"] for s in samples),
                           dtype=np.uint8, count=ids.size)
        return ids, starts, mask

    def encode_ids(self, samples, dtype) -> tuple[np.ndarray, np.ndarray]:
        """(ids in ``dtype``, sample starts): ``encode`` without the loss mask."""
        lengths = np.fromiter(map(len, (s["input_ids"] for s in samples)), dtype=np.int64,
                              count=len(samples))
        ids = np.fromiter(chain.from_iterable(s["input_ids"] for s in samples), dtype=dtype,
                          count=int(lengths.sum()))
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if len(samples) else lengths
        return ids, starts

    def encode_lines(self, lines: list[bytes]):
        """The same as ``encode`` on raw JSONL lines of task rows, parsed in C: the id lists
        are cut out of the lines and read by one ``np.fromstring`` per chunk; the 0/1 mask is
        every other byte of its list. ~2x ``encode`` on parsed rows."""
        import orjson

        ids_parts, mask_parts, lengths = [], [], []
        for line in lines:
            a = line.find(b'"input_ids":[')
            m = line.find(b'"loss_mask":[')
            if a < 0 or m < 0:  # not our compact rows: take the general path
                return self.encode([orjson.loads(x) for x in lines])
            a += 13
            b = line.index(b"]", a)
            m += 13
            ids_parts.append(line[a:b])
            mask_parts.append(line[m:line.index(b"]", m)])
            lengths.append(line.count(b",", a, b) + 1)
        ids = np.fromstring(b",".join(ids_parts).decode(), dtype=np.int64, sep=",")
        mask = np.frombuffer(b",".join(mask_parts), dtype=np.uint8)[::2] - ord("0")
        lengths = np.asarray(lengths, dtype=np.int64)
        if ids.size != lengths.sum() or mask.size != ids.size:
            raise ConfigError("malformed task rows: input_ids and loss_mask differ in length")
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        return ids, starts, mask

    def meta(self) -> dict:
        """nanoGPT's ``stoi``/``itos`` map every id to ONE character (``task_spelling``), so
        its character-level encode/decode round-trip and its default start ("\\n") is the
        start of a sample; the readable names are kept under ``token_names`` (and in
        meta.json) for synthset's inspector and decoders."""
        names = list(self.task.vocab.itos)
        chars = task_spelling(names)
        return {"stoi": {c: i for i, c in enumerate(chars)}, "itos": dict(enumerate(chars)),
                "token_names": names}


def task_spelling(names: list[str]) -> list[str]:
    """The one character meta.pkl spells each task id with: "\\n" for START_TOKEN, the next
    letter of TASK_ALPHABET for every other id (the rule above TASK_ALPHABET)."""
    letters = len(names) - (START_TOKEN in names)
    if letters > len(TASK_ALPHABET):
        raise ConfigError(f"the task's {len(names)} token ids exceed the {len(TASK_ALPHABET)}"
                          " single characters of meta.pkl's alphabet")
    alphabet = iter(TASK_ALPHABET)
    return ["\n" if name == START_TOKEN else next(alphabet) for name in names]


class HFEncoder(Encoder):
    """A Hugging Face tokenizer from local files."""

    def __init__(self, path, task=None, template=DEFAULT_TEMPLATE):
        self.tok = load_tokenizer(path)
        self.name = str(path)
        # What the export's identity records: the tokenizer's content, not only its path.
        self.digest = hashlib.sha256(self.tok.to_str().encode()).hexdigest()[:16]
        self.task, self.template = task, template
        self.vocab_size = self.tok.get_vocab_size()

    def encode(self, samples):
        texts, masks = _texts(samples, self.task, self.template)
        encs = self.tok.encode_batch(texts, add_special_tokens=False)
        ids = np.fromiter((t for e in encs for t in e.ids), dtype=np.int64)
        lengths = np.fromiter((len(e.ids) for e in encs), dtype=np.int64, count=len(encs))
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if len(encs) else lengths
        mask = None
        if masks is not None:
            mask = np.fromiter((1 if cm[a:b].size and cm[a:b].all() and b > a else 0
                                for e, cm in zip(encs, masks) for a, b in e.offsets),
                               dtype=np.uint8)
        return ids, starts, mask

    def meta(self) -> dict:
        vocab = self.tok.get_vocab()
        return {"stoi": vocab, "itos": {i: t for t, i in vocab.items()}}


# -- the folder an export writes, and what it shows on a terminal ----------------------------
def _version() -> str:
    """synthset's version: part of an export's identity (a newer synthset may write other
    bytes from the same source and options)."""
    try:
        return metadata.version("synthset")
    except metadata.PackageNotFoundError:  # a source tree that was never installed
        return "unknown"


def _record(path: Path) -> dict | None:
    """What an earlier export wrote last in its folder (meta.json, ``HF_RECORD``), or None."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _claim(folder: Path, identity: dict, record: dict | None, files: list[Path], other: str,
           overwrite: bool) -> bool:
    """Whether ``folder`` holds this very export already: its ``record`` has ``identity`` and
    every file it lists is there. Then there is nothing to do, unless ``overwrite`` (with a
    file missing, the export is written again). Else a new or empty folder is taken, any other
    only with ``overwrite`` (``other``: what the refusal asks for instead of this folder), and
    ``files`` are removed first: what an export writes there, its record first, so that no
    file of an earlier export stays beside the new ones and an export cut short is never taken
    for a finished one."""
    same = record is not None and record.get("identity") == identity
    if same and not overwrite and all((folder / n).exists() for n in record.get("files", [])):
        return True
    entries = sorted(p.name for p in folder.iterdir()
                     if p.name != HF_PARTS and not is_tmp_name(p.name)) \
        if folder.is_dir() else []
    if entries and not (overwrite or same):
        if record is None:
            what = f"is not empty ({', '.join(entries[:3])}{', ...' if len(entries) > 3 else ''})"
        else:
            old = record.get("identity") or {}
            what = "holds another export (different " + ", ".join(
                key for key in {**identity, **old} if old.get(key) != identity.get(key)) + ")"
        raise ConfigError(f"{folder} {what}; give another {other}, or --overwrite to write "
                          "this export there")
    for path in files:
        path.unlink(missing_ok=True)
    return False


def _counted(blocks, desc: str, total: int):
    """``blocks`` as they come, each counted once taken on a bar ``desc`` (of ``total``
    samples) that a terminal shows (``engine.progress``, the style of a run's bars); the bar
    closed at the end, or when the reader stops."""
    shown = bar(total, f"{desc:>10}")
    try:
        for block in blocks:
            yield block
            if shown is not None:
                shown.update(len(block))
    finally:
        if shown is not None:
            shown.close()


def _chunks(iterable, size: int):
    it = iter(iterable)
    while True:
        block = list(islice(it, size))
        if not block:
            return
        yield block


# -- nanoGPT and llm.c -----------------------------------------------------------------------
def plain_name(name: str, what: str = "--name") -> str:
    """A data folder's name: one path component, so it cannot point outside its parent."""
    text = str(name)
    if not text or text in (".", "..") or "/" in text or "\\" in text or "\0" in text:
        raise ConfigError(f"{what} must be a plain folder name (no '/', '..' or absolute "
                          f"path), got {text!r}")
    return text


class _BlockJob:
    """What a worker makes of samples ``[start, stop)`` of a generated source: their tokens in
    the export's dtype, each sample's offset and the loss mask (None without one) — arrays, a
    few bytes a token, never the rows. Runs in the engine's worker processes (forked: the
    task and encoder are inherited, not sent)."""

    def __init__(self, src: Source, enc: Encoder, dtype, with_mask: bool,
                 limit: _Limit | None = None):
        self.src, self.enc, self.dtype = src, enc, np.dtype(dtype)
        self.with_mask = with_mask  # llm.c's shards have no place for it: not sent
        self.limit = limit

    def __call__(self, item: tuple[int, int, int]):
        number, start, stop = item
        ids_parts, start_parts, mask_parts, keep_parts, offset = [], [], [], [], 0
        # Encoded a thousand samples at a time: a worker holds no more rows than that.
        ids_only = not self.with_mask and isinstance(self.enc, TaskEncoder)
        for a in range(start, stop, 1000):
            samples = list(self.src.samples("train", a, min(a + 1000, stop)))
            if ids_only and samples and isinstance(samples[0], dict):  # llm.c shards' ids
                try:  # numpy refuses an id out of the dtype's range
                    (ids, starts), mask = self.enc.encode_ids(samples, self.dtype), None
                except OverflowError:
                    (ids, starts), mask = self.enc.encode_ids(samples, np.int64), None
            else:
                ids, starts, mask = self.enc.encode(samples)
            if ids.size and int(ids.max()) > np.iinfo(self.dtype).max:
                raise FormatError(f"token id {int(ids.max())} does not fit {self.dtype}")
            ids_parts.append(ids.astype(self.dtype, copy=False))
            start_parts.append(starts + offset)
            if mask is not None and self.with_mask:
                mask_parts.append(mask.astype(np.uint8, copy=False))
            if self.limit is not None:
                keep_parts.append(self.limit.flags(samples, ids, starts))
            offset += ids.size
        return number, (np.concatenate(ids_parts), np.concatenate(start_parts),
                        np.concatenate(mask_parts) if mask_parts else None,
                        np.concatenate(keep_parts) if keep_parts else None)


def _made(src: Source, enc: Encoder, dtype, n_jobs: int, chunk: int, total: int | None,
          with_mask: bool = True, limit: _Limit | None = None):
    """Encoded blocks ``(ids, starts, mask)`` of a generated source's samples, in index order,
    made by ``n_jobs`` worker processes of the engine (in this process for one). ``total``
    samples, or endless for a token budget (the reader stops when it has enough; the workers
    are stopped then). The bytes never depend on the blocks: they are cut back at samples.

    Blocks go out in waves: a wave covers the samples still expected (for a budget, estimated
    from the tokens a sample had so far), in blocks of at most ``chunk`` and ``BLOCK``
    samples, at least four per worker so that the last one does not leave a core idle for
    long. With ``limit``, each block also says which samples are kept (the rest are left out
    by ``_cut``); a budget counts the kept samples' tokens only."""
    from synthset.engine.executors import get_executor

    executor = get_executor("loky", n_jobs)
    job = _BlockJob(src, enc, dtype, with_mask, limit)
    made = tokens = number = 0
    while True:
        if total is not None:
            wave = total - made
        elif made == 0:
            wave = min(chunk, 1000)  # a first taste: how many tokens a sample has
        else:
            wave = math.ceil(max(src.tokens - tokens, 1) * made / max(tokens, 1) * 1.02) + 1
        if wave <= 0:
            return
        if made and not tokens and limit is not None:  # all over --max-tokens so far
            raise ConfigError(f"every one of the first {made:,} samples is over --max-tokens "
                              f"{limit.max_tokens}: nothing fills the --tokens budget")
        size = max(1, min(chunk, BLOCK, math.ceil(wave / (4 * executor.workers))))
        items = []
        for a in range(made, made + wave, size):
            items.append((number, a, min(a + size, made + wave)))
            number += 1
        first, ready = items[0][0], {}
        results = executor.map_unordered(job, items)
        try:
            for k, block in results:
                ready[k] = block
                while first in ready:  # out of order: held until the blocks before it come
                    block = ready.pop(first)
                    first += 1
                    tokens += _kept_tokens(block)
                    yield block
        finally:
            results.close()  # the reader stopped early: the workers stop too
        made += wave


def _lengths(ids, starts) -> np.ndarray:
    return np.diff(np.append(starts, ids.size))


def _kept_tokens(block) -> int:
    """The tokens of a block's kept samples (all of them without a ``keep`` flag)."""
    ids, starts, _, keep = block
    return int(ids.size) if keep is None else int(_lengths(ids, starts)[keep].sum())


def _left_out(ids, starts, mask, keep):
    """``(ids, starts, mask)`` of the kept samples only, and how many were left out."""
    if keep is None or keep.all():
        return ids, starts, mask, 0
    lengths = _lengths(ids, starts)
    tokens = np.repeat(keep, lengths)
    kept = lengths[keep]
    starts = np.concatenate([[0], np.cumsum(kept)[:-1]]).astype(starts.dtype) if kept.size \
        else starts[:0]
    return (ids[tokens], starts, None if mask is None else mask[tokens],
            int(keep.size - keep.sum()))


def _cut(blocks, plan):
    """``(split, ids, starts, mask, skipped)`` from ``blocks`` ``(ids, starts, mask, keep)``,
    cut at sample boundaries into the splits of ``plan``: ``(split, unit, amount)``, ``unit``
    "samples" (that many of the source's, kept or not: the splits hold the same samples
    whatever is left out) or "tokens" (samples until the kept ones hold at least that many).
    The samples ``keep`` flags False are left out, ``skipped`` of them. A bar per split on a
    terminal."""
    it = iter(blocks)
    pending = None
    try:
        for split, unit, amount in plan:
            done = 0
            shown = bar(amount, f"{split:>10}", unit=f" {unit}", scale=unit == "tokens")
            try:
                while done < amount:
                    if pending is None:
                        pending = next(it, None)
                        if pending is None:
                            break
                    ids, starts, mask, keep = pending
                    if unit == "samples":
                        j = min(starts.size, amount - done)
                    else:  # the first sample whose end reaches the amount, and those before
                        counted = _lengths(ids, starts)
                        ends = np.cumsum(counted if keep is None else counted * keep)
                        j = min(starts.size,
                                int(np.searchsorted(ends, amount - done, side="left")) + 1)
                    cut = ids.size if j == starts.size else int(starts[j])
                    piece = _left_out(ids[:cut], starts[:j], None if mask is None else
                                      mask[:cut], None if keep is None else keep[:j])
                    yield (split, *piece)
                    pending = None if j == starts.size else \
                        (ids[cut:], starts[j:] - cut, None if mask is None else mask[cut:],
                         None if keep is None else keep[j:])
                    step = j if unit == "samples" else int(piece[0].size)
                    if shown is not None:  # a budget's last sample ends past it: shown full
                        shown.update(min(step, amount - done))
                    done += step
            finally:
                if shown is not None:
                    shown.close()
    finally:
        close = getattr(it, "close", None)
        if close is not None:
            close()


def _remove_stale_parts(folder: Path) -> None:
    """The temporary files (``.NAME.PID.tmp``) an export killed in ``folder`` left: up to a
    shard each (200 MB by default), hidden from the trainers' globs but not from the disk.
    Only those of a process that is gone."""
    import os

    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if not is_tmp_name(path.name) or not path.is_file():
            continue
        pid = int(path.name[:-len(".tmp")].rpartition(".")[2])
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            path.unlink(missing_ok=True)
        except PermissionError:  # another user's live process
            pass


def _encoded(chunks, enc, raw: bool, limit: _Limit | None = None):
    """``(ids, starts, mask, keep)`` of each chunk (``keep`` None without a limit)."""
    for samples_chunk in chunks:
        ids, starts, mask = (enc.encode_lines if raw else enc.encode)(samples_chunk)
        yield ids, starts, mask, \
            None if limit is None else limit.flags(samples_chunk, ids, starts)


class _Limit:
    """Which samples an export keeps under ``max_tokens``: those whose prompt and answer
    together are at most that many tokens. With a tokenizer PATH, the tokens of the sample's
    prompt and answer text under it (``io.tokens.TokenFilter``, the count ``synthset check
    --tokenizer PATH --max-tokens N`` makes); with ``task``, the ids of its row as the export
    writes them. Characters (``char``) are refused: they are not tokens a trainer counts."""

    def __init__(self, src: Source, tokenizer: str, max_tokens: int):
        self.max_tokens = check_max_tokens(max_tokens)
        if tokenizer == "char":
            raise ConfigError("--max-tokens counts tokens: give --tokenizer task (the task's "
                              "own ids) or a tokenizer PATH, not char")
        self.name = str(tokenizer)
        self.filter = None if tokenizer == "task" else TokenFilter(tokenizer, max_tokens)
        self.digest = None if self.filter is None else self.filter.digest
        self.task = None if self.filter is None else src.contract_task()

    def flags(self, samples, ids, starts) -> np.ndarray:
        """For each sample of a chunk (and its encoded ``ids``/``starts``), whether it is
        kept."""
        if self.filter is None:
            return _lengths(ids, starts) <= self.max_tokens
        examples = [self.task.example_of(s) for s in samples]
        return np.array(self.filter.keep([e["prompt"] for e in examples],
                                         [e["answer"] for e in examples]), dtype=bool)

    def describe(self, skipped: dict) -> str:
        """What was left out, in a line (the Croissant preprocessing protocol)."""
        under = "the task's own ids" if self.filter is None else \
            f"tokenizer {self.name} (sha256 {self.digest})"
        return (f"samples over {self.max_tokens} tokens (prompt and answer together) under "
                f"{under} left out: " + ", ".join(f"{n:,} of {s}" for s, n in skipped.items()))


def export_nanogpt(source, name: str, out="data", tokenizer: str = "char",
                   val_fraction: float | None = None, val_split: str | None = None,
                   template: str = DEFAULT_TEMPLATE, count: int | None = None, seed: int = 0,
                   task_config: dict | None = None, backend: str = "sympy",
                   overwrite: bool = False, chunk: int = CHUNK,
                   shard_format: str = "nanogpt", shard_tokens: int = SHARD_TOKENS,
                   tokens: int | None = None, n_jobs: int = -1,
                   max_tokens: int | None = None) -> dict:
    """Write ``out/name/``: nanoGPT's ``{train,val}.bin`` and ``meta.pkl`` (and sidecars), or
    with ``shard_format="llmc"`` llm.c / modded-nanogpt shards ``name_{train,val}_000000.bin``
    of ``shard_tokens`` tokens each; then ``meta.json``. Returns meta.json's contents, with
    ``unchanged`` True when the folder held this very export already (nothing is written). Any
    other non-empty folder is written only with ``overwrite``.

    A task source is generated as it is written, by ``n_jobs`` worker processes (-1: one per
    core; the bytes are the same for any number): ``count`` samples, or samples until they
    hold ``tokens`` tokens of the chosen tokenizer (val: the last ``val_fraction`` of them).

    With ``max_tokens``, a sample over that many tokens (``_Limit``: prompt and answer under a
    tokenizer PATH, or the row's ids with ``task``) is left out and counted (``skipped`` per
    split); the splits still end at the same source samples, and a ``tokens`` budget counts
    kept samples only."""
    folder = Path(out) / plain_name(name)
    if shard_format not in SHARD_FORMATS:
        raise bad_choice("--shard-format", shard_format, SHARD_FORMATS)
    if shard_format == "llmc" and (isinstance(shard_tokens, bool) or
                                   not isinstance(shard_tokens, int) or
                                   not 0 < shard_tokens <= LLMC_MAX_TOKENS):
        raise ConfigError(f"--shard-tokens must be an integer from 1 to {LLMC_MAX_TOKENS:,} "
                          f"(llm.c's header counts a shard's tokens in an int32), got "
                          f"{shard_tokens!r}")
    check_n_jobs(n_jobs)
    src = source if isinstance(source, Source) else Source(source, count, seed, task_config,
                                                           backend, tokens)
    if val_fraction is not None and val_split is not None:
        raise ConfigError("give --val-fraction or --val-split, not both")
    if val_split is not None and val_split not in src.splits:
        raise ConfigError(f"--val-split {val_split!r}: the source has splits "
                          f"{', '.join(src.splits)}")
    if "train" not in src.splits:
        raise ConfigError(f"the source has no train split (splits: {', '.join(src.splits)})")
    if src.tokens is not None and tokenizer == "char":
        raise ConfigError("--tokens counts the tokens of a fixed vocabulary: give --tokenizer "
                          "task or a tokenizer file, or --count with char")
    if val_split is None:
        val_fraction = 0.1 if val_fraction is None else val_fraction
        if not 0.0 < val_fraction < 1.0:
            raise ConfigError(f"--val-fraction must be in (0, 1), got {val_fraction}")
        if src.tokens is not None:  # a budget: val holds the last fraction of the tokens
            n_val = max(1, math.ceil(src.tokens * val_fraction))
            if n_val >= src.tokens:
                raise ConfigError(f"--val-fraction {val_fraction} leaves no training token "
                                  f"of {src.tokens}")
            plan = [("train", "tokens", src.tokens - n_val), ("val", "tokens", n_val)]
        else:
            n = src.size("train")
            n_val = max(1, math.ceil(n * val_fraction))
            if n_val >= n:
                raise ConfigError(f"--val-fraction {val_fraction} leaves no training sample "
                                  f"of {n}")
            plan = [("train", "samples", n - n_val), ("val", "samples", n_val)]
    else:
        plan = [("train", "samples", src.size("train")), ("val", "samples", src.size(val_split))]
    if "{problem}" not in template or "{answer}" not in template:
        raise ConfigError("the template must contain {problem} and {answer}")
    enc = None  # char: fitted below, in a pass over the samples, once the folder is taken
    if tokenizer == "task":
        enc = TaskEncoder(src.task)
    elif tokenizer != "char":
        enc = HFEncoder(tokenizer, src.task, template)
    limit = None if max_tokens is None else _Limit(src, tokenizer, max_tokens)
    # What makes the bytes: the same identity in meta.json is the same export.
    identity = {"source": src.fingerprint, "tokenizer": tokenizer,
                "tokenizer_digest": getattr(enc, "digest", None), "val_fraction": val_fraction,
                "val_split": val_split, "template": template, "synthset_version": _version()}
    if shard_format == "llmc":
        identity.update(shard_format=shard_format, shard_tokens=shard_tokens)
    if limit is not None:
        identity.update(max_tokens=limit.max_tokens, max_tokens_digest=limit.digest)
    record = _record(folder / "meta.json")
    written = [folder / f for f in NANOGPT_FILES] + [  # and llm.c shards
        p for split in ("train", "val")
        for p in sorted(folder.glob(f"{glob.escape(name)}_{split}_[0-9]*.bin"))]
    if _claim(folder, identity, record, written, "--name", overwrite):
        return {**record, "unchanged": True}
    _remove_stale_parts(folder)
    started = time.perf_counter()

    raw = tokenizer == "task" and src.folder is not None  # C-speed path over JSONL lines

    def parts():
        """(output split, samples) of a run folder in order: train then val."""
        read = src.lines if raw else src.samples
        if val_split is not None:
            return [("train", read("train")), ("val", read(val_split))]
        it = read("train")
        return [("train", islice(it, plan[0][2])), ("val", it)]

    if enc is None:
        if src.run is not None:
            chunks = (c for _, s in parts() for c in _chunks(s, chunk))
        else:
            chunks = _chunks(src.samples("train"), chunk)
        enc = CharEncoder.fit(_counted(chunks, "vocabulary", sum(p[2] for p in plan)),
                              src.task, template)
    dtype = token_dtype(enc.vocab_size)
    if shard_format == "llmc" and dtype.name not in LLMC_LAYOUTS:
        raise ConfigError(f"a vocabulary of {enc.vocab_size:,} ids needs {dtype.name}, which "
                          "no llm.c layout holds")
    if src.run is None:  # made by the engine's workers as it is written
        total = None if src.tokens is not None else sum(p[2] for p in plan)
        pieces = _cut(_made(src, enc, dtype, n_jobs, chunk, total, shard_format != "llmc",
                            limit), plan)
    elif val_split is not None:
        (_, train), (_, val) = parts()
        pieces = itertools.chain(
            _cut(_encoded(_chunks(train, chunk), enc, raw, limit), plan[:1]),
            _cut(_encoded(_chunks(val, chunk), enc, raw, limit), plan[1:]))
    else:
        pieces = _cut(_encoded(_chunks(src.lines("train") if raw else src.samples("train"),
                                       chunk), enc, raw, limit), plan)
    folder.mkdir(parents=True, exist_ok=True)
    writers: dict = {}
    skipped = {split: 0 for split, _, _ in plan}
    try:
        for split, ids, starts, mask, left_out in pieces:
            skipped[split] += left_out
            if split not in writers:
                for w in writers.values():
                    w.close()
                writers[split] = (
                    LlmcWriter(folder, name, split, dtype, shard_tokens)
                    if shard_format == "llmc" else
                    SplitWriter(folder, split, dtype, with_mask=mask is not None))
            if starts.size:
                writers[split].write(ids, starts, mask)
        for split, _, _ in plan:
            if split not in writers or not writers[split].samples:
                raise ConfigError(f"split {split!r} of the export is empty" + (
                    f": each of its {skipped[split]:,} samples is over --max-tokens "
                    f"{limit.max_tokens}" if skipped[split] else ""))
    except BaseException:
        for w in writers.values():
            w.abort()
        raise
    writers[plan[-1][0]].close()
    stats, files = {}, []
    for split, writer in writers.items():
        stats[split] = {"samples": writer.samples, "tokens": writer.tokens}
        if shard_format == "llmc":
            stats[split]["shards"] = len(writer.paths)
        else:
            stats[split]["mask"] = "mask" in writer.paths
        files += [p.name for p in writer.paths.values()]
        if limit is not None:
            stats[split]["skipped"] = skipped[split]
    # the source's samples the export read, kept or left out
    made = sum(skipped.values()) + stats["train"]["samples"] + stats["val"]["samples"]
    meta_json = {
        "vocab_size": enc.vocab_size, "dtype": dtype.name, "tokenizer": enc.name,
        "source": src.name, "source_fingerprint": src.fingerprint,
        "task": getattr(src.task, "name", None), "template": template,
        "splits": stats, "seconds": round(time.perf_counter() - started, 3),
        # Where val's samples come from, so that a trainer can score its answers with the
        # source's task: split `split` of the source, from index `start` on.
        "val_from": {"split": val_split, "start": 0} if val_split is not None else
        {"split": "train", "start": stats["train"]["samples"] + skipped["train"]},
        "source_spec": ({"run": str(Path(src.folder).resolve())} if src.folder is not None
                        else {"task": src.name, "count": made, "seed": src.seed,
                              "task_config": src.spec.config,
                              "backend": src.spec.backend or "sympy"}),
        "identity": identity,
    }
    if src.tokens is not None:
        meta_json["source_spec"]["tokens"] = src.tokens
    if limit is not None:  # what was left out: splits[split]["skipped"] counts it
        meta_json["max_tokens"] = {"max_tokens": limit.max_tokens, "tokenizer": limit.name,
                                   "digest": limit.digest}
    meta_pkl = {"vocab_size": enc.vocab_size, **enc.meta(), "dtype": dtype.name,
                "tokenizer": enc.name}
    if "token_names" in meta_pkl:
        meta_json["token_names"] = meta_pkl["token_names"]
    if shard_format == "llmc":
        # llm.c reads no metadata: meta.json alone says how to read the ids back.
        meta_json.update(shard_format="llmc", shard_tokens=shard_tokens,
                         magic=LLMC_LAYOUTS[dtype.name][0], version=LLMC_LAYOUTS[dtype.name][1])
        if isinstance(enc, CharEncoder):
            meta_json["chars"] = enc.chars
        if START_TOKEN in meta_json.get("token_names", ()):
            meta_json["bos_id"] = meta_json["token_names"].index(START_TOKEN)
        meta_json["files"] = files
        write_meta(folder, None, meta_json)  # meta.json last: the export is complete
    else:
        meta_json["files"] = [*files, "meta.pkl"]
        write_meta(folder, meta_pkl, meta_json)
    return {**meta_json, "unchanged": False}


# -- Hugging Face ----------------------------------------------------------------------------
def export_hf(source, out, count: int | None = None, seed: int = 0,
              task_config: dict | None = None, backend: str = "sympy",
              prompts: bool = False, overwrite: bool = False, tokenizer: str | None = None,
              max_tokens: int | None = None) -> dict:
    """Write ``out/data/{split}-00000-of-000NN.parquet`` for every split (explicit schema,
    split names kept) and the dataset card ``out/README.md``, whose ``configs`` make
    ``datasets.load_dataset(out)`` load them: the run's card, or for a task the card of the run
    these rows are split train of. Returns what ``out/.synthset-export.json`` records (the
    export's ``identity``, ``splits`` and their sample counts, ``files``), with ``unchanged``
    True when the folder held this very export already (nothing is written). Any other
    non-empty folder is written only with ``overwrite``.

    With ``prompts``, the columns are what a prompting or RL trainer reads: ``prompt`` and
    ``answer`` (the task contract's text), ``example`` (the sample's record as JSON, what
    ``synthset.rewards`` scores against) and ``index``.

    With ``max_tokens`` (and ``tokenizer``, a local tokenizer PATH), a sample whose prompt and
    answer together are over that many tokens under it (``io.tokens.TokenFilter``) is left out;
    the rows kept keep their source ``index``, and ``splits`` counts the ``skipped`` ones."""
    src = source if isinstance(source, Source) else Source(source, count, seed, task_config,
                                                           backend)
    out = Path(out)
    if (tokenizer is None) != (max_tokens is None):
        raise ConfigError("--max-tokens counts tokens under a tokenizer: give --tokenizer "
                          "PATH too (a tokenizer.json or a folder holding one)"
                          if tokenizer is None else
                          "--tokenizer is for --max-tokens N (an hf export writes text)")
    filt = None if max_tokens is None else TokenFilter(tokenizer, check_max_tokens(max_tokens))
    identity = {"source": src.fingerprint, "prompts": prompts, "synthset_version": _version()}
    if filt is not None:
        identity.update(max_tokens=filt.max_tokens, max_tokens_digest=filt.digest)
    record = _record(out / HF_RECORD)
    old = sorted((out / parquet.DATA_DIR).glob("*.parquet"))
    if _claim(out, identity, record, [out / HF_RECORD, *old], "OUT folder", overwrite):
        return {**record, "unchanged": True}
    tmp = out / HF_PARTS
    tmp.mkdir(parents=True, exist_ok=True)
    written, splits = [], {}
    try:
        task = src.contract_task() if filt is not None and not prompts else None
        for split in src.splits:
            parts, total, kept = [], 0, 0
            samples = src.examples(split) if prompts else src.samples(split)
            for k, block in enumerate(_counted(_chunks(samples, CHUNK), split,
                                               src.size(split))):
                part = tmp / f"{split}-{k:05d}.parquet"
                indices = None
                if filt is not None:
                    examples = [ex for ex, _ in block] if prompts else \
                        [task.example_of(r) for r in block]
                    flags = filt.keep([e["prompt"] for e in examples],
                                      [e["answer"] for e in examples])
                    indices = [total + i for i, f in enumerate(flags) if f]
                    block = [b for b, f in zip(block, flags) if f]
                    if not block:
                        total += len(flags)
                        continue
                if prompts:
                    parquet.write_rows_part(part, [
                        {"prompt": ex["prompt"], "answer": ex["answer"],
                         "example": record_json(rec)} for ex, rec in block], total)
                elif isinstance(block[0], dict):
                    parquet.write_rows_part(part, block, total)
                else:
                    parquet.write_part(part, [text_field(p) for p, _ in block],
                                       [text_field(a) for _, a in block], total)
                if indices is not None:
                    _reindex(part, indices)
                parts.append(part)
                total += len(block) if indices is None else len(flags)
                kept += len(block)
            if not parts:
                raise ConfigError(f"split {split!r} of the export is empty: each of its "
                                  f"{total:,} samples is over --max-tokens {max_tokens}")
            written += parquet.merge_parts(parts, out, split, kept)
            splits[split] = {"samples": kept}
            if filt is not None:
                splits[split]["skipped"] = total - kept
        if src.folder is not None:  # the run's dataset card, its configs on these files
            card.export_card(src.folder, out)
        else:
            _task_card(src, out)
        left_out = None if filt is None else (
            f"samples over {filt.max_tokens} tokens (prompt and answer together) under "
            f"tokenizer {tokenizer} (sha256 {filt.digest}) left out: "
            + ", ".join(f"{st['skipped']:,} of {s}" for s, st in splits.items()))
        # croissant.json beside the card: these Parquet files
        card.write_croissant(out, src, preprocessing=left_out)
    finally:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    record = {"identity": identity, "source": src.name, "splits": splits, "files": written}
    if filt is not None:
        record["max_tokens"] = {"max_tokens": filt.max_tokens, "tokenizer": str(tokenizer),
                                "digest": filt.digest}
    atomic_write_text(out / HF_RECORD, json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    return {**record, "unchanged": False}


def _reindex(part: Path, indices: list[int]) -> None:
    """Give a Parquet part's rows the source ``indices`` they were made at (the rows kept
    when others were left out)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(part)
    at = table.schema.get_field_index("index")
    table = table.set_column(at, "index", pa.array(indices, pa.int64()))
    pq.write_table(table, part, compression=parquet.COMPRESSION)


def _task_card(src: Source, out: Path) -> None:
    """The dataset card of a task exported by name: the card ``runs.card`` renders for the run
    these rows are split train of (root_seed = the seed), with the source's fingerprint. A
    ``README.md`` synthset did not write is left as it is."""
    task = src.spec.build()  # as a run builds it (a task that has made samples caches state)
    manifest = {
        "fingerprint": src.fingerprint, "task": src.spec.record(),
        "config": {"sizes": dict(src.sizes), "instance_generator": callable_identity(task),
                   "statistics_calculator": callable_identity(getattr(task, "statistics",
                                                                      None)),
                   "root_seed": src.seed},
        "versions": {"synthset": _version()}}
    side = {"license": None, "kind": task.kind, "task_config": task.describe()["config"]}
    target = out / card.CARD
    if card.is_ours(target):
        atomic_write_text(target, card.render(out, manifest, {}, side, layout="parquet",
                                              source="task export"))


def to_hf_dataset(source, split: str = "train", prompts: bool = False, **kwargs):
    """A ``datasets.Dataset`` of one split of a run folder (or of an exported folder, or of
    a task by name with ``count=``). With ``prompts``: the columns ``prompt``, ``answer``,
    ``example`` and ``index`` that ``synthset.rewards.reward_function`` scores against."""
    datasets = require("datasets", "hf", "to_hf_dataset")
    folder = Path(str(source))
    files = sorted(folder.glob(split_glob(split))) if folder.is_dir() and not prompts else []
    if not files:
        import tempfile

        out = Path(tempfile.mkdtemp(prefix="synthset-hf-"))
        export_hf(source, out, prompts=prompts, **kwargs)
        files = sorted(out.glob(split_glob(split)))
        if not files:
            raise ConfigError(f"no split {split!r} in {source}")
    return datasets.Dataset.from_parquet([str(f) for f in files])
