"""A curriculum driven by the trainer's rewards: the level rises when the mean reward of the
last ``window`` groups reaches ``rise``, and falls when it drops below ``fall``.

    curriculum = RewardCurriculum(start=1, rise=0.8, fall=0.2, window=16)
    train = prompt_stream("depo", seed=0, level=curriculum)   # each new row at curriculum.current
    reward = curriculum.watch(stream_reward("depo", level=curriculum))  # sees each group
    GRPOTrainer(..., reward_funcs=reward, train_dataset=train,
                callbacks=[curriculum.callback()],              # tells training from evaluation
                args=GRPOConfig(..., max_steps=200, shuffle_dataset=False))

A group is the completions of one prompt (TRL's ``num_generations``): consecutive completions
that share the dataset's ``index`` column. Each group's mean reward enters a window of the last
``window`` groups; when the window is full, its mean decides: ``>= rise`` moves one level up,
``< fall`` one level down, anything between stays (the gap between the two thresholds keeps
the level from flapping). A move empties the window, so the next decision is made on
``window`` groups drawn after it. The level stays within ``low``..``high`` (1..10, or for a
schedule that moves a field, 1 up to the task's own value of that field). The levels are
therefore a function of the sequence of group rewards alone: the same rewards in the same
order give the same levels at the same groups.

Why the reward function is wrapped (``watch``) rather than the trainer's logs read: TRL 1.16
logs only a batch's mean reward (``reward``, ``rewards/<name>/mean``), averaged again over
``logging_steps``, so the groups behind it are lost; the reward function sees every
completion with its row's ``index``. The callback (a ``transformers.TrainerCallback``) gives
the wrapper the model, so that groups scored while the model evaluates (``model.training`` is
False, as TRL tells them apart) move nothing, and raises a ConfigError when the trainer logs
rewards the curriculum never saw (the reward was not wrapped). Each move is logged through
``logging`` (``synthset.rewards.curriculum``, level INFO), kept in ``changes``, and, in TRL,
reported as the metric ``curriculum/level`` (or ``curriculum/FIELD``) in the trainer's logs.

A stream records on the curriculum the level it drew each row at (``drew``, as runs of
indices), so that ``stream_reward`` judges a row with the task at that level
(``drawn_level``): a token task's record is read with its level's vocabulary.

A ``RewardCurriculum`` is a ``synthset.tasks.curriculum`` schedule (an adaptive one), so
``task.iterable(seed, level=curriculum)`` and ``stream.report(mean)`` use it too. It lives in
the trainer's process: a stream reads its level for each new row, which a DataLoader worker
process could not see change (the streams refuse it there). Threads may share it.

Imports only the standard library, ``core`` and ``tasks``; transformers when the callback is
made.
"""

from __future__ import annotations

import bisect
import logging
import math
import threading
from collections import deque
from collections.abc import Callable

from synthset.core.errors import ConfigError
from synthset.tasks.curriculum import Schedule, _level, _named

logger = logging.getLogger(__name__)


