"""``synthset inspect dataset=brevo show=2 [overrides]``: print examples token by token.

Tokens with ``loss_mask = 1`` are green, the others dim (no colour when stdout is not a
terminal, or with ``--no-color``); then the decoded answer and the task's own check.
"""

from __future__ import annotations

import sys
from pathlib import Path

DIM, GREEN, RESET = "\x1b[2m", "\x1b[32m", "\x1b[0m"
CONF = Path(__file__).resolve().parent.parent / "conf" / "inspect_dataset"


def inspect(overrides: list[str], color: bool | None = None, out=None) -> str:
    from omegaconf import OmegaConf

    from synthset import tasks
    from synthset.core.compose import compose
    from synthset.tasks.base import ValidationError

    cfg = compose(CONF, overrides)
    config = OmegaConf.to_container(cfg.dataset.config, resolve=True) or {}
    task = tasks.get(cfg.dataset.name, **config)
    color = sys.stdout.isatty() if color is None else color
    tokenizer = None
    if cfg.tokenizer_name_or_path:
        from synthset.tasks.tokenize import load_tokenizer

        tokenizer = load_tokenizer(cfg.tokenizer_name_or_path)
    lines = []
    for i in range(int(cfg.show)):
        row = task.example(int(cfg.seed), i)
        lines.append(f"--- {cfg.dataset.name} example {i} (seed {cfg.seed}) " + " ".join(
            f"{k}={v}" for k, v in row["meta"].items() if isinstance(v, (int, float))))
        if "text" in row:
            lines.append(row["text"])
        else:
            if tokenizer is not None:
                from synthset.tasks.tokenize import retokenize

                new = retokenize(task, row, tokenizer)
                names, mask = new["tokens"], new["loss_mask"]
            else:
                names, mask = task.decode(row["input_ids"]), row["loss_mask"]
            limit = len(names) if int(cfg.max_tokens) < 0 else int(cfg.max_tokens)
            shown = [_paint(n, m, color) for n, m in zip(names[:limit], mask[:limit])]
            more = f" ... (+{len(names) - limit} tokens)" if limit < len(names) else ""
            lines.append(" ".join(shown) + more)
            answer = task.answer_text(row)
            if answer is not None:
                lines.append("answer: " + answer)
        try:
            task.validate_example(row)
            lines.append("check: ok")
        except ValidationError as exc:
            lines.append(f"check: FAILED: {exc}")
    return "\n".join(lines)


def _paint(token: str, trained: int, color: bool) -> str:
    if not color:
        return token
    return f"{GREEN if trained else DIM}{token}{RESET}"
