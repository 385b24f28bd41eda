"""verifiers (0.4): a synthset task as a verifiers taskset, its verifier as the task's reward.

verifiers 0.4 (``verifiers.v1``) builds an environment from a *taskset*: a ``Taskset``
subclass whose ``load()`` yields ``Task`` objects, each with its ``TaskData`` (the prompt and
what the answer is judged against) and its ``@vf.reward`` methods, which ``Task.score(trace)``
runs on a finished rollout (``vf-eval``, prime-rl, and ``vf-replay`` offline). A taskset is
found by id: the module of that name, exporting its ``Taskset`` subclass in ``__all__``.

This module is such a taskset. ``SynthsetTaskset`` yields one ``SynthsetTask`` per sample of a
task by name or of a run folder's split; its one reward, ``correct``, judges the rollout's last
reply with the task's verifier as ``synthset.rewards.score_completions`` does (the same score
as every other adapter). ``load_environment(task_or_run, ...)`` returns the
``vf.SingleAgentEnv`` over it; ``load_taskset`` the taskset alone.

Its id is ``synthset_verifiers`` (set when this module is imported); for verifiers' own
command lines, which import the id in a fresh process, a two-line module of that name on the
path re-exports it (docs/guide/rl-trainers.md)::

    from synthset.rewards.verifiers_env import SynthsetTaskset
    __all__ = ["SynthsetTaskset"]

Imports verifiers at import (it is the point of the module), ``core``, ``export`` and the
``rewards`` package.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
from typing import Any

import verifiers.v1 as vf
from pydantic import Field

from synthset.rewards.answers import score_found, score_without_verifier
from synthset.rewards.rows import example_of, label_key, prompt_rows, score_one, task_from_label
from synthset.tasks.base import TokenTask

TASKSET_ID = "synthset_verifiers"


class SynthsetTaskConfig(vf.TaskConfig):
    """How a rollout is scored (``--env.taskset.task.*``)."""

    timeout: float | None = 5.0
    """Seconds one verifier call may take; past it the rollout scores 0.0 (None: no limit)."""
    trust_code: bool = False
    """Import the ``check:`` a run folder of your own generator names (it runs its code)."""


class SynthsetData(vf.TaskData):
    """One sample: ``prompt`` (TaskData's), its ``answer`` text, ``example`` (the record as
    JSON, what a reply is judged against) and ``task`` (the label naming the verifier)."""

    answer: str = ""
    example: str = ""
    task: str = ""


class SynthsetTask(vf.Task[SynthsetData, vf.State, SynthsetTaskConfig]):
    """A sample of a synthset task; its reward is the task's verifier."""

    @vf.reward
    async def correct(self, task: SynthsetData, trace) -> float:
        """The last reply judged against the sample: a float in [0, 1]. A reply that needs no
        verifier (no answer, or the stored one in any form) and the checks of the built-in
        reasoning tasks (micro- to milliseconds) are scored on the event loop; any other
        check runs in a worker thread, so a slow one never holds up the loop's other
        rollouts."""
        judge = task_from_label(task.task, trust_code=self.config.trust_code)
        reply = trace.last_reply
        example = example_of(judge, task.example)
        score, found = score_without_verifier(judge, reply, example)
        if score is not None:
            return score
        if isinstance(judge, TokenTask):  # the answer already read: judged as it is
            return score_found(judge, found, example, self.config.timeout)
        return await asyncio.to_thread(score_one, judge, reply, task.example,
                                       self.config.timeout)

    # verifiers' ``invoke`` reads the reward's signature at every call; a function that
    # carries its own (``__signature__``) is read at a third of the cost.
    correct.__signature__ = inspect.signature(correct)

    async def validate(self, runtime=None) -> bool:
        """verifiers' model-free check of the ground truth (``vf-validate``): the stored
        answer scores 1.0."""
        judge = task_from_label(self.data.task, trust_code=self.config.trust_code)
        return await asyncio.to_thread(score_one, judge, self.data.answer, self.data.example,
                                       self.config.timeout) == 1.0


class SynthsetTasksetConfig(vf.TasksetConfig):
    """Which samples load (``--env.taskset.*``)."""

    id: str = TASKSET_ID
    source: str = "depo1"
    """A built-in task's name (``synthset tasks``), or a run folder."""
    level: int | None = None
    """The task's level, 1..10 (a task name only)."""
    fields: dict[str, Any] = Field(default_factory=dict)
    """The task's fields, e.g. ``{"N": 12}`` (a task name only)."""
    count: int = 1000
    """Samples of a task name, made from ``seed`` (a run folder: all of its split)."""
    seed: int = 0
    split: str = "train"
    """The run folder's split (a task name has split train)."""
    task: SynthsetTaskConfig = SynthsetTaskConfig()


class SynthsetTaskset(vf.Taskset[SynthsetTask, SynthsetTasksetConfig]):
    """The samples of a synthset task or run folder, one ``SynthsetTask`` each."""

    def load(self):
        c = self.config
        config = dict(c.fields)
        if c.level is not None:
            config["level"] = c.level
        from pathlib import Path

        is_run = Path(c.source).is_dir()  # a run folder holds its own samples: no count
        src, label, rows = prompt_rows(c.source, None if is_run else c.count, c.seed,
                                       config or None)
        name = label.get("name") or src.contract_task().name
        label_json = label_key(label)
        for index, prompt, answer, record in rows(c.split):
            yield SynthsetTask(SynthsetData(
                id=f"{name}/{c.split}/{index}", name=name, prompt=prompt, answer=answer,
                example=record, task=label_json), c.task)


def _config(task_or_run, count, seed, split, timeout, trust_code, level, fields):
    from pathlib import Path

    is_run = Path(str(task_or_run)).is_dir()
    return SynthsetTasksetConfig(
        source=str(Path(task_or_run).resolve()) if is_run else str(task_or_run),
        count=count, seed=seed, split=split, level=level, fields=fields,
        task=SynthsetTaskConfig(timeout=timeout, trust_code=trust_code))


def load_taskset(task_or_run, count: int = 1000, seed: int = 0, split: str = "train",
                 timeout: float | None = 5.0, trust_code: bool = False,
                 level: int | None = None, **fields) -> SynthsetTaskset:
    """The taskset of a task by name (``count`` samples from ``seed``, at ``level`` with
    ``fields``) or of a run folder's ``split``."""
    return SynthsetTaskset(_config(task_or_run, count, seed, split, timeout, trust_code,
                                   level, fields))


def load_environment(task_or_run, count: int = 1000, seed: int = 0, split: str = "train",
                     timeout: float | None = 5.0, trust_code: bool = False,
                     level: int | None = None, **fields):
    """The ``vf.SingleAgentEnv`` over ``load_taskset(...)``: verifiers' single-agent
    environment (one model seat; its harness and model are set as verifiers sets them)."""
    taskset = _config(task_or_run, count, seed, split, timeout, trust_code, level, fields)
    return vf.SingleAgentEnv(vf.SingleAgentEnvConfig(taskset=taskset))


# verifiers finds a taskset by importing its id: this module answers to TASKSET_ID in any
# process that imported it (a real module of that name on the path wins).
sys.modules.setdefault(TASKSET_ID, sys.modules[__name__])

__all__ = ["SynthsetTaskset"]
