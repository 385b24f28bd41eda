"""Train on files: a run folder ``synthset generate`` wrote, or a data folder ``synthset export
nanogpt`` wrote (``synthset train data=PATH``). Both are sources of batches for ``loop.fit``.

A run folder (``RunStream``): the rows are the run's stored samples of split ``train``, read
back through ``RunFolder`` as the run's task's examples and encoded as a task's stream encodes
them (``model_row``: a token task's rows as they are, problem/answer text as bytes), epoch
after epoch in index order (a run's samples are independent draws, so the order carries no
pattern; with the run's root seed as ``seed`` the first epoch is exactly the task's stream).
The score is the task's on the first ``eval.examples`` samples of the run's ``test`` split.

A nanoGPT folder (``FolderStream``): batches come from ``synthset.loaders.NanoGPTData``:
windows start at sample boundaries (``{split}.starts.bin``) and the loss is taken where
``{split}.mask.bin`` is 1 — the trained tokens of a task row, or the answer (and its end
marker) of a problem/answer sample. Evaluation decodes greedily the answers of the first
validation samples and scores them with the source's own task (``score_answer``), the source
being read back from what the export recorded in ``meta.json``.

Imports ``core``, ``tasks``, ``runs`` (run folders), ``io``/``loaders`` (nanoGPT folders),
``export`` (the source of a task export, to score it) and this package's loop, models and
evaluation.
"""

from __future__ import annotations

from itertools import islice
from pathlib import Path

import numpy as np

from synthset.core.deps import require
from synthset.core.errors import ConfigError
from synthset.export import Source
from synthset.io.nanogpt import read_meta
from synthset.io.pickle import _NoGlobals
from synthset.loaders import NanoGPTData
from synthset.runs import RunFolder
from synthset.train.config import TrainConfig
from synthset.train.evaluate import model_answers, model_row, score, vocab_record, vocab_size
from synthset.train.loop import Batch, batches, collated, fit, positions_for
from synthset.train.models import ModelConfig, build_model


def is_nanogpt_folder(folder) -> bool:
    return (Path(str(folder)) / "train.bin").exists()


def load_folder(folder, seed: int = 0):
    folder = Path(str(folder))
    if not folder.is_dir():
        raise ConfigError(f"data={folder}: not a data folder (make one with `synthset export "
                          "nanogpt`) nor a run folder (`synthset generate`)")
    meta = read_meta(folder)
    masked = (folder / "train.mask.bin").exists() and (folder / "val.mask.bin").exists()
    data = NanoGPTData(folder, masked=masked, sample_aligned=True, seed=seed)
    return data, meta


def sample_bounds(data, split: str) -> list[tuple[int, int]]:
    starts = np.asarray(data._open(split, "starts"), dtype=np.int64)
    ends = np.append(starts[1:], data.length(split))
    return list(zip(starts.tolist(), ends.tolist()))


