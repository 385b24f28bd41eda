"""The training loop: ``fit`` — one optimiser, one schedule, one step loop for every source of
batches — and the task stream it most often reads.

``fit(model, batches, cfg)`` trains ``model`` with AdamW (``train.lr``, ``train.weight_decay``),
a linear warmup (``train.warmup``) then cosine decay to 0 at ``train.steps``, the gradient's
norm clipped to ``train.grad_clip``; it logs the loss every ``train.log_every`` steps and calls
the evaluation hook every ``eval.every`` steps and after the last one. Its batches come from a
``TaskStream`` (a task's rows, a curriculum, length buckets; here), a nanoGPT data folder or a
run folder (``train.files``); each source also says how to score the model.

``train(task, model_cfg, steps, batch_size, lr, ...)`` is the Python entry for a task's stream:
it returns the model and a ``Result`` with the loss history, the metric and the throughput;
``evaluate(task, model)`` computes the metric alone. CPU is the target; ``device="auto"``
takes a GPU when there is one.

Imports ``core``, ``tasks`` and this package's models and evaluation (torch, transformers).
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field

from synthset.core.deps import require
from synthset.core.errors import ConfigError
from synthset.tasks.curriculum import bind, parse, scheduled_records, task_at
from synthset.train import evaluate as E
from synthset.train.config import TrainConfig
from synthset.train.evaluate import evaluate, model_row, vocab_size
from synthset.train.models import ModelConfig, build_model


@dataclass
class Result:
    losses: list[float] = field(default_factory=list)
    metric: dict = field(default_factory=dict)
    tokens_per_second: float = 0.0  # tokens of the rows trained on (padding excluded)
    levels: list[int] = field(default_factory=list)  # a curriculum's level (or field value)
    # after each step
    curve: list[dict] = field(default_factory=list)  # {step, examples_seen, score, ...}
    parameters: int = 0
    steps: int = 0


@dataclass
class Batch:
    """One step's input. ``labels`` are aligned to ``ids`` (the model shifts them, as a
    Hugging Face causal LM does) unless ``shifted``: then ``labels[i]`` is the target of
    position i itself (a nanoGPT window's ``y``). ``tokens``: the real tokens (no padding)."""

    ids: object
    labels: object
    tokens: int
    shifted: bool = False


def warmup_cosine(warmup: int, steps: int):
    """The learning-rate factor of step s: linear warmup, then cosine decay to 0 at
    ``steps``."""
    return lambda s: min(1.0, (s + 1) / max(warmup, 1)) * 0.5 * (1 + math.cos(
        math.pi * min(s, steps) / max(steps, 1))) if steps > 1 else 1.0


def fit(model, batches, cfg: TrainConfig, evaluate=None, on_eval=None, log=print,
        device: str | None = None, result: Result | None = None) -> Result:
    """Train ``model`` on ``batches`` (an iterator of ``Batch``; see the module docstring).

    ``batches.after_step(step, logits, labels)``, when the source has it, is told each step's
    output (an adaptive curriculum listens) and returns text for the log line.
    ``evaluate(model)`` -> a metric dict (``score`` first) is called every ``cfg.eval_every``
    steps and after the last one, in evaluation mode; ``on_eval(step, examples_seen, metric,
    model)`` after each (curves, checkpoints). ``Result.metric`` is the last evaluation's;
    ``result``: the Result to fill (a hook may read it as it grows)."""
    torch = require("torch", "train", "synthset train")
    device = device or cfg.resolved_device()
    functional = torch.nn.functional
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, warmup_cosine(cfg.warmup, cfg.steps))
    after_step = getattr(batches, "after_step", None)
    result = result if result is not None else Result()
    result.parameters = sum(p.numel() for p in model.parameters())
    steps, every = cfg.steps, cfg.eval_every
    tokens, started = 0, time.perf_counter()
    model.train()
    for step in range(1, steps + 1):
        batch = next(batches)
        ids, labels = batch.ids.to(device), batch.labels.to(device)
        if batch.shifted:
            out = model(input_ids=ids)
            logits = out.logits
            loss = functional.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(),
                                            labels.reshape(-1), ignore_index=-100)
        else:
            out = model(input_ids=ids, labels=labels)
            loss = out.loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        sched.step()
        tokens += batch.tokens
        result.losses.append(float(loss.detach()))
        extra = after_step(step, out.logits.detach(), labels) if after_step else ""
        if log and (step % cfg.log_every == 0 or step == 1 or step == steps):
            if getattr(out, "halting", None) is not None:
                extra = f" mean_steps {out.mean_steps:.2f}{extra}"
            log(f"step {step:5d}  loss {result.losses[-1]:.4f}  "
                f"{tokens / (time.perf_counter() - started):,.0f} tokens/s{extra}")
        if evaluate is not None and ((every and step % every == 0) or step == steps):
            model.train(False)  # evaluation mode
            paused = time.perf_counter()
            metric = evaluate(model)
            seen = step * cfg.batch_size
            result.curve.append({"step": step, "examples_seen": seen, **metric})
            result.metric = metric
            if log and every:  # without eval.every the report gives the one score
                log(f"eval step {step}: {describe(metric)} ({cfg.eval_examples} examples)")
            if on_eval is not None:
                on_eval(step, seen, metric, model)
            started += time.perf_counter() - paused  # tokens/s counts training time only
            model.train()
    result.tokens_per_second = tokens / (time.perf_counter() - started)
    result.steps = steps
    model.train(False)  # evaluation mode
    return result


