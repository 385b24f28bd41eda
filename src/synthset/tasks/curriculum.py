"""Curricula: which level (1..10) each example of a stream is drawn at.

    Fixed(3)                      every example at level 3
    Linear(1, 10, over=50_000)    level 1 at example 0, rising evenly to 10 at example 50,000
    Step([1, 3, 5], every=10_000) level 1 for 10,000 examples, then 3, then 5 (and stays)
    Adaptive(start=1, target=0.9) up one level each time the trainer reports an accuracy
                                  >= target on the current level (``stream.report(acc)``):
                                  the batch's, on its trained tokens
    Evaluated(start=1, target=0.9)
                                  the same rule fed by an evaluation instead: the accuracy
                                  at the current value measured on full-size held-out
                                  examples (``synthset curves``: Depo's hop count, K)

``task.iterable(seed, level=Linear(1, 10, 50_000))`` draws example ``i`` of the stream from
the task at ``schedule.level(i)`` with the example's own seed, so a stream with a fixed,
linear or step schedule stays deterministic and splits across DataLoader workers and ranks as
any stream does. An adaptive schedule depends on the reports, so it is deterministic given the
sequence of reports and the indices they were made at; it lives in one process (a DataLoader
with workers would copy it), which ``TaskStream`` checks.

A schedule can move one integer field of the task instead of its level (``field="K"``: Depo's
hop count with its other fields kept): its values are the field's, from 1 up to the task's own
value, which an adaptive schedule rises to. ``bind(schedule, task)`` checks that against the
task.

``parse("linear:1:10:50000")`` reads the one-string form the CLI takes (``train.curriculum``):
``fixed:L``, ``linear:START:END:OVER``, ``step:L1,L2,...:EVERY``, ``adaptive:START:TARGET``,
``evaluated:START:TARGET``, each optionally behind ``FIELD:`` (``K:step:1,2,3,4:40000``). Imports only the standard library,
``core`` and the task registry.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from synthset.core.errors import ConfigError
from synthset.core.task import check_level
from synthset.tasks.registry import get_task


class Schedule(ABC):
    """A curriculum: ``level(index)`` gives the level of example ``index`` (or the value of
    ``field`` when the schedule moves a field)."""

    adaptive = False
    fed_by: str | None = None  # what an adaptive schedule's reports measure: "batch" or "eval"
    field: str | None = None

    def what(self) -> str:
        """What the schedule moves, for logs and messages: ``level`` or the field's name."""
        return self.field or "level"

    @abstractmethod
    def level(self, index: int) -> int:
        ...

    @abstractmethod
    def highest(self) -> int:
        """The highest level the schedule can reach (sizes a model's context)."""

    def report(self, accuracy: float, index: int = 0) -> None:
        """What the trainer measured; only an adaptive schedule acts on it."""


class Fixed(Schedule):
    def __init__(self, level: int, field: str | None = None):
        self.field = field
        self.value = _level("fixed", level, field)

    def level(self, index: int) -> int:
        return self.value

    def highest(self) -> int:
        return self.value

    def __repr__(self) -> str:
        return f"Fixed({self.value}{_named(self.field)})"


class Linear(Schedule):
    def __init__(self, start: int, end: int, over: int, field: str | None = None):
        self.field = field
        self.start = _level("linear start", start, field)
        self.end = _level("linear end", end, field)
        self.over = _positive("linear over", over)

    def level(self, index: int) -> int:
        if index >= self.over:
            return self.end
        return self.start + (self.end - self.start) * index // self.over

    def highest(self) -> int:
        return max(self.start, self.end)

    def __repr__(self) -> str:
        return f"Linear({self.start}, {self.end}, over={self.over}{_named(self.field)})"


