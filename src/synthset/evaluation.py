"""Score a model's answers against a generated run: ``synthset eval RUN``.

The answers come from a predictions file — JSON Lines, one ``{"index": i, "answer": "..."}``
per sample of the split, from any model or server — or from a local checkpoint folder that
synthset decodes (``--model``, extra ``train``). Each answer is judged by the run's own task
through the task contract (``score_answer``: the built-in task's verifier, the ``check:`` the
run's data.yaml names, or normalised string equality), and the results are written to
``eval.json`` (success rate, per-bucket rates, every failure with its index) and ``eval.png``
(skipped, with a note, where matplotlib is not installed).

A predictions file is read without running anything in it; every problem in it (a line that
is not JSON, a missing or repeated index, an index outside the split, an answer that is not a
string) is reported with its line number before any scoring.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from synthset.core.compose import note
from synthset.core.deps import require
from synthset.core.errors import ConfigError
from synthset.core.fs import atomic_write_text
from synthset.runs import RunFolder

MAX_PROBLEMS = 20  # problems of a predictions file listed before giving up


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def read_predictions(path, size: int) -> dict[int, str]:
    """``{index: answer}`` from a predictions file for a split of ``size`` samples; a
    ConfigError listing every problem (``FILE:LINE: ...``, at most MAX_PROBLEMS) otherwise."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"predictions file not found: {path}")
    answers: dict[int, str] = {}
    first_line: dict[int, int] = {}
    problems: list[str] = []
    with open(path, "rb") as f:
        for number, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            where = f"{path}:{number}"
            try:
                item = json.loads(raw)
            except (ValueError, UnicodeDecodeError, RecursionError) as exc:
                reason = "nested too deeply" if isinstance(exc, RecursionError) else \
                    str(exc).splitlines()[0][:120]
                problems.append(f"{where}: not a JSON line ({reason})")
                item = None
            index = item.get("index") if isinstance(item, dict) else None
            if item is None:
                pass
            elif not isinstance(item, dict) or "index" not in item or "answer" not in item:
                problems.append(f"{where}: expected an object with 'index' and 'answer'")
            elif isinstance(index, bool) or not isinstance(index, int):
                problems.append(f"{where}: index must be an integer, got {_shown(index)}")
            elif not 0 <= index < size:
                problems.append(f"{where}: index {index} is outside the split (0..{size - 1})")
            elif not isinstance(item["answer"], str):
                problems.append(f"{where}: answer must be a string, got "
                                f"{type(item['answer']).__name__}")
            elif index in answers:
                problems.append(f"{where}: index {index} again (first on line "
                                f"{first_line[index]})")
            else:
                answers[index] = item["answer"]
                first_line[index] = number
            if len(problems) >= MAX_PROBLEMS:
                problems.append(f"{path}: stopped after {MAX_PROBLEMS} problems")
                break
    missing = [i for i in range(size) if i not in answers] if len(problems) < MAX_PROBLEMS \
        else []
    if missing:
        shown = ", ".join(map(str, missing[:10])) + (", ..." if len(missing) > 10 else "")
        problems.append(f"{path}: no answer for {len(missing)} of the {size} indices ({shown})")
    if problems:
        raise ConfigError("\n".join(problems))
    return answers


def evaluate_run(run, split: str = "test", predictions=None, model=None,
                 out=None, device: str = "cpu", trust_code: bool = False) -> dict:
    """Score ``predictions`` (a file) or ``model`` (a local checkpoint folder) on ``split`` of
    the run folder ``run``; writes ``eval.json`` and ``eval.png`` into ``out`` (default: the
    run folder) and returns the report. A verifier the run names (``check:``) is imported
    only with ``trust_code``."""
    if (predictions is None) == (model is None):
        raise ConfigError("give --predictions FILE or --model CHECKPOINT (one of them)")
    folder = RunFolder(run)
    folder.require_complete("score it")
    if split not in folder.splits:
        raise ConfigError(f"--split {split!r}: the run has splits {', '.join(folder.splits)}")
    task = folder.task(trust_code=trust_code)
    examples = [ex for ex, _ in folder.examples(split, task)]
    if predictions is not None:
        answers = read_predictions(predictions, len(examples))
        texts = [answers[i] for i in range(len(examples))]
    else:
        texts = _model_answers(task, model, examples, device)
    report = score_report(task, examples, texts)
    report.update({"run": str(run), "split": split,
                   "source": str(predictions) if predictions is not None else str(model)})
    folder = Path(out) if out is not None else Path(str(run))
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / "eval.json", json.dumps(report, indent=1) + "\n")
    try:
        plot(report, folder / "eval.png")
    except ImportError:  # as `synthset check`'s figures: the scores are written, the plot is extra
        note("eval.png skipped: matplotlib is not installed (pip install matplotlib)")
    return report