class RewardCurriculum(Schedule):
    """The level (or the value of ``field``) of the next rows, moved by the trainer's rewards.

    Args:
        start: the first level (a field's first value).
        rise: the mean reward of the last ``window`` groups at or above which the level goes
            up by one.
        fall: the mean below which it goes down by one (None: it never falls); below
            ``rise``.
        window: how many groups (one prompt's completions each) a decision reads; after a
            move, ``window`` new groups are read before the next.
        low: the lowest level (default 1).
        high: the highest level (default 10; for a ``field``, the task's own value of the
            field, set when a stream binds the curriculum to its task).
        field: move this integer field of the task instead of its level (Depo's ``K``).
    """

    adaptive = True

    def __init__(self, start: int = 1, rise: float = 0.8, fall: float | None = 0.2,
                 window: int = 16, low: int = 1, high: int | None = None,
                 field: str | None = None):
        self.field = field
        self.low = _level("reward curriculum low", low, field)
        self.start = _level("reward curriculum start", start, field)
        self.top = None if high is None and field else _level(
            "reward curriculum high", 10 if high is None else high, field)
        for name, value in (("rise", rise), ("fall", fall)):
            if value is None and name == "fall":
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not math.isfinite(value):
                raise ConfigError(f"reward curriculum {name} must be a mean reward (a finite "
                                  f"number), got {value!r}")
        if fall is not None and not fall < rise:
            raise ConfigError(f"reward curriculum fall must be below rise (the gap keeps the "
                              f"level from flapping), got fall={fall!r}, rise={rise!r}")
        if isinstance(window, bool) or not isinstance(window, int) or window < 1:
            raise ConfigError(f"reward curriculum window must be a positive number of groups, "
                              f"got {window!r}")
        self.rise, self.fall, self.window = float(rise), fall, window
        if fall is not None:
            self.fall = float(fall)
        self._check_range()
        self.current = self.start
        self.groups = 0  # groups observed so far
        self.changes: list[dict] = []  # {"group", "from", "to", "mean"} for each move
        self._window: deque = deque(maxlen=window)
        self._lock = threading.Lock()
        self._model = None  # the trainer's model, given by the callback (training or not)
        # The level each row was drawn at, as (first index, level) runs: a row's reward is
        # judged by the task at that level (``drawn_level``), whatever the level is now.
        self._starts: list[int] = []
        self._levels: list[int] = []

    def _check_range(self) -> None:
        if self.top is not None and not self.low <= self.start <= self.top:
            what = self.what()
            raise ConfigError(f"reward curriculum start {what} {self.start} is outside "
                              f"low..high = {self.low}..{self.top}")

    # -- a schedule ------------------------------------------------------------------------
    def level(self, index: int) -> int:
        """The level of a row drawn now (``index`` does not matter: the rewards do)."""
        return self.current

    def drew(self, index: int, level: int) -> None:
        """A stream drew row ``index`` at ``level`` (rows are drawn in index order; a stream
        read again from an earlier row replaces what was recorded from there on)."""
        with self._lock:
            while self._starts and self._starts[-1] > index:
                self._starts.pop()
                self._levels.pop()
            if self._starts and self._starts[-1] == index:
                self._levels[-1] = level
            elif not self._levels or self._levels[-1] != level:
                self._starts.append(index)
                self._levels.append(level)

    def drawn_level(self, index: int) -> int:
        """The level row ``index`` was drawn at (the start level for a row not drawn yet)."""
        pos = bisect.bisect_right(self._starts, index) - 1
        return self._levels[pos] if pos >= 0 else self.start

    def highest(self) -> int:
        if self.top is None:
            raise ConfigError(f"reward curriculum on {self.field}: its high is the task's own "
                              f"{self.field} (bind it to a task first)")
        self._check_range()
        return self.top

    def report(self, accuracy: float, index: int = 0) -> None:
        """One group's mean reward (what ``TaskStream.report`` and ``synthset train`` call)."""
        self.observe([accuracy])

    # -- rewards in ------------------------------------------------------------------------
    def observe(self, rewards, keys=None) -> int:
        """Take the rewards of consecutive completions: those sharing a key (the dataset's
        ``index`` of their prompt) form one group, and each group's mean reward is one step of
        the window (without ``keys``, each reward is a group). None or NaN rewards (TRL's
        unscorable completions) are left out of their group's mean. Returns the level now."""
        rewards = list(rewards)
        keys = list(range(len(rewards))) if keys is None else list(keys)
        if len(keys) != len(rewards):
            raise ConfigError(f"{len(rewards)} rewards but {len(keys)} group keys")
        with self._lock:
            start = 0
            for i in range(1, len(rewards) + 1):
                if i == len(rewards) or keys[i] != keys[start]:
                    group = [float(r) for r in rewards[start:i]
                             if r is not None and not math.isnan(float(r))]
                    if group:
                        self._step(math.fsum(group) / len(group))
                    start = i
            return self.current

    def _step(self, mean: float) -> None:
        self.groups += 1
        self._window.append(mean)
        if len(self._window) < self.window:
            return
        window_mean = math.fsum(self._window) / self.window
        top = self.highest()
        if window_mean >= self.rise and self.current < top:
            self._move(self.current + 1, window_mean, f">= rise {self.rise:g}")
        elif self.fall is not None and window_mean < self.fall and self.current > self.low:
            self._move(self.current - 1, window_mean, f"< fall {self.fall:g}")

    def _move(self, to: int, mean: float, why: str) -> None:
        self.changes.append({"group": self.groups, "from": self.current, "to": to,
                             "mean": mean})
        logger.info("reward curriculum: %s %d -> %d after %d groups (mean reward %.4g of the "
                    "last %d %s)", self.what(), self.current, to, self.groups, mean,
                    self.window, why)
        self.current = to
        self._window.clear()

    # -- TRL -------------------------------------------------------------------------------
    def watch(self, reward_func: Callable) -> Callable:
        """``reward_func`` (a TRL reward function) that also hands its rewards to the
        curriculum: grouped by the ``index`` column (by the prompt without one), and only
        while the model trains once the callback has given it the model."""

        def watched(*args, **columns):
            values = reward_func(*args, **columns)
            model = self._model
            if model is None or getattr(model, "training", True):
                keys = columns.get("index")
                if keys is None:
                    keys = [repr(p) for p in (columns.get("prompts") or [])] or None
                self.observe(values, keys)
                log_metric = columns.get("log_metric")
                if callable(log_metric):  # TRL: a metric in the trainer's own logs
                    log_metric(f"curriculum/{self.what()}", float(self.current))
            return values

        watched.__name__ = getattr(reward_func, "__name__", "reward")  # TRL's name for it
        watched.__doc__ = getattr(reward_func, "__doc__", None)
        watched.curriculum = self
        return watched

    def callback(self):
        """A ``transformers.TrainerCallback`` for this curriculum (see the module docstring)."""
        return _callback_class()(self)

    def __getstate__(self) -> dict:  # a lock does not travel; a copy starts with its own
        state = dict(self.__dict__)
        state.pop("_lock", None)
        state["_model"] = None
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        fall = "None" if self.fall is None else f"{self.fall:g}"
        return (f"RewardCurriculum(start={self.start}, rise={self.rise:g}, fall={fall}, "
                f"window={self.window}, low={self.low}, high={self.top}, now={self.current}"
                f"{_named(self.field)})")


_CALLBACK: list = []


def _callback_class():
    """The callback class, made once on first use (transformers is an optional import)."""
    if _CALLBACK:
        return _CALLBACK[0]
    from synthset.core.deps import require

    transformers = require("transformers", "rl", "RewardCurriculum.callback")

    class CurriculumCallback(transformers.TrainerCallback):
        """Gives the curriculum the trainer's model (so that evaluation's rewards move
        nothing) and checks that the rewards the trainer logs reach it."""

        def __init__(self, curriculum: RewardCurriculum):
            self.curriculum = curriculum
            self.seen_at_begin = 0

        def on_train_begin(self, args, state, control, model=None, **kwargs):
            self.curriculum._model = model
            self.seen_at_begin = self.curriculum.groups

        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "reward" in logs and self.curriculum.groups == self.seen_at_begin:
                raise ConfigError("the trainer logged rewards that the curriculum did not "
                                  "see: give the trainer reward_funcs=curriculum.watch(reward)")

        def on_train_end(self, args, state, control, **kwargs):
            self.curriculum._model = None

    CurriculumCallback.__module__, CurriculumCallback.__qualname__ = __name__, "CurriculumCallback"
    _CALLBACK.append(CurriculumCallback)
    return CurriculumCallback
