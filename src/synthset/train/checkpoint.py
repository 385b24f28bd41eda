"""Checkpoint folders: what ``synthset train`` and ``synthset curves`` write, and what
``synthset eval RUN --model CKPT`` and ``synthset curves model=CKPT`` read.

A run's output folder (``output_dir/<date_time>/``) is its checkpoint folder:

    config.json          the model's config (transformers' for GPT-2; synthset's for the
                         looped model: its ModelConfig, vocabulary size and context)
    model.safetensors    the weights
    vocab.json           what the ids mean: a token task's token names (the task spec rebuilds
                         the same vocabulary; the names let a reader check it), or the byte
                         encoding of text tasks (bytes 0..255, <bos> = 256, " # " between
                         problem and answer)
    task.json            the task spec (``TaskSpec.record()``; null for a user's generator)
                         and where the rows came from (the task's stream, a run folder, a
                         nanoGPT folder)
    train.json           the TrainConfig (by config key) and the ModelConfig
    summary.json         step (of these weights), steps, metric, losses, parameters,
                         tokens/s, the evaluation points
    config.yaml          the composed command-line config, for reading
    curve.csv/.png       (train) or curves.csv/.png (curves): the evaluation points

The weights and the summary are rewritten at every evaluation, each file replaced whole, so a
run stopped half-way leaves the checkpoint of its last evaluation. Loading reads JSON and
safetensors only (``models.load_model``): nothing in the folder is executed.

``OutputFolder`` makes the timestamped folder once everything has been checked, and removes
it again when the run fails before it held any weights or curve. When a run that saved weights
finishes, ``output_dir/latest`` is made to point at its folder (a relative symbolic link,
replaced in one step): ``synthset eval RUN --model outputs/train/latest`` and ``synthset curves
model=outputs/train/latest`` read the newest finished checkpoint without naming its date.

Imports ``core``, ``tasks`` (the spec) and this package's models and evaluation.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from synthset.core.compose import note
from synthset.core.errors import ConfigError
from synthset.tasks.spec import TaskSpec
from synthset.train.evaluate import is_text_task, vocab_size
from synthset.train.models import load_model, model_vocab_size, save_model

KEEP = ("model.safetensors", "curve.csv", "curves.csv")  # a folder holding one is kept
LATEST = "latest"  # output_dir/latest: the newest finished checkpoint folder


def save_checkpoint(folder, model, vocab: dict, task: dict, train: dict,
                    summary: dict) -> None:
    """The weights and the JSON files above into ``folder``; each file is written under a
    temporary folder first and moved into place whole."""
    folder = Path(folder)
    tmp = folder / f".checkpoint.tmp{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        save_model(model, tmp)
        for name, value in (("vocab.json", vocab), ("task.json", task),
                            ("train.json", train), ("summary.json", summary)):
            (tmp / name).write_text(json.dumps(value, indent=1, default=str) + "\n")
        mode = 0o666 & ~_umask()  # safetensors' temporary files are private (0600)
        for path in tmp.iterdir():
            os.chmod(path, mode)
            os.replace(path, folder / path.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@dataclass
class Checkpoint:
    """A checkpoint folder read back: the model (evaluation mode) and its JSON files (None
    where the folder has none: a plain Hugging Face folder)."""

    folder: Path
    model: object
    vocab: dict | None
    task: dict | None
    train: dict | None
    summary: dict | None

    @property
    def spec(self):
        """The TaskSpec it was trained on (None: a user's generator or no task.json)."""
        record = (self.task or {}).get("spec")
        return TaskSpec.from_record(record) if record else None


def load_checkpoint(folder, device: str = "cpu", task=None,
                    where: str = "--model ") -> Checkpoint:
    """The checkpoint in ``folder``; with ``task``, checked to read that task's ids (its
    vocab.json, or the model's vocabulary size for a folder without one)."""
    folder = Path(str(folder))
    if not folder.is_dir():
        raise ConfigError(f"{where}{folder}: no such folder (give a checkpoint folder "
                          "`synthset train` wrote)")
    try:
        model = load_model(folder)
    except ConfigError as exc:
        raise ConfigError(f"{where}{exc}") from None
    parts = {}
    for name in ("vocab", "task", "train", "summary"):
        path = folder / f"{name}.json"
        try:
            parts[name] = json.loads(path.read_text()) if path.is_file() else None
        except ValueError as exc:
            raise ConfigError(f"{where}{folder}: {path.name} is not readable JSON ({exc})") \
                from None
    ckpt = Checkpoint(folder, model.to(device), **parts)
    if task is not None:
        check_vocab(ckpt, task, where)
    return ckpt


def check_vocab(ckpt: Checkpoint, task, where: str = "--model ") -> None:
    """One ConfigError when the checkpoint's ids are not ``task``'s."""
    vocab, name = ckpt.vocab, task.name
    if vocab is None:  # a plain Hugging Face folder: its ids are taken to be the task's
        if model_vocab_size(ckpt.model) < vocab_size(task):
            raise ConfigError(f"{where}{ckpt.folder}: the model reads "
                              f"{model_vocab_size(ckpt.model)} token ids, {name} needs "
                              f"{vocab_size(task)}")
        return
    kind = vocab.get("kind")
    if is_text_task(task):
        if kind != "bytes":
            raise ConfigError(f"{where}{ckpt.folder}: the model reads {_what(vocab)}, but "
                              f"{name} is read as bytes (train on it or on a run of it)")
        return
    tokens = list(task.vocab.itos)
    if kind != "task" or list(vocab.get("tokens") or [])[:len(tokens)] != tokens:
        raise ConfigError(f"{where}{ckpt.folder}: the model reads {_what(vocab)}, not "
                          f"{name}'s {len(tokens)} tokens (train on this task's spec)")


def _what(vocab: dict) -> str:
    kind = vocab.get("kind")
    if kind == "bytes":
        return "bytes"
    if kind == "task":
        return f"another task's {len(vocab.get('tokens') or [])} tokens"
    return f"the ids of the nanoGPT folder {vocab.get('folder')} ({vocab.get('tokenizer')})"


class OutputFolder:
    """``with OutputFolder(output_dir) as path``: a new folder ``output_dir/<date_time>``
    (``_2``, ``_3``... when that name is taken). If the block fails before the folder holds
    weights or a curve, the folder — and the parents this made — are removed again; if it ends
    with weights in the folder, ``output_dir/latest`` points at it."""

    def __init__(self, output_dir):
        self.parent = Path(str(output_dir))
        self.path: Path | None = None
        self.made: list[Path] = []

    def __enter__(self) -> Path:
        missing = [p for p in [self.parent, *self.parent.parents] if not p.exists()]
        self.parent.mkdir(parents=True, exist_ok=True)
        self.made = missing  # deepest first
        stamp = time.strftime("%Y-%m-%d_%H-%M-%S")
        for n in range(1, 1000):
            path = self.parent / (stamp if n == 1 else f"{stamp}_{n}")
            try:
                path.mkdir()
            except FileExistsError:
                continue
            self.path = path
            return path
        raise ConfigError(f"output_dir {self.parent}: 999 run folders named {stamp}_N exist")

    def __exit__(self, kind, exc, tb) -> None:
        if self.path is None:
            return
        if kind is None:
            if (self.path / "model.safetensors").exists():
                self._point_latest()
            return
        if any((self.path / name).exists() for name in KEEP):
            return
        shutil.rmtree(self.path, ignore_errors=True)
        for parent in self.made:
            try:
                parent.rmdir()
            except OSError:
                break

    def _point_latest(self) -> None:
        """``output_dir/latest`` -> this folder, once it is complete: a new link under a
        temporary name renamed over the old one, so a reader never finds it missing or
        half-made. A ``latest`` that is not a link is the user's: left alone, with a note."""
        latest = self.parent / LATEST
        if latest.exists() and not latest.is_symlink():
            note(f"{latest} is not a link: left as it is (the checkpoint is {self.path})")
            return
        tmp = self.parent / f"{LATEST}.tmp{os.getpid()}"
        tmp.unlink(missing_ok=True)
        os.symlink(self.path.name, tmp)  # relative: the output folder can be moved
        os.replace(tmp, latest)
