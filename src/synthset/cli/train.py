"""``synthset train task=NAME [overrides]`` and ``synthset curves [overrides]``."""

from __future__ import annotations

from pathlib import Path

CONF = Path(__file__).resolve().parent.parent / "conf"


def run_train(overrides: list[str]) -> str:
    from omegaconf import OmegaConf

    from synthset.core.compose import compose
    from synthset.tasks.registry import get_task
    from synthset.train.loop import train
    from synthset.train.models import ModelConfig

    cfg = compose(CONF / "train", overrides, task_groups=("task",))
    task = get_task(str(cfg.task.name), level=cfg.task.get("level"),
                    **(OmegaConf.to_container(cfg.task.config) or {}))
    model_cfg = ModelConfig.from_dict(OmegaConf.to_container(cfg.model, resolve=True))
    _, result = train(task, model_cfg, steps=int(cfg.train.steps),
                      batch_size=int(cfg.train.batch_size), lr=float(cfg.train.lr),
                      warmup=int(cfg.train.warmup), weight_decay=float(cfg.train.weight_decay),
                      bucket=cfg.train.bucket,
                      seed=int(cfg.seed), device=str(cfg.device),
                      log_every=int(cfg.train.log_every), eval_examples=int(cfg.eval.examples))
    level = f" (level {task.level})" if task.level else ""
    lines = [f"{task.name}{level}: {result.parameters:,} parameters, {result.steps} steps, "
             f"{result.tokens_per_second:,.0f} tokens/s, loss {result.losses[0]:.3f} -> "
             f"{result.losses[-1]:.3f}"]
    for key, value in result.metric.items():
        if isinstance(value, dict):
            group = key.removeprefix("score_by_")
            lines.append(f"{key}: " + "  ".join(f"{group}={k}: {v:.3f}"
                                                 for k, v in value.items()))
        else:
            lines.append(f"{key}: {value:.4g}")
    return "\n".join(lines)


def run_curves_cli(overrides: list[str]) -> str:
    from synthset.core.compose import compose
    from synthset.train.curves import run_curves

    run_dir = run_curves(compose(CONF / "depo_curve", overrides))
    return f"run folder: {run_dir}"
