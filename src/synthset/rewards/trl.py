"""TRL: a task's verifier as a ``GRPOTrainer`` reward that mixes with other tasks and logs.

``synthset.rewards.reward_function`` is the plain reward (0.0 for a row it cannot read).
``reward_function`` here is the same score with what TRL (>= 1.x) offers reward functions
besides:

- ``None`` for a row that is not one of this task's: TRL leaves that reward out of the row's
  sum, so several rewards, one per task, train on one mixed dataset (a row no reward scores
  gets no advantage). A row is this task's when its ``task`` column names this task (the
  column ``prompt_dataset`` adds: the task's spec, or its run folder, as JSON), and its
  ``example`` reads as one of this task's samples with the row's ``answer``. Without a
  ``task`` column, rows of different algebra problems cannot be told apart (each stores
  problem and answer text): mix those through ``prompt_dataset``;
- ``log_extra``: the answer read out of each completion (``<think>``, ``<answer>``,
  ``\\boxed{}`` or "Answer:" forms) as a column ``synthset_answer`` of TRL's completions table;
- ``log_metric``: ``synthset/<task>/correct`` (the share of this task's completions that score
  1.0) and ``synthset/<task>/answered`` (the share with an answer to read), averaged per
  logging step beside TRL's own metrics.

::

    from datasets import concatenate_datasets
    from synthset.rewards.trl import prompt_dataset, reward_function

    mixed = concatenate_datasets([prompt_dataset("depo1", count=500),
                                  prompt_dataset("poly_gcd", count=500)]).shuffle(seed=0)
    GRPOTrainer(model=..., reward_funcs=[reward_function("depo1"), reward_function("poly_gcd")],
                train_dataset=mixed, ...)

Scores come from ``synthset.rewards.score_completions``: the same numbers as every other
adapter. Imports the ``rewards`` package only (TRL is never imported: it calls us).
"""

from __future__ import annotations

from collections.abc import Callable

from pathlib import Path

from synthset.core.errors import ConfigError
from synthset.core.task import Task
from synthset.rewards import (batch_examples, completion_text, extract_answer, score_completions,
                              task_of)
from synthset.rewards.rows import label_key, task_label


def prompt_dataset(task_or_run, split: str = "train", count: int | None = None, seed: int = 0,
                   **config):
    """``to_hf_dataset(task_or_run, split, prompts=True, ...)`` plus the column ``task``:
    the label naming the task (JSON), which ``reward_function`` checks, so rows of several
    tasks mix in one dataset. ``config``: a task name's level and fields."""
    from synthset.export import Source, to_hf_dataset

    config = dict(config)
    backend = config.pop("backend", None) or "sympy"
    task_config = config or None
    label = label_key(task_label(Source(task_or_run, count, seed, task_config, backend)))
    data = to_hf_dataset(task_or_run, split=split, prompts=True, count=count, seed=seed,
                         task_config=task_config, backend=backend)
    return data.add_column("task", [label] * data.num_rows)


def _label(task_or_run, config) -> str | None:
    """The label rows of ``task_or_run`` carry (None for a Task object: compared by name)."""
    if isinstance(task_or_run, Task):
        return None
    from synthset.export import Source
    from synthset.runs import RunFolder

    source = str(task_or_run)
    if Path(source).is_dir():  # as task_label reads it, without asking for a finished run
        spec = RunFolder(source).task_spec
        return label_key(spec.record() if spec is not None else
                         {"run": str(Path(source).resolve())})
    config = dict(config)
    backend = config.pop("backend", None) or "sympy"
    return label_key(task_label(Source(source, 1, 0, config or None, backend)))


def reward_function(task_or_run, timeout: float | None = 5.0, trust_code: bool = False,
                    **config) -> Callable:
    """The TRL reward callable for ``task_or_run`` (a Task, a task name with its level and
    fields as keywords, or a run folder): one float in [0, 1] per completion of this task's
    rows, None for other rows.

    Args:
        timeout: seconds one completion's check may take before it scores 0.0 (None: no
            limit).
        trust_code: import the verifier a run folder names (``check:``).
    """
    task = task_of(task_or_run, trust_code=trust_code, **config)
    if timeout is not None and not timeout > 0:
        raise ConfigError(f"timeout must be a positive number of seconds or None, "
                          f"got {timeout!r}")
    prefix = f"synthset/{task.name}"
    label = _label(task_or_run, config)

    seen: dict = {}  # row label -> whether it is ours: a dataset holds a few labels

    def is_ours(row_label) -> bool:
        try:
            return seen[row_label]
        except (KeyError, TypeError):  # not seen yet, or a value that cannot be a key
            pass
        if label is not None:
            try:
                ours = label_key(row_label) == label
            except ConfigError:
                ours = False
        else:
            ours = isinstance(row_label, str) and f'"name":"{task.name}"' in row_label
        if isinstance(row_label, str) and len(seen) < 1024:
            seen[row_label] = ours
        return ours

    def reward(prompts=None, completions=None, example=None, log_extra=None, log_metric=None,
               **columns) -> list[float | None]:
        examples = batch_examples(task, completions, example)
        answers = columns.get("answer")
        if answers is not None and len(answers) == len(examples):  # another task's record
            examples = [e if e is not None and e.get("answer") == a else None  # may decode
                        for e, a in zip(examples, answers)]
        labels = columns.get("task")
        if labels is not None and len(labels) == len(examples):
            examples = [e if is_ours(t) else None for e, t in zip(examples, labels)]
        scores = score_completions(task, completions, examples, timeout)
        ours = [e is not None for e in examples]
        out = [s if mine else None for s, mine in zip(scores, ours)]
        if log_extra is not None or log_metric is not None:
            read = [extract_answer(task, completion_text(c)) if mine else None
                    for c, mine in zip(completions, ours)]
            if log_extra is not None:
                log_extra("synthset_answer", read)
            n = sum(ours)
            if log_metric is not None and n:
                log_metric(f"{prefix}/correct", sum(s == 1.0 for s in out if s is not None) / n)
                log_metric(f"{prefix}/answered", sum(bool(a) for a in read) / n)
        return out

    reward.__name__ = f"synthset_{task.name}"  # TRL logs each reward under its function name
    reward.__doc__ = f"score_answer of task {task.name!r}, in [0, 1]; None for other rows"
    return reward


__all__ = ["prompt_dataset", "reward_function"]
