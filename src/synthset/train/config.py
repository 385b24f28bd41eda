"""Every option of a training run, declared once: ``TrainConfig``.

``synthset train`` and ``synthset curves`` read the same keys with the same meanings
(``train.steps``, ``train.lr``, ``eval.every``, ``eval.examples``, ``output_dir``, ...); the
Python API (``train``, ``train_on_folder``) builds the same object from its arguments. Each
field carries its config key, its meaning, what it accepts and its default (``option``); the
object checks every value when it is made, so a bad number is one ConfigError naming the key
and what is accepted before anything is built or written. ``conf/train/config.yaml`` repeats
the defaults for the command line (a test keeps the two equal).

Older spellings of the keys are read with a one-line note (``OLD_SPELLINGS``, applied by
``core.compose``).

Imports ``core`` and ``tasks.curriculum`` (to check a schedule); torch only when a CUDA device
is checked or ``auto`` resolved, so the module stays importable without the extra.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields

from synthset.core.deps import require
from synthset.core.errors import ConfigError, unknown_key
from synthset.core.values import is_bool, is_int, is_number
from synthset.tasks.curriculum import parse

# Old key (or key prefix) -> the key it is now; each read with a note on stderr.
OLD_SPELLINGS = {
    "train.max_steps": "train.steps",
    "train.eval_every": "eval.every",
    "eval.num_examples": "eval.examples",
    "dataset": "task",  # dataset=NAME, dataset.K=16, dataset.config.qa=true
}


@dataclass(frozen=True)
class Option:
    """The declaration of one option: its config key, why it exists, what it accepts."""

    key: str
    why: str
    accepts: str
    valid: Callable[[object], bool]

    def check(self, value, key: str | None = None) -> None:
        """One ConfigError naming ``key`` (the option's own, or as the user wrote it)."""
        if not self.valid(value):
            raise ConfigError(f"{key or self.key} must be {self.accepts}, got {value!r}")


def option(default, key: str, why: str, accepts: str, valid: Callable[[object], bool]):
    """A TrainConfig field that carries its declaration."""
    return field(default=default, metadata={"option": Option(key, why, accepts, valid)})


def _path(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() != "")


def _curriculum(value) -> bool:
    if value is None:
        return True
    parse(value)  # a malformed schedule: its own error, naming the accepted forms
    return True


DEVICES = "auto, cpu, cuda, cuda:N or mps"


def _device(value) -> bool:
    return isinstance(value, str) and re.fullmatch(r"auto|cpu|mps|cuda(:\d+)?", value) \
        is not None


@dataclass(frozen=True)
class TrainConfig:
    """The options of one training run, checked when made (see the module docstring)."""

    steps: int = option(600, "train.steps", "optimiser steps", "an integer >= 1", is_int(1))
    batch_size: int = option(32, "train.batch_size", "rows (or windows) per step",
                             "an integer >= 1", is_int(1))
    lr: float = option(0.002, "train.lr", "AdamW's peak learning rate (after warmup; cosine "
                       "decay to 0 at the last step)", "a number > 0", is_number(above=0))
    warmup: int = option(50, "train.warmup", "steps of linear warmup to lr",
                         "an integer >= 0", is_int(0))
    weight_decay: float = option(0.01, "train.weight_decay", "AdamW's weight decay",
                                 "a number >= 0", is_number(at_least=0))
    grad_clip: float = option(1.0, "train.grad_clip", "the gradient's norm is clipped to this",
                              "a number > 0", is_number(above=0))
    bucket: int = option(1, "train.bucket", "> 1: draw this many batches at once and batch "
                         "rows of similar length together (the same rows, less padding)",
                         "an integer >= 1 (1 = no bucketing)", is_int(1))
    curriculum: str | None = option(
        None, "train.curriculum", "levels (or one field) over training (task streams only)",
        "a schedule such as adaptive:1:0.9 or K:step:1,2:800, or null", _curriculum)
    log_every: int = option(50, "train.log_every", "a loss line every this many steps",
                            "an integer >= 1", is_int(1))
    block_size: int | None = option(
        None, "train.block_size", "window length for a nanoGPT data folder (null: its longest "
        "sample, at most 1024)", "an integer >= 2 or null", is_int(2, none=True))
    eval_every: int = option(0, "eval.every", "score the model every this many steps "
                             "(0: once, after the last step)", "an integer >= 0", is_int(0))
    eval_examples: int = option(64, "eval.examples", "evaluation examples per score",
                                "an integer >= 1", is_int(1))
    held_out: bool = option(False, "eval.held_out", "drop the evaluation problems from the "
                            "training stream (task streams only)", "true or false", is_bool)
    seed: int = option(0, "seed", "the model's initialisation and the stream's root seed",
                       "an integer", is_int())
    device: str = option("auto", "device", "where the model runs (auto: a GPU when there is "
                         "one)", DEVICES, _device)
    threads: int | None = option(None, "threads", "CPU threads for torch (null: torch's "
                                 "default)", "an integer >= 1 or null", is_int(1, none=True))
    output_dir: str | None = option(
        "outputs/train", "output_dir", "where the run's folder (a timestamped checkpoint "
        "folder) is made; null: write nothing", "a folder path or null", _path)
    data: str | None = option(None, "data", "train on a run folder (synthset generate) or a "
                              "nanoGPT data folder (synthset export nanogpt) instead of the "
                              "task's stream", "a folder path or null", _path)
    trust_code: bool = option(False, "trust_code", "import the verifier a user's run folder "
                              "names (importing runs its code)", "true or false", is_bool)

    def __post_init__(self) -> None:
        for f in fields(self):
            f.metadata["option"].check(getattr(self, f.name))
        if self.device.startswith("cuda"):
            torch = require("torch", "train", f"device={self.device}")
            count = torch.cuda.device_count() if torch.cuda.is_available() else 0
            index = int(self.device.partition(":")[2] or 0)
            if index >= count:
                raise ConfigError(f"device must be {DEVICES} (a device this machine has), got "
                                  f"{self.device!r}: this machine has {count} CUDA devices")

    @classmethod
    def from_config(cls, cfg, extra: tuple[str, ...] = (), notes=()) -> TrainConfig:
        """From a composed config (OmegaConf): each field from its key, the default where the
        key is absent. A key under ``train`` or ``eval`` that no field (and no ``extra`` key
        of the command) reads is an error naming the accepted ones. ``notes``: the ``(old,
        new)`` spellings the command line used (``compose``), so that an error names a key
        as it was written."""
        from omegaconf import OmegaConf

        plain = OmegaConf.to_container(cfg, resolve=True)
        written = {new: old for old, new in notes}
        known = {o.key for o in OPTIONS.values()} | set(extra)
        for group in ("train", "eval"):
            for key in plain.get(group) or {}:
                if f"{group}.{key}" not in known:
                    raise unknown_key(f"{group}.{key}", sorted(k for k in known
                                                               if k.startswith(group + ".")))
        values = {}
        for name, declared in OPTIONS.items():
            node: object = plain
            for part in declared.key.split("."):
                node = node.get(part, _ABSENT) if isinstance(node, dict) else _ABSENT
            if node is not _ABSENT:
                declared.check(node, written.get(declared.key))
                values[name] = node
        return cls(**values)

    def record(self) -> dict:
        """The options by key, nested as in the config file (what a checkpoint stores)."""
        out: dict = {}
        for name, declared in OPTIONS.items():
            *groups, leaf = declared.key.split(".")
            node = out
            for g in groups:
                node = node.setdefault(g, {})
            node[leaf] = getattr(self, name)
        return out

    def resolved_device(self) -> str:
        """``auto`` made concrete: cuda when torch sees a GPU, else cpu."""
        if self.device != "auto":
            return self.device
        torch = require("torch", "train", "synthset train")
        return "cuda" if torch.cuda.is_available() else "cpu"


_ABSENT = object()
OPTIONS: dict[str, Option] = {f.name: f.metadata["option"] for f in fields(TrainConfig)}