def score_report(task, examples: list[dict], texts: list[str]) -> dict:
    """Success rate, rates per bucket (``task.buckets``) and per scoring group, failures."""
    scores = [task.score_answer(t, ex) for t, ex in zip(texts, examples)]
    by_bucket: dict = defaultdict(lambda: defaultdict(list))
    for ex, s in zip(examples, scores):
        for name, value in task.buckets(ex).items():
            by_bucket[name][value].append(s)
    groups: dict = defaultdict(lambda: [0.0, 0])
    if task.score_group:
        for ex, t in zip(examples, texts):
            for group, (right, total) in task.score_details(t, ex).items():
                groups[group][0] += right
                groups[group][1] += total
    failures = [{"index": i, "score": s, "expected": ex["answer"][:500], "got": t[:500]}
                for i, (ex, t, s) in enumerate(zip(examples, texts, scores)) if s < 1.0]
    return {
        "task": task.name, "samples": len(scores),
        "success_rate": sum(s == 1.0 for s in scores) / max(1, len(scores)),
        "mean_score": sum(scores) / max(1, len(scores)),
        "by_bucket": {name: {str(v): sum(x == 1.0 for x in xs) / len(xs)
                             for v, xs in sorted(values.items())}
                      for name, values in by_bucket.items()},
        "bucket_sizes": {name: {str(v): len(xs) for v, xs in sorted(values.items())}
                         for name, values in by_bucket.items()},
        "by_group": {str(g): r / t for g, (r, t) in sorted(groups.items()) if t},
        "failures": failures,
    }


def table(report: dict) -> str:
    lines = [f"{report['task']} / {report['split']}: {report['samples']} samples, success "
             f"{report['success_rate']:.3f} (mean score {report['mean_score']:.3f}), "
             f"{len(report['failures'])} failures"]
    for name, rates in report["by_bucket"].items():
        sizes = report["bucket_sizes"][name]
        lines.append(f"  by {name}: " + "  ".join(f"{v}: {r:.2f} ({sizes[v]})"
                                                  for v, r in rates.items()))
    for f in report["failures"][:5]:
        lines.append(f"  index {f['index']}: expected {f['expected'][:60]!r}, got "
                     f"{f['got'][:60]!r}")
    return "\n".join(lines)


def plot(report: dict, path: Path) -> None:
    """Success per bucket value, one panel per bucket kind (overall when there are none)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = report["by_bucket"] or {"all": {"all": report["success_rate"]}}
    fig, axes = plt.subplots(1, len(panels), figsize=(4.5 * len(panels), 3.5), dpi=100,
                             squeeze=False)
    for ax, (name, rates) in zip(axes[0], panels.items()):
        ax.bar(list(rates), list(rates.values()), color="#4c72b0")
        ax.set_ylim(0, 1.02)
        ax.set_xlabel(name)
        ax.set_ylabel("success rate")
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(f"{report['task']} / {report['split']}: success {report['success_rate']:.3f}")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _model_answers(task, checkpoint, examples, device) -> list[str]:
    """Answers a local checkpoint folder gives, read off as the task's ``decoding`` says: a
    folder ``synthset train`` or ``synthset curves`` wrote (its vocab.json must be the task's
    ids: the task's tokens, or bytes for a text task) or any Hugging Face causal LM saved with
    ``save_pretrained`` (its ids taken to be the task's). Loading runs no code from the
    folder (``synthset.train.checkpoint``)."""
    require("torch", "train", "synthset eval --model")
    require("transformers", "train", "synthset eval --model")
    # Lazy: train imports torch and transformers (extra train); --predictions needs neither.
    from synthset.train.checkpoint import load_checkpoint
    from synthset.train.evaluate import model_answers

    ckpt = load_checkpoint(checkpoint, device, task=task, where="--model ")
    return model_answers(ckpt.model, task, examples, device)
