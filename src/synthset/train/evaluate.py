"""Scoring a model on any task through the task contract: the model writes an answer text,
the task's own verifier (``score_answer``) judges it.

How the answer text is read off the model is the task's ``decoding``: ``teacher_forced`` (one
forward pass over the real row; the argmax at each answer position — the papers' answer-token
accuracy), ``greedy`` (decoded after the prompt) or ``sample`` (temperature 1 after the
prompt). Text tasks (no token vocabulary) are read as bytes. A decoded answer ends at the
stop token (``<eos>``, or ``<bos>`` for a task without one; ``<bos>`` for bytes), which is not
part of the text the task's scorer sees. Nothing here asks which task it is running.

Imports ``core`` (torch and numpy for the arithmetic).
"""

from __future__ import annotations

import numpy as np

from synthset.core.deps import require

BYTE_BOS = 256  # text tasks train on bytes 0..255 and this <bos>
SEPARATOR = " # "  # between a problem and its answer in byte rows (as in *_raw.txt)


def _torch():
    return require("torch", "train", "synthset train")


# -- rows as the model sees them -------------------------------------------------------------
def is_text_task(task) -> bool:
    return getattr(task, "vocab", None) is None


def vocab_size(task) -> int:
    return BYTE_BOS + 1 if is_text_task(task) else len(task.vocab)


def vocab_record(task) -> dict:
    """What a model trained on ``task``'s rows reads its ids as (a checkpoint's vocab.json):
    the task's token names, or the byte encoding."""
    if is_text_task(task):
        return {"kind": "bytes", "size": BYTE_BOS + 1, "bos": BYTE_BOS, "separator": SEPARATOR}
    return {"kind": "task", "size": len(task.vocab), "tokens": list(task.vocab.itos)}


def byte_row(row: dict) -> dict:
    """A text row as bytes (+ <bos>), trained on every token."""
    ids = [BYTE_BOS, *row["text"].encode("utf-8")]
    return {"input_ids": ids, "loss_mask": [1] * len(ids), "labels": ids}


def prompt_bytes(example: dict) -> list[int]:
    """What a byte-level model is given: <bos>, the prompt (and the separator before an
    answer, for problem/answer tasks)."""
    tail = "" if "text" in example else SEPARATOR
    return [BYTE_BOS, *(example["prompt"] + tail).encode("utf-8")]


def model_row(task, row: dict) -> dict:
    """A row as the model trains on it: token tasks as they are; text (Capo) as bytes with the
    loss everywhere; problem/answer tasks as ``<bos> problem # answer <bos>`` in bytes with the
    loss on the answer and the closing <bos>."""
    if not is_text_task(task):
        return row
    if "text" in row:
        return byte_row(row)
    head = prompt_bytes(row)
    tail = [*row["answer"].encode("utf-8"), BYTE_BOS]
    ids = head + tail
    mask = [0] * len(head) + [1] * len(tail)
    return {"input_ids": ids, "loss_mask": mask,
            "labels": [t if m else -100 for t, m in zip(ids, mask)]}


def predictions(logits) -> np.ndarray:
    """Teacher-forced predictions aligned to positions: ``pred[i]`` is the argmax of the logits
    at position i - 1 (the model's guess for token i); ``pred[0] = -1``."""
    arr = np.asarray(logits.argmax(-1).cpu() if hasattr(logits, "cpu")
                     else np.argmax(logits, -1))
    out = np.full(arr.shape[0], -1, dtype=np.int64)
    out[1:] = arr[:-1]
    return out


def collate(rows, pad_id: int = 0):
    """Pad rows to one length: input_ids with ``pad_id``, labels with -100."""
    torch = _torch()
    T = max(len(r["input_ids"]) for r in rows)
    ids = torch.full((len(rows), T), pad_id, dtype=torch.long)
    labels = torch.full((len(rows), T), -100, dtype=torch.long)
    for i, r in enumerate(rows):
        n = len(r["input_ids"])
        ids[i, :n] = torch.tensor(r["input_ids"])
        labels[i, :n] = torch.tensor(r["labels"])
    return ids, labels


