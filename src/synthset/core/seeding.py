"""Per-sample seeds.

A sample depends only on ``(root_seed, split, index)`` and the task config (docs/design.md,
invariant 1). The seed is CALT 1.5.0's own, so the same generator gives the same samples here
and in calt-x:

    int.from_bytes(sha256(f"{root_seed}_{split}_{index}".encode()).digest()[:16], "big")

It is a 128-bit integer: Python's ``random.seed`` and ``numpy.random.default_rng`` both take it
whole (``np.random.seed`` does not: it wants < 2**32; use ``default_rng(seed)``).
"""

from __future__ import annotations

from hashlib import sha256

from synthset.core.errors import GenerationError


def derive_seed(root_seed: int, split: str, index: int) -> int:
    """The seed of sample ``index`` of ``split`` (CALT's formula, 128 bits)."""
    return int.from_bytes(sha256(f"{root_seed}_{split}_{index}".encode()).digest()[:16], "big")


def derive_seeds(root_seed: int, split: str, start: int, stop: int) -> list[int]:
    """``[derive_seed(root_seed, split, index) for index in range(start, stop)]``, for a
    shard's loop: the part of the key they share is hashed once, each seed's hash a copy of
    it, and the list made in one loop (a generator's resumption per seed cost a quarter more)."""
    copy = sha256(f"{root_seed}_{split}_".encode()).copy
    from_bytes = int.from_bytes
    seeds = []
    add = seeds.append
    for index in range(start, stop):
        h = copy()
        h.update(b"%d" % index)
        add(from_bytes(h.digest()[:16], "big"))
    return seeds


# How many replacement seeds a sample tries (under on_error: skip, or when dedup passes over its
# problem) before the run fails naming it.
MAX_REPLACEMENTS = 100


def replacement_seed(root_seed: int, split: str, index: int, attempt: int) -> int:
    """The seed that replaces a failed sample under ``on_error: skip`` (attempt = 1, 2, ...).

    The ``#`` cannot occur in a sample seed's key (indices are integers), so a replacement never
    reuses the seed of another sample of any split.
    """
    key = f"{root_seed}_{split}_{index}#retry{attempt}"
    return int.from_bytes(sha256(key.encode()).digest()[:16], "big")


def attempt_seed(root_seed: int, split: str, index: int, attempt: int = 0) -> int:
    """The seed of try ``attempt`` at sample ``index`` of ``split``: its own seed (attempt 0),
    then its replacement seeds (1, 2, ... ``MAX_REPLACEMENTS``)."""
    if attempt == 0:
        return derive_seed(root_seed, split, index)
    return replacement_seed(root_seed, split, index, attempt)


def draw(generator, root_seed: int, split: str, index: int):
    """Sample ``index`` of ``split`` as a run with ``on_error: skip`` (and no dedup) stores it:
    ``generator(seed)`` for the sample's own seed and, while that raises, for its replacement
    seeds in turn (``attempt_seed``). The engine replaces a failed sample by the same rule, so
    a sample made here by a task's name equals the run's. A failure is an exception or a
    ``sys.exit()`` in the generator; a KeyboardInterrupt stops. When every seed fails:
    GenerationError naming the sample and the last failure."""
    for attempt in range(MAX_REPLACEMENTS + 1):
        try:
            return generator(attempt_seed(root_seed, split, index, attempt))
        except (Exception, SystemExit) as exc:
            failure = exc
    raise GenerationError(split, index, derive_seed(root_seed, split, index),
                          f"{MAX_REPLACEMENTS} replacement seeds failed too; last: "
                          f"{type(failure).__name__}: {failure}") from failure
