"""``synthset train``: a composed ``conf/train`` config in, a trained model's checkpoint
folder and a report out.

Everything is checked before anything is written — the TrainConfig's numbers, the model's
options, the task and its fields, the data folder, the curriculum — and the model and its
batches are built; only then is the output folder made (``checkpoint.OutputFolder``), and
``loop.fit`` trains. The batches come from the task's stream (``task=NAME task.level=L
task.FIELD=V``), a run folder or a nanoGPT data folder (``data=PATH``). At every evaluation the
checkpoint (weights, vocabulary, task spec, TrainConfig, summary) and ``curve.csv``/``.png``
are rewritten; the report's last line names the checkpoint folder.

Imports ``core``, ``tasks``, ``runs`` (a run folder, an export's source run) and this package
(torch and transformers through ``loop`` and ``models``: ``cli.train`` imports this module once
the command line has composed).
"""

from __future__ import annotations

import csv
import json
import time
from contextlib import nullcontext
from dataclasses import asdict
from pathlib import Path

from omegaconf import OmegaConf

from synthset.core.compose import note
from synthset.core.deps import require
from synthset.core.errors import ConfigError
from synthset.core.fs import atomic_write_text
from synthset.runs import RunFolder
from synthset.tasks.curriculum import parse
from synthset.tasks.spec import TaskSpec
from synthset.train.checkpoint import OutputFolder, save_checkpoint
from synthset.train.config import TrainConfig
from synthset.train.files import RunStream, is_nanogpt_folder, start_folder
from synthset.train.loop import Result, fit, start
from synthset.train.models import ModelConfig, build_model


def set_threads(cfg: TrainConfig) -> None:
    if cfg.threads is not None:
        require("torch", "train", "threads=N").set_num_threads(cfg.threads)


def model_config(cfg, command: str):
    """The ModelConfig of ``cfg.model``, checked (``model=PATH`` is not one here)."""
    node = OmegaConf.to_container(cfg.model, resolve=True)
    if node.get("type") == "checkpoint":
        raise ConfigError(f"model={node['name_or_path']}: a checkpoint folder is evaluated by "
                          f"`synthset eval RUN --model PATH` and `synthset curves model=PATH`; "
                          f"to {command} from its weights write model=from_pretrained "
                          f"model.name_or_path={node['name_or_path']}")
    model_cfg = ModelConfig.from_dict(node)
    model_cfg.validate()
    return model_cfg


def print_notes(notes) -> None:
    """The older spellings a command line used, one note each (once its config is checked:
    a config that fails is one line)."""
    for old, new in notes:
        note(f"{old} is now written {new}")


class Recorder:
    """Writes a run's checkpoint (and its curve) into ``run_dir`` at each evaluation."""

    def __init__(self, run_dir: Path | None, result, vocab: dict, task: dict, train: dict,
                 curve=None):
        self.run_dir, self.result = run_dir, result
        self.vocab, self.task, self.train = vocab, task, train
        self.curve = curve  # curve(run_dir, result): writes the evaluation points
        self.started = time.perf_counter()

    def summary(self, step: int, metric: dict, final: bool = False) -> dict:
        r = self.result
        out = {"step": step, "steps": self.train["train"]["steps"],
               "examples_seen": step * self.train["train"]["batch_size"], "metric": metric,
               "parameters": r.parameters, "losses": r.losses[:step], "curve": r.curve,
               "wall_seconds": round(time.perf_counter() - self.started, 1)}
        if final:
            out["tokens_per_second"] = round(r.tokens_per_second)
        return out

    def on_eval(self, step: int, seen: int, metric: dict, model) -> None:
        if self.run_dir is None:
            return
        if self.curve is not None:
            self.curve(self.run_dir, self.result)
        save_checkpoint(self.run_dir, model, self.vocab, self.task, self.train,
                        self.summary(step, metric))

    def finish(self) -> None:
        """The summary again, with the throughput of the whole run."""
        if self.run_dir is None:
            return
        summary = self.summary(self.result.steps, self.result.metric, final=True)
        atomic_write_text(self.run_dir / "summary.json",
                          json.dumps(summary, indent=1, default=str) + "\n")


