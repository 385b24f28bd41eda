"""The targets CALT's ISSAC 2026 training scripts derive from a sample when they load it, as
generators: CALT's generator wrapped, so a run folder holds exactly the rows CALT trained on.

- ``LastElement``: ``arithmetic_addition/train.py --target_mode last_element`` (calt-x's
  ``LastElementLoadPreprocessor(delimiter=",")``): the answer's last comma-separated value.
- ``Reversed``: ``digit_product/train.py --target_reversed``: the answer text reversed.

Importable by name (``examples/calt_issac`` on ``sys.path``), so worker processes find them.
"""

from __future__ import annotations


class LastElement:
    """``(problem, "3,8,13")`` -> ``(problem, "13")``."""

    def __init__(self, generator):
        self.generator = generator

    def __call__(self, seed: int):
        problem, answer = self.generator(seed)
        values = [v.strip() for v in str(answer).split(",") if v.strip()]
        return problem, values[-1] if values else str(answer).strip()


class Reversed:
    """``(problem, "0000001457")`` -> ``(problem, "7541000000")``."""

    def __init__(self, generator):
        self.generator = generator

    def __call__(self, seed: int):
        problem, answer = self.generator(seed)
        return problem, str(answer)[::-1]
