"""``synthset train task=NAME [overrides]`` and ``synthset curves [overrides]``."""

from __future__ import annotations

import time
from pathlib import Path

CONF = Path(__file__).resolve().parent.parent / "conf"


def run_train(overrides: list[str]) -> str:
    from omegaconf import OmegaConf

    from synthset.core.compose import compose, numbers
    from synthset.core.errors import ConfigError
    from synthset.tasks.registry import get_task
    from synthset.train.loop import train
    from synthset.train.models import ModelConfig

    cfg = compose(CONF / "train", overrides, task_groups=("task",))
    if cfg.get("threads") is not None:
        from synthset.core.deps import require

        threads = numbers(cfg, ints=("threads",))["threads"]
        if threads < 1:
            raise ConfigError(f"threads must be >= 1 (null: torch's default), got {threads}")
        require("torch", "train", "synthset train").set_num_threads(threads)
    model_cfg = ModelConfig.from_dict(OmegaConf.to_container(cfg.model, resolve=True))
    n = numbers(cfg, ints=("train.steps", "train.batch_size", "train.warmup",
                           "train.log_every", "eval.examples", "eval.every", "seed"),
                floats=("train.lr", "train.weight_decay"))
    if cfg.get("data"):
        from synthset.train.files import train_on_folder

        stream_only = [k for k, on in (("output_dir", cfg.get("output_dir")),
                                       ("eval.every", n["eval.every"]),
                                       ("eval.held_out", cfg.eval.get("held_out")))
                       if on]
        if stream_only:
            raise ConfigError(f"{', '.join(stream_only)}: only for training on a task's stream "
                              "(task=NAME), not with data=")

        _, result = train_on_folder(
            str(cfg.data), model_cfg, steps=n["train.steps"], batch_size=n["train.batch_size"],
            lr=n["train.lr"], warmup=n["train.warmup"], weight_decay=n["train.weight_decay"],
            seed=n["seed"], device=str(cfg.device), log_every=n["train.log_every"],
            eval_examples=n["eval.examples"], block_size=cfg.train.get("block_size"))
        return _report(str(cfg.data), result)
    task = get_task(str(cfg.task.name), level=cfg.task.get("level"),
                    **(OmegaConf.to_container(cfg.task.config) or {}))
    level = f" (level {task.level})" if task.level else ""
    run_dir = _run_dir(cfg)
    on_eval = None if run_dir is None else _curve_writer(
        run_dir, f"{task.name}{level}: exact match on {n['eval.examples']:,} evaluation "
                 "problems")
    started = time.perf_counter()
    _, result = train(task, model_cfg, steps=n["train.steps"],
                      batch_size=n["train.batch_size"], lr=n["train.lr"],
                      warmup=n["train.warmup"], weight_decay=n["train.weight_decay"],
                      bucket=cfg.train.bucket, curriculum=cfg.train.get("curriculum"),
                      seed=n["seed"], device=str(cfg.device),
                      log_every=n["train.log_every"], eval_examples=n["eval.examples"],
                      eval_every=n["eval.every"] or (n["train.steps"] if run_dir else 0),
                      on_eval=on_eval, held_out=bool(cfg.eval.get("held_out", False)))
    report = _report(f"{task.name}{level}", result)
    if run_dir is not None:
        report += (f"\nwall time {time.perf_counter() - started:.0f} s\n"
                   f"run folder: {run_dir} (curve.csv, curve.png)")
        (run_dir / "summary.txt").write_text(report + "\n")
    return report


def _curve_writer(run_dir: Path, title: str):
    """``on_eval(step, seen, metric)`` that rewrites the run folder's curve at each point."""
    from synthset.train.curves import write_score_curve

    points: list[dict] = []

    def on_eval(step, seen, metric):
        points.append({"step": step, "examples_seen": seen, "exact_match": metric["score"]})
        write_score_curve(run_dir, points, title)
    return on_eval


def _run_dir(cfg):
    """``output_dir``'s timestamped run folder with the composed config, or None."""
    from omegaconf import OmegaConf

    if not cfg.get("output_dir"):
        return None
    run_dir = Path(str(cfg.output_dir)) / time.strftime("%Y-%m-%d_%H-%M-%S")
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.yaml").write_text(OmegaConf.to_yaml(cfg))
    return run_dir


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