class Step(Schedule):
    def __init__(self, levels, every: int, field: str | None = None):
        if not levels:
            raise ConfigError("step needs at least one level, e.g. step:1,3,5:1000")
        self.field = field
        self.levels = [_level("step", lv, field) for lv in levels]
        self.every = _positive("step every", every)

    def level(self, index: int) -> int:
        return self.levels[min(index // self.every, len(self.levels) - 1)]

    def highest(self) -> int:
        return max(self.levels)

    def __repr__(self) -> str:
        return f"Step({self.levels}, every={self.every}{_named(self.field)})"


class Adaptive(Schedule):
    """Starts at ``start``; each report of an accuracy >= ``target`` raises the level by one
    (up to ``top``: level 10, or for a field the task's own value) for every example from the
    report's index on."""

    adaptive = True
    fed_by = "batch"

    def __init__(self, start: int = 1, target: float = 0.9, top: int | None = None,
                 field: str | None = None):
        self.field = field
        self.start = _level("adaptive start", start, field)
        self.top = None if top is None and field else _level("adaptive top", top or 10, field)
        if isinstance(target, bool) or not isinstance(target, (int, float)) \
                or not 0 < target <= 1:
            raise ConfigError(f"adaptive target must be an accuracy in (0, 1], got {target!r}")
        self.target = float(target)
        self.changes: list[tuple[int, int]] = []  # (first index, level) after each rise

    @property
    def current(self) -> int:
        return self.changes[-1][1] if self.changes else self.start

    def level(self, index: int) -> int:
        value = self.start
        for first, level in self.changes:
            if index >= first:
                value = level
        return value

    def highest(self) -> int:
        if self.top is None:
            raise ConfigError(f"adaptive {self.field} curriculum: its top is the task's own "
                              f"{self.field} (bind it to a task first)")
        return self.top

    def report(self, accuracy: float, index: int = 0) -> None:
        if accuracy >= self.target and self.current < self.highest():
            self.changes.append((index, self.current + 1))

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(start={self.start}, target={self.target}, "
                f"now={self.current}{_named(self.field)})")


class Evaluated(Adaptive):
    """``Adaptive`` fed by an evaluation: each report is the accuracy at the current value on
    held-out examples at full size (``synthset curves`` reports Depo's accuracy at k = the
    current K after each evaluation), not a training batch's, whose examples are mostly
    smaller. Up one value each time it reaches ``target``, for every example from the report's
    index on."""

    fed_by = "eval"


def bind(schedule: Schedule | None, task) -> Schedule | None:
    """``schedule`` checked against ``task``: a field schedule's field must be an integer field
    of the task, and its values at most the task's own value (an adaptive one rises to it)."""
    if schedule is None or schedule.field is None:
        return schedule
    field = schedule.field
    config = getattr(task, "config", task)  # an algebra problem holds its fields itself
    fields = getattr(type(config), "__dataclass_fields__", {})
    own = getattr(config, field, None)
    if field not in fields or isinstance(own, bool) or not isinstance(own, int):
        names = sorted(f for f in fields if isinstance(getattr(config, f), int)
                       and not isinstance(getattr(config, f), bool))
        raise ConfigError(f"curriculum field {field!r}: {task.name} has no integer field of "
                          f"that name (integer fields: {', '.join(names) or 'none'})")
    if schedule.adaptive and schedule.top is None:
        schedule.top = own
    if schedule.highest() > own:
        raise ConfigError(f"curriculum {schedule!r} reaches {field}={schedule.highest()}, "
                          f"above the task's own {field}={own} (the value it rises to); raise "
                          f"the task's {field} or lower the schedule")
    return schedule


def task_at(task, level: int, field: str | None = None,
            _cache: dict = {}):  # noqa: B006 (a deliberate cache)
    """``task`` at another level: the same registry name, preset and explicit fields, with
    the fields the level sets taken from that level (a curriculum moves those). With
    ``field``, the task at its own level with that one field set to ``level``."""
    key = (id(task), level, field)
    found = _cache.get(key)
    if found is None or found[0] is not task:
        explicit = dict(getattr(task, "explicit", {}))
        if field is None:
            for name in task.level_config(level):
                explicit.pop(name, None)
        else:
            explicit[field] = level
        backend = getattr(task, "backend", None) if task.kind == "algebra" else None
        found = _cache[key] = (task, get_task(
            task.name, level=task.level if field else level, backend=backend, **explicit))
    return found[1]


def scheduled_records(task, seed: int, schedule: Schedule, num: int | None = None,
                      start: int = 0, step: int = 1, split: str = "train"):
    """Records ``start, start + step, ...`` of a stream, example i drawn at
    ``schedule.level(i)`` from its own seed."""
    index = start
    while num is None or index < num:
        yield task_at(task, schedule.level(index), schedule.field).record(seed, index, split)
        index += step


def parse(spec) -> Schedule | None:
    """A schedule from its one-string form (optionally ``FIELD:`` first), or None for
    ``null``/``none``/empty."""
    if spec is None or isinstance(spec, Schedule):
        return spec
    text = str(spec).strip()
    if text.lower() in ("", "none", "null"):
        return None
    kind, _, rest = text.partition(":")
    field = None
    if kind not in KINDS and kind.isidentifier():
        field = kind
        kind, _, rest = rest.partition(":")
    parts = rest.split(":") if rest else []
    try:
        if kind == "fixed" and len(parts) == 1:
            return Fixed(int(parts[0]), field=field)
        if kind == "linear" and len(parts) == 3:
            return Linear(int(parts[0]), int(parts[1]), int(parts[2]), field=field)
        if kind == "step" and len(parts) == 2:
            return Step([int(x) for x in parts[0].split(",")], int(parts[1]), field=field)
        if kind in ("adaptive", "evaluated") and len(parts) in (1, 2):
            return (Adaptive if kind == "adaptive" else Evaluated)(
                int(parts[0]), float(parts[1]) if len(parts) == 2 else 0.9, field=field)
    except ConfigError:
        raise
    except ValueError:  # a number that is not one
        pass
    raise ConfigError(f"curriculum {text!r} is not one of fixed:L, linear:START:END:OVER, "
                      "step:L1,L2,...:EVERY, adaptive:START[:TARGET], "
                      "evaluated:START[:TARGET] (levels 1..10), each "
                      "optionally behind FIELD: to move a field instead (K:step:1,2,3:5000)")


KINDS = ("fixed", "linear", "step", "adaptive", "evaluated")


def _named(field: str | None) -> str:
    return f", field={field!r}" if field else ""


def _level(what: str, value, field: str | None = None) -> int:
    if field is not None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{what} {field} must be a positive integer, got {value!r}")
        return value
    try:
        return check_level(value)
    except ConfigError:
        raise ConfigError(f"{what} level must be an integer from 1 to 10, got {value!r}") \
            from None


def _positive(what: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{what} must be a positive number of examples, got {value!r}")
    return value
