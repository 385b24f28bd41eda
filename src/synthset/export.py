"""Exports: a run folder (or a task, generated on the fly) to a nanoGPT data folder or to a
Hugging Face ``datasets`` folder.

    synthset export nanogpt SOURCE --name NAME [--out data] [--tokenizer char|task|PATH]
                                   [--val-fraction 0.1 | --val-split test]
    synthset export hf SOURCE OUT

Memory stays bounded: samples are read, encoded and appended in chunks; the character set of
a char-level export is collected in a first streaming pass.
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import numpy as np

from synthset.core.deps import require
from synthset.core.errors import ConfigError
from synthset.core.nested import text_field, to_strings
from synthset.io import parquet
from synthset.io.nanogpt import SplitWriter, token_dtype, write_meta
from synthset.io.parquet import split_glob
from synthset.runs import RunFolder
from synthset.runs.card import export_card
from synthset.tasks.spec import TaskSpec
from synthset.tasks.tokenize import load_tokenizer, render

CHUNK = 20_000
DEFAULT_TEMPLATE = "{problem} # {answer}\n"
# The characters task ids are spelled with in meta.pkl (nanoGPT's tools read one character per
# id): id i is the i-th of the 94 printable ASCII characters ! .. ~, then the CJK Unified
# Ideographs block (U+4E00..U+9FFF), then Hangul syllables (U+AC00..U+D7A3): single code points
# that no normaliser splits or joins. 32,258 ids at most.
TASK_ALPHABET = "".join(map(chr, [*range(33, 127), *range(0x4E00, 0xA000),
                                  *range(0xAC00, 0xD7A4)]))


# -- sources ---------------------------------------------------------------------------------
class Source:
    """Samples by split from a run folder (read through ``RunFolder``) or from a task
    generated on the fly (``task_config`` may hold its ``level``; the spec is canonical)."""

    def __init__(self, source: str, count: int | None = None, seed: int = 0,
                 task_config: dict | None = None, backend: str = "sympy"):
        self.name = str(source)
        path = Path(str(source))
        if path.is_dir():
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
            if count is None:
                raise ConfigError(f"{source!r} is not a run folder; to export a task by name, "
                                  "give --count (and --seed)")
            self.folder = self.run = None
            self.spec = TaskSpec.of(str(source), backend=backend, **(task_config or {}))
            self.task = self.spec.build()
            self.splits = ["train"]
            self.sizes = {"train": count}
            self.seed = seed
            self.fingerprint = (f"task:{source}:{self.spec.config}:seed={seed}:"
                                f"count={count}")

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

    def samples(self, split: str) -> Iterator:
        if self.run is not None:
            return self.run.samples(split)
        # The records of split "train" of a run with root_seed = --seed: the same rows.
        records = self.task.iter_records(self.seed, self.sizes["train"], split="train")
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
    import json

    data = json.loads(text)
    if isinstance(data, dict) and set(data) == {"problem", "answer"}:
        return data["problem"], data["answer"]
    return data


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
        # One array per row, then one concatenation: ~5x a flat np.fromiter over the tokens.
        ids = np.concatenate([np.array(s["input_ids"], dtype=np.int64) for s in samples])
        mask = np.concatenate([np.array(s["loss_mask"], dtype=np.uint8) for s in samples])
        lengths = np.fromiter((len(s["input_ids"]) for s in samples), dtype=np.int64,
                              count=len(samples))
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if len(samples) else lengths
        return ids, starts, mask

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
        """nanoGPT's ``stoi``/``itos`` map every id to ONE character (``TASK_ALPHABET``), so
        its character-level encode/decode round-trip; the readable names are kept under
        ``token_names`` (and in meta.json) for synthset's inspector and decoders."""
        names = self.task.vocab.itos
        if len(names) > len(TASK_ALPHABET):
            raise ConfigError(f"the task's {len(names)} token ids exceed the {len(TASK_ALPHABET)}"
                              " single characters of meta.pkl's alphabet")
        chars = TASK_ALPHABET[:len(names)]
        return {"stoi": {c: i for i, c in enumerate(chars)}, "itos": dict(enumerate(chars)),
                "token_names": list(names)}