def logits_of(model, rows, device, batch: int = 32) -> list:
    torch = _torch()
    out = []
    for i in range(0, len(rows), batch):
        ids, _ = collate(rows[i:i + batch])
        with torch.no_grad():
            out.extend(model(input_ids=ids.to(device)).logits.float().cpu())
    return out


# -- answers from a model --------------------------------------------------------------------
def teacher_forced_answers(task, examples, logits_batch) -> list[str]:
    return [task.answer_from_ids(ex, predictions(lg[: len(ex["input_ids"])]))
            for ex, lg in zip(examples, logits_batch)]


def continue_ids(model, prompt: list[int], device, max_new: int, stop: int | None,
                 sample: bool = False, generator=None) -> list[int]:
    """Tokens after ``prompt``: greedy, or sampled at temperature 1; up to ``stop``, which
    ends the answer and is not part of it (nor of the text a scorer sees)."""
    torch = _torch()
    x = torch.tensor([prompt], device=device)
    out: list[int] = []
    with torch.no_grad():
        for _ in range(max_new):
            logits = model(input_ids=x).logits[0, -1].float().cpu()
            if sample:
                nxt = int(torch.multinomial(torch.softmax(logits, -1), 1, generator=generator))
            else:
                nxt = int(logits.argmax())
            if nxt == stop:
                break
            out.append(nxt)
            x = torch.cat([x, torch.tensor([[nxt]], device=device)], dim=1)
    return out


def greedy_batch(model, prompts: list[list[int]], device, rooms: list[int],
                 stop: int | None) -> list[list[int]]:
    """Greedy continuations of prompts of one length, decoded together (no padding, so
    each row's tokens are those ``continue_ids`` finds for it alone); row i stops at
    ``stop`` (not included) or after ``rooms[i]`` tokens."""
    torch = _torch()
    x = torch.tensor(prompts, device=device)
    outs: list[list[int]] = [[] for _ in prompts]
    live = list(range(len(prompts)))  # rows still decoding
    with torch.no_grad():
        for _ in range(max(rooms)):
            nxt = model(input_ids=x).logits[:, -1].float().argmax(-1).cpu().tolist()
            keep = []
            for j, row in enumerate(live):
                if nxt[j] == stop:
                    continue
                outs[row].append(nxt[j])
                if len(outs[row]) < rooms[row]:
                    keep.append(j)
            if not keep:
                break
            x = torch.cat([x, torch.tensor([[t] for t in nxt], device=device)], dim=1)
            if len(keep) < len(live):
                x = x[torch.tensor(keep, device=device)]
                live = [live[j] for j in keep]
    return outs


def forced_continuations(model, task, examples, device) -> list:
    """For problem/answer rows, the greedy continuation found from one teacher-forced pass
    where it is the reference: when the argmax after every prefix of ``answer <bos>`` is its
    next token, greedy decoding writes exactly ``answer <bos>`` (each step sees the same
    prefix), and the answer is ``answer`` (the stop ``<bos>`` ends it). Other rows (and
    other tasks) are None: they are decoded."""
    if not is_text_task(task):
        return [None] * len(examples)
    out: list = [None] * len(examples)
    todo = [i for i, ex in enumerate(examples) if "text" not in ex]
    rows = [model_row(task, examples[i]) for i in todo]
    for i, row, logits in zip(todo, rows, logits_of(model, rows, device)):
        pred = predictions(logits[: len(row["input_ids"])])
        start = len(prompt_bytes(examples[i]))
        tail = row["input_ids"][start:]
        if list(pred[start:]) == tail:
            out[i] = tail[:-1]
    return out


