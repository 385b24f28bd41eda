"""``synthset train task=NAME [overrides]`` and ``synthset curves [overrides]``."""

from __future__ import annotations

from pathlib import Path

CONF = Path(__file__).resolve().parent.parent / "conf"


def run_train(overrides: list[str]) -> str:
    from omegaconf import OmegaConf

    from synthset.core.compose import compose, numbers
    from synthset.tasks.registry import get_task
    from synthset.train.loop import train
    from synthset.train.models import ModelConfig

    cfg = compose(CONF / "train", overrides, task_groups=("task",))
    model_cfg = ModelConfig.from_dict(OmegaConf.to_container(cfg.model, resolve=True))
    n = numbers(cfg, ints=("train.steps", "train.batch_size", "train.warmup",
                           "train.log_every", "eval.examples", "seed"),
                floats=("train.lr", "train.weight_decay"))
    if cfg.get("data"):
        from synthset.train.files import train_on_folder

        _, result = train_on_folder(
            str(cfg.data), model_cfg, steps=n["train.steps"], batch_size=n["train.batch_size"],
            lr=n["train.lr"], warmup=n["train.warmup"], weight_decay=n["train.weight_decay"],
            seed=n["seed"], device=str(cfg.device), log_every=n["train.log_every"],
            eval_examples=n["eval.examples"], block_size=cfg.train.get("block_size"))
        return _report(str(cfg.data), result)
    task = get_task(str(cfg.task.name), level=cfg.task.get("level"),
                    **(OmegaConf.to_container(cfg.task.config) or {}))
    _, result = train(task, model_cfg, steps=n["train.steps"],
                      batch_size=n["train.batch_size"], lr=n["train.lr"],
                      warmup=n["train.warmup"], weight_decay=n["train.weight_decay"],
                      bucket=cfg.train.bucket, curriculum=cfg.train.get("curriculum"),
                      seed=n["seed"], device=str(cfg.device),
                      log_every=n["train.log_every"], eval_examples=n["eval.examples"])
    level = f" (level {task.level})" if task.level else ""
    return _report(f"{task.name}{level}", result)


def _report(name: str, result) -> str:
    lines = [f"{name}: {result.parameters:,} parameters, {result.steps} steps, "
             f"{result.tokens_per_second:,.0f} tokens/s, loss {result.losses[0]:.3f} -> "
             f"{result.losses[-1]:.3f}"]
    for key, value in result.metric.items():
        if isinstance(value, dict):
            group = key.removeprefix("score_by_")
            lines.append(f"{key}: " + "  ".join(f"{group}={k}: {v:.3f}"
                                                 for k, v in value.items()))
        elif isinstance(value, str):
            lines.append(f"{key}: {value}")
        else:
            lines.append(f"{key}: {value:.4g}")
    return "\n".join(lines)


def run_curves_cli(overrides: list[str]) -> str:
    from synthset.core.compose import compose
    from synthset.train.curves import run_curves

    run_dir = run_curves(compose(CONF / "depo_curve", overrides))
    return f"run folder: {run_dir}"
