"""Fast exact draws from ``random.Random`` for hot loops."""

from __future__ import annotations

import random as _random


def fast_randint(rng):
    """``rng.randint`` with exactly the same draws, ~3x faster on hot paths.

    CPython's ``randint(a, b)`` is ``a + _randbelow(b - a + 1)``, and for ``random.Random``
    ``_randbelow`` draws ``n.bit_length()`` bits until the value is below n; this does the
    same without ``randrange``'s argument checks and two call layers. Any other generator
    keeps its own ``randint``. ``rng`` may be the ``random`` module itself.
    """
    inst = getattr(rng, "_inst", rng)  # the random module -> its hidden Random instance
    if getattr(type(inst), "_randbelow", None) is not _random.Random._randbelow_with_getrandbits:
        return rng.randint
    getrandbits = inst.getrandbits

    def randint(a: int, b: int) -> int:
        n = b - a + 1
        k = n.bit_length()
        r = getrandbits(k)
        while r >= n:
            r = getrandbits(k)
        return a + r

    return randint
