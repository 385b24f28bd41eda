"""Online prompt data: a task's prompts made as a trainer reads them, endless or ``count`` long.

    prompt_stream("depo1", seed=0)                      a datasets.IterableDataset
    prompt_stream("depo", seed=0, level=curriculum)     each new row at the curriculum's level
    torch_prompt_stream("depo1", seed=0)                a torch.utils.data.IterableDataset
    stream_reward("depo", level=curriculum)             the TRL reward: each row at its level

Row ``i`` is sample ``i`` of split ``split`` of a run with root seed ``seed``: its seed is
``derive_seed(seed, split, i)`` (a draw the task rejects replaced as a run with
``on_error: skip`` replaces it), as in a run and in ``to_hf_dataset(task, prompts=True,
count=..., seed=...)``, whose row ``i`` it equals at a fixed level. The columns are that
function's: ``prompt``, ``answer``, ``example`` (the record as JSON, what
``synthset.rewards.reward_function`` judges a completion against) and ``index``. The same
arguments give the same rows in the same order, in any process.

``level`` is None (the task's own), a level 1..10, a ``synthset.tasks.curriculum`` schedule
or its string (``linear:1:10:50000``: row i at the schedule's level for i), or a
``RewardCurriculum``, whose current level each new row reads when it is made. Rows are made
when they are read: a reader that reads ahead (a shuffle buffer, a DataLoader's prefetch)
draws those rows at the level of the moment it reads them.

DataLoader workers: worker ``w`` of ``W`` makes rows ``w, w + W, ...`` (the torch stream,
which also splits across distributed ranks as ``Task.iterable`` does), so the parts are
disjoint, and with ``batch_size=1`` the DataLoader's round-robin gives the single-process
order back. A ``datasets`` stream is split by ``datasets`` into ``num_shards`` shards over the
workers: shard ``s`` makes rows ``s, s + num_shards, ...`` in a worker, while a process that
is no worker reads all rows in order whatever ``num_shards`` is. Give ``num_shards`` the number
of workers. A curriculum driven by rewards lives in the trainer's process: a worker process
holds a copy that never moves, so the streams refuse it there (TRL reads its iterable train
set in the main process).

Imports ``core``, ``tasks``, ``export`` and the rewards package; torch or datasets when a
stream of theirs is made.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from synthset.core.deps import require
from synthset.core.errors import ConfigError
from synthset.core.nested import to_strings
from synthset.rewards import task_of
from synthset.tasks.curriculum import bind, parse, task_at

class PromptRows:
    """The rows of a prompt stream, made on demand (no torch, no datasets).

    Args:
        task: a Task, a task name (its fields in ``config``) or a run folder (its task).
        seed: the root seed: row i comes from ``derive_seed(seed, split, i)``.
        level: None, a level 1..10, a schedule or its string, or a ``RewardCurriculum``.
        count: the number of rows (None: endless).
        split: the split whose seeds the rows take.
        trust_code: import the code a run folder names (its own generator).
        config: the task's fields, when ``task`` is a name (``N=12``).
    """

    def __init__(self, task, seed: int = 0, level=None, count: int | None = None,
                 split: str = "train", trust_code: bool = False, **config):
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ConfigError(f"seed must be an integer, got {seed!r}")
        if count is not None and (isinstance(count, bool) or not isinstance(count, int)
                                  or count < 1):
            raise ConfigError(f"count must be a positive integer or None (endless), "
                              f"got {count!r}")
        if not isinstance(split, str) or not split:
            raise ConfigError(f"split must be a split name, got {split!r}")
        named = isinstance(task, str) and not Path(task).is_dir()
        if config and not named:
            raise ConfigError(f"task fields ({', '.join(sorted(config))}) go with a task "
                              f"name, not with {task!r}")
        self.schedule = None
        if isinstance(level, int) and not isinstance(level, bool) or level is None:
            if level is not None and not named:  # a Task, or a run folder's task
                self.task = task_at(task_of(task, trust_code=trust_code), level)
            else:
                level_of = {} if level is None else {"level": level}
                self.task = task_of(task, trust_code=trust_code, **config, **level_of)
        else:
            schedule = parse(level)
            if named and schedule.field is None:
                # fields valid at the schedule's first level need not be at the task's own
                config = {**config, "level": schedule.level(0)}
            self.task = task_of(task, trust_code=trust_code, **config)
            self.schedule = bind(schedule, self.task)
        self.seed, self.count, self.split = seed, count, split

    def row(self, index: int) -> dict:
        """Row ``index``: the sample of seed ``derive_seed(seed, split, index)``, at the
        level the schedule gives now."""
        from synthset.export import record_json  # numpy: only once rows are made

        task = self.task
        if self.schedule is not None:
            level = self.schedule.level(index)
            if hasattr(self.schedule, "drew"):  # a reward curriculum: its reward asks later
                self.schedule.drew(index, level)
            task = task_at(task, level, self.schedule.field)
        record = task.record(self.seed, index, self.split)
        if task.kind != "reasoning":  # a (problem, answer) pair as a run folder stores it
            record = tuple(to_strings(x) for x in record)
        example = task.example_of(record)
        return {"prompt": example["prompt"], "answer": example["answer"],
                "example": record_json(record), "index": index}

    def rows(self, start: int = 0, step: int = 1) -> Iterator[dict]:
        """Rows ``start, start + step, ...`` (up to ``count``)."""
        index = start
        while self.count is None or index < self.count:
            yield self.row(index)
            index += step

    def level_of(self, index: int) -> int | None:
        """The level (or field value) row ``index`` is drawn at; None without a schedule."""
        if self.schedule is None:
            return None
        drawn = getattr(self.schedule, "drawn_level", None)
        return drawn(index) if drawn is not None else self.schedule.level(index)

    def reward(self, timeout: float | None = 5.0):
        """The TRL reward for these rows: row ``index`` judged by the task at the level it
        was drawn at (a token task's record is read with its level's vocabulary)."""
        from synthset.rewards import reward_function

        if self.schedule is None:
            return reward_function(self.task, timeout=timeout)
        judges: dict = {}

        def judge(level):
            if level not in judges:
                judges[level] = reward_function(
                    task_at(self.task, level, self.schedule.field), timeout=timeout)
            return judges[level]

        def reward(prompts=None, completions=None, example=None, index=None, **columns):
            if completions is None or example is None:  # its one-line error
                return judge(self.level_of(0))(prompts=prompts, completions=completions,
                                               example=example)
            if index is None:
                raise ConfigError("a stream's reward needs the dataset's 'index' column (the "
                                  "row's level comes from it): keep the stream's columns")
            if not len(index) == len(example) == len(completions):
                raise ConfigError(f"{len(completions)} completions but {len(example)} "
                                  f"examples and {len(index)} indices")
            levels = [self.level_of(int(i)) for i in index]
            values = [0.0] * len(completions)
            for level in dict.fromkeys(levels):
                at = [k for k, lv in enumerate(levels) if lv == level]
                scores = judge(level)(completions=[completions[k] for k in at],
                                      example=[example[k] for k in at])
                for k, score in zip(at, scores):
                    values[k] = score
            return values

        reward.__name__ = f"synthset_{self.task.name}"  # TRL logs it under this name
        reward.__doc__ = f"score_answer of task {self.task.name!r} at each row's level, in [0, 1]"
        return reward

    def check_process(self, in_worker: bool) -> None:
        if in_worker and self.schedule is not None and self.schedule.adaptive:
            raise ConfigError("a curriculum driven by rewards lives in the trainer's process: "
                              "read this stream there (DataLoader num_workers=0, one rank)")


def prompt_stream(task, seed: int = 0, level=None, count: int | None = None,
                  split: str = "train", num_shards: int = 1, trust_code: bool = False,
                  **config):
    """A ``datasets.IterableDataset`` of ``task``'s prompt rows (see the module docstring):
    columns ``prompt``, ``answer``, ``example``, ``index``; endless unless ``count``.
    ``num_shards``: how many DataLoader workers may read it."""
    datasets = require("datasets", "hf", "prompt_stream")
    if isinstance(num_shards, bool) or not isinstance(num_shards, int) or num_shards < 1:
        raise ConfigError(f"num_shards must be a positive integer (the number of DataLoader "
                          f"workers), got {num_shards!r}")
    rows = PromptRows(task, seed, level, count, split, trust_code, **config)
    features = datasets.Features({"prompt": datasets.Value("string"),
                                  "answer": datasets.Value("string"),
                                  "example": datasets.Value("string"),
                                  "index": datasets.Value("int64")})
    return datasets.IterableDataset.from_generator(
        _Shard(rows, num_shards), features=features,
        gen_kwargs={"shard": list(range(num_shards))})


class _Shard:
    """What ``datasets`` calls for one shard: in a DataLoader worker, shard s makes rows s,
    s + n, ...; in any other process, shard 0 makes every row in order and the others none
    (so a plain loop, ``take`` and ``shuffle`` read the rows in index order)."""

    def __init__(self, rows: PromptRows, shards: int):
        self.rows, self.shards = rows, shards

    def __call__(self, shard):
        (shard,) = shard  # datasets hands each shard its one-item slice of the list
        info = None
        if "torch" in sys.modules:
            import torch.utils.data

            info = torch.utils.data.get_worker_info()
        self.rows.check_process(info is not None)
        if info is not None:
            yield from self.rows.rows(shard, self.shards)
        elif shard == 0:
            yield from self.rows.rows()


def stream_reward(task, level=None, timeout: float | None = 5.0, trust_code: bool = False,
                  **config):
    """The TRL reward for ``prompt_stream(task, level=level, **config)``: each completion
    judged by the task at the level its row was drawn at (read from the row's ``index``;
    for a ``RewardCurriculum``, what the stream recorded on it). Without a schedule, it is
    ``reward_function`` of the stream's task."""
    return PromptRows(task, 0, level, None, "train", trust_code, **config).reward(timeout)


