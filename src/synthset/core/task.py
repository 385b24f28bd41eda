"""The task contract: one kind of thing for every generator of samples.

A built-in algebra problem, a reasoning task and a user's ``seed -> (problem, answer)`` are all
a ``Task``. Everything that consumes samples — the engine, exports, checks, training,
evaluation and rewards — talks to a task only through these names:

    task(seed)                    the engine's view: the record a run stores for that seed
                                  (a (problem, answer) pair, or a row dict for token tasks)
    task.generate_example(rng)    a dict with at least "prompt" (str), "answer" (str) and
                                  "meta" (dict); token tasks add input_ids, loss_mask, labels
    task.validate_example(ex)     raises ValidationError naming the broken invariant
    task.score_answer(text, ex)   a model's answer text judged by the task's verifier, a float
                                  in [0, 1]; never raises (the example's own answer is
                                  1.0 without the verifier: ``is_stored_answer``)
    task.dedup_key(ex)            equal for samples that are the same problem
    task.level                    1..10 difficulty (None: the task's own defaults)
    task.describe()               name, summary, config fields, levels, backends

``generate_example(rng)`` is ``example_of(sample(rng))``: the record first, then its text view.
A record read back from a run folder becomes an example through the same ``example_of``, so a
stored sample and a freshly drawn one look alike to every consumer.

A task's config fields are dataclass fields; ``check_fields`` checks each against its declared
type (``bool``, ``int``, ``float``, ``str``, each optionally ``| None``) before the task's own
checks of ranges and choices, so a field added to a task is type-checked with no extra code.

Imports only the standard library and ``core``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
import types
import typing
from abc import ABC, abstractmethod
from collections.abc import Iterator

from synthset.core.errors import ConfigError, SynthsetError
from synthset.core.nested import text_field, to_strings
from synthset.core.seeding import draw

LEVELS = range(1, 11)
# A model's answer longer than this many times the reference (plus a margin) is not read: a
# runaway generation scores 0.0 at once instead of costing the verifier its whole length.
ANSWER_SLACK = 8
ANSWER_MARGIN = 4096


class ValidationError(SynthsetError, ValueError):
    """A sample breaks one of its task's invariants; the message says which."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise ValidationError(message)


