"""Exports: a run folder (or a task, generated on the fly) to a nanoGPT data folder or to a
Hugging Face ``datasets`` folder.

    synthset export nanogpt SOURCE --name NAME [--output-dir data] [--tokenizer char|task|PATH]
                                   [--val-fraction 0.1 | --val-split test]
    synthset export hf SOURCE OUT [--prompts]

Memory stays bounded: samples are read, encoded and appended in chunks; the character set of
a char-level export is collected in a first streaming pass. On a terminal, a bar per split on
stderr shows the samples done.

The folder an export writes is new or empty, or holds this very export already (the same
source fingerprint and options, recorded in meta.json or ``.synthset-export.json``): then there
is nothing to do, so a command can be run twice. Anything else is refused unless
``overwrite``, which first removes the files an export writes (never other files).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from importlib import metadata
from itertools import islice
from pathlib import Path

import numpy as np

from synthset.core.deps import require
from synthset.core.errors import ConfigError
from synthset.core.fs import atomic_write_text, is_tmp_name
from synthset.core.identity import callable_identity
from synthset.core.nested import text_field, to_strings
from synthset.engine.progress import bar
from synthset.io import parquet
from synthset.io.nanogpt import SplitWriter, token_dtype, write_meta
from synthset.io.parquet import split_glob
from synthset.runs import RunFolder, card
from synthset.tasks.spec import TaskSpec
from synthset.tasks.tokenize import load_tokenizer, render

CHUNK = 20_000
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
                 task_config: dict | None = None, backend: str = "sympy"):
        if count is not None and (isinstance(count, bool) or not isinstance(count, int)
                                  or count < 1):
            raise ConfigError(f"--count must be a positive integer, got {count}")
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
            self.fingerprint = (f"task:{source}:{self.spec.config}:backend="
                                f"{self.spec.backend or 'sympy'}:seed={seed}:count={count}")

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
            what = "holds another export (different " + \
                ", ".join(key for key in identity if old.get(key) != identity[key]) + ")"
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
    returns meta.json's contents, with ``unchanged`` True when the folder held this very export
    already (nothing is written). Any other non-empty folder is written only with
    ``overwrite``."""
    folder = Path(out) / plain_name(name)
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
        n = src.size("train")
        n_val = max(1, math.ceil(n * val_fraction))
        if n_val >= n:
            raise ConfigError(f"--val-fraction {val_fraction} leaves no training sample of {n}")
        sizes = {"train": n - n_val, "val": n_val}
    else:
        sizes = {"train": src.size("train"), "val": src.size(val_split)}
    if "{problem}" not in template or "{answer}" not in template:
        raise ConfigError("the template must contain {problem} and {answer}")
    enc = None  # char: fitted below, in a pass over the samples, once the folder is taken
    if tokenizer == "task":
        enc = TaskEncoder(src.task)
    elif tokenizer != "char":
        enc = HFEncoder(tokenizer, src.task, template)
    # What makes the bytes: the same identity in meta.json is the same export.
    identity = {"source": src.fingerprint, "tokenizer": tokenizer,
                "tokenizer_digest": getattr(enc, "digest", None), "val_fraction": val_fraction,
                "val_split": val_split, "template": template, "synthset_version": _version()}
    record = _record(folder / "meta.json")
    if _claim(folder, identity, record, [folder / f for f in NANOGPT_FILES], "--name",
              overwrite):
        return {**record, "unchanged": True}
    started = time.perf_counter()

    raw = tokenizer == "task" and src.folder is not None  # C-speed path over JSONL lines

    def parts():
        """(output split, samples) in order: train then val."""
        read = src.lines if raw else src.samples
        if val_split is not None:
            return [("train", read("train")), ("val", read(val_split))]
        it = read("train")
        return [("train", islice(it, sizes["train"])), ("val", it)]

    if enc is None:
        enc = CharEncoder.fit(_counted((c for _, s in parts() for c in _chunks(s, chunk)),
                                       "vocabulary", sum(sizes.values())), src.task, template)
    dtype = token_dtype(enc.vocab_size)
    folder.mkdir(parents=True, exist_ok=True)
    stats, files = {}, []
    for split, samples in parts():
        writer = None
        try:
            for samples_chunk in _counted(_chunks(samples, chunk), split, sizes[split]):
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
        files += [p.name for p in writer.paths.values()]
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
        "identity": identity, "files": [*files, "meta.pkl"],
    }
    meta_pkl = {"vocab_size": enc.vocab_size, **enc.meta(), "dtype": dtype.name,
                "tokenizer": enc.name}
    if "token_names" in meta_pkl:
        meta_json["token_names"] = meta_pkl["token_names"]
    write_meta(folder, meta_pkl, meta_json)  # meta.json last: the export is complete
    return {**meta_json, "unchanged": False}


# -- Hugging Face ----------------------------------------------------------------------------
def export_hf(source, out, count: int | None = None, seed: int = 0,
              task_config: dict | None = None, backend: str = "sympy",
              prompts: bool = False, overwrite: bool = False) -> dict:
    """Write ``out/data/{split}-00000-of-000NN.parquet`` for every split (explicit schema,
    split names kept) and the dataset card ``out/README.md``, whose ``configs`` make
    ``datasets.load_dataset(out)`` load them: the run's card, or for a task the card of the run
    these rows are split train of. Returns what ``out/.synthset-export.json`` records (the
    export's ``identity``, ``splits`` and their sample counts, ``files``), with ``unchanged``
    True when the folder held this very export already (nothing is written). Any other
    non-empty folder is written only with ``overwrite``.

    With ``prompts``, the columns are what a prompting or RL trainer reads: ``prompt`` and
    ``answer`` (the task contract's text), ``example`` (the sample's record as JSON, what
    ``synthset.rewards`` scores against) and ``index``."""
    src = source if isinstance(source, Source) else Source(source, count, seed, task_config,
                                                           backend)
    out = Path(out)
    identity = {"source": src.fingerprint, "prompts": prompts, "synthset_version": _version()}
    record = _record(out / HF_RECORD)
    old = sorted((out / parquet.DATA_DIR).glob("*.parquet"))
    if _claim(out, identity, record, [out / HF_RECORD, *old], "OUT folder", overwrite):
        return {**record, "unchanged": True}
    tmp = out / HF_PARTS
    tmp.mkdir(parents=True, exist_ok=True)
    written, splits = [], {}
    try:
        for split in src.splits:
            parts, total = [], 0
            samples = src.examples(split) if prompts else src.samples(split)
            for k, block in enumerate(_counted(_chunks(samples, CHUNK), split,
                                               src.size(split))):
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
            splits[split] = {"samples": total}
        if src.folder is not None:  # the run's dataset card, its configs on these files
            card.export_card(src.folder, out)
        else:
            _task_card(src, out)
    finally:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    record = {"identity": identity, "source": src.name, "splits": splits, "files": written}
    atomic_write_text(out / HF_RECORD, json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    return {**record, "unchanged": False}


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
