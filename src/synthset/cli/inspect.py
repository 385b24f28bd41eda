"""``synthset inspect task=NAME task.level=L task.FIELD=V show=2 [overrides]``: print
examples of any task.

Token tasks are printed token by token — tokens with ``loss_mask = 1`` green, the others dim
(no colour when stdout is not a terminal, or with ``--no-color``); other tasks as their prompt.
Then the answer, the task's own check and the score of that answer. The older spelling
``dataset=NAME dataset.config.FIELD=V`` is read, with a note once the config is checked.
"""

from __future__ import annotations

import sys
from pathlib import Path

from synthset.core.compose import compose, note
from synthset.core.errors import ConfigError
from synthset.core.task import ValidationError
from synthset.tasks.registry import list_tasks
from synthset.tasks.spec import TaskSpec
from synthset.tasks.tokenize import load_tokenizer, retokenize

DIM, GREEN, RESET = "\x1b[2m", "\x1b[32m", "\x1b[0m"
CONF = Path(__file__).resolve().parent.parent / "conf" / "inspect_dataset"


def inspect(overrides: list[str], color: bool | None = None, out=None) -> str:
    from omegaconf import OmegaConf

    notes: list = []
    cfg = compose(CONF, overrides, task_groups=("task",), renamed={"dataset": "task"},
                  notes=notes, task_names=list_tasks)
    for key in ("seed", "show", "max_tokens"):
        value = cfg[key]
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key} must be an integer, got {value!r}")
    spec = TaskSpec.from_node(OmegaConf.to_container(cfg.task, resolve=True))
    task = spec.build()
    for old, new in notes:  # once the config is checked: a config that fails is one line
        note(f"{old} is now written {new}")
    color = sys.stdout.isatty() if color is None else color
    tokenizer = None
    if cfg.tokenizer_name_or_path:
        tokenizer = load_tokenizer(cfg.tokenizer_name_or_path)
    lines = []
    for i in range(int(cfg.show)):
        row = task.example(int(cfg.seed), i)
        lines.append(f"--- {spec.name} example {i} (seed {cfg.seed}) " + " ".join(
            f"{k}={v}" for k, v in row["meta"].items() if isinstance(v, (int, float))))
        if "text" in row:
            lines.append(row["text"])
        elif "input_ids" not in row:
            lines.append("prompt: " + row["prompt"])
        else:
            if tokenizer is not None:
                new = retokenize(task, row, tokenizer)
                names, mask = new["tokens"], new["loss_mask"]
            else:
                names, mask = task.decode(row["input_ids"]), row["loss_mask"]
            limit = len(names) if int(cfg.max_tokens) < 0 else int(cfg.max_tokens)
            shown = [_paint(n, m, color) for n, m in zip(names[:limit], mask[:limit])]
            more = f" ... (+{len(names) - limit} tokens)" if limit < len(names) else ""
            lines.append(" ".join(shown) + more)
        lines.append("answer: " + row["answer"])
        try:
            task.validate_example(row)
            lines.append(f"check: ok (score of this answer: "
                         f"{task.score_answer(row['answer'], row):g})")
        except ValidationError as exc:
            lines.append(f"check: FAILED: {exc}")
    return "\n".join(lines)


def _paint(token: str, trained: int, color: bool) -> str:
    if not color:
        return token
    return f"{GREEN if trained else DIM}{token}{RESET}"
