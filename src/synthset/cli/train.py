"""``synthset train [overrides]`` and ``synthset curves [overrides]``: the configs of
``conf/train`` and ``conf/depo_curve`` composed (older key spellings read, with a note once the
config is checked), then handed to ``synthset.train``."""

from __future__ import annotations

from pathlib import Path

from synthset.core.compose import compose
from synthset.tasks.registry import list_tasks
from synthset.train.config import OLD_SPELLINGS

CONF = Path(__file__).resolve().parent.parent / "conf"


def run_train(overrides: list[str]) -> str:
    notes: list = []
    cfg = compose(CONF / "train", overrides, task_groups=("task",), renamed=OLD_SPELLINGS,
                  path_groups=("model",), notes=notes, task_names=list_tasks)
    # Lazy: the driver imports torch (extra train); a command line that does not compose is
    # one line without loading it.
    from synthset.train.driver import run_train as train

    return train(cfg, notes=notes)


def run_curves_cli(overrides: list[str]) -> str:
    notes: list = []
    cfg = compose(CONF / "depo_curve", overrides, task_groups=("task",),
                  renamed=OLD_SPELLINGS, path_groups=("model",), notes=notes,
                  task_names=list_tasks)
    task_given = any(item.split("=", 1)[0].lstrip("+").split(".")[0] in ("task", "dataset")
                     for item in overrides)
    # Lazy: as in run_train (torch, extra train).
    from synthset.train.curves import run_curves

    run_dir = run_curves(cfg, task_given=task_given, notes=notes)
    return f"run folder: {run_dir}"
