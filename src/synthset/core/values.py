"""Predicates for declared options (``driver/options.py``, ``train/config.py``): what a
value must be, checked at construction. Standard library only."""

from __future__ import annotations

from collections.abc import Callable


def is_int(minimum: int | None = None, *, none: bool = False) -> Callable[[object], bool]:
    """An integer (never a bool) >= ``minimum``; None too when ``none``."""
    def valid(value) -> bool:
        if value is None:
            return none
        return isinstance(value, int) and not isinstance(value, bool) and (
            minimum is None or value >= minimum)
    return valid


def is_number(above: float | None = None, at_least: float | None = None
              ) -> Callable[[object], bool]:
    """A finite-or-infinite int or float (never a bool, never NaN) > ``above``, >= ``at_least``."""
    def valid(value) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            return False
        return (above is None or value > above) and (at_least is None or value >= at_least)
    return valid


def is_bool(value) -> bool:
    return isinstance(value, bool)