def describe(metric: dict) -> str:
    """A metric on one line: ``score 0.8125  k=1: 1.000  k=2: 0.625``."""
    parts = []
    for key, value in metric.items():
        if isinstance(value, dict):
            group = key.removeprefix("score_by_")
            parts += [f"{group}={k}: {v:.3f}" for k, v in value.items()]
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            parts.append(f"{key} {value:.4f}")
        else:
            parts.append(f"{key}: {value}")
    return "  ".join(parts)


# -- a task's stream -------------------------------------------------------------------------
def rows_of(task, seed: int, count: int | None = None, start: int = 0, step: int = 1,
            schedule=None, exclude: set | None = None):
    """The rows a model trains on; with a curriculum ``schedule``, example i at its level.
    ``exclude``: ``dedup_key``s of examples to skip (the evaluation set, held out)."""
    if schedule is None:
        records = task.iter_examples(seed, count, start=start, step=step)
    else:
        records = (_as_example(task, r)
                   for r in scheduled_records(task, seed, schedule, count, start, step))
    skipped = 0  # in a row: a task whose every problem is in the evaluation set never ends
    for row in records:
        if exclude and task.dedup_key(row) in exclude:
            skipped += 1
            if skipped >= 10_000:
                raise ConfigError(f"eval.held_out: 10,000 training examples of {task.name} "
                                  "in a row are evaluation problems (the task has too few "
                                  "distinct problems); lower eval.examples or raise the level")
            continue
        skipped = 0
        yield model_row(task, row)


def held_out_keys(task, examples: int, seed: int = E.EVAL_SEED) -> set:
    """The ``dedup_key``s of the evaluation examples ``evaluate`` scores."""
    eval_task = task.evaluation_task()
    return {eval_task.dedup_key(ex) for ex in eval_task.take(seed, examples)}


def _as_example(task, record):
    """A record as what ``iter_examples`` yields: token rows as they are, pairs as examples."""
    return record if isinstance(record, dict) else task.example_of(record)


def curriculum_vocab(task, schedule):
    """The task at the schedule's highest level (for a field schedule, the task itself: its
    own value is the highest), after checking that every level up to it spells tokens with the
    same ids (its vocabulary a prefix of the highest one's): one model reads them all."""
    top = task if schedule.field else task_at(task, schedule.highest())
    names = getattr(getattr(top, "vocab", None), "itos", None)
    for level in range(1, schedule.highest() + 1):
        mine = getattr(getattr(task_at(task, level, schedule.field), "vocab", None), "itos",
                       None)
        if names is not None and mine != names[:len(mine)]:
            other = "the task" if schedule.field else f"level {schedule.highest()}"
            raise ConfigError(f"train.curriculum: {task.name} at {schedule.what()} {level} "
                              f"numbers its tokens differently from {other} (it changes the "
                              "vocabulary); fix the field that sets it, or train without a "
                              "curriculum")
    return top


def batch_accuracy(logits, labels) -> float:
    """Teacher-forced accuracy of the batch on its trained tokens (what an adaptive
    curriculum is told)."""
    predicted = logits[:, :-1].argmax(-1)
    target = labels[:, 1:]
    trained = target != -100
    return float((predicted[trained] == target[trained]).float().mean()) if trained.any() \
        else 0.0


def max_length(task, probe: int = 200) -> int:
    return max(len(r["input_ids"]) for r in rows_of(task, 12345, probe))


def positions_for(longest: int) -> int:
    """The model's context: a power of two with room for the longest row (at least 64)."""
    return max(64, 2 ** math.ceil(math.log2(longest + 1)))


def batches(rows, batch_size: int, bucket: int = 1, seed: int = 0):
    """Batches of ``batch_size`` rows from the stream ``rows``. With ``bucket`` > 1, ``bucket``
    batches' worth of rows are drawn at once, sorted by length and cut into batches that are
    served in a seeded random order: the same rows, less padding (a batch pads to its longest
    row)."""
    if isinstance(bucket, bool) or not isinstance(bucket, int) or bucket < 1:
        raise ConfigError(f"train.bucket must be an integer >= 1 (1 = no bucketing), "
                          f"got {bucket!r}")
    return _batches(iter(rows), batch_size, bucket, random.Random(seed))


