"""Fast exact draws from ``random.Random`` for hot loops."""

from __future__ import annotations

import random as _random


def standard_getrandbits(rng):
    """``rng.getrandbits`` when ``rng`` draws integers as ``random.Random`` does (then
    ``randint(a, b)`` is ``a + below(getrandbits, b - a + 1)``), else None."""
    inst = getattr(rng, "_inst", rng)  # the random module -> its hidden Random instance
    if getattr(type(inst), "_randbelow", None) is not _random.Random._randbelow_with_getrandbits:
        return None
    return inst.getrandbits


def below(getrandbits, n: int) -> int:
    """``Random._randbelow(n)``'s draws: ``n.bit_length()`` bits until the value is < n."""
    k = n.bit_length()
    r = getrandbits(k)
    while r >= n:
        r = getrandbits(k)
    return r


def fast_randint(rng):
    """``rng.randint`` with exactly the same draws, ~3x faster on hot paths.

    CPython's ``randint(a, b)`` is ``a + _randbelow(b - a + 1)``, and for ``random.Random``
    ``_randbelow`` draws ``n.bit_length()`` bits until the value is below n; this does the
    same without ``randrange``'s argument checks and two call layers. Any other generator
    keeps its own ``randint``. ``rng`` may be the ``random`` module itself.
    """
    getrandbits = standard_getrandbits(rng)
    if getrandbits is None:
        return rng.randint

    def randint(a: int, b: int) -> int:
        n = b - a + 1
        k = n.bit_length()
        r = getrandbits(k)
        while r >= n:
            r = getrandbits(k)
        return a + r

    return randint
