"""Task rows as a ``torch.utils.data.IterableDataset``, split across workers and ranks.

Example ``i`` is made from its own seed, so a stream is cut by index: with W DataLoader workers
and R distributed ranks, worker w of rank r yields examples r*W + w, r*W + w + R*W, ... The
parts are disjoint and their union is the single-process stream (for a finite
``num_examples``); the DataLoader interleaves its workers in a fixed order, so the order is
deterministic too. torch is imported here only.
"""

from __future__ import annotations

import os

from synthset.core.deps import require
from synthset.core.errors import ConfigError
from synthset.tasks.curriculum import scheduled_records


def _rank_world() -> tuple[int, int]:
    try:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            return dist.get_rank(), dist.get_world_size()
    except ImportError:
        pass
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))


def _base():
    torch = require("torch", "train", "Task.iterable")
    return torch.utils.data.IterableDataset


class TaskStream(_base()):
    """Rows of ``task`` from stream ``seed``; packed into windows when ``context_length``."""

    def __init__(self, task, seed: int, num_examples: int | None = None,
                 context_length: int | None = None, rank: int | None = None,
                 world_size: int | None = None, schedule=None):
        super().__init__()
        self.task, self.seed, self.num_examples = task, seed, num_examples
        self.context_length = context_length
        self.rank, self.world_size = rank, world_size
        self.schedule = schedule

    def report(self, accuracy: float, index: int = 0) -> None:
        """What the trainer measured after ``index`` examples (an adaptive curriculum rises on
        it; other schedules ignore it)."""
        if self.schedule is not None:
            self.schedule.report(accuracy, index)

    def _part(self) -> tuple[int, int]:
        import torch

        rank, world = _rank_world()
        if self.rank is not None:
            rank, world = self.rank, self.world_size or 1
        info = torch.utils.data.get_worker_info()
        wid, nworkers = (info.id, info.num_workers) if info else (0, 1)
        return rank * nworkers + wid, world * nworkers

    def __iter__(self):
        start, step = self._part()
        if self.schedule is None:
            rows = self.task.iter_examples(self.seed, self.num_examples, start=start, step=step)
        else:
            if self.schedule.adaptive and step > 1:
                raise ConfigError("an adaptive curriculum follows one trainer's reports: use "
                                  "it in one process (DataLoader num_workers=0, one rank)")
            rows = scheduled_records(self.task, self.seed, self.schedule, self.num_examples,
                                     start, step)
            if self.task.tokenizer_name_or_path:
                rows = (self.task.retokenized(r) for r in rows)
        if self.context_length:
            return self.task.pack(rows, self.context_length)
        return rows
