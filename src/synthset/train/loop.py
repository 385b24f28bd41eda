"""The training loop: a task's stream in, a tiny causal LM trained where ``loss_mask`` is 1,
the task's own metric out.

``train(task, model_cfg, steps, batch_size, lr, ...)`` returns a ``Result`` with the loss
history, the metric and the throughput; ``evaluate(task, model)`` computes the metric alone.
CPU is the target; ``device="auto"`` takes a GPU when there is one.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field

from synthset.core.deps import require
from synthset.core.errors import ConfigError
from synthset.train import evaluate as E
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


def resolve_device(device: str) -> str:
    torch = require("torch", "train", "synthset train")
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def rows_of(task, seed: int, count: int | None = None, start: int = 0, step: int = 1,
            schedule=None, exclude: set | None = None):
    """The rows a model trains on; with a curriculum ``schedule``, example i at its level.
    ``exclude``: ``dedup_key``s of examples to skip (the evaluation set, held out)."""
    if schedule is None:
        records = task.iter_examples(seed, count, start=start, step=step)
    else:
        from synthset.tasks.curriculum import scheduled_records

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
    from synthset.tasks.curriculum import task_at

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


def train(task, model_cfg: ModelConfig | dict | None = None, steps: int = 200,
          batch_size: int = 16, lr: float = 1e-3, warmup: int = 20, seed: int = 0,
          device: str = "auto", weight_decay: float = 0.01, log_every: int = 50,
          eval_examples: int = 64, bucket: int = 1, curriculum=None,
          on_step=None, log=print, eval_every: int | None = None, on_eval=None,
          held_out: bool = False) -> tuple[object, Result]:
    """Train a fresh model on ``task``; ``on_step(step, model, examples_seen)`` is called after
    every step (the hop-curve evaluator hooks in here). ``bucket`` > 1 batches rows of similar
    length together (see ``batches``). ``curriculum`` (a schedule or its string form, see
    ``synthset.tasks.curriculum``) draws example i at the schedule's level; an adaptive one is
    told each batch's teacher-forced accuracy on its trained tokens.

    ``eval_every`` > 0 scores the model on the ``eval_examples`` evaluation examples every
    that many steps and after the last one (``on_eval(step, examples_seen, metric)`` each
    time; ``Result.curve`` keeps them). ``held_out`` drops the evaluation problems (equal
    ``dedup_key``) from the training stream."""
    from synthset.tasks.curriculum import bind, parse

    torch = require("torch", "train", "synthset train")
    device = resolve_device(device)
    torch.manual_seed(seed)
    if not isinstance(model_cfg, ModelConfig):
        model_cfg = ModelConfig.from_dict(model_cfg or {})
    schedule = bind(parse(curriculum), task)
    widest = task if schedule is None else curriculum_vocab(task, schedule)
    longest = max_length(task) if widest is task else max(max_length(widest),
                                                          max_length(task))
    n_positions = max(64, 2 ** math.ceil(math.log2(longest + 1)))
    model = build_model(model_cfg, vocab_size(widest), n_positions).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / max(warmup, 1)) * 0.5 * (1 + math.cos(
            math.pi * min(s, steps) / max(steps, 1))) if steps > 1 else 1.0)
    exclude = held_out_keys(task, eval_examples) if held_out else None
    stream = batches(rows_of(task, seed, schedule=schedule, exclude=exclude), batch_size,
                     bucket, seed)
    result = Result(parameters=sum(p.numel() for p in model.parameters()))
    tokens, started = 0, time.perf_counter()
    model.train()
    for step in range(1, steps + 1):
        rows = next(stream)
        ids, labels = E.collate(rows)
        ids, labels = ids.to(device), labels.to(device)
        out = model(input_ids=ids, labels=labels)
        opt.zero_grad(set_to_none=True)
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        tokens += sum(len(r["input_ids"]) for r in rows)  # padding not counted
        result.losses.append(float(out.loss.detach()))
        if schedule is not None and schedule.adaptive:
            schedule.report(batch_accuracy(out.logits.detach(), labels), step * batch_size)
        if schedule is not None:
            result.levels.append(schedule.level(step * batch_size))
        if log and (step % log_every == 0 or step == 1 or step == steps):
            extra = f" mean_steps {out.mean_steps:.2f}" if getattr(out, "halting", None) \
                is not None else ""
            if schedule is not None:
                extra += f" {schedule.what()} {schedule.level(step * batch_size)}"
            log(f"step {step:5d}  loss {result.losses[-1]:.4f}  "
                f"{tokens / (time.perf_counter() - started):,.0f} tokens/s{extra}")
        if on_step is not None:
            model.train(False)  # evaluation mode
            on_step(step, model, step * batch_size)
            model.train()
        if eval_every and (step % eval_every == 0 or step == steps):
            model.train(False)  # evaluation mode
            paused = time.perf_counter()
            metric = evaluate(task, model, device, eval_examples)
            started += time.perf_counter() - paused  # tokens/s counts training time only
            result.curve.append({"step": step, "examples_seen": step * batch_size, **metric})
            if log:
                log(f"eval step {step}: score {metric['score']:.4f} "
                    f"({eval_examples} examples)")
            if on_eval is not None:
                on_eval(step, step * batch_size, metric)
            model.train()
    result.tokens_per_second = tokens / (time.perf_counter() - started)
    result.steps = steps
    model.train(False)  # evaluation mode
    if result.curve and result.curve[-1]["step"] == steps:
        result.metric = {k: v for k, v in result.curve[-1].items()
                         if k not in ("step", "examples_seen")}
    else:
        result.metric = evaluate(task, model, device, eval_examples)
    return model, result
