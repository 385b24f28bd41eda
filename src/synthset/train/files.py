"""Train on a data folder that ``synthset export nanogpt`` wrote: ``synthset train data=PATH``.

Batches come from ``synthset.loaders.NanoGPTData``: windows start at sample boundaries
(``{split}.starts.bin``) and the loss is taken where ``{split}.mask.bin`` is 1 — the trained
tokens of a task row, or the answer (and its end marker) of a problem/answer sample. The model,
optimiser and logging are the in-memory loop's. Evaluation decodes greedily the answers of the
first validation samples and scores them with the source's own task (``score_answer``), the
source being read back from what the export recorded in ``meta.json``.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from synthset.core.deps import require
from synthset.core.errors import ConfigError


def load_folder(folder):
    from synthset.io.nanogpt import read_meta
    from synthset.loaders import NanoGPTData

    folder = Path(str(folder))
    if not folder.is_dir():
        raise ConfigError(f"data={folder}: not a data folder (make one with `synthset export "
                          "nanogpt`)")
    meta = read_meta(folder)
    masked = (folder / "train.mask.bin").exists() and (folder / "val.mask.bin").exists()
    data = NanoGPTData(folder, masked=masked, sample_aligned=True)
    return data, meta


def sample_bounds(data, split: str) -> list[tuple[int, int]]:
    starts = np.asarray(data._open(split, "starts"), dtype=np.int64)
    ends = np.append(starts[1:], data.length(split))
    return list(zip(starts.tolist(), ends.tolist()))


def train_on_folder(folder, model_cfg=None, steps: int = 200, batch_size: int = 16,
                    lr: float = 1e-3, warmup: int = 20, seed: int = 0, device: str = "auto",
                    weight_decay: float = 0.01, log_every: int = 50, eval_examples: int = 64,
                    block_size: int | None = None, log=print):
    """Train a fresh model on a nanoGPT folder; returns ``(model, Result)``."""
    torch = require("torch", "train", "synthset train data=...")
    from synthset.train.loop import Result, resolve_device
    from synthset.train.models import ModelConfig, build_model

    data, meta = load_folder(folder)
    device = resolve_device(device)
    torch.manual_seed(seed)
    bounds = sample_bounds(data, "train")
    longest = max(b - a for a, b in bounds)
    if block_size is None:  # room for the longest sample and the next one's first token
        block_size = min(1024, longest)
    if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 2:
        raise ConfigError(f"train.block_size must be an integer >= 2, got {block_size!r}")
    if data.length("train") <= block_size or data.length("val") <= block_size:
        raise ConfigError(f"{folder}: a split holds no more than block_size={block_size} "
                          "tokens; export more samples or lower train.block_size")
    if not isinstance(model_cfg, ModelConfig):
        model_cfg = ModelConfig.from_dict(model_cfg or {})
    n_positions = max(64, 2 ** math.ceil(math.log2(block_size + 1)))
    model = build_model(model_cfg, int(meta["vocab_size"]), n_positions).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / max(warmup, 1)) * 0.5 * (1 + math.cos(
            math.pi * min(s, steps) / max(steps, 1))) if steps > 1 else 1.0)
    result = Result(parameters=sum(p.numel() for p in model.parameters()))
    tokens, started = 0, time.perf_counter()
    model.train()
    for step in range(1, steps + 1):
        batch = data.get_batch("train", batch_size, block_size)
        x = torch.from_numpy(batch[0]).to(device)
        y = torch.from_numpy(batch[1])
        if data.masked:  # the loss where the mask is 1 only
            y = torch.where(torch.from_numpy(batch[2]).bool(), y, torch.full_like(y, -100))
        logits = model(input_ids=x).logits
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]).float(), y.to(device).reshape(-1),
            ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        tokens += int(x.numel())
        result.losses.append(float(loss.detach()))
        if log and (step % log_every == 0 or step == 1 or step == steps):
            log(f"step {step:5d}  loss {result.losses[-1]:.4f}  "
                f"{tokens / (time.perf_counter() - started):,.0f} tokens/s")
    result.tokens_per_second = tokens / (time.perf_counter() - started)
    result.steps = steps
    model.train(False)  # evaluation mode
    result.metric = evaluate_folder(model, data, meta, eval_examples, device)
    return model, result


def source_examples(meta: dict, count: int) -> tuple[object, list[dict]]:
    """The source's task and the examples of the first ``count`` validation samples."""
    from itertools import islice

    from synthset.export import Source

    spec, where = meta.get("source_spec"), meta.get("val_from")
    if not spec or not where:
        raise ConfigError("this data folder's meta.json does not say where its samples come "
                          "from (exported by an older synthset, or not by synthset): "
                          "re-export it to score answers")
    if "run" in spec:
        src = Source(spec["run"])
    else:
        src = Source(spec["task"], spec["count"], spec["seed"], spec.get("task_config"),
                     spec.get("backend", "sympy"))
    task = src.contract_task(with_check=True)
    examples = [ex for ex, _ in islice(src.examples(where["split"]), where["start"],
                                       where["start"] + count)]
    return task, examples


def evaluate_folder(model, data, meta: dict, count: int, device) -> dict:
    """The source task's score on the first ``count`` validation samples: a task export is
    read off by the task's own decoding (its ids are the task's); a character export of
    problem/answer samples by greedy decoding after the separator, up to the newline."""
    bounds = sample_bounds(data, "val")[:count]
    task, examples = source_examples(meta, len(bounds))
    from synthset.train.evaluate import model_answers, score

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
    from synthset.io.pickle import _NoGlobals

    path = Path(folder) / "meta.pkl"
    if not path.exists():
        return None
    with open(path, "rb") as f:
        meta = _NoGlobals(f).load()
    itos = meta.get("itos") if isinstance(meta, dict) else None
    return {int(k): v for k, v in itos.items()} if isinstance(itos, dict) else None