class FolderStream:
    """A nanoGPT data folder as batches for ``fit`` (see the module docstring): windows of
    ``train.block_size`` tokens (default: the longest sample, at most 1024)."""

    def __init__(self, folder, cfg: TrainConfig, device: str):
        self.folder, self.cfg, self.device = Path(str(folder)), cfg, device
        self.data, self.meta = load_folder(folder, cfg.seed)
        block_size = cfg.block_size
        if block_size is None:  # room for the longest sample and the next one's first token
            block_size = min(1024, max(b - a for a, b in sample_bounds(self.data, "train")))
        if self.data.length("train") <= block_size or self.data.length("val") <= block_size:
            raise ConfigError(f"{folder}: a split holds no more than block_size={block_size} "
                              "tokens; export more samples or lower train.block_size")
        self.block_size = block_size
        self.n_positions = positions_for(block_size)
        self.vocab_size = int(self.meta["vocab_size"])

    def __iter__(self):
        return self

    def __next__(self):
        torch = require("torch", "train", "synthset train data=...")
        batch = self.data.get_batch("train", self.cfg.batch_size, self.block_size)
        x = torch.from_numpy(batch[0])
        y = torch.from_numpy(batch[1])
        if self.data.masked:  # the loss where the mask is 1 only
            y = torch.where(torch.from_numpy(batch[2]).bool(), y, torch.full_like(y, -100))
        return Batch(x, y, int(x.numel()), shifted=True)

    def evaluate(self, model) -> dict:
        return evaluate_folder(model, self.data, self.meta, self.cfg.eval_examples, self.device,
                               self.cfg.trust_code)

    def vocab(self) -> dict:
        """What the ids mean (a checkpoint's vocab.json)."""
        if self.meta.get("tokenizer") == "task" and self.meta.get("token_names"):
            return {"kind": "task", "size": self.vocab_size,
                    "tokens": list(self.meta["token_names"])}
        return {"kind": "nanogpt", "size": self.vocab_size,
                "tokenizer": self.meta.get("tokenizer"), "folder": str(self.folder.resolve())}

    def source(self) -> dict:
        return {"data": str(self.folder.resolve()), "source": self.meta.get("source_spec")}


def train_on_folder(folder, model_cfg=None, steps: int = 200, batch_size: int = 16,
                    lr: float = 1e-3, warmup: int = 20, seed: int = 0, device: str = "auto",
                    weight_decay: float = 0.01, log_every: int = 50, eval_examples: int = 64,
                    block_size: int | None = None, log=print):
    """Train a fresh model on a nanoGPT folder through ``fit``; returns ``(model, Result)``."""
    cfg = TrainConfig(steps=steps, batch_size=batch_size, lr=lr, warmup=warmup, seed=seed,
                      device=device, weight_decay=weight_decay, log_every=log_every,
                      eval_examples=eval_examples, block_size=block_size, output_dir=None)
    model, stream = start_folder(folder, model_cfg, cfg)
    return model, fit(model, stream, cfg, stream.evaluate, log=log, device=stream.device)


def start_folder(folder, model_cfg, cfg: TrainConfig):
    """A fresh model for a nanoGPT folder and the folder's stream."""
    torch = require("torch", "train", "synthset train data=...")

    device = cfg.resolved_device()
    stream = FolderStream(folder, cfg, device)
    torch.manual_seed(cfg.seed)
    if not isinstance(model_cfg, ModelConfig):
        model_cfg = ModelConfig.from_dict(model_cfg or {})
    return build_model(model_cfg, stream.vocab_size, stream.n_positions).to(device), stream


def source_examples(meta: dict, count: int, trust_code: bool = False
                    ) -> tuple[object, list[dict]]:
    """The source's task and the examples of the first ``count`` validation samples (a
    verifier the source run names is imported only with ``trust_code``)."""
    spec, where = meta.get("source_spec"), meta.get("val_from")
    if not spec or not where:
        raise ConfigError("this data folder's meta.json does not say where its samples come "
                          "from (exported by an older synthset, or not by synthset): "
                          "re-export it to score answers")
    if "run" in spec:
        run = RunFolder(spec["run"])
        task = run.task(trust_code=trust_code)
        examples = run.examples(where["split"], task)
    else:
        src = Source(spec["task"], spec["count"], spec["seed"], spec.get("task_config"),
                     spec.get("backend", "sympy"))
        task = src.task
        examples = src.examples(where["split"])
    examples = [ex for ex, _ in islice(examples, where["start"], where["start"] + count)]
    return task, examples


