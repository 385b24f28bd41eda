"""OpenRLHF: a task's verifier as OpenRLHF's ``reward_func``, and prompts in its JSONL layout.

OpenRLHF (0.11) takes a Python file as its reward: ``--reward.remote_url path/to/reward.py``
(older releases: ``--remote_rm_url``). Its ``SingleTurnAgentExecutor``
(``openrlhf.utils.agent``) loads the file's ``reward_func`` and calls
``reward_func(queries, prompts, labels)`` in a thread, one response at a time: ``queries`` the
decoded prompt and response (special tokens kept), ``prompts`` the prompt, ``labels`` the
dataset's ``--data.label_key`` column. It reads back a dict: ``"rewards"`` (what the advantage
is computed from), ``"scores"`` (what dynamic filtering reads) and ``"extra_logs"`` (logged).

``synthset export openrlhf RUN OUT`` writes ``OUT/{split}.jsonl``, one object a line::

    {"input": PROMPT, "label": LABEL, "datasource": "synthset/<task>", "answer": ANSWER,
     "index": I}

``input`` is OpenRLHF's default ``--data.input_key``; ``label`` (give ``--data.label_key
label``) is JSON naming the task and the sample: ``{"task": <label>, "example": <record
JSON>}``; ``datasource`` is the key OpenRLHF groups its evaluation metrics by.
``reward_func`` judges the response (the query after its prompt, end-of-sequence tokens
dropped) with that task through ``synthset.rewards.score_completions``.

The reward file is one line::

    from synthset.rewards.openrlhf import reward_func   # noqa: F401  (OpenRLHF reads it)

Imports ``core``, ``export`` and the ``rewards`` package; torch only when called.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from synthset.core.errors import ConfigError
from synthset.rewards.rows import (claim_files, label_key, prompt_rows, read_json, score_one,
                                   task_from_label)

TIMEOUT = 5.0  # seconds one verifier call may take (a check past it scores 0.0)
# End-of-sequence and chat tokens a decoder keeps with skip_special_tokens=False, at the end.
_END_TOKENS = re.compile(r"(?:\s*(?:<\|[^<>|\s]{1,40}\|>|</s>|<eos>|<pad>|<end_of_turn>))+\s*\Z")


def response_of(query: str, prompt) -> str:
    """The response in an OpenRLHF query: the text after its prompt, end tokens dropped."""
    if not isinstance(query, str):
        return ""
    if isinstance(prompt, str) and prompt and query.startswith(prompt):
        query = query[len(prompt):]
    # The end tokens are at the end: the search starts near it (a scan of a long response
    # from its start tries the pattern at every character), and from the start only when the
    # run of end tokens may begin before where it looked.
    start = max(0, len(query) - 256)
    end = _END_TOKENS.search(query, start)
    if end is not None and start and end.start() < start + 64:
        end = _END_TOKENS.search(query)
    return query if end is None else query[:end.start()]


def read_label(label) -> tuple[object, str | None]:
    """``(task, record JSON)`` of one label (a JSON string or the dict it holds). A label
    string is read once (the last 1,024 kept): every response of a prompt carries it."""
    if isinstance(label, str) and label:
        return _read_label_text(label)
    return _read_label(label)


@lru_cache(maxsize=1024)
def _read_label_text(label: str) -> tuple[object, str | None]:
    return _read_label(label)


def _read_label(label) -> tuple[object, str | None]:
    if label is None or label == "":
        raise ConfigError("the rows have no label: pass --data.label_key label (the rows of "
                          "`synthset export openrlhf`)")
    data = read_json(label, "label") if isinstance(label, str) else label
    if not isinstance(data, dict) or "task" not in data:
        raise ConfigError(f"label must be a synthset label {{'task', 'example'}} (`synthset "
                          f"export openrlhf`), got {str(label)[:80]!r}")
    return task_from_label(data["task"]), data.get("example")


def _result(scores: list[float]) -> dict:
    import torch

    rewards = torch.tensor(scores, dtype=torch.float32)  # made from floats: one op each
    correct = torch.tensor([float(s == 1.0) for s in scores], dtype=torch.float32)
    return {"rewards": rewards, "scores": rewards, "extra_logs": {"synthset_correct": correct}}


def reward_func(queries, prompts, labels, **kwargs) -> dict:
    """OpenRLHF's reward: one float in [0, 1] per query, as ``{"rewards", "scores",
    "extra_logs"}`` tensors (``extra_logs["synthset_correct"]``: 1.0 where fully right)."""
    if not len(queries) == len(prompts) == len(labels):
        raise ConfigError(f"{len(queries)} queries, {len(prompts)} prompts and "
                          f"{len(labels)} labels: OpenRLHF passes one of each per response")
    scores = []
    for query, prompt, label in zip(queries, prompts, labels):
        task, record = read_label(label)
        scores.append(score_one(task, response_of(query, prompt), record, TIMEOUT))
    return _result(scores)


def reward_func_for(task_or_run, timeout: float | None = TIMEOUT, trust_code: bool = False,
                    **config):
    """A ``reward_func`` bound to one task (a name with its level and fields, or a run
    folder): for a run made by your own generator whose ``check:`` must be trusted. In the
    reward file: ``reward_func = reward_func_for("datasets/run", trust_code=True)``."""
    from synthset.rewards import task_of

    task = task_of(task_or_run, trust_code=trust_code, **config)
    if timeout is not None and not timeout > 0:
        raise ConfigError(f"timeout must be a positive number of seconds or None, "
                          f"got {timeout!r}")

    def bound_reward_func(queries, prompts, labels, **kwargs) -> dict:
        records = []
        for label in labels:
            data = read_json(label, "label") if isinstance(label, str) else label
            records.append(data.get("example") if isinstance(data, dict) else None)
        return _result([score_one(task, response_of(q, p), r, timeout)
                        for q, p, r in zip(queries, prompts, records)])

    return bound_reward_func


def export_openrlhf(source, out, count: int | None = None, seed: int = 0,
                    task_config: dict | None = None, backend: str = "sympy",
                    overwrite: bool = False) -> dict:
    """Write ``out/{split}.jsonl`` (the layout above) for every split of a run folder, or
    ``out/train.jsonl`` for a task by name (``count`` samples from ``seed``). Returns
    ``{"splits": {split: {"samples": n}}, "files": [...]}``."""
    from synthset.core.fs import atomic_open, make_dirs

    src, label, rows = prompt_rows(source, count, seed, task_config, backend)
    out = Path(out)
    names = [f"{split}.jsonl" for split in src.splits]
    claim_files(out, names, overwrite)
    make_dirs(out)
    task_json = json.loads(label_key(label))
    datasource = "synthset/" + (label.get("name") or src.contract_task().name)
    splits = {}
    for split, name in zip(src.splits, names):
        total = 0
        with atomic_open(out / name, "w") as f:
            for index, prompt, answer, record in rows(split):
                f.write(json.dumps({"input": prompt, "label": json.dumps(
                    {"task": task_json, "example": record}, separators=(",", ":"),
                    ensure_ascii=False), "datasource": datasource, "answer": answer,
                    "index": index},
                    ensure_ascii=False) + "\n")
                total += 1
        splits[split] = {"samples": total}
    return {"splits": splits, "files": [str(out / n) for n in names], "unchanged": False}


__all__ = ["export_openrlhf", "response_of", "reward_func", "reward_func_for"]