def generated_answers(model, task, examples, device, sample: bool, seed: int = 0,
                      batch: int = 64) -> list[str]:
    """Each example's prompt continued by the model, as the answer text the task reads.
    Greedy decoding runs prompts of equal length together, ``batch`` at a time."""
    torch = _torch()
    gen = torch.Generator().manual_seed(seed)
    jobs = []  # (prompt, room, stop) per example
    for ex in examples:
        if is_text_task(task):
            jobs.append((prompt_bytes(ex), len(ex["answer"].encode("utf-8")) + 8, BYTE_BOS))
            continue
        start = task.answer_spans(ex)[0][0]
        stop = task.vocab.stoi.get("<eos>", task.vocab.stoi.get("<bos>"))
        jobs.append((ex["input_ids"][:start], len(ex["input_ids"]) - start + 8, stop))
    if sample:
        outs = [continue_ids(model, p, device, room, stop, True, gen) for p, room, stop in jobs]
    else:
        outs = forced_continuations(model, task, examples, device)
        groups: dict = {}
        for i, (p, _, stop) in enumerate(jobs):
            if outs[i] is None:
                groups.setdefault((len(p), stop), []).append(i)
        for (_, stop), members in groups.items():
            for k in range(0, len(members), batch):
                part = members[k:k + batch]
                got = greedy_batch(model, [jobs[i][0] for i in part], device,
                                   [jobs[i][1] for i in part], stop)
                for i, out in zip(part, got):
                    outs[i] = out
    texts = []
    for ex, out in zip(examples, outs):
        if is_text_task(task):
            text = bytes(b for b in out if b < 256).decode("utf-8", "replace")
            texts.append(text[:len(ex["answer"])] if "text" in ex else text)
        else:
            texts.append(" ".join(task.vocab.decode(out)))
    return texts


def model_answers(model, task, examples, device) -> list[str]:
    if task.decoding == "teacher_forced" and not is_text_task(task):
        return teacher_forced_answers(task, examples, logits_of(model, examples, device))
    return generated_answers(model, task, examples, device, sample=task.decoding == "sample")


def score(task, examples, answers) -> dict:
    """``{"score": ..., "score_by_<group>": {...}}`` from the task's verifier: right units
    over all units (for most tasks one unit per example; Depo counts answer tokens per k)."""
    groups: dict = {}
    for ex, text in zip(examples, answers):
        for group, (right, total) in task.score_details(text, ex).items():
            acc = groups.setdefault(group, [0.0, 0])
            acc[0] += right
            acc[1] += total
    right = sum(r for r, _ in groups.values())
    total = sum(t for _, t in groups.values())
    out = {"score": right / total if total else 0.0}
    named = {g: r / t for g, (r, t) in sorted(groups.items()) if g is not None and t}
    if named:
        out[f"score_by_{task.score_group}"] = named
    return out


EVAL_SEED = 99  # the evaluation examples' root seed (training streams use the run's seed)


def evaluate(task, model, device: str = "cpu", examples: int = 64,
             seed: int = EVAL_SEED) -> dict:
    """The task's score on held-out examples of its evaluation mode, plus any metric the task
    derives from the model's losses (``metrics_from_losses``, e.g. Capo's capacity bits)."""
    eval_task = task.evaluation_task()
    exs = eval_task.take(seed, examples)
    result = score(eval_task, exs, model_answers(model, eval_task, exs, device))
    spans = [eval_task.loss_spans(ex) for ex in exs]
    if any(spans):
        losses = span_losses(model, eval_task, exs, spans, device)
        params = sum(p.numel() for p in model.parameters())
        result.update(eval_task.metrics_from_losses(losses, params))
    return result


def span_loss_nats(logits, ids, spans) -> float:
    """Summed cross-entropy (nats) of the tokens in ``spans`` ([start, stop) token ranges),
    each predicted from the position before it."""
    torch = _torch()
    logp = torch.log_softmax(torch.as_tensor(logits).float(), -1)
    total = 0.0
    for start, stop in spans:
        for i in range(max(start, 1), stop):
            total -= float(logp[i - 1, ids[i]])
    return total


def span_losses(model, task, examples, spans, device) -> dict[str, float]:
    """Per label, the summed loss over the labelled spans, averaged over examples. Spans are
    character ranges for text tasks (bytes of ASCII text shift by the <bos>), token ranges
    otherwise."""
    torch = _torch()
    sums: dict[str, float] = {}
    for ex, labelled in zip(examples, spans):
        row = model_row(task, ex)
        shift = 1 if is_text_task(task) else 0
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([row["input_ids"]], device=device)).logits[0]
        for label, ranges in labelled.items():
            moved = [[a + shift, b + shift] for a, b in ranges]
            sums[label] = sums.get(label, 0.0) + span_loss_nats(logits.cpu(), row["input_ids"],
                                                               moved)
    return {label: total / len(examples) for label, total in sums.items()}
