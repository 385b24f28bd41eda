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
messages: the last one is judged), with its answer in any of the forms models write:
after ``<think>...</think>`` reasoning, in ``<answer>`` tags, a ``\\boxed{}`` or an
"Answer:" line, or bare (``synthset.rewards.answers``). Nothing a model writes makes the reward
raise: a malformed or oversized answer scores 0.0, and so does one whose check runs past
``timeout`` seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from synthset.core.errors import ConfigError
from synthset.core.task import Task
from synthset.rewards.answers import (completion_text, extract_answer, score_completion,
                                      score_completions)
from synthset.runs import RunFolder
from synthset.tasks.spec import TaskSpec

__all__ = ["completion_text", "examples_of", "extract_answer", "reward_function",
           "score_completion", "score_completions", "task_of"]


def task_of(task_or_run, trust_code: bool = False, **config):
    """A task object: given, by registry name (with its level and fields), or the task a run
    folder was made with (its built-in task, or its own generator with the ``check`` it
    names — imported only with ``trust_code``)."""
    if isinstance(task_or_run, Task):
        return task_or_run
    if Path(str(task_or_run)).is_dir():
        return RunFolder(task_or_run).task(trust_code=trust_code)
    return TaskSpec.of(str(task_or_run), **config).build()


def examples_of(task, column) -> list:
    """The example dicts of a dataset's ``example`` column (each record as JSON, as
    ``to_hf_dataset(..., prompts=True)`` writes it), None for a value that is not one of ours.
    Each distinct value is read once: a group of completions shares its example."""
    # a task may make the example its verifier reads cheaper: texts it never reads made only
    # when read (Depo's prompt)
    from synthset.export import record_from_json  # numpy: keeps `import synthset.rewards` cheap

    make = getattr(task, "example_for_reward", None) or task.example_of

    def example_of(record_json: str):
        try:
            return make(record_from_json(record_json))
        except Exception:  # a column that is not one of ours: nothing to judge against
            return None

    try:
        read = {e: example_of(e) for e in dict.fromkeys(column)}.__getitem__
    except TypeError:  # values that cannot be keys are not ours either: each scores 0.0
        read = example_of
    return [read(e) for e in column]



def batch_examples(task, completions, example) -> list:
    """A reward call's ``example`` column read as ``task``'s examples (``examples_of``), once
    the call is checked: completions given, an example column as long as they are (one line
    naming what is missing otherwise)."""
    if completions is None:
        raise ConfigError("the reward needs the completions (TRL passes completions=...)")
    if example is None:
        raise ConfigError("the dataset has no 'example' column: make it with "
                          "synthset.export.to_hf_dataset(..., prompts=True) or "
                          "`synthset export hf --prompts`")
    if len(example) != len(completions):
        raise ConfigError(f"{len(completions)} completions but {len(example)} examples")
    return examples_of(task, example)

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
    task = task_of(task_or_run, trust_code=trust_code, **config)
    if timeout is not None and not timeout > 0:
        raise ConfigError(f"timeout must be a positive number of seconds or None, "
                          f"got {timeout!r}")

    def reward(prompts=None, completions=None, example=None, **columns) -> list[float]:
        return score_completions(task, completions, batch_examples(task, completions, example),
                                 timeout)

    reward.__name__ = f"synthset_{task.name}"  # TRL logs each reward under its function name
    reward.__doc__ = f"score_answer of task {task.name!r}, in [0, 1]"
    return reward
