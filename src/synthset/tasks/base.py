"""The reasoning tasks' side of the task contract: a config dataclass, a vocabulary, rows.

A row is ``{"input_ids", "loss_mask", "labels", "meta"}`` (Capo: ``{"text", ..., "meta"}``);
``labels[i] = input_ids[i]`` where ``loss_mask[i] == 1``, else -100 (PyTorch's ignore index;
a trainer shifts labels as Hugging Face causal LMs do). An example is the row plus its
``prompt`` and ``answer`` text: the task's readable token names joined by spaces, before and
after the answer marker.

Streams: example ``i`` of a stream with seed ``s`` is the record of index ``i`` of split
``train`` in a run with ``root_seed: s`` (``derive_seed(s, "train", i)``) — one seed rule for
runs, exports and streams. Any example can be made alone, so streams split across DataLoader
workers and distributed ranks without coordination, and the union of the parts is exactly the
single-process stream.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from abc import abstractmethod
from collections.abc import Iterator

from synthset.core.errors import unknown_key
from synthset.core.rand import standard_getrandbits
from synthset.core.task import (  # noqa: F401 (re-exported: the tasks' helpers)
    Task, ValidationError, check, check_fields, check_level, require_int)
from synthset.tasks.curriculum import bind, parse
from synthset.tasks.tokenize import load_tokenizer, retokenize

IGNORE = -100


class TokenTask(Task):
    """Base of the reasoning tasks. Subclasses set ``family``, ``summary``, ``Config`` (a
    dataclass: its fields are checked against their declared types by ``check_fields``, then
    its ``validate()`` method checks ranges and choices) and ``LEVELS``, and implement
    ``build_vocab``, ``sample`` (a row from a random source), ``texts`` (the row's prompt and
    answer text) and ``validate_example``.

    Config fields combine as: the dataclass defaults, then a preset's fields, then the level's,
    then explicit overrides.
    """

    kind = "reasoning"
    Config: type = None
    LEVELS: dict[int, dict] = {}
    BUCKETS: tuple[str, ...] = ()  # meta fields an evaluation reports success per
    # How a model's answer is read off in evaluation: "teacher_forced" (argmax at the answer
    # positions of the real row), "greedy" (decoded after the prompt) or "sample" (temperature 1).
    decoding = "teacher_forced"

    def __init__(self, config=None, tokenizer_name_or_path=None, *, level=None, preset=None,
                 **overrides):
        self.tokenizer_name_or_path = tokenizer_name_or_path
        self._tokenizer = None
        self.level = check_level(level)
        if config is None:
            config = self.Config()
        elif isinstance(config, dict):
            overrides = {**config, **overrides}
            config = self.Config()
        fields = {**(preset or {}), **(self.level_config(level) if level else {}), **overrides}
        names = {f.name for f in dataclasses.fields(self.Config)}
        for key in fields:
            if key not in names:
                raise unknown_key(key, names, where=f"{self.family} config")
        self.config = dataclasses.replace(config, **fields)
        # Every field by its declared type first (a `qa: "yes"` is refused, not truthy), so
        # that validate() checks only ranges and choices, on values of the right type.
        check_fields(self.config)
        self.config.validate()
        self.vocab = self.build_vocab()

    def level_config(self, level: int) -> dict:
        return dict(self.LEVELS[check_level(level)])

    def config_fields(self) -> list[dict]:
        return config_fields(self.Config, self.config)

    def with_config(self, **changes):
        """The same task with some config fields changed (e.g. ``qa=True``)."""
        new = type(self)(dataclasses.replace(self.config, **changes),
                         self.tokenizer_name_or_path)
        new.name, new.level, new.summary = self.name, self.level, self.summary
        return new

    def evaluation_task(self):
        """The task in its evaluation mode (``qa``) where it has one."""
        if "qa" in {f.name for f in dataclasses.fields(self.Config)}:
            return self.with_config(qa=True)
        return self

    # -- what a task implements ------------------------------------------------------------
    @abstractmethod
    def build_vocab(self):
        ...

    @abstractmethod
    def texts(self, row: dict) -> tuple[str, str]:
        """The row's prompt text and answer text."""

    # -- the contract ----------------------------------------------------------------------
    def example_of(self, row: dict) -> dict:
        prompt, answer = self.texts(row)
        return {**row, "prompt": prompt, "answer": answer}

    def validate_example(self, example: dict) -> None:
        self.validate_row(example)
        if "prompt" in example or "answer" in example:
            prompt, answer = self.texts(example)
            check(example.get("prompt") == prompt, "the prompt text is not the row's tokens "
                  "before the answer")
            check(example.get("answer") == answer, "the answer text is not the row's answer "
                  "tokens")

    @abstractmethod
    def validate_row(self, row: dict) -> None:
        """The row's own invariants (tokens, labels, mask, the answer's correctness)."""

    def decode(self, ids) -> list[str]:
        return self.vocab.decode(ids)

    def buckets(self, example: dict) -> dict[str, int]:
        return {name: example["meta"][name] for name in self.BUCKETS}

    def answer_from_ids(self, row: dict, predicted) -> str:
        """The answer text a teacher-forced model gives: ``predicted[i]`` is its guess for
        token i; the tokens at the row's answer positions are read from it."""
        names = self.vocab.decode
        return " | ".join(" ".join(names([int(predicted[i]) for i in range(a, b)]))
                          for a, b in self.answer_spans(row))

    def statistics(self, row: dict) -> dict:
        meta = {k: v for k, v in row.get("meta", {}).items()
                if isinstance(v, (int, float)) and not isinstance(v, bool)}
        if "input_ids" in row:
            length = len(row["input_ids"])
            trained = sum(row["loss_mask"])
        else:
            length, trained = len(row["text"]), 0
        return {"row": {"length": length, "loss_tokens": trained}, "meta": meta}

    # -- streams ---------------------------------------------------------------------------
    def iter_examples(self, seed: int, num_examples: int | None = None, start: int = 0,
                      step: int = 1, split: str = "train") -> Iterator[dict]:
        """Rows ``start, start + step, ...`` of split ``split`` (endless when
        ``num_examples`` is None): the rows a run with ``root_seed: seed`` writes. With
        ``tokenizer_name_or_path``, re-encoded with that local Hugging Face tokenizer (loss
        mask kept aligned; ``meta`` kept)."""
        for row in self.iter_records(seed, num_examples, start, step, split):
            yield self.retokenized(row) if self.tokenizer_name_or_path else row

    def retokenized(self, row: dict) -> dict:
        if self._tokenizer is None:
            self._tokenizer = load_tokenizer(self.tokenizer_name_or_path)
        new = retokenize(self, row, self._tokenizer)
        return {"input_ids": new["input_ids"], "loss_mask": new["loss_mask"],
                "labels": new["labels"], "meta": row["meta"]}

    def iterable(self, seed: int, num_examples: int | None = None,
                 context_length: int | None = None, level=None):
        """A ``torch.utils.data.IterableDataset`` of this task's rows (worker- and
        rank-aware); with ``context_length``, rows packed into windows of that many tokens;
        with ``level`` (a ``synthset.tasks.curriculum`` schedule or its string form), example
        i drawn at the schedule's level for i (``stream.report(accuracy)`` for adaptive)."""
        from synthset.tasks.stream import TaskStream  # torch, at module level (extra train)

        return TaskStream(self, seed, num_examples, context_length,
                          schedule=bind(parse(level), self))

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


