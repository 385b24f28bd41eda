"""Depo hop-learning curves: train once, evaluate fixed-hop Depo streams along the way
(``synthset curves``), or evaluate a saved checkpoint's (``synthset curves model=CKPT``).

Training goes through ``loop.fit`` with the same TrainConfig as ``synthset train``; its
evaluation hook scores each hop of ``eval.hops`` every ``eval.every`` steps. Writes
``curves.csv`` (``step, examples_seen, hop, accuracy``), ``curves.png`` (one line per hop; with
``baseline``, an earlier run's ``curves.csv`` drawn dashed beside it), the composed
``config.yaml`` and the checkpoint (``train.checkpoint``) into a timestamped run folder under
``output_dir``. With ``model=CKPT`` the checkpoint is evaluated at its own step, on the task it
was trained on, into a new run folder (no training, no weights copied).

Imports ``core``, ``tasks`` and this package (torch through ``loop``; matplotlib for the
figures). ``cli.train`` imports this module once the command line has composed.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import asdict
from pathlib import Path

from omegaconf import OmegaConf

from synthset.core.deps import MissingDependency
from synthset.core.errors import ConfigError
from synthset.core.fs import atomic_write_text
from synthset.tasks.spec import TaskSpec
from synthset.train.checkpoint import OutputFolder, check_vocab, load_checkpoint
from synthset.train.config import TrainConfig
from synthset.train.driver import Recorder, model_config, print_notes, set_threads
from synthset.train.evaluate import model_answers, score
from synthset.train.loop import Result, fit, start

CURVES_KEYS = ("eval.hops", "eval.resample_each_eval")  # read here, beside TrainConfig's


def hop_task(base, k: int):
    """Depo at evaluation size (n = N) with every query asking k hops."""
    return base.with_config(qa=True, fixed_k=k)


def hop_accuracy(model, base, hops, examples: int, seed: int, device: str) -> dict[int, float]:
    """Per k, the score of a fixed-k evaluation stream (teacher-forced answer-token
    accuracy), through the task's own scorer."""
    out = {}
    for k in hops:
        task = hop_task(base, k)
        exs = task.take(seed, examples)
        out[k] = score(task, exs, model_answers(model, task, exs, device))["score"]
    return out


class HopEvaluation:
    """The evaluation hook: every hop's accuracy on ``eval.examples`` examples (a fresh set
    each time unless ``eval.resample_each_eval`` is false); the rows of curves.csv so far."""

    def __init__(self, cfg, base, device: str, examples: int):
        self.base, self.device, self.examples = base, device, examples
        hops = list(cfg.eval.hops) if OmegaConf.is_list(cfg.eval.get("hops")) else None
        if not hops or any(isinstance(h, bool) or not isinstance(h, int) for h in hops):
            raise ConfigError(f"eval.hops must be a list of integers such as [1, 2, 4], got "
                              f"{OmegaConf.to_container(cfg.eval).get('hops')!r}")
        bad = [h for h in hops if h > base.config.K or h < 1]
        if bad:
            raise ConfigError(f"eval.hops {bad} are outside 1..K={base.config.K} (task.K)")
        resample = cfg.eval.get("resample_each_eval", True)
        if not isinstance(resample, bool):
            raise ConfigError(f"eval.resample_each_eval must be true or false, got "
                              f"{resample!r}")
        self.hops, self.resample = hops, resample
        self.rows: list[dict] = []
        self.evals = 0

    def __call__(self, model) -> dict:
        """``score``: the mean over the hops; ``score_by_hop``: each hop's accuracy."""
        seed = 10_000 + (self.evals if self.resample else 0)
        self.evals += 1
        acc = hop_accuracy(model, self.base, self.hops, self.examples, seed, self.device)
        return {"score": sum(acc.values()) / len(acc), "score_by_hop": acc}

    def record(self, step: int, seen: int, metric: dict) -> None:
        for k, a in metric["score_by_hop"].items():
            self.rows.append({"step": step, "examples_seen": seen, "hop": k, "accuracy": a})


def depo_task(spec):
    task = spec.build()
    if task.family != "depo":
        raise ConfigError(f"hop curves need a Depo task (depo, depo1, depo2), got "
                          f"task={spec.name}")
    return task


