"""Per-task metrics from a model: teacher-forced accuracies, greedy/sampled decoding, bits.

Every metric has a pure function on logits or generated tokens (tested on hand-made inputs)
and a driver that runs the model over an evaluation stream.
"""

from __future__ import annotations

import math

import numpy as np

from synthset.core.deps import require


def _torch():
    return require("torch", "train", "synthset train")


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


def logits_of(model, rows, device):
    torch = _torch()
    ids, _ = collate(rows)
    with torch.no_grad():
        return model(input_ids=ids.to(device)).logits.float().cpu()


def depo_accuracy(task, rows, logits_batch) -> dict[int, float]:
    """Answer-token accuracy per k (teacher-forced)."""
    totals: dict[int, list[int]] = {}
    for row, logits in zip(rows, logits_batch):
        pred = predictions(logits[: len(row["input_ids"])])
        for k, (c, t) in task.score(row, pred).items():
            acc = totals.setdefault(k, [0, 0])
            acc[0] += c
            acc[1] += t
    return {k: c / t for k, (c, t) in sorted(totals.items())}


def mano_accuracy(task, rows, logits_batch) -> float:
    hits = [task.score(row, predictions(lg[: len(row["input_ids"])]))
            for row, lg in zip(rows, logits_batch)]
    return float(np.mean(hits))


def greedy_answer(model, task, row, device, max_new: int = 64) -> list[int]:
    """Greedy decoding after ``<ans>`` (Brevo): the generated tokens up to ``<eos>``."""
    torch = _torch()
    ids = row["input_ids"]
    prompt = ids[: ids.index(task.vocab["<ans>"]) + 1]
    eos = task.vocab["<eos>"]
    x = torch.tensor([prompt], device=device)
    out = []
    with torch.no_grad():
        for _ in range(max_new):
            nxt = int(model(input_ids=x).logits[0, -1].argmax())
            out.append(nxt)
            if nxt == eos:
                break
            x = torch.cat([x, torch.tensor([[nxt]], device=device)], dim=1)
    return out


def brevo_exact(model, task, rows, device) -> float:
    return float(np.mean([task.score(r, greedy_answer(model, task, r, device)) for r in rows]))


def sample_sentences(model, task, n: int, device, max_len: int = 600, seed: int = 0):
    """Sentences sampled at temperature 1 from ``<bos>``, each up to the next ``<bos>``."""
    torch = _torch()
    gen = torch.Generator().manual_seed(seed)
    bos = task.vocab["<bos>"]
    x = torch.full((n, 1), bos, dtype=torch.long, device=device)
    done = torch.zeros(n, dtype=torch.bool)
    with torch.no_grad():
        for _ in range(max_len):
            probs = torch.softmax(model(input_ids=x).logits[:, -1].float().cpu(), -1)
            nxt = torch.multinomial(probs, 1, generator=gen)
            nxt[done] = bos
            x = torch.cat([x, nxt.to(device)], dim=1)
            done |= nxt[:, 0] == bos
            if done.all():
                break
    return [row[1:].tolist() for row in x.cpu()]


def lano_parse_rate(task, sentences) -> float:
    return float(np.mean([task.score(s) for s in sentences]))


def lano_kl(task, model, rows, device, prefix_len: int = 6) -> float:
    """Mean KL(grammar || model) of the next terminal after short prefixes of real sentences
    (the grammar's exact distribution, ``next_token_distribution``)."""
    from synthset.tasks.lano import next_token_distribution

    torch = _torch()
    kls = []
    for row in rows:
        ids = row["input_ids"][: prefix_len + 1]  # <bos> and the prefix
        exact = next_token_distribution(task.config.grammar, ids[1:])
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([ids], device=device)).logits[0, -1]
        logp = torch.log_softmax(logits.float().cpu(), -1)
        q = {t: float(logp[task.vocab.content(t)]) for t in (1, 2, 3)}
        kls.append(sum(p * (math.log(p) - q[t]) for t, p in exact.items() if p > 0))
    return float(np.mean(kls))


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


def capo_bits(model, task, people: int, device) -> tuple[float, float]:
    """(bits, bits per parameter) of Capo over the first ``people`` people: p1 and p2 are the
    summed name and value losses of one biography each, averaged, scaled to task.N people."""
    from synthset.tasks.capo import capacity_bits
    from synthset.train.loop import capo_row

    torch = _torch()
    p1 = p2 = 0.0
    import random

    for person in range(people):
        row = task.generate_example(random.Random(person), person=person)
        tok = capo_row(row)
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([tok["input_ids"]], device=device)).logits[0]
        spans = row["meta"]["spans"]
        p1 += span_loss_nats(logits.cpu(), tok["input_ids"], [_tok_span(spans["name"])])
        p2 += span_loss_nats(logits.cpu(), tok["input_ids"],
                             [_tok_span(v) for k, v in spans.items() if k != "name"])
    bits = capacity_bits(p1 / people, p2 / people, task.config.N)
    params = sum(p.numel() for p in model.parameters())
    return bits, bits / params


def _tok_span(span):  # byte tokens: a character span is a token span shifted by <bos>
    return [span[0] + 1, span[1] + 1]
