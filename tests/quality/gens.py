"""Generators and verifiers the check tests run (module-level, so workers import them)."""

import os
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


def a_set_when_asked(seed):
    """A (problem, answer) pair; the two as a set when $SYNTHSET_TEST_A_SET is set (the same
    code: the run's generator, as the check finds it)."""
    pair = f"x{seed % 5}", str(seed % 7)
    return set(pair) if os.environ.get("SYNTHSET_TEST_A_SET") else pair