def config_fields(config_cls, config) -> list[dict]:
    """The fields of a config dataclass with defaults, values and their ``Args:`` docs."""
    docs = field_docs(config_cls.__doc__ or "")
    out = []
    for f in dataclasses.fields(config_cls):
        if f.name.startswith("_"):
            continue
        default = f.default if f.default is not dataclasses.MISSING else None
        out.append({"name": f.name, "default": default, "value": getattr(config, f.name),
                    "doc": docs.get(f.name, "")})
    return out


def field_docs(doc: str) -> dict[str, str]:
    """``name: text`` entries of an ``Args:`` block (``a, b: text`` documents both)."""
    out: dict[str, str] = {}
    current: list[str] = []
    for line in doc.split("Args:", 1)[-1].splitlines():
        text = line.strip()
        head, sep, rest = text.partition(": ")
        names = [n.strip() for n in head.split(",")]
        if sep and all(n.isidentifier() for n in names):
            current = names
            for n in names:
                out[n] = rest.strip()
        elif text and current:
            for n in current:
                out[n] = f"{out[n]} {text}".strip()
    return out


def make_row(ids: list[int], mask: list[int], meta: dict) -> dict:
    return {"input_ids": ids, "loss_mask": mask,
            "labels": [t if m else IGNORE for t, m in zip(ids, mask)], "meta": meta}


