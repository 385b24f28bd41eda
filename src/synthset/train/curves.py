"""Depo hop-learning curves: train once, evaluate fixed-hop Depo streams along the way.

Writes ``curves.csv`` (``step, examples_seen, hop, accuracy``), ``curves.png`` (one line per
hop; with ``baseline``, an earlier run's ``curves.csv`` drawn dashed beside it) and the
composed ``config.yaml`` into a timestamped run folder under ``output_dir``.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

from synthset.core.errors import ConfigError


def hop_task(base, k: int):
    """Depo at evaluation size (n = N) with every query asking k hops."""
    return base.with_config(qa=True, fixed_k=k)


def hop_accuracy(model, base, hops, examples: int, seed: int, device: str) -> dict[int, float]:
    """Per k, the score of a fixed-k evaluation stream (teacher-forced answer-token
    accuracy), through the task's own scorer."""
    from synthset.train.evaluate import model_answers, score

    out = {}
    for k in hops:
        task = hop_task(base, k)
        exs = task.take(seed, examples)
        out[k] = score(task, exs, model_answers(model, task, exs, device))["score"]
    return out


def run_curves(cfg, log=print) -> Path:
    """Run the experiment described by a composed ``conf/depo_curve`` config."""
    from omegaconf import OmegaConf

    import synthset.tasks as T
    from synthset.train.loop import resolve_device, train
    from synthset.train.models import ModelConfig

    from synthset.core.compose import numbers

    n = numbers(cfg, ints=("train.max_steps", "train.batch_size", "train.warmup",
                           "train.eval_every", "eval.num_examples", "seed"),
                floats=("train.lr", "train.weight_decay"))
    data = OmegaConf.to_container(cfg.dataset, resolve=True)
    name = data.pop("name", "depo")
    base = T.get(name, **data)
    if base.family != "depo":
        raise ConfigError(f"hop curves need a Depo task (depo, depo1, depo2), got "
                          f"dataset.name={name!r}")
    hops = list(cfg.eval.hops) if OmegaConf.is_list(cfg.eval.hops) else None
    if not hops or any(isinstance(h, bool) or not isinstance(h, int) for h in hops):
        raise ConfigError(f"eval.hops must be a list of integers such as [1, 2, 4], got "
                          f"{OmegaConf.to_container(cfg.eval)['hops']!r}")
    bad = [h for h in hops if h > base.config.K or h < 1]
    if bad:
        raise ConfigError(f"eval.hops {bad} are outside 1..K={base.config.K} (dataset.K)")
    baseline = read_curves(cfg.get("baseline"))
    device = resolve_device(str(cfg.device))
    run_dir = Path(str(cfg.output_dir)) / time.strftime("%Y-%m-%d_%H-%M-%S")
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.yaml").write_text(OmegaConf.to_yaml(cfg))
    wandb_run = _wandb(cfg, run_dir)
    rows: list[dict] = []
    evals = [0]
    # Guessing one of the N nodes at random (with single-token words, per answer token).
    chance = 1 / base.config.N if base.config.max_len == 1 else None

    def on_step(step, model, seen):
        if step % n["train.eval_every"] and step != n["train.max_steps"]:
            return
        seed = 10_000 + (evals[0] if cfg.eval.resample_each_eval else 0)
        evals[0] += 1
        acc = hop_accuracy(model, base, hops, n["eval.num_examples"], seed, device)
        for k, a in acc.items():
            rows.append({"step": step, "examples_seen": seen, "hop": k, "accuracy": a})
        log(f"eval step {step}: " + "  ".join(f"k={k}: {a:.3f}" for k, a in acc.items()))
        if wandb_run is not None:
            wandb_run.log({f"accuracy/k={k}": a for k, a in acc.items()}, step=step)
        _write(run_dir, rows, chance, baseline)

    model_cfg = ModelConfig.from_dict(OmegaConf.to_container(cfg.model, resolve=True))
    _, result = train(base, model_cfg, steps=n["train.max_steps"],
                      batch_size=n["train.batch_size"], lr=n["train.lr"],
                      warmup=n["train.warmup"], weight_decay=n["train.weight_decay"],
                      bucket=cfg.train.bucket, curriculum=cfg.train.get("curriculum"),
                      seed=n["seed"], device=device,
                      log_every=n["train.eval_every"], eval_examples=16, on_step=on_step,
                      log=log)
    (run_dir / "summary.txt").write_text(
        f"parameters {result.parameters}\ntokens_per_second {result.tokens_per_second:.0f}\n"
        f"steps {result.steps}\nfinal_loss {result.losses[-1]:.4f}\n")
    if wandb_run is not None:
        wandb_run.finish()
    log(f"wrote {run_dir / 'curves.csv'} and {run_dir / 'curves.png'}")
    return run_dir


