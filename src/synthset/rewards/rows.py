"""What the trainer adapters share: which task judges a prompt row, and the rows themselves.

A row that ``synthset export verl`` or ``synthset export openrlhf`` writes names the task that
judges it (its *label*: the built-in task's spec ``{"name", "config", "backend"}``, or
``{"run": FOLDER}`` for a run made by a user's own generator) and carries the sample's record
as JSON (the ``example`` column of ``to_hf_dataset(..., prompts=True)``). A trainer that loads
its reward from a file (verl, OpenRLHF) gets one generic function: it reads the task back from
the row (``task_from_label``, each distinct task built once a process) and scores through
``synthset.rewards.score_completions``, the one scoring function every adapter calls.

Imports ``core``, ``export`` (the sources) and the ``rewards`` package only.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from synthset.core.errors import ConfigError
from synthset.rewards import score_completions, task_of

EXAMPLE_CACHE = 4096  # decoded examples kept a process: GRPO scores a group per prompt


def task_label(src) -> dict:
    """The label of an ``export.Source``: its built-in task's spec, or its run folder (a
    user's generator, whose verifier only that folder names)."""
    if src.spec is not None:
        return src.spec.record()
    return {"run": str(Path(src.folder).resolve())}


def label_key(label) -> str:
    """A label as one canonical string (JSON, keys sorted): a cache key and a column value."""
    if isinstance(label, str):
        label = read_json(label, "task label")
    if not isinstance(label, dict) or not ("name" in label or "run" in label):
        raise ConfigError(f"a synthset task label is {{'name', 'config', 'backend'}} or "
                          f"{{'run': FOLDER}}, got {str(label)[:80]!r}")
    return json.dumps(label, sort_keys=True, separators=(",", ":"))


def read_json(text, what: str):
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        raise ConfigError(f"{what} must be JSON, got {str(text)[:80]!r}") from None


@lru_cache(maxsize=64)
def _task(key: str, trust_code: bool):
    label = json.loads(key)
    if "run" in label:
        return task_of(label["run"], trust_code=trust_code)
    from synthset.tasks.spec import TaskSpec

    return TaskSpec.from_record(label).build()


def task_from_label(label, trust_code: bool = False):
    """The task a label names (a dict, or its JSON), built once a process. A JSON label is
    read once: verl and OpenRLHF pass the same label with every completion of a row."""
    if isinstance(label, str):
        return _task_of_text(label, trust_code)
    return _task(label_key(label), trust_code)


@lru_cache(maxsize=256)
def _task_of_text(label: str, trust_code: bool):
    return _task(label_key(label), trust_code)


_examples: OrderedDict = OrderedDict()  # (id(task), record JSON) -> (task, example)
_examples_lock = threading.Lock()  # verl and OpenRLHF call from worker threads


def example_of(task, record_json) -> dict | None:
    """The example dict of one record JSON (None when it is not one of ``task``'s); the last
    ``EXAMPLE_CACHE`` read are kept (a task object need not be hashable: it is kept by
    identity, and held so that its id is not reused)."""
    if not isinstance(record_json, str):
        return None
    key = (id(task), record_json)
    with _examples_lock:
        hit = _examples.get(key)
        if hit is not None:
            _examples.move_to_end(key)
            return hit[1]
    from synthset.rewards import examples_of

    example = examples_of(task, [record_json])[0]
    with _examples_lock:
        _examples[key] = (task, example)
        if len(_examples) > EXAMPLE_CACHE:
            _examples.popitem(last=False)
    return example


def score_one(task, completion, record_json, timeout: float | None) -> float:
    """One completion against one record JSON, through ``score_completions``."""
    return score_completions(task, [completion], [example_of(task, record_json)], timeout)[0]


def prompt_rows(source, count: int | None = None, seed: int = 0,
                task_config: dict | None = None, backend: str = "sympy"):
    """``(source, label, rows(split))``: ``rows(split)`` yields ``(index, prompt, answer,
    record_json)`` of every sample of the split, in index order, read as ``synthset export hf
    --prompts`` reads them."""
    from synthset.export import Source, record_json

    src = source if isinstance(source, Source) else Source(source, count, seed, task_config,
                                                           backend)
    label = task_label(src)

    def rows(split: str) -> Iterator[tuple[int, str, str, str]]:
        for index, (example, record) in enumerate(src.examples(split)):
            yield index, example["prompt"], example["answer"], record_json(record)

    return src, label, rows


def claim_files(out: Path, names: list[str], overwrite: bool) -> None:
    """Refuse to replace an export's files in ``out`` unless ``overwrite``."""
    there = [n for n in names if (out / n).exists()]
    if there and not overwrite:
        raise ConfigError(f"{out / there[0]} exists; give another OUT folder, or --overwrite "
                          "to replace it")

