"""Rewards for RL trainers: a task's verifier (``score_answer``) as a reward function.

``reward_function(task_or_run)`` returns a callable with the signature TRL's
``GRPOTrainer(reward_funcs=...)`` calls — ``prompts``, ``completions`` and the dataset's other
columns as keyword arguments, returning one float per completion::

    from synthset.export import to_hf_dataset
    from synthset.rewards import reward_function

    train = to_hf_dataset("depo1", prompts=True, count=1000, seed=0)   # prompt, answer, example
    reward = reward_function("depo1")
    GRPOTrainer(model=..., reward_funcs=reward, train_dataset=train, ...)

The ``example`` column (the sample's record as JSON, written by ``to_hf_dataset(...,
prompts=True)`` and ``synthset export hf --prompts``) is what each completion is judged
against. A completion may be a string or a conversation (a list of ``{"role", "content"}``
messages: the last one is judged). Nothing a model writes makes the reward raise: a malformed
or oversized answer scores 0.0, and so does one whose check runs past ``timeout`` seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from synthset.core.errors import ConfigError
from synthset.core.task import Task
from synthset.engine.timeout import SampleTimeout, TimeLimit
from synthset.runs import RunFolder
from synthset.tasks.spec import TaskSpec


def task_of(task_or_run, trust_code: bool = False, **config):
    """A task object: given, by registry name (with its level and fields), or the task a run
    folder was made with (its built-in task, or its own generator with the ``check`` it
    names — imported only with ``trust_code``)."""
    if isinstance(task_or_run, Task):
        return task_or_run
    if Path(str(task_or_run)).is_dir():
        return RunFolder(task_or_run).task(trust_code=trust_code)
    return TaskSpec.of(str(task_or_run), **config).build()


def completion_text(completion) -> str:
    """The text of a completion: a string, or the content of a conversation's last message
    (lists nested at most a few levels; a list that holds itself is no text)."""
    for _ in range(8):
        if isinstance(completion, str):
            return completion
        if isinstance(completion, dict):
            content = completion.get("content", "")
            return content if isinstance(content, str) else ""
        if not isinstance(completion, (list, tuple)) or not completion:
            return ""
        completion = completion[-1]
    return ""


def reward_function(task_or_run, timeout: float | None = 5.0, trust_code: bool = False,
                    **config) -> Callable:
    """The reward callable for ``task_or_run`` (a Task, a task name, or a run folder).

    Args:
        timeout: seconds one completion's check may take before it scores 0.0 (None: no
            limit); algebra checks on large answers can be slow.
        trust_code: import the verifier a run folder names (``check:``); without it such a
            run is refused in one line (importing a module runs its code).
        config: the task's level and fields, when ``task_or_run`` is a name (``level=3,
            N=16``).
    """
    from synthset.export import record_from_json  # numpy: keeps `import synthset.rewards` cheap

    task = task_of(task_or_run, trust_code=trust_code, **config)
    if timeout is not None and not timeout > 0:
        raise ConfigError(f"timeout must be a positive number of seconds or None, "
                          f"got {timeout!r}")

    def example_of(record_json: str):
        try:
            return task.example_of(record_from_json(record_json))
        except Exception:  # a column that is not one of ours: nothing to judge against
            return None

    def score(text: str, example, limit) -> float:
        if example is None:
            return 0.0
        if limit is None or task.is_stored_answer(text, example):  # no verifier runs: no limit
            return task.score_answer(text, example)
        try:
            with limit:
                return task.score_answer(text, example)
        except SampleTimeout:
            return 0.0

    def reward(prompts=None, completions=None, example=None, **columns) -> list[float]:
        if completions is None:
            raise ConfigError("the reward needs the completions (TRL passes completions=...)")
        if example is None:
            raise ConfigError("the dataset has no 'example' column: make it with "
                              "synthset.export.to_hf_dataset(..., prompts=True) or "
                              "`synthset export hf --prompts`")
        if len(example) != len(completions):
            raise ConfigError(f"{len(completions)} completions but {len(example)} examples")
        # A group of completions shares its example: each distinct one is read once a call.
        try:
            read = {e: example_of(e) for e in dict.fromkeys(example)}.__getitem__
        except TypeError:  # values that cannot be keys are not ours either: each scores 0.0
            read = example_of
        limit = None
        if timeout is not None:
            limit = TimeLimit(timeout)
            limit.install()  # once a call; armed around each completion's check
        try:
            return [score(completion_text(c), read(e), limit)
                    for c, e in zip(completions, example)]
        finally:
            if limit is not None:
                limit.uninstall()

    reward.__name__ = f"synthset_{task.name}"  # TRL logs each reward under its function name
    reward.__doc__ = f"score_answer of task {task.name!r}, in [0, 1]"
    return reward
