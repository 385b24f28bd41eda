"""Batch samplers over nanoGPT data folders (nanoGPT's ``get_batch`` and its training modes).

``sampling_method``:
- ``random``: window starts uniform with replacement (nanoGPT's ``torch.randint``);
- ``sequential``: windows in order, without overlap, a position kept per split, wrapping;
- ``without_replacement``: every non-overlapping window once per epoch, in the order of a
  permutation seeded by (seed, split, epoch).
All are deterministic from ``seed``. ``masked=True`` adds the loss mask of the targets (from
``{split}.mask.bin``); ``sample_aligned=True`` starts windows at sample boundaries (from
``{split}.starts.bin``). The memmap is held (``reopen=False``) or reopened per call as nanoGPT
does to avoid a numpy memmap leak (``reopen=True``).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from synthset.core.errors import ConfigError, FormatError, bad_choice
from synthset.io.nanogpt import read_meta

SAMPLING_METHODS = ("random", "sequential", "without_replacement")
TRAINING_MODES = ("single", "multidataset", "multicontext")
_SPLITS = {"train": 0, "val": 1}


class NanoGPTData:
    """One data folder: ``train.bin``, ``val.bin`` and ``meta.json`` or ``meta.pkl``."""

    def __init__(self, folder, sampling_method: str = "random", seed: int = 0,
                 masked: bool = False, sample_aligned: bool = False, reopen: bool = False):
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise ConfigError(f"data folder {self.folder} does not exist")
        if sampling_method not in SAMPLING_METHODS:
            raise bad_choice("sampling_method", sampling_method, SAMPLING_METHODS)
        self.meta = read_meta(self.folder)
        self.dtype = np.dtype(self.meta.get("dtype", "uint16")).newbyteorder("<")
        self.vocab_size = self.meta.get("vocab_size")
        self.sampling_method, self.seed = sampling_method, seed
        self.masked, self.sample_aligned, self.reopen = masked, sample_aligned, reopen
        self._maps: dict = {}
        self._state: dict = {}
        for split in _SPLITS:
            path = self.folder / f"{split}.bin"
            if not path.exists():
                raise ConfigError(f"{path} is missing: a data folder needs train.bin and "
                                  "val.bin")
            if path.stat().st_size % self.dtype.itemsize:
                raise FormatError(f"{path} is corrupt: its size is not a multiple of "
                                  f"{self.dtype.itemsize} bytes ({self.dtype.name})")
            for kind, flag in (("mask", masked), ("starts", sample_aligned)):
                if flag and not (self.folder / f"{split}.{kind}.bin").exists():
                    raise ConfigError(f"{kind} sidecar {split}.{kind}.bin is missing in "
                                      f"{self.folder} (export a task run to get one)")

    def _open(self, split: str, kind: str = "bin"):
        key = (split, kind)
        if key in self._maps and not self.reopen:
            return self._maps[key]
        name = f"{split}.bin" if kind == "bin" else f"{split}.{kind}.bin"
        dtype = {"bin": self.dtype, "mask": np.uint8, "starts": np.dtype("<u8")}[kind]
        arr = np.memmap(self.folder / name, dtype=dtype, mode="r")
        if not self.reopen:
            self._maps[key] = arr
        return arr

    def length(self, split: str) -> int:
        return int(self._open(split).shape[0])

    def _rng(self, split: str, extra: int = 0) -> np.random.Generator:
        return np.random.default_rng([self.seed, _SPLITS.get(split, 2), extra])

    def offsets(self, split: str, batch_size: int, block_size: int) -> np.ndarray:
        """The window starts of the next batch (advances the split's state)."""
        n = self.length(split)
        if n < block_size + 1:
            raise ConfigError(f"{self.folder / split}.bin has {n} tokens, fewer than "
                              f"block_size + 1 = {block_size + 1}")
        state = self._state.setdefault(split, {"pos": 0, "epoch": 0, "rng": self._rng(split)})
        if self.sample_aligned:
            starts = self._open(split, "starts")
            valid = np.asarray(starts[starts <= n - block_size - 1], dtype=np.int64)
            return valid[state["rng"].integers(0, len(valid), batch_size)]
        if self.sampling_method == "random":
            return state["rng"].integers(0, n - block_size, batch_size)
        if self.sampling_method == "sequential":
            out = np.empty(batch_size, dtype=np.int64)
            for b in range(batch_size):
                if state["pos"] + block_size + 1 > n:
                    state["pos"] = 0
                out[b] = state["pos"]
                state["pos"] += block_size
            return out
        windows = (n - 1) // block_size  # non-overlapping windows of block_size + 1 tokens
        out = np.empty(batch_size, dtype=np.int64)
        for b in range(batch_size):
            if state.get("perm") is None or state["pos"] >= windows:
                state["perm"] = self._rng(split, 1 + state["epoch"]).permutation(windows)
                state["epoch"] += 1
                state["pos"] = 0
            out[b] = state["perm"][state["pos"]] * block_size
            state["pos"] += 1
        return out

    def window(self, split: str, offsets: np.ndarray, block_size: int):
        data = self._open(split)
        idx = offsets[:, None] + np.arange(block_size + 1)
        chunk = np.asarray(data[idx], dtype=np.int64)
        x, y = chunk[:, :-1], chunk[:, 1:]
        if not self.masked:
            return x, y
        mask = np.asarray(self._open(split, "mask")[idx[:, 1:]], dtype=np.uint8)
        return x, y, mask

    def get_batch(self, split: str, batch_size: int, block_size: int):
        """``(x, y)`` int64 arrays of shape (batch_size, block_size), ``y`` the next tokens;
        with ``masked``, also the uint8 loss mask of ``y``."""
        if split not in _SPLITS:
            raise bad_choice("split", split, list(_SPLITS))
        return self.window(split, self.offsets(split, batch_size, block_size), block_size)


def schedule_probs(initial, final, step: int, max_steps: int, kind: str = "linear"):
    """Dataset sampling probabilities at ``step``: from ``initial`` to ``final`` over
    ``max_steps``, linearly or along a half cosine; normalised."""
    p0 = _normalise(initial, "dataset_sampling_probs")
    if final is None:
        return p0
    p1 = _normalise(final, "dataset_sampling_probs_final")
    if len(p1) != len(p0):
        raise ConfigError("dataset_sampling_probs_final must have one entry per dataset")
    t = min(max(step / max(max_steps, 1), 0.0), 1.0)
    if kind == "cosine":
        t = (1 - math.cos(math.pi * t)) / 2
    elif kind != "linear":
        raise bad_choice("dataset_sampling_schedule", kind, ["linear", "cosine"])
    p = (1 - t) * p0 + t * p1
    return p / p.sum()


def _normalise(probs, key) -> np.ndarray:
    p = np.asarray(probs, dtype=float)
    if p.ndim != 1 or (p < 0).any() or p.sum() <= 0:
        raise ConfigError(f"{key} must be non-negative numbers with a positive sum, got "
                          f"{list(probs)}")
    return p / p.sum()


class MultiDataset:
    """ReaLLM-Forge's ``multidataset`` mode: each batch from one dataset of ``dataset_list``,
    picked by ``dataset_sampling_probs`` (optionally scheduled to ``final_probs``); every
    dataset keeps its own position."""

    def __init__(self, dataset_list, dataset_sampling_probs=None, final_probs=None,
                 schedule: str = "linear", max_iters: int = 1, seed: int = 0, **kwargs):
        if not dataset_list:
            raise ConfigError("multidataset needs dataset_list")
        self.names = [str(d) for d in dataset_list]
        self.datasets = [NanoGPTData(d, seed=seed + i, **kwargs)
                         for i, d in enumerate(dataset_list)]
        sizes = {str(d.folder): d.vocab_size for d in self.datasets}
        if len(set(sizes.values())) > 1:
            raise ConfigError(f"multidataset trains one model, so its datasets need one "
                              f"vocabulary; their vocab sizes differ: {sizes}")
        probs = dataset_sampling_probs or [1] * len(self.datasets)
        if len(probs) != len(self.datasets):
            raise ConfigError(f"dataset_sampling_probs has {len(probs)} entries for "
                              f"{len(self.datasets)} datasets")
        self.probs, self.final, self.schedule, self.max_iters = probs, final_probs, schedule, \
            max_iters
        schedule_probs(probs, final_probs, 0, max_iters, schedule)  # check now
        self.rng = np.random.default_rng([seed, 7])
        self.iter = 0

    def get_batch(self, split: str, batch_size: int, block_size: int, iter_num=None):
        """``(x, y, dataset_index)`` (x, y as NanoGPTData's)."""
        step = self.iter if iter_num is None else iter_num
        p = schedule_probs(self.probs, self.final, step, self.max_iters, self.schedule)
        k = int(self.rng.choice(len(self.datasets), p=p))
        self.iter += 1
        return (*self.datasets[k].get_batch(split, batch_size, block_size), k)


class MultiContext:
    """ReaLLM-Forge's ``multicontext`` mode: token-aligned datasets (e.g. the same text under
    several tokenisations of equal length) read at the same offsets."""

    def __init__(self, multicontext_datasets, seed: int = 0, **kwargs):
        if not multicontext_datasets or len(multicontext_datasets) < 2:
            raise ConfigError("multicontext needs two or more multicontext_datasets")
        self.datasets = [NanoGPTData(d, seed=seed, **kwargs) for d in multicontext_datasets]
        for split in _SPLITS:
            lengths = {str(d.folder): d.length(split) for d in self.datasets}
            if len(set(lengths.values())) > 1:
                raise ConfigError(f"multicontext datasets must be token-aligned; their "
                                  f"{split}.bin lengths differ: {lengths}")

    def get_batch(self, split: str, batch_size: int, block_size: int):
        """A list with one ``(x, y)`` per dataset, all at the same offsets."""
        offsets = self.datasets[0].offsets(split, batch_size, block_size)
        return [d.window(split, offsets, block_size) for d in self.datasets]


def make_loader(training_mode: str = "single", dataset=None, dataset_list=None,
                dataset_sampling_probs=None, multicontext_datasets=None, data_root="data",
                **kwargs):
    """The batch source for a ReaLLM-Forge-style configuration (dataset names are folders
    under ``data_root`` unless they are paths)."""
    def path(name):
        p = Path(str(name))
        return p if p.is_dir() or p.is_absolute() else Path(data_root) / p

    if training_mode not in TRAINING_MODES:
        raise bad_choice("training_mode", training_mode, TRAINING_MODES)
    if training_mode == "single":
        if dataset is None:
            raise ConfigError("training_mode 'single' needs dataset")
        return NanoGPTData(path(dataset), **kwargs)
    if training_mode == "multidataset":
        return MultiDataset([path(d) for d in dataset_list or []], dataset_sampling_probs,
                            **kwargs)
    return MultiContext([path(d) for d in multicontext_datasets or []], **kwargs)


def to_torch(batch, device: str = "cpu"):
    """A batch of numpy arrays as torch tensors on ``device`` (pinned when it is CUDA)."""
    import torch

    out = []
    for a in batch:
        if isinstance(a, np.ndarray):
            t = torch.from_numpy(a)
            if device.startswith("cuda"):
                t = t.pin_memory().to(device, non_blocking=True)
            out.append(t)
        else:
            out.append(a)
    return tuple(out)