def torch_prompt_stream(task, seed: int = 0, level=None, count: int | None = None,
                        split: str = "train", rank: int | None = None,
                        world_size: int | None = None, trust_code: bool = False, **config):
    """A ``torch.utils.data.IterableDataset`` of ``task``'s prompt rows (dicts of the same
    columns); worker- and rank-aware (see the module docstring)."""
    rows = PromptRows(task, seed, level, count, split, trust_code, **config)
    return __getattr__("PromptStream")(rows, rank, world_size)


_CLASSES: dict = {}


def __getattr__(name: str):
    """``PromptStream``, the torch dataset class, made on first use (torch is optional); a
    module attribute, so that DataLoader workers that are spawned can unpickle it."""
    if name != "PromptStream":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if name not in _CLASSES:
        torch = require("torch", "train", "torch_prompt_stream")

        class PromptStream(torch.utils.data.IterableDataset):
            """Rows of a ``PromptRows``, split across DataLoader workers and ranks."""

            def __init__(self, rows: PromptRows, rank: int | None = None,
                         world_size: int | None = None):
                super().__init__()
                self.rows, self.rank, self.world_size = rows, rank, world_size

            def __iter__(self):
                from synthset.tasks.stream import _rank_world  # torch is loaded already

                rank, world = _rank_world()
                if self.rank is not None:
                    rank, world = self.rank, self.world_size or 1
                info = torch.utils.data.get_worker_info()
                wid, workers = (info.id, info.num_workers) if info else (0, 1)
                self.rows.check_process(info is not None or world > 1)
                return self.rows.rows(rank * workers + wid, world * workers)

        PromptStream.__module__, PromptStream.__qualname__ = __name__, "PromptStream"
        _CLASSES[name] = PromptStream
    return _CLASSES[name]