def draw_size(task, rng) -> int:
    """n = N in evaluation mode (``qa``), else drawn from ``difficulty_weights(N)``."""
    c = task.config
    if c.qa:
        return c.N
    population, cum = difficulty_weights(c.N)
    return rng.choices(population, cum_weights=cum)[0]


def distinct_words(rng, n: int, V: int, min_len: int, max_len: int) -> list[tuple]:
    """n distinct words: l ~ U[min_len, max_len] pieces, the first l-1 in [1, V], the last in
    [V+1, 2V] (an end-of-word marker, so words are prefix-free).

    Each draw is ``rng.randint``'s: for ``random.Random`` the loop of its ``_randbelow`` is
    written out here (the same bits, in the same order: ~1.7x faster than calling a fast
    ``randint`` per piece); any other generator's own ``randint``."""
    words: list[tuple] = []
    seen: set = set()
    getrandbits = standard_getrandbits(rng)
    if getrandbits is None:
        randint = rng.randint
        while len(words) < n:
            length = randint(min_len, max_len)
            w = tuple([randint(1, V) for _ in range(length - 1)] + [randint(V + 1, 2 * V)])
            if w not in seen:
                seen.add(w)
                words.append(w)
        return words
    span = max_len - min_len + 1
    k_span, k_piece = span.bit_length(), V.bit_length()
    while len(words) < n:
        r = getrandbits(k_span)
        while r >= span:
            r = getrandbits(k_span)
        pieces: list[int] = []
        for _ in range(min_len + r - 1):
            r = getrandbits(k_piece)
            while r >= V:
                r = getrandbits(k_piece)
            pieces.append(r + 1)
        r = getrandbits(k_piece)
        while r >= V:
            r = getrandbits(k_piece)
        pieces.append(V + 1 + r)
        w = tuple(pieces)
        if w not in seen:
            seen.add(w)
            words.append(w)
    return words


@functools.lru_cache(maxsize=64)
def difficulty_weights(N: int) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """n in {3..N} with p(n) proportional to 1/(n + sqrt(N)), as cumulative weights (kept
    per N here, not on the task: a task's state is its identity, and must not change as it
    makes samples)."""
    population = tuple(range(3, N + 1))
    cum, total = [], 0.0
    for n in population:
        total += 1.0 / (n + math.sqrt(N))
        cum.append(total)
    return population, tuple(cum)


def check_labels(example: dict) -> None:
    ids, mask, labels = example["input_ids"], example["loss_mask"], example["labels"]
    check(len(ids) == len(mask) == len(labels), "input_ids, loss_mask and labels differ in length")
    for i, (t, m, lab) in enumerate(zip(ids, mask, labels)):
        if m not in (0, 1) or lab != (t if m else IGNORE):  # messages only when it fails
            check(m in (0, 1), f"loss_mask[{i}] is {m}, not 0 or 1")
            check(lab == (t if m else IGNORE), f"labels[{i}] is {lab}, expected "
                                               f"{t if m else IGNORE} (loss_mask {m})")