class HFEncoder(Encoder):
    """A Hugging Face tokenizer from local files."""

    def __init__(self, path, task=None, template=DEFAULT_TEMPLATE):
        self.tok = load_tokenizer(path)
        self.name = str(path)
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


# -- nanoGPT ---------------------------------------------------------------------------------
def plain_name(name: str, what: str = "--name") -> str:
    """A data folder's name: one path component, so it cannot point outside its parent."""
    text = str(name)
    if not text or text in (".", "..") or "/" in text or "\\" in text or "\0" in text:
        raise ConfigError(f"{what} must be a plain folder name (no '/', '..' or absolute "
                          f"path), got {text!r}")
    return text


def export_nanogpt(source, name: str, out="data", tokenizer: str = "char",
                   val_fraction: float | None = None, val_split: str | None = None,
                   template: str = DEFAULT_TEMPLATE, count: int | None = None, seed: int = 0,
                   task_config: dict | None = None, backend: str = "sympy",
                   overwrite: bool = False,
                   chunk: int = CHUNK) -> dict:
    """Write ``out/name/{train,val}.bin``, ``meta.pkl``, ``meta.json`` (and sidecars);
    returns meta.json's contents. An existing export is replaced only with ``overwrite``."""
    folder = Path(out) / plain_name(name)
    if not overwrite and any((folder / f).exists() for f in ("train.bin", "val.bin", "meta.pkl")):
        raise ConfigError(f"{folder} holds an export already; give another --name, or "
                          "--overwrite to replace it")

    src = source if isinstance(source, Source) else Source(source, count, seed, task_config,
                                                           backend)
    if val_fraction is not None and val_split is not None:
        raise ConfigError("give --val-fraction or --val-split, not both")
    if val_split is not None and val_split not in src.splits:
        raise ConfigError(f"--val-split {val_split!r}: the source has splits "
                          f"{', '.join(src.splits)}")
    if "train" not in src.splits:
        raise ConfigError(f"the source has no train split (splits: {', '.join(src.splits)})")
    if val_split is None:
        val_fraction = 0.1 if val_fraction is None else val_fraction
        if not 0.0 < val_fraction < 1.0:
            raise ConfigError(f"--val-fraction must be in (0, 1), got {val_fraction}")
    if "{problem}" not in template or "{answer}" not in template:
        raise ConfigError("the template must contain {problem} and {answer}")
    started = time.perf_counter()

    raw = tokenizer == "task" and src.folder is not None  # C-speed path over JSONL lines

    def parts():
        """(output split, samples) in order: train then val."""
        read = src.lines if raw else src.samples
        if val_split is not None:
            return [("train", read("train")), ("val", read(val_split))]
        n = src.size("train")
        n_val = max(1, math.ceil(n * val_fraction))
        if n_val >= n:
            raise ConfigError(f"--val-fraction {val_fraction} leaves no training sample of {n}")
        it = read("train")
        return [("train", islice(it, n - n_val)), ("val", it)]

    if tokenizer == "char":
        enc = CharEncoder.fit((c for _, s in parts() for c in _chunks(s, chunk)), src.task,
                              template)
    elif tokenizer == "task":
        enc = TaskEncoder(src.task)
    else:
        enc = HFEncoder(tokenizer, src.task, template)
    dtype = token_dtype(enc.vocab_size)
    folder.mkdir(parents=True, exist_ok=True)
    stats = {}
    for split, samples in parts():
        writer = None
        try:
            for samples_chunk in _chunks(samples, chunk):
                ids, starts, mask = (enc.encode_lines if raw else enc.encode)(samples_chunk)
                if writer is None:
                    writer = SplitWriter(folder, split, dtype, with_mask=mask is not None)
                writer.write(ids, starts, mask)
            if writer is None:
                raise ConfigError(f"split {split!r} of the export is empty")
        except BaseException:
            if writer is not None:
                writer.abort()
            raise
        writer.close()
        stats[split] = {"samples": writer.samples, "tokens": writer.tokens,
                        "mask": "mask" in writer.paths}
    meta_json = {
        "vocab_size": enc.vocab_size, "dtype": dtype.name, "tokenizer": enc.name,
        "source": src.name, "source_fingerprint": src.fingerprint,
        "task": getattr(src.task, "name", None), "template": template,
        "splits": stats, "seconds": round(time.perf_counter() - started, 3),
        # Where val's samples come from, so that a trainer can score its answers with the
        # source's task: split `split` of the source, from index `start` on.
        "val_from": {"split": val_split, "start": 0} if val_split is not None else
        {"split": "train", "start": stats["train"]["samples"]},
        "source_spec": ({"run": str(Path(src.folder).resolve())} if src.folder is not None
                        else {"task": src.name, "count": src.sizes["train"], "seed": src.seed,
                              "task_config": src.spec.config,
                              "backend": src.spec.backend or "sympy"}),
    }
    meta_pkl = {"vocab_size": enc.vocab_size, **enc.meta(), "dtype": dtype.name,
                "tokenizer": enc.name}
    if "token_names" in meta_pkl:
        meta_json["token_names"] = meta_pkl["token_names"]
    write_meta(folder, meta_pkl, meta_json)
    return meta_json