def run_curves(cfg, log=print, task_given: bool = False, notes=()) -> Path:
    """Run the experiment described by a composed ``conf/depo_curve`` config; returns the run
    folder. ``model`` a checkpoint folder (``{type: checkpoint}``): evaluate it instead;
    ``task_given``: the command line chose a task (refused with a checkpoint, which has its
    own); ``notes``: the older spellings it used, printed once all is checked."""
    tc = TrainConfig.from_config(cfg, extra=CURVES_KEYS, notes=notes)
    if tc.output_dir is None:
        raise ConfigError("output_dir must be a folder path for synthset curves (its "
                          "curves.csv goes there), got None")
    set_threads(tc)
    if OmegaConf.select(cfg, "model.type") == "checkpoint":
        return evaluate_checkpoint(cfg, tc, str(cfg.model.name_or_path), log, task_given,
                                   notes)
    model_cfg = model_config(cfg, "curves")
    spec = TaskSpec.from_node(OmegaConf.to_container(cfg.task, resolve=True))
    base = depo_task(spec)
    hops = HopEvaluation(cfg, base, tc.resolved_device(), tc.eval_examples)
    baseline = read_curves(cfg.get("baseline"))
    model, stream = start(base, model_cfg, tc)
    schedule = stream.schedule
    if schedule is not None and schedule.fed_by == "eval":
        missing = [k for k in range(schedule.start, schedule.highest() + 1)
                   if k not in hops.hops]
        if schedule.field != "K" or missing:
            raise ConfigError(f"train.curriculum={tc.curriculum}: an evaluated curriculum "
                              f"here moves K (K:evaluated:START:TARGET) and reads the "
                              f"evaluation at each K it reaches: add {missing} to "
                              f"eval.hops" if schedule.field == "K" else
                              f"train.curriculum={tc.curriculum}: an evaluated curriculum "
                              f"here moves K: write K:evaluated:START:TARGET")
    print_notes(notes)
    # Guessing one of the N nodes at random (with single-token words, per answer token).
    chance = 1 / base.config.N if base.config.max_len == 1 else None
    result = Result()
    with OutputFolder(tc.output_dir) as run_dir:
        (run_dir / "config.yaml").write_text(OmegaConf.to_yaml(cfg))
        wandb_run = _wandb(cfg, run_dir)
        recorder = Recorder(run_dir, result, stream.vocab(),
                            {"spec": spec.record(), "source": {"stream": str(spec),
                                                               "seed": tc.seed}},
                            {**tc.record(), "model": asdict(model_cfg)})

        def on_eval(step, seen, metric, model):
            hops.record(step, seen, metric)
            if schedule is not None and schedule.fed_by == "eval":
                # the accuracy at k = the current K, full size: K rises from here on
                schedule.report(metric["score_by_hop"][schedule.current], seen)
            if wandb_run is not None:
                wandb_run.log({f"accuracy/k={k}": a for k, a in metric["score_by_hop"].items()},
                              step=step)
            _write(run_dir, hops.rows, chance, baseline)
            recorder.on_eval(step, seen, metric, model)

        fit(model, stream, tc, hops, on_eval, log, stream.device, result=result)
        result.levels = stream.levels
        recorder.finish()
        if wandb_run is not None:
            wandb_run.finish()
    log(f"wrote {run_dir / 'curves.csv'} and {run_dir / 'curves.png'}")
    return run_dir


def evaluate_checkpoint(cfg, tc, folder: str, log=print, task_given: bool = False,
                        notes=()) -> Path:
    """``synthset curves model=CKPT``: the checkpoint's hop curves at its own step, on the
    task it was trained on, written to a new run folder (curves.csv, curves.png,
    summary.json)."""
    device = tc.resolved_device()
    ckpt = load_checkpoint(folder, device, where="model=")
    spec = ckpt.spec
    if spec is None:
        raise ConfigError(f"model={folder}: no task spec in its task.json (not a checkpoint "
                          "of `synthset train` or `synthset curves` on a task)")
    if task_given:
        raise ConfigError(f"model={folder} is evaluated on the task it was trained on "
                          f"({spec}): drop the task overrides")
    base = depo_task(spec)
    check_vocab(ckpt, base, "model=")
    hops = HopEvaluation(cfg, base, device, tc.eval_examples)
    baseline = read_curves(cfg.get("baseline"))
    print_notes(notes)
    step = int((ckpt.summary or {}).get("step", 0))
    seen = int((ckpt.summary or {}).get("examples_seen", 0))
    chance = 1 / base.config.N if base.config.max_len == 1 else None
    with OutputFolder(tc.output_dir) as run_dir:
        (run_dir / "config.yaml").write_text(OmegaConf.to_yaml(cfg))
        log(f"evaluating {folder} ({spec}, step {step}) without training")
        metric = hops(ckpt.model)
        log(f"eval step {step}: " + "  ".join(f"k={k}: {a:.3f}"
                                                for k, a in metric["score_by_hop"].items()))
        hops.record(step, seen, metric)
        _write(run_dir, hops.rows, chance, baseline)
        atomic_write_text(run_dir / "summary.json", json.dumps(
            {"checkpoint": str(folder), "step": step, "examples_seen": seen,
             "metric": metric}, indent=1, default=str) + "\n")
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


def _wandb(cfg, run_dir: Path):
    if not cfg.logging.wandb.enabled:
        return None
    try:  # no extra of synthset's holds wandb: the hint is its own pip command
        import wandb
    except ImportError:
        raise MissingDependency("logging.wandb.enabled=true needs the package 'wandb', which is "
                                "not installed: pip install wandb") from None
    os.environ.setdefault("WANDB_MODE", str(cfg.logging.wandb.mode))
    return wandb.init(project=str(cfg.logging.wandb.project), dir=str(run_dir),
                      mode=str(cfg.logging.wandb.mode))
