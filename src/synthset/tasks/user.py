"""A user's generator as a task: ``seed -> (problem, answer)``, CALT style.

Its records are what the generator returns; its examples' ``prompt`` and ``answer`` are the
``*_raw.txt`` strings. ``score_answer`` compares normalised strings (whitespace collapsed) or,
when the user names a verifier (``check: module:function`` in data.yaml), calls
``check(problem, answer)`` with the problem as stored and the answer read back from the text
in the reference answer's shape.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from synthset.core.errors import ConfigError
from synthset.core.nested import read_like
from synthset.core.task import PairTask, check, digest, squash


class UserTask(PairTask):
    """Args:
        generator: ``seed -> (problem, answer)``, all randomness from the seed.
        check: optional ``check(problem, answer) -> bool`` on the written strings.
        name: how the task is called in reports.
    """

    kind = "user"

    def __init__(self, generator: Callable, check: Callable | None = None,
                 name: str | None = None):
        if not callable(generator):
            raise ConfigError(f"instance_generator must be callable, got {generator!r}")
        if check is not None and not callable(check):
            raise ConfigError(f"check must be callable, got {check!r}")
        self.generator, self.verifier = generator, check
        self.name = self.family = name or getattr(generator, "__name__", "generator")
        self.summary = (getattr(generator, "__doc__", None) or "").strip().split("\n")[0]

    def __call__(self, seed: int):
        return self.generator(seed)

    def sample(self, rng: random.Random):
        # A user generator takes a seed, not a random source: draw one from the source.
        return self.generator(rng.getrandbits(128))

    def verifies(self, problem, answer) -> bool:
        return self.verifier is None or self.verifier(problem, answer)

    def _score(self, text: str, example: dict) -> float:
        if self.verifier is None:
            return float(squash(text) == squash(example["answer"]))
        answer = read_like(text, example["meta"]["answer"])
        return float(bool(self.verifier(example["meta"]["problem"], answer)))


class RowFormat:
    """Rows written by a user's generator (no built-in task knows them): their shape only."""

    kind = "rows"

    def example_of(self, row: dict) -> dict:
        if "input_ids" in row:
            return {**row, "prompt": " ".join(map(str, row["input_ids"])), "answer": ""}
        return {**row, "prompt": str(row.get("text", "")), "answer": ""}

    def validate_example(self, example: dict) -> None:
        if "input_ids" in example:
            ids = example["input_ids"]
            check(isinstance(ids, list) and all(type(t) is int for t in ids),
                  "input_ids is not a list of integers")
            for name in ("loss_mask", "labels"):
                if name in example:
                    check(isinstance(example[name], list) and len(example[name]) == len(ids),
                          f"{name} and input_ids differ in length")
        else:
            check(isinstance(example.get("text"), str), "text is not a string")

    def dedup_key(self, example: dict) -> str:
        return digest(squash(example["prompt"]))
