"""verl: a task's verifier as verl's ``compute_score``, and prompts in verl's Parquet layout.

verl (0.9) loads a custom reward from ``reward.custom_reward_function.path`` and ``.name``
(``verl.trainer.ppo.reward.get_custom_reward_fn``); its reward managers call it once per
response as ``compute_score(data_source=, solution_str=, ground_truth=, extra_info=)`` and take
a float (or a dict with ``"score"``). ``synthset export verl RUN OUT`` writes ``OUT/{split}
.parquet`` with the columns verl's ``RLHFDataset`` reads::

    data_source   "synthset/<task>"
    prompt        [{"role": "user", "content": PROMPT}]   (chat messages)
    ability       "math" (algebra) or "reasoning"
    reward_model  {"style": "rule", "ground_truth": ANSWER}
    extra_info    {"split", "index", "task": label JSON, "example": record JSON}

and ``compute_score`` judges ``solution_str`` against ``extra_info``'s example with the task
its label names, through ``synthset.rewards.score_completions`` (the answer forms of
``synthset.rewards.answers``: ``<think>``, ``<answer>``, ``\\boxed{}``, "Answer:"). A row of
another data source is passed to verl's own ``default_compute_score``, so synthset rows mix
with verl's datasets in one run. Every column has the same type for every task, so verl can
concatenate several exports.

    reward.custom_reward_function.path=pkg://synthset.rewards.verl
    reward.custom_reward_function.name=compute_score

Imports ``core``, ``export`` and the ``rewards`` package; pyarrow and verl only when called.
"""

from __future__ import annotations

from pathlib import Path

from synthset.core.errors import ConfigError
from synthset.rewards.rows import (claim_files, label_key, prompt_rows, score_one,
                                   task_from_label)

SOURCE_PREFIX = "synthset/"
TIMEOUT = 5.0  # seconds one verifier call may take (a check past it scores 0.0)


def compute_score(data_source, solution_str, ground_truth, extra_info=None, **kwargs):
    """verl's reward signature: ``solution_str`` (the decoded response) judged against the
    synthset example in ``extra_info``, a float in [0, 1]. A row that is not synthset's goes
    to verl's ``default_compute_score``."""
    info = extra_info if isinstance(extra_info, dict) else {}
    if not (isinstance(data_source, str) and data_source.startswith(SOURCE_PREFIX)
            and "example" in info and "task" in info):
        from verl.utils.reward_score import default_compute_score

        return default_compute_score(data_source, solution_str, ground_truth, extra_info,
                                     **kwargs)
    task = task_from_label(info["task"])
    return score_one(task, solution_str, info["example"], TIMEOUT)


def compute_score_for(task_or_run, timeout: float | None = TIMEOUT, trust_code: bool = False,
                      **config):
    """A ``compute_score`` bound to one task (a name with its level and fields, or a run
    folder): for a run made by your own generator whose ``check:`` must be trusted. Put it
    in your reward file: ``compute_score = compute_score_for("datasets/run", trust_code=True)``.
    """
    from synthset.rewards import task_of

    task = task_of(task_or_run, trust_code=trust_code, **config)
    if timeout is not None and not timeout > 0:
        raise ConfigError(f"timeout must be a positive number of seconds or None, "
                          f"got {timeout!r}")

    def bound_compute_score(data_source, solution_str, ground_truth, extra_info=None,
                            **kwargs):
        info = extra_info if isinstance(extra_info, dict) else {}
        return score_one(task, solution_str, info.get("example"), timeout)

    return bound_compute_score


def ability(task) -> str:
    return "math" if getattr(task, "kind", "") == "algebra" else "reasoning"


def export_verl(source, out, count: int | None = None, seed: int = 0,
                task_config: dict | None = None, backend: str = "sympy",
                overwrite: bool = False) -> dict:
    """Write ``out/{split}.parquet`` (verl's layout, above) for every split of a run folder,
    or ``out/train.parquet`` for a task by name (``count`` samples from ``seed``). Returns
    ``{"splits": {split: {"samples": n}}, "files": [...]}``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from synthset.core.fs import atomic_open, make_dirs

    src, label, rows = prompt_rows(source, count, seed, task_config, backend)
    out = Path(out)
    names = [f"{split}.parquet" for split in src.splits]
    claim_files(out, names, overwrite)
    make_dirs(out)
    task = src.contract_task()
    data_source = SOURCE_PREFIX + (label.get("name") or task.name)
    label_json = label_key(label)
    schema = pa.schema([
        ("data_source", pa.string()),
        ("prompt", pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))),
        ("ability", pa.string()),
        ("reward_model", pa.struct([("style", pa.string()), ("ground_truth", pa.string())])),
        ("extra_info", pa.struct([("split", pa.string()), ("index", pa.int64()),
                                  ("task", pa.string()), ("example", pa.string())])),
    ])
    splits = {}
    for split, name in zip(src.splits, names):
        total = 0
        with atomic_open(out / name, "wb") as f, pq.ParquetWriter(f, schema,
                                                                  compression="zstd") as w:
            batch = []
            for index, prompt, answer, record in rows(split):
                batch.append({
                    "data_source": data_source,
                    "prompt": [{"role": "user", "content": prompt}],
                    "ability": ability(task),
                    "reward_model": {"style": "rule", "ground_truth": answer},
                    "extra_info": {"split": split, "index": index, "task": label_json,
                                   "example": record}})
                if len(batch) == 10_000:
                    w.write_table(pa.Table.from_pylist(batch, schema))
                    total += len(batch)
                    batch = []
            if batch or not total:
                w.write_table(pa.Table.from_pylist(batch, schema))
                total += len(batch)
        splits[split] = {"samples": total}
    return {"splits": splits, "files": [str(out / n) for n in names], "unchanged": False}


__all__ = ["compute_score", "compute_score_for", "export_verl"]
