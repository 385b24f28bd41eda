"""What ``synthset check`` tells a person: the short table, the problem lines and the figures.

The figures are PNG files a reader takes in at a glance (matplotlib, imported only here and
only when figures are asked for; without it they are skipped with a note):

    quality/lengths.png      a length histogram per split (characters, or tokens for rows)
    quality/statistics.png   the histograms of the task's statistics categories, or, where
                             they cannot be computed from stored samples, their summaries
                             from ``{split}_stats.yaml`` (mean, std, min, max)
    quality/duplicates.png   duplicate rate per split and overlap rate per pair of splits
"""

from __future__ import annotations

import io
from pathlib import Path

from synthset.core.fs import atomic_open, make_dirs

FIGURES = ("lengths", "statistics", "duplicates")
# How many failures the printed report lists.
PRINTED = 20


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.2f}%" if whole else "0.00%"


def table(report: dict) -> str:
    """The short table ``synthset check`` prints."""
    lines = [f"synthset check: {report['run']} ({report['verifier']})"]
    head = f"{'split':<12}{'samples':>12}{'failing':>10}{'duplicates':>12}{'dup rate':>10}"
    lines += [head, "-" * len(head)]
    for split, s in report["splits"].items():
        lines.append(f"{split:<12}{s['samples']:>12,}{s['failing']:>10,}{s['duplicates']:>12,}"
                     f"{pct(s['duplicates'], s['samples']):>10}")
    for o in report["overlap"]:
        a, b = o["splits"]
        lines.append(f"overlap {a}/{b}: {o['shared_keys']:,} shared keys; {o['b_in_a']:,} of "
                     f"{b} ({pct(o['b_in_a'], o['b_samples'])}) in {a}, {o['a_in_b']:,} of "
                     f"{a} ({pct(o['a_in_b'], o['a_samples'])}) in {b}")
    examples = report.get("examples") or {}
    for e in examples.get("duplicates", [])[:3]:
        lines.append(f"duplicate: {e['split']}[{e['index']}] and {e['samples'] - 1:,} later "
                     f"sample(s) of {e['split']} pose the same problem")
    for group in examples.get("overlap", [])[:3]:
        lines.append("shared: " + " = ".join(f"{g['split']}[{g['index']}]" for g in group)
                     + " (same dedup key)")
    det = report["determinism"]
    if det["checked"]:
        tail = "all identical" if not det["differ"] else f"{det['differ']} differ"
        lines.append(f"determinism: {det['checked']} samples made again from their seeds: "
                     f"{tail}")
    lines += token_lines(report.get("tokens"))
    for note in report["notes"]:
        lines.append(f"note: {note}")
    failures = report["failures"][:PRINTED]
    if failures:
        total = report["failures_total"]
        lines.append(f"failures ({len(failures)} of {total:,} shown; all in quality.json"
                     + (f" and {report['failures_file']}" if report.get("failures_file")
                        else "") + "):")
        for f in failures:
            seed = f" seed {f['seed']}" if f.get("seed") is not None else ""
            lines.append(f"  {f['split']}[{f['index']}]{seed}: {f['class']}: {f['message']}")
    return "\n".join(lines)


def token_lines(tokens: dict | None) -> list[str]:
    """The token counts' lines of the printed report (none without ``--tokenizer``)."""
    if not tokens:
        return []
    limit = tokens.get("max_tokens")
    lines = [f"tokens under {tokens['tokenizer']} (prompt + answer, special tokens left out):"]
    head = (f"{'split':<12}{'part':<8}{'tokens':>12}{'min':>7}{'mean':>10}{'p50':>7}{'p90':>7}"
            f"{'p99':>7}{'max':>7}" + (f"{'over ' + str(limit):>12}" if limit else ""))
    lines += [head, "-" * len(head)]
    for split, s in tokens["splits"].items():
        for part in ("prompt", "answer", "total"):
            t = s[part]
            over = f"{s['over_max_tokens']:>12,}" if limit and part == "total" else \
                (" " * 12 if limit else "")
            lines.append(f"{split:<12}{part:<8}{t['tokens']:>12,}{t['min']:>7}"
                         f"{t['mean']:>10.2f}{t['p50']:>7}{t['p90']:>7}{t['p99']:>7}"
                         f"{t['max']:>7}{over}".rstrip())
    return lines


# -- figures -----------------------------------------------------------------------------------
def write_figures(report: dict, folder: Path) -> list[str]:
    """The PNG figures under ``folder/quality/``; returns their paths relative to ``folder``.
    Raises ImportError when matplotlib is missing."""
    import importlib

    importlib.import_module("matplotlib")  # missing: ImportError before any file is written

    out = Path(folder) / "quality"
    make_dirs(out)  # never through a link (core.fs)
    written = []
    for name, draw in (("lengths", _lengths), ("statistics", _statistics),
                       ("duplicates", _duplicates)):
        fig = draw(report)
        if fig is None:
            continue
        _save(fig, out / f"{name}.png")
        written.append(f"quality/{name}.png")
    return written


def _figure(rows: int, cols: int, title: str):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4.2 * cols, 2.8 * rows + 0.6), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    fig.suptitle(title)
    return fig, axes