def evaluate_folder(model, data, meta: dict, count: int, device,
                    trust_code: bool = False) -> dict:
    """The source task's score on the first ``count`` validation samples: a task export is
    read off by the task's own decoding (its ids are the task's); a character export of
    problem/answer samples by greedy decoding after the separator, up to the newline."""
    bounds = sample_bounds(data, "val")[:count]
    task, examples = source_examples(meta, len(bounds), trust_code)

    if meta.get("tokenizer") == "task":
        return score(task, examples, model_answers(model, task, examples, device))
    itos = _itos(data.folder) if meta.get("tokenizer") == "char" else None
    if itos is None or task.kind == "reasoning" or not data.masked:
        return {"note": "scored only for task exports and character exports of "
                        "problem/answer runs; this folder trains without a score"}
    torch = require("torch", "train", "synthset train data=...")
    tokens, mask = data._open("val"), data._open("val", "mask")
    texts = []
    for a, b in bounds:
        ids = np.asarray(tokens[a:b], dtype=np.int64)
        cut = int(np.flatnonzero(np.asarray(mask[a:b]))[0])  # the answer's first character
        x = torch.tensor([ids[:cut].tolist()], device=device)
        out: list[int] = []
        with torch.no_grad():
            for _ in range(b - a - cut + 8):
                nxt = int(model(input_ids=x).logits[0, -1].argmax())
                if nxt == int(ids[-1]):  # the end marker every sample ends with
                    break
                out.append(nxt)
                x = torch.cat([x, torch.tensor([[nxt]], device=device)], dim=1)
        texts.append("".join(itos.get(i, "") for i in out))
    return score(task, examples, texts)


def _itos(folder: Path) -> dict | None:
    """A character export's id -> character map, from meta.pkl read without running code."""
    path = Path(folder) / "meta.pkl"
    if not path.exists():
        return None
    with open(path, "rb") as f:
        meta = _NoGlobals(f).load()
    itos = meta.get("itos") if isinstance(meta, dict) else None
    return {int(k): v for k, v in itos.items()} if isinstance(itos, dict) else None


# -- a run folder ----------------------------------------------------------------------------
EVAL_SPLIT = "test"


class RunStream:
    """A run folder's ``train`` split as batches for ``fit`` (see the module docstring),
    scored on its ``test`` split. A verifier a user's run names is imported only with
    ``trust_code`` (``RunFolder`` refuses otherwise, in one line)."""

    def __init__(self, folder, cfg: TrainConfig, device: str):
        self.cfg, self.device = cfg, device
        self.run = RunFolder(folder)
        self.run.require_complete("train on it")
        if "train" not in self.run.splits:
            raise ConfigError(f"data={folder}: the run has no split 'train' (its splits: "
                              f"{', '.join(self.run.splits)})")
        self.task = self.run.task(trust_code=cfg.trust_code)
        self.examples = []  # the evaluation examples: the first of the test split
        if EVAL_SPLIT in self.run.splits:
            self.examples = [ex for ex, _ in islice(self.run.examples(EVAL_SPLIT, self.task),
                                                    cfg.eval_examples)]
        # One pass over the split sizes the model's context for its longest row.
        longest, count = 0, 0
        for row in self._rows():
            longest, count = max(longest, len(row["input_ids"])), count + 1
        if not count:
            raise ConfigError(f"data={folder}: the run's train split holds no samples")
        for ex in self.examples:
            longest = max(longest, len(model_row(self.task, ex)["input_ids"]))
        self.samples = count
        self.n_positions = positions_for(longest)
        self.vocab_size = vocab_size(self.task)
        self._batches = self._stream()

    def _rows(self):
        for ex, _ in self.run.examples("train", self.task):
            yield model_row(self.task, ex)

    def _stream(self):
        def epochs():
            while True:
                yield from self._rows()

        return collated(batches(epochs(), self.cfg.batch_size, self.cfg.bucket, self.cfg.seed))

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._batches)

    def evaluate(self, model) -> dict:
        if not self.examples:
            return {"note": f"the run has no {EVAL_SPLIT!r} split: trained without a score"}
        return score(self.task, self.examples,
                     model_answers(model, self.task, self.examples, self.device))

    def vocab(self) -> dict:
        return vocab_record(self.task)

    def source(self) -> dict:
        return {"run": str(self.run.path.resolve()), "split": "train", "samples": self.samples,
                "eval_split": EVAL_SPLIT if self.examples else None,
                "generator": self.run.code("generator")}