def run_train(cfg, log=print, notes=()) -> str:
    """Run the training a composed ``conf/train`` config describes; returns the report.
    ``notes``: the older spellings the command line used, printed once all is checked."""
    tc = TrainConfig.from_config(cfg, notes=notes)
    set_threads(tc)
    model_cfg = model_config(cfg, "train")
    model, stream, name, task_record = _start(cfg, tc, model_cfg)
    print_notes(notes)
    result = Result()
    title = f"{name}: exact match on {tc.eval_examples:,} evaluation problems"
    with OutputFolder(tc.output_dir) if tc.output_dir else nullcontext() as run_dir:
        if run_dir is not None:
            (run_dir / "config.yaml").write_text(OmegaConf.to_yaml(cfg))
        recorder = Recorder(run_dir, result, stream.vocab(), task_record,
                            {**tc.record(), "model": asdict(model_cfg)},
                            lambda folder, res: _write_curve(folder, res, title))
        fit(model, stream, tc, stream.evaluate, recorder.on_eval, log, stream.device,
            result=result)
        result.levels = getattr(stream, "levels", [])
        recorder.finish()
    report = _report(name, result)
    if run_dir is not None:
        report += (f"\nwall time {time.perf_counter() - recorder.started:.0f} s"
                   f"\ncheckpoint: {run_dir}")
    return report


def _start(cfg, tc: TrainConfig, model_cfg):
    """The model, its batches, the run's name and its task.json: everything checked."""
    if tc.data is None:
        if getattr(parse(tc.curriculum), "fed_by", None) == "eval":
            raise ConfigError(f"train.curriculum={tc.curriculum}: an evaluated curriculum is "
                              "fed by the hop evaluation of `synthset curves`; `synthset "
                              "train` feeds adaptive:START:TARGET from each batch")
        spec = TaskSpec.from_node(OmegaConf.to_container(cfg.task, resolve=True))
        task = spec.build()
        model, stream = start(task, model_cfg, tc)
        level = f" (level {task.level})" if task.level else ""
        return model, stream, f"{task.name}{level}", {"spec": spec.record(),
                                                      "source": {"stream": str(spec),
                                                                 "seed": tc.seed}}
    stream_only = [key for key, on in (("train.curriculum", tc.curriculum),
                                       ("eval.held_out", tc.held_out)) if on]
    if stream_only:
        raise ConfigError(f"{', '.join(stream_only)}: only for training on a task's stream "
                          "(task=NAME), not with data=")
    if is_nanogpt_folder(tc.data):
        model, stream = start_folder(tc.data, model_cfg, tc)
        spec = _export_spec(stream.meta)
        return model, stream, str(tc.data), {"spec": spec, "source": stream.source()}
    return _start_run(tc, model_cfg)


def _start_run(tc: TrainConfig, model_cfg):
    if not Path(tc.data).is_dir():
        raise ConfigError(f"data={tc.data}: no such folder (give a run folder `synthset "
                          "generate` wrote, or a data folder `synthset export nanogpt` wrote)")
    torch = require("torch", "train", "synthset train data=...")
    device = tc.resolved_device()
    stream = RunStream(tc.data, tc, device)
    torch.manual_seed(tc.seed)
    model = build_model(model_cfg, stream.vocab_size, stream.n_positions).to(device)
    spec = stream.run.task_spec
    return model, stream, f"{tc.data} ({stream.task.name})", {
        "spec": spec.record() if spec else None, "source": stream.source()}


def _export_spec(meta: dict):
    """The task spec of an export's source, where it names a built-in task."""
    source = meta.get("source_spec") or {}
    if "task" in source:
        config = dict(source.get("task_config") or {})
        return TaskSpec.of(source["task"], config.pop("level", None), source.get("backend"),
                           **config).record()
    if "run" in source:
        spec = RunFolder(source["run"]).task_spec
        return spec.record() if spec else None
    return None


def _write_curve(run_dir: Path, result, title: str) -> None:
    points = [{"step": p["step"], "examples_seen": p["examples_seen"],
               "exact_match": p["score"]} for p in result.curve if "score" in p]
    if points:
        write_score_curve(run_dir, points, title)


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