def digest(text: str) -> str:
    """A 128-bit hex key of a canonical text (dedup keys)."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def squash(text: str) -> str:
    """Whitespace collapsed to single spaces, ends stripped: how answers are compared."""
    return " ".join(text.split())


def check_level(level) -> int | None:
    if level is None:
        return None
    if isinstance(level, bool) or not isinstance(level, int) or level not in LEVELS:
        raise ConfigError(f"level must be an integer from 1 to 10, got {level!r}")
    return level


def require_int(name: str, value, minimum: int | None = None) -> None:
    """An integer (not a bool), at least ``minimum`` when given."""
    if isinstance(value, bool) or not isinstance(value, int) or (
            minimum is not None and value < minimum):
        at_least = "" if minimum is None else f" >= {minimum}"
        raise ConfigError(f"{name} must be an integer{at_least}, got {value!r}")


# What each declared field type accepts, as the error words it.
_KINDS = {"bool": "true or false", "int": "an integer", "float": "a number", "str": "a string"}


def field_kind(annotation) -> tuple[str, bool] | None:
    """``(kind, optional)`` of a declared field type — kind ``bool``, ``int``, ``float`` or
    ``str``, optional when ``| None`` — or None for any other type (which ``check_fields``
    leaves to the task's own checks)."""
    parts = {part.strip() for part in _spelling(annotation).split("|")}
    optional = "None" in parts
    parts.discard("None")
    kind = parts.pop() if len(parts) == 1 else None
    return (kind, optional) if kind in _KINDS else None


def _spelling(annotation) -> str:
    """A declared type as written (``from __future__ import annotations`` keeps it a string;
    without it, ``int | None`` is an object)."""
    if isinstance(annotation, str):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return " | ".join(map(_spelling, typing.get_args(annotation)))
    return "None" if annotation is type(None) else getattr(annotation, "__name__", "?")


def check_field(name: str, value, kind: str, optional: bool = False) -> None:
    """``value`` of field ``name`` against its declared ``kind`` (see ``field_kind``)."""
    if kind == "bool":  # only True and False: 1 or "yes" would pass, "false" would flip a flag
        ok = isinstance(value, bool)
    elif kind == "str":
        ok = isinstance(value, str)
    else:  # an integer is a number too (YAML reads `prefix: 0` as one); a bool is neither
        ok = isinstance(value, (int, float) if kind == "float" else int) \
            and not isinstance(value, bool)
    if not ok and not (optional and value is None):
        raise ConfigError(f"{name} must be {_KINDS[kind]}{' or null' if optional else ''}, "
                          f"got {value!r}")


def check_fields(config) -> None:
    """Every field of the dataclass instance ``config`` against its declared type (a
    one-line ConfigError naming the first field that is not). Fields whose type is none of
    ``field_kind``'s, and names starting with ``_``, are left to the task's own checks."""
    for f in dataclasses.fields(config):
        kind = field_kind(f.type)
        if kind is not None and not f.name.startswith("_"):
            check_field(f.name, getattr(config, f.name), *kind)


class Task(ABC):
    """The contract every task implements (see the module docstring).

    Subclasses implement ``sample`` (a record from a random source), ``example_of`` (the
    record's prompt/answer view), ``validate_example`` and ``_score`` (the verifier on a
    model's text; ``score_answer`` wraps it so that it never raises). ``level_config(level)``
    maps a level to config fields; ``config_fields()`` lists the fields with defaults and docs.
    """

    name = "task"  # the registry name this instance was made under
    family = "task"  # the implementation (several registry names may share one)
    kind = "task"  # "reasoning", "algebra" or "user"
    summary = ""
    level: int | None = None
    # Whether an answer in another case is another answer (algebra: ``X`` is not ``x``); a
    # task whose answers are names says False, and ``same_answer`` then ignores case.
    answer_case_sensitive = True

    # -- what a task implements -----------------------------------------------------------
    @abstractmethod
    def sample(self, rng: random.Random):
        """The record a run stores, all randomness from ``rng``."""

    @abstractmethod
    def example_of(self, record) -> dict:
        """The contract's view of a record: ``prompt``, ``answer``, ``meta`` (+ token fields)."""

    @abstractmethod
    def validate_example(self, example: dict) -> None:
        ...

    @abstractmethod
    def _score(self, text: str, example: dict) -> float:
        """The verifier on a model's answer text; may raise on malformed text."""

    def level_config(self, level: int) -> dict:
        """Config fields a level sets (overridden by explicit fields)."""
        return {}

    def config_fields(self) -> list[dict]:
        """``[{"name", "default", "value", "doc"}]`` of the task's parameters."""
        return []

    def backends(self) -> list[str]:
        return []

    # -- evaluation hooks (the training harness reads only these) -------------------------
    score_group: str | None = None  # what score_details groups by (e.g. "k"), if anything
    decoding = "greedy"  # how a model's answer is read: teacher_forced, greedy or sample

    def score_details(self, text: str, example: dict) -> dict:
        """``{group: (right, total)}`` behind the score; one unit per example by default."""
        return {None: (self.score_answer(text, example), 1)}

    def buckets(self, example: dict) -> dict[str, int]:
        """Sizes an evaluation reports success per (e.g. ``{"n": 12}``); none by default."""
        return {}

    def evaluation_task(self):
        """The task as evaluated (its evaluation mode where it has one)."""
        return self

    def answer_spans(self, example: dict) -> list[list[int]]:
        """``[start, stop)`` token ranges of the answers (token tasks)."""
        return []

    def loss_spans(self, example: dict) -> dict[str, list[list[int]]]:
        """Labelled ranges whose summed loss feeds ``metrics_from_losses``; none by default."""
        return {}

    def metrics_from_losses(self, losses: dict[str, float], parameters: int) -> dict:
        """Metrics from the mean summed loss (nats) per label of ``loss_spans``."""
        return {}

    # -- shared ---------------------------------------------------------------------------
    def __call__(self, seed: int):
        """The engine's view: one record from a run's per-sample seed."""
        return self.sample(random.Random(seed))

    def generate_example(self, rng: random.Random) -> dict:
        return self.example_of(self.sample(rng))

    def score_answer(self, text, example: dict) -> float:
        """How right ``text`` is as the answer to ``example``: a float in [0, 1]. Empty,
        garbage, oversized or malformed text scores 0.0; nothing raises.

        The example's own answer (``is_stored_answer``) scores 1.0 at once; every other text,
        right answers spelled another way included, is judged by the verifier (``_score``)."""
        if not isinstance(text, str) or not text.strip():
            return 0.0
        answer = example.get("answer", "")
        if text == answer:  # the stored text itself, the commonest right answer: no more to ask
            return 1.0
        if len(text) > ANSWER_SLACK * len(str(answer)) + ANSWER_MARGIN:
            return 0.0
        if type(answer) is str and self.same_answer(text, answer):  # is_stored_answer
            return 1.0
        try:
            value = float(self._score(text, example))
        except (RecursionError, MemoryError):
            return 0.0
        except Exception:  # a verifier fed garbage: the answer is wrong, not the caller
            return 0.0
        return min(1.0, max(0.0, value)) if value == value else 0.0

    def is_stored_answer(self, text, example: dict) -> bool:
        """Whether ``text`` is ``example``'s own answer (not blank) as its verifier reads it
        (``same_answer``): ``score_answer`` gives it 1.0 without the verifier. The stored
        answer was verified when it was made (``validate_example``; ``synthset check``
        re-verifies a run), so deriving it again would only cost time."""
        if not isinstance(text, str):
            return False
        answer = example.get("answer")
        return type(answer) is str and self.same_answer(text, answer) and text.strip() != ""

    def same_answer(self, text: str, answer: str) -> bool:
        """Whether ``text`` is the stored answer ``answer`` as the verifier reads it, so that
        the verifier would give it what it gives the stored answer (1.0): the same text,
        whitespace at its ends aside, which every verifier here reads past (the reasoning
        tasks read words; a problem's or a user's ``check`` reads the text back in the stored
        answer's shape, each item's inner spaces kept). Other whitespace is the verifier's to
        judge: a text differing there costs its check, nothing more. A task whose answers
        ignore case (``answer_case_sensitive = False``) takes any case, whitespace collapsed."""
        if text == answer or text.strip() == answer.strip():
            return True
        return not self.answer_case_sensitive and squash(text).casefold() == squash(
            answer).casefold()

    def dedup_key(self, example: dict) -> str:
        """Equal for samples that pose the same problem: by default the normalised prompt."""
        return digest(squash(example["prompt"]))

    def describe(self) -> dict:
        fields = self.config_fields()
        return {
            "name": self.name,
            "family": self.family,
            "kind": self.kind,
            "summary": self.summary,
            "level": self.level,
            "config": {f["name"]: f["value"] for f in fields},
            "fields": fields,
            "levels": {lv: self.level_config(lv) for lv in LEVELS},
            "backends": self.backends(),
        }

    # -- streams: example i of split s comes from derive_seed(seed, s, i), as in a run -----
    def record(self, seed: int, index: int, split: str = "train"):
        """The record a run with ``root_seed: seed`` (``on_error: skip``, no dedup) stores as
        sample ``index`` of ``split``: a draw the task rejects is replaced as the run replaces
        it (``core.seeding.draw``)."""
        return draw(self, seed, split, index)

    def iter_records(self, seed: int, num: int | None = None, start: int = 0, step: int = 1,
                     split: str = "train") -> Iterator:
        """Records ``start, start + step, ...`` (endless when ``num`` is None): the records of
        split ``split`` of a run with ``root_seed: seed``, in index order."""
        index = start
        while num is None or index < num:
            yield self.record(seed, index, split)
            index += step

    def iter_examples(self, seed: int, num: int | None = None, start: int = 0, step: int = 1,
                      split: str = "train") -> Iterator[dict]:
        """What a trainer reads: the examples of ``iter_records`` (token tasks: their rows)."""
        for record in self.iter_records(seed, num, start, step, split):
            yield self.example_of(record)

    def example(self, seed: int, index: int, split: str = "train") -> dict:
        return self.example_of(self.record(seed, index, split))

    def take(self, seed: int, count: int, split: str = "train") -> list[dict]:
        """The first ``count`` examples of split ``split`` for root seed ``seed``."""
        return [self.example_of(r) for r in self.iter_records(seed, count, split=split)]


class PairTask(Task):
    """A task whose records are CALT ``(problem, answer)`` pairs (algebra problems, user
    generators): the example's ``prompt`` and ``answer`` are their ``*_raw.txt`` strings and
    ``meta`` keeps the nested strings a verifier reads. Subclasses say whether an answer
    verifies (``verifies``)."""

    def example_of(self, record) -> dict:
        problem, answer = (to_strings(x) for x in record)
        return {"prompt": text_field(problem), "answer": text_field(answer),
                "meta": {"problem": problem, "answer": answer}}

    def verifies(self, problem, answer) -> bool:
        return True

    def validate_example(self, example: dict) -> None:
        meta = example["meta"]
        check(example["prompt"] == text_field(meta["problem"]),
              "the prompt is not the problem's text")
        check(example["answer"] == text_field(meta["answer"]),
              "the answer text is not the answer's text")
        check(bool(self.verifies(meta["problem"], meta["answer"])),
              f"the answer does not verify: {example['answer'][:200]!r}")
