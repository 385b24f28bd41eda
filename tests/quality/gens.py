"""Generators and verifiers the check tests run (module-level, so workers import them)."""

import random

_calls = [0]


def small_space(seed):
    """Only 7 distinct problems: duplicates inside a split and overlap between splits on
    purpose."""
    value = random.Random(seed).randint(0, 6)
    return [str(value), "1"], str(value + 1)


def sum_check(problem, answer) -> bool:
    return sum(int(x) for x in problem) == int(answer)


def unseeded(seed):
    """Not deterministic: ignores its seed."""
    _calls[0] += 1
    return [str(random.random())], str(_calls[0])