def _save(fig, path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    with atomic_open(path, "wb") as f:
        f.write(buffer.getvalue())


def _bars(ax, hist: list, color=None, label=None) -> None:
    """A histogram from ``[[value, count], ...]``, re-binned to at most 60 bars."""
    import numpy as np

    if not hist:
        ax.text(0.5, 0.5, "no samples", ha="center", va="center", transform=ax.transAxes)
        return
    values = np.array([v for v, _ in hist], dtype=float)
    counts = np.array([c for _, c in hist], dtype=float)
    if len(values) <= 60 and np.all(values == np.round(values)) \
            and values.max() - values.min() <= 120:
        ax.bar(values, counts, width=0.9, color=color, label=label)
    else:
        edges = np.histogram_bin_edges(values, bins=min(60, len(values)))
        sums, edges = np.histogram(values, bins=edges, weights=counts)
        ax.stairs(sums, edges, fill=True, color=color, label=label, alpha=0.8)
    ax.set_ylabel("samples")


def _lengths(report: dict):
    splits = report["splits"]
    names = list(dict.fromkeys(n for s in splits.values() for n in s["lengths"]))
    if not names:
        return None
    fig, axes = _figure(len(splits), len(names), "Lengths per split")
    for i, (split, s) in enumerate(splits.items()):
        for j, name in enumerate(names):
            ax = axes[i][j]
            dist = s["lengths"].get(name, {})
            _bars(ax, dist.get("hist", []), color=f"C{i}")
            mean = dist.get("mean")
            ax.set_title(f"{split}: {name}" + (f" (mean {mean:.1f})" if mean is not None
                                              else ""), fontsize=9)
    return fig


def _statistics(report: dict):
    splits = report["splits"]
    computed = list(dict.fromkeys(n for s in splits.values()
                                  for n in (s.get("statistics") or {})))
    if computed:
        fig, axes = _figure(len(splits), len(computed), "Statistics per split")
        for i, (split, s) in enumerate(splits.items()):
            for j, name in enumerate(computed):
                ax = axes[i][j]
                dist = (s.get("statistics") or {}).get(name, {})
                _bars(ax, dist.get("hist", []), color=f"C{i}")
                ax.set_title(f"{split}: {name}", fontsize=9)
        return fig
    names = sorted({n for s in splits.values() for n in (s.get("stats_yaml") or {})})
    if not names:
        return None
    cols = min(4, len(names))
    rows = -(-len(names) // cols)
    fig, axes = _figure(rows, cols, "Statistics per split (from {split}_stats.yaml: "
                                    "mean ± std, min-max)")
    for k, name in enumerate(names):
        ax = axes[k // cols][k % cols]
        for i, (split, s) in enumerate(splits.items()):
            st = (s.get("stats_yaml") or {}).get(name)
            if not st:
                continue
            ax.errorbar([i], [st["mean"]], yerr=[[st["mean"] - st["min"]],
                                                  [st["max"] - st["mean"]]],
                        fmt="none", ecolor=f"C{i}", alpha=0.4, capsize=6)
            ax.errorbar([i], [st["mean"]], yerr=[st["std"]], fmt="o", color=f"C{i}",
                        capsize=3)
        ax.set_xticks(range(len(splits)), list(splits))
        ax.set_xlim(-0.7, len(splits) - 0.3)
        ax.set_title(name, fontsize=9)
    for k in range(len(names), rows * cols):
        axes[k // cols][k % cols].set_visible(False)
    return fig


def _duplicates(report: dict):
    splits = report["splits"]
    fig, axes = _figure(1, 2, "Duplicates and overlap (by dedup key)")
    ax = axes[0][0]
    names = list(splits)
    rates = [100 * s["duplicates"] / s["samples"] if s["samples"] else 0.0
             for s in splits.values()]
    bars = ax.bar(names, rates, color=[f"C{i}" for i in range(len(names))])
    ax.bar_label(bars, [f"{s['duplicates']:,}" for s in splits.values()], fontsize=8)
    ax.set_ylim(0, max([*rates, 1.0]) * 1.15)
    ax.set_ylabel("% of the split's samples")
    ax.set_title("duplicates inside each split", fontsize=9)
    ax = axes[0][1]
    labels, values, counts = [], [], []
    for o in report["overlap"]:
        a, b = o["splits"]
        labels += [f"{b} in {a}", f"{a} in {b}"]
        values += [100 * o["b_in_a"] / o["b_samples"] if o["b_samples"] else 0.0,
                   100 * o["a_in_b"] / o["a_samples"] if o["a_samples"] else 0.0]
        counts += [o["b_in_a"], o["a_in_b"]]
    if labels:
        colors = ["C3" if c else "C2" for c in counts]
        bars = ax.bar(labels, values, color=colors)
        ax.bar_label(bars, [f"{c:,}" for c in counts], fontsize=8)
        ax.tick_params(axis="x", labelrotation=20, labelsize=8)
        ax.set_ylim(0, max([*values, 1.0]) * 1.15)
    else:
        ax.text(0.5, 0.5, "one split: no overlap", ha="center", va="center",
                transform=ax.transAxes)
    ax.set_ylabel("% of the split's samples")
    ax.set_title("samples whose key occurs in another split", fontsize=9)
    return fig
