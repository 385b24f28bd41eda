"""The Task protocol: a config dataclass, a vocabulary, and rows made from a random source.

A row is ``{"input_ids", "loss_mask", "labels", "meta"}`` (Capo: ``{"text", ..., "meta"}``);
``labels[i] = input_ids[i]`` where ``loss_mask[i] == 1``, else -100 (PyTorch's ignore index;
a trainer shifts labels as Hugging Face causal LMs do).

Streams: example ``i`` of the stream with seed ``s`` comes from
``random.Random(derive_seed(s, "stream", i))`` — any example can be made alone, so streams split
across DataLoader workers and distributed ranks without coordination, and the union of the
parts is exactly the single-process stream. Inside the engine a row comes from the engine's own
per-sample seed (``task(seed)``), like any generator's.
"""

from __future__ import annotations

import dataclasses
import math
import random
from abc import ABC, abstractmethod
from collections.abc import Iterator

from synthset.core.errors import ConfigError, SynthsetError, unknown_key
from synthset.core.seeding import derive_seed

IGNORE = -100


class ValidationError(SynthsetError, ValueError):
    """A row breaks one of its task's invariants; the message says which."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise ValidationError(message)


class Task(ABC):
    """Base of the reasoning tasks. Subclasses set ``name``, ``Config`` (a dataclass with a
    ``validate()`` method), ``PRESETS`` and implement ``build_vocab``, ``generate_example`` and
    ``validate_example``."""

    name = "task"
    Config: type = None
    PRESETS: dict[str, dict] = {}

    def __init__(self, config=None, tokenizer_name_or_path=None, **overrides):
        self.tokenizer_name_or_path = tokenizer_name_or_path
        self._tokenizer = None
        if config is None:
            config = self.Config()
        elif isinstance(config, dict):
            overrides = {**config, **overrides}
            config = self.Config()
        names = {f.name for f in dataclasses.fields(self.Config)}
        for key in overrides:
            if key not in names:
                raise unknown_key(key, names, where=f"{self.name} config")
        self.config = dataclasses.replace(config, **overrides)
        self.config.validate()
        self.vocab = self.build_vocab()

    @classmethod
    def preset(cls, name: str, **overrides):
        if name not in cls.PRESETS:
            from synthset.core.errors import bad_choice

            raise bad_choice("preset", name, list(cls.PRESETS))
        return cls(**{**cls.PRESETS[name], **overrides})

    # -- what a task implements ------------------------------------------------------------
    @abstractmethod
    def build_vocab(self):
        ...

    @abstractmethod
    def generate_example(self, rng: random.Random) -> dict:
        ...

    @abstractmethod
    def validate_example(self, example: dict) -> None:
        ...

    # -- shared ----------------------------------------------------------------------------
    def decode(self, ids) -> list[str]:
        return self.vocab.decode(ids)

    def answer_text(self, row: dict) -> str | None:
        """The answer(s) of a row as text (what the inspector prints); None when the row has
        no separate answer (Lano). Default: the tokens after each ``<ans>`` that are trained,
        one group per ``<ans>``, joined by `` | ``."""
        names = self.decode(row["input_ids"])
        groups, current = [], None
        for name, m in zip(names, row["loss_mask"]):
            if name == "<ans>":
                current = []
                groups.append(current)
            elif current is not None and m:
                current.append(name)
            elif current is not None:
                current = None
        return " | ".join(" ".join(g) for g in groups) if groups else None

    def __call__(self, seed: int) -> dict:
        """One row from an engine seed (``synthset generate`` with ``task: NAME``)."""
        return self.generate_example(random.Random(seed))

    def statistics(self, row: dict) -> dict:
        meta = {k: v for k, v in row.get("meta", {}).items()
                if isinstance(v, (int, float)) and not isinstance(v, bool)}
        if "input_ids" in row:
            length = len(row["input_ids"])
            trained = sum(row["loss_mask"])
        else:
            length, trained = len(row["text"]), 0
        return {"row": {"length": length, "loss_tokens": trained}, "meta": meta}

    def example(self, seed: int, index: int) -> dict:
        return self.generate_example(random.Random(derive_seed(seed, "stream", index)))

    def iter_examples(self, seed: int, num_examples: int | None = None, start: int = 0,
                      step: int = 1) -> Iterator[dict]:
        """Examples ``start, start + step, ...`` of the stream (endless when
        ``num_examples`` is None). With ``tokenizer_name_or_path``, re-encoded with that local
        Hugging Face tokenizer (loss mask kept aligned; ``meta`` kept)."""
        index = start
        while num_examples is None or index < num_examples:
            row = self.example(seed, index)
            yield self.retokenized(row) if self.tokenizer_name_or_path else row
            index += step

    def retokenized(self, row: dict) -> dict:
        from synthset.tasks.tokenize import load_tokenizer, retokenize

        if self._tokenizer is None:
            self._tokenizer = load_tokenizer(self.tokenizer_name_or_path)
        new = retokenize(self, row, self._tokenizer)
        return {"input_ids": new["input_ids"], "loss_mask": new["loss_mask"],
                "labels": new["labels"], "meta": row["meta"]}

    def take(self, seed: int, count: int) -> list[dict]:
        return list(self.iter_examples(seed, count))

    def iterable(self, seed: int, num_examples: int | None = None,
                 context_length: int | None = None):
        """A ``torch.utils.data.IterableDataset`` of this task's rows (worker- and
        rank-aware); with ``context_length``, rows packed into windows of that many tokens."""
        from synthset.tasks.stream import TaskStream

        return TaskStream(self, seed, num_examples, context_length)

    def pack(self, examples, context_length: int) -> Iterator[dict]:
        """Pack rows into windows of ``context_length`` tokens, left-aligned, every window
        starting on a fresh example; the example that overflows a window is cut there (the
        rest of it is dropped). A trailing partial window is dropped."""
        ids: list[int] = []
        mask: list[int] = []
        starts: list[int] = []
        for ex in examples:
            if not ids:
                starts = []
            starts.append(len(ids))
            room = context_length - len(ids)
            ids.extend(ex["input_ids"][:room])
            mask.extend(ex["loss_mask"][:room])
            if len(ids) == context_length:
                yield make_row(ids, mask, {"example_starts": starts})
                ids, mask = [], []


def make_row(ids: list[int], mask: list[int], meta: dict) -> dict:
    return {"input_ids": ids, "loss_mask": mask,
            "labels": [t if m else IGNORE for t, m in zip(ids, mask)], "meta": meta}


def draw_size(task, rng) -> int:
    """n = N in evaluation mode (``qa``), else drawn from ``difficulty_weights(N)``."""
    c = task.config
    if c.qa:
        return c.N
    population, cum = task.__dict__.setdefault("_law", difficulty_weights(c.N))
    return rng.choices(population, cum_weights=cum)[0]


def distinct_words(randint, n: int, V: int, min_len: int, max_len: int) -> list[tuple]:
    """n distinct words: l ~ U[min_len, max_len] pieces, the first l-1 in [1, V], the last in
    [V+1, 2V] (an end-of-word marker, so words are prefix-free)."""
    words: list[tuple] = []
    seen: set = set()
    while len(words) < n:
        length = randint(min_len, max_len)
        w = tuple([randint(1, V) for _ in range(length - 1)] + [randint(V + 1, 2 * V)])
        if w not in seen:
            seen.add(w)
            words.append(w)
    return words


def difficulty_weights(N: int) -> tuple[list[int], list[float]]:
    """n in {3..N} with p(n) proportional to 1/(n + sqrt(N)), as cumulative weights."""
    population = list(range(3, N + 1))
    cum, total = [], 0.0
    for n in population:
        total += 1.0 / (n + math.sqrt(N))
        cum.append(total)
    return population, cum


def require_int(name: str, value, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {value!r}")


def check_labels(example: dict) -> None:
    ids, mask, labels = example["input_ids"], example["loss_mask"], example["labels"]
    check(len(ids) == len(mask) == len(labels), "input_ids, loss_mask and labels differ in length")
    for i, (t, m, lab) in enumerate(zip(ids, mask, labels)):
        check(m in (0, 1), f"loss_mask[{i}] is {m}, not 0 or 1")
        check(lab == (t if m else IGNORE), f"labels[{i}] is {lab}, expected "
                                           f"{t if m else IGNORE} (loss_mask {m})")