CURVE_FIELDS = ["step", "examples_seen", "hop", "accuracy"]


def read_curves(path) -> list[dict] | None:
    """The rows of a ``curves.csv`` (``baseline=PATH``), or None for no path."""
    if path is None or str(path).strip().lower() in ("", "null", "none"):
        return None
    try:
        with open(str(path), newline="") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames != CURVE_FIELDS:
                raise ConfigError(f"baseline={path}: not a curves.csv (its header is "
                                  f"{reader.fieldnames}, expected {','.join(CURVE_FIELDS)})")
            rows = []
            for line, r in enumerate(reader, start=2):
                try:
                    rows.append({"step": int(r["step"]), "examples_seen": int(r["examples_seen"]),
                                 "hop": int(r["hop"]), "accuracy": float(r["accuracy"])})
                except (TypeError, ValueError):
                    raise ConfigError(f"baseline={path}: line {line} is not step, "
                                      "examples_seen, hop (integers) and accuracy (a number)") \
                        from None
    except OSError as e:
        raise ConfigError(f"baseline={path}: cannot read it ({e.strerror}); give the "
                          "curves.csv of an earlier run") from None
    return rows


def _write(run_dir: Path, rows: list[dict], chance: float | None = None,
           baseline: list[dict] | None = None) -> None:
    with open(run_dir / "curves.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CURVE_FIELDS)
        w.writeheader()
        w.writerows(rows)
    plot(rows, run_dir / "curves.png", chance, baseline)


def plot(rows: list[dict], path: Path, chance: float | None = None,
         baseline: list[dict] | None = None) -> None:
    """One line per hop; ``baseline`` rows (another run's) dashed in the same colour."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    for i, k in enumerate(sorted({r["hop"] for r in rows})):
        pts = [(r["examples_seen"], r["accuracy"]) for r in rows if r["hop"] == k]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", ms=3, label=f"k={k}",
                color=f"C{i}")
        old = [(r["examples_seen"], r["accuracy"]) for r in baseline or () if r["hop"] == k]
        if old:
            ax.plot([p[0] for p in old], [p[1] for p in old], ls="--", lw=1, color=f"C{i}",
                    alpha=0.7, label=f"k={k} (baseline)")
    if chance is not None:
        ax.axhline(chance, color="gray", ls="--", lw=1, label="chance (1/N)")
    ax.set_xlabel("training examples seen")
    ax.set_ylabel("answer-token accuracy")
    ax.set_ylim(0, 1.02)
    ax.set_title("Depo hop-learning curves")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7 if baseline else None, ncol=2 if baseline else 1)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_score_curve(run_dir: Path, points: list[dict], title: str) -> None:
    """``curve.csv`` (``step, examples_seen, exact_match``) and ``curve.png`` of a
    ``synthset train`` run evaluated along the way."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(run_dir / "curve.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["step", "examples_seen", "exact_match"])
        w.writeheader()
        w.writerows(points)
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    ax.plot([p["examples_seen"] for p in points], [p["exact_match"] for p in points],
            marker="o", ms=3)
    ax.set_xlabel("training examples seen")
    ax.set_ylabel("exact match (score_answer)")
    ax.set_ylim(0, 1.02)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(run_dir / "curve.png")
    plt.close(fig)


def _wandb(cfg, run_dir: Path):
    if not cfg.logging.wandb.enabled:
        return None
    import os

    from synthset.core.deps import require

    wandb = require("wandb", "train", "logging.wandb.enabled=true (pip install wandb)")
    os.environ.setdefault("WANDB_MODE", str(cfg.logging.wandb.mode))
    return wandb.init(project=str(cfg.logging.wandb.project), dir=str(run_dir),
                      mode=str(cfg.logging.wandb.mode))