def _chunks(iterable, size: int):
    it = iter(iterable)
    while True:
        block = list(islice(it, size))
        if not block:
            return
        yield block


# -- Hugging Face ----------------------------------------------------------------------------
def export_hf(source, out, count: int | None = None, seed: int = 0,
              task_config: dict | None = None, backend: str = "sympy",
              prompts: bool = False, overwrite: bool = False) -> list[str]:
    """Write ``out/data/{split}-00000-of-000NN.parquet`` for every split (explicit schema,
    split names kept), loadable by ``datasets.load_dataset("parquet", data_dir=out)``.

    With ``prompts``, the columns are what a prompting or RL trainer reads: ``prompt`` and
    ``answer`` (the task contract's text), ``example`` (the sample's record as JSON, what
    ``synthset.rewards`` scores against) and ``index``. A folder that holds an export already
    (``data/*.parquet``) is replaced only with ``overwrite`` (its old Parquet files removed
    first, so no split of the earlier export stays beside the new ones)."""
    src = source if isinstance(source, Source) else Source(source, count, seed, task_config,
                                                           backend)
    out = Path(out)
    old = sorted((out / parquet.DATA_DIR).glob("*.parquet"))
    if old and not overwrite:
        raise ConfigError(f"{out} holds an export already ({len(old)} Parquet file(s) under "
                          f"{out / parquet.DATA_DIR}); give another folder, or --overwrite to "
                          "replace it")
    for path in old:
        path.unlink()
    tmp = out / ".parts"
    tmp.mkdir(parents=True, exist_ok=True)
    written = []
    try:
        for split in src.splits:
            parts, total = [], 0
            samples = src.examples(split) if prompts else src.samples(split)
            for k, block in enumerate(_chunks(samples, CHUNK)):
                part = tmp / f"{split}-{k:05d}.parquet"
                if prompts:
                    parquet.write_rows_part(part, [
                        {"prompt": ex["prompt"], "answer": ex["answer"],
                         "example": record_json(rec)} for ex, rec in block], total)
                elif isinstance(block[0], dict):
                    parquet.write_rows_part(part, block, total)
                else:
                    parquet.write_part(part, [text_field(p) for p, _ in block],
                                       [text_field(a) for _, a in block], total)
                parts.append(part)
                total += len(block)
            written += parquet.merge_parts(parts, out, split, total)
        if src.folder is not None:  # the run's dataset card, its configs on these files
            export_card(src.folder, out)
    finally:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return written


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
