"""The errors synthset raises, and helpers to word them.

Every error a user can cause names the key, field or value at fault and what is accepted
(docs/design.md, invariant 4). Imports nothing outside the standard library.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class SynthsetError(Exception):
    """Base class of every error synthset raises on purpose."""


class ConfigError(SynthsetError, ValueError):
    """A configuration key, value or argument is not accepted.

    Subclasses ValueError so that code written against CALT (which raises ValueError for the
    same mistakes) keeps catching it.
    """


class ResumeError(SynthsetError):
    """A run folder holds a run whose configuration differs from the one asked for."""


class GenerationError(SynthsetError):
    """A sample's generator raised or exceeded its time limit.

    Args:
        split: the split of the failing sample.
        index: its index within the split.
        seed: the seed its generator was called with.
        cause: what went wrong, e.g. ``ZeroDivisionError('division by zero')``.
    """

    def __init__(self, split: str, index: int, seed: int, cause: str):
        self.split, self.index, self.seed, self.cause = split, index, seed, cause
        super().__init__(f"sample {index} of split {split!r} (seed {seed}) failed: {cause}")

    def __reduce__(self):
        # Raised in worker processes and re-raised in the driver: keep the fields on the trip.
        return (GenerationError, (self.split, self.index, self.seed, self.cause))


class FormatError(SynthsetError, ValueError):
    """A sample cannot be written in the requested format (e.g. nesting deeper than two levels)."""


def closest(name: str, choices: Iterable[str]) -> str | None:
    """The accepted name closest to ``name``, or None when nothing is close."""
    found = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.5)
    return found[0] if found else None


def unknown_key(key: str, accepted: Iterable[str], where: str = "config") -> ConfigError:
    """The error for a key nobody reads: names it, the closest valid key and all valid keys."""
    accepted = sorted(accepted)
    hint = closest(key, accepted)
    did_you_mean = f" (did you mean {hint!r}?)" if hint else ""
    return ConfigError(
        f"unknown {where} key {key!r}{did_you_mean}; accepted keys: {', '.join(accepted)}"
    )


def bad_choice(key: str, value: object, accepted: Iterable[str]) -> ConfigError:
    """The error for a value outside a fixed set of choices."""
    accepted = list(accepted)
    hint = closest(str(value), accepted)
    did_you_mean = f" (did you mean {hint!r}?)" if hint else ""
    return ConfigError(
        f"{key} must be one of {', '.join(map(repr, accepted))}, got {value!r}{did_you_mean}"
    )