def _batches(rows, batch_size, bucket, order):
    while True:
        pool = [next(rows) for _ in range(batch_size * bucket)]
        if bucket > 1:
            pool.sort(key=lambda r: len(r["input_ids"]))
        chunks = [pool[i:i + batch_size] for i in range(0, len(pool), batch_size)]
        order.shuffle(chunks)
        yield from chunks


def collated(row_batches):
    """``Batch``es of row lists (padded by ``collate``; tokens counted without padding)."""
    for rows in row_batches:
        ids, labels = E.collate(rows)
        yield Batch(ids, labels, sum(len(r["input_ids"]) for r in rows))


class TaskStream:
    """A task's stream as batches for ``fit``: rows of split ``train`` of root seed
    ``cfg.seed`` (a curriculum draws example i at its level; ``eval.held_out`` drops the
    evaluation problems), batched ``train.batch_size`` at a time (``train.bucket``). Scored
    on ``eval.examples`` examples of the task's evaluation mode (``evaluate``)."""

    def __init__(self, task, cfg: TrainConfig, device: str):
        self.task, self.cfg, self.device = task, cfg, device
        self.schedule = bind(parse(cfg.curriculum), task)
        self.widest = task if self.schedule is None else curriculum_vocab(task, self.schedule)
        longest = max_length(task) if self.widest is task else max(max_length(self.widest),
                                                                   max_length(task))
        self.n_positions = positions_for(longest)
        self.vocab_size = vocab_size(self.widest)
        exclude = held_out_keys(task, cfg.eval_examples) if cfg.held_out else None
        self.levels: list[int] = []
        self._batches = collated(batches(rows_of(task, cfg.seed, schedule=self.schedule,
                                                 exclude=exclude),
                                         cfg.batch_size, cfg.bucket, cfg.seed))

    def __iter__(self):
        return self

    def __next__(self) -> Batch:
        return next(self._batches)

    def after_step(self, step: int, logits, labels) -> str:
        if self.schedule is None:
            return ""
        seen = step * self.cfg.batch_size
        if self.schedule.fed_by == "batch":
            self.schedule.report(batch_accuracy(logits, labels), seen)
        self.levels.append(self.schedule.level(seen))
        return f" {self.schedule.what()} {self.levels[-1]}"

    def evaluate(self, model) -> dict:
        return evaluate(self.task, model, self.device, self.cfg.eval_examples)

    def vocab(self) -> dict:
        """What the model's ids mean: the vocabulary of the widest level it reads."""
        return E.vocab_record(self.widest)


def train(task, model_cfg: ModelConfig | dict | None = None, steps: int = 200,
          batch_size: int = 16, lr: float = 1e-3, warmup: int = 20, seed: int = 0,
          device: str = "auto", weight_decay: float = 0.01, log_every: int = 50,
          eval_examples: int = 64, bucket: int = 1, curriculum=None, log=print,
          eval_every: int = 0, on_eval=None, held_out: bool = False
          ) -> tuple[object, Result]:
    """Train a fresh model on ``task``'s stream (``TaskStream``) through ``fit``. ``bucket`` > 1
    batches rows of similar length together (see ``batches``). ``curriculum`` (a schedule or
    its string form, see ``synthset.tasks.curriculum``) draws example i at the schedule's
    level; an adaptive one is told each batch's teacher-forced accuracy on its trained tokens.

    ``eval_every`` > 0 scores the model on the ``eval_examples`` evaluation examples every
    that many steps and after the last one (``on_eval(step, examples_seen, metric)`` each
    time; ``Result.curve`` keeps them); without it, once after the last step. ``held_out``
    drops the evaluation problems (equal ``dedup_key``) from the training stream."""
    cfg = TrainConfig(steps=steps, batch_size=batch_size, lr=lr, warmup=warmup, seed=seed,
                      device=device, weight_decay=weight_decay, log_every=log_every,
                      eval_examples=eval_examples, bucket=bucket, curriculum=curriculum,
                      eval_every=eval_every or 0, held_out=held_out, output_dir=None)
    model, stream = start(task, model_cfg, cfg)
    hook = None if on_eval is None else (lambda step, seen, metric, _model:
                                         on_eval(step, seen, metric))
    result = fit(model, stream, cfg, stream.evaluate, hook, log, stream.device)
    result.levels = stream.levels
    return model, result


def start(task, model_cfg: ModelConfig | dict | None, cfg: TrainConfig):
    """A fresh model for ``task``'s stream and the stream (the seed set first: the same
    initial weights for the same seed)."""
    torch = require("torch", "train", "synthset train")
    device = cfg.resolved_device()
    torch.manual_seed(cfg.seed)
    if not isinstance(model_cfg, ModelConfig):
        model_cfg = ModelConfig.from_dict(model_cfg or {})
    stream = TaskStream(task, cfg, device)
    model = build_model(model_cfg, stream.vocab_size, stream.n_positions).to(device)
    return model, stream
