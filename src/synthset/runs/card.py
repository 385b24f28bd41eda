"""``README.md`` in a run folder: a Hugging Face dataset card.

YAML front matter (``license``, ``pretty_name``, ``task_categories``, ``tags``,
``size_categories``, and ``configs`` whose ``data_files`` name each split's files: the Parquet
files ``data/{split}-NNNNN-of-NNNNN.parquet`` when the run wrote them, else
``{split}_data.jsonl``, else ``{split}_raw.txt``), so that ``datasets.load_dataset(run_folder)`` loads the splits; then
the generator's name and fingerprint, the configuration that determines the bytes, the root
seed and the seed rule, synthset's version, per-split statistics, the token counts of the last
``synthset check --tokenizer`` (``tokens.json``) and the summary of the last ``synthset check``
(``quality.json``), each while it is about the files as they are. ``croissant.json`` (the
Croissant metadata, ``runs.croissant``) is written beside a run's card.

A run writes the card after its splits are merged (``write_card``), atomically, and only when
its bytes change (a finished run resumed leaves it untouched); ``synthset check`` rewrites it
with its summary; ``synthset export hf`` writes it next to the exported Parquet files. The
card holds nothing that depends on ``n_jobs``, the batch size, the executor or timing, so it is
the same bytes for the same run however it was made. A ``README.md`` synthset did not write
(no ``MARK`` line) is never overwritten.

The card of an export (``source``: ``run export``, ``task export``) says what is true of its
folder, which has no manifest, no ``quality.json`` and no JSONL for ``synthset check`` to read:
where the license and the configuration come from, whose fingerprint it shows, and how its
samples are checked.

``.synthset/card.json`` keeps what only the run knows (the license, the task's resolved
configuration) for the rewrites.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from synthset.core.fs import as_path, atomic_write_text
from synthset.engine.plan import claim_order
from synthset.io.parquet import split_glob
from synthset.io.stats_yaml import read_stats
from synthset.runs.croissant import write_croissant
from synthset.runs.folder import RunFolder

CARD = "README.md"
MARK = "<!-- synthset dataset card: synthset rewrites this file; delete this line to keep " \
       "your edits -->"
SIDE = ".synthset/card.json"
TOKENS = "tokens.json"  # written by `synthset check --tokenizer` (quality/check.py)
CHECK_BEGIN = "<!-- synthset check summary -->"
CHECK_END = "<!-- end of synthset check summary -->"
SEED_RULE = 'int.from_bytes(sha256(f"{root_seed}_{split}_{index}".encode()).digest()[:16], "big")'
SIZES = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
         (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"),
         (1_000_000_000, "100M<n<1B"), (10_000_000_000, "1B<n<10B"),
         (100_000_000_000, "10B<n<100B"), (1_000_000_000_000, "100B<n<1T")]
# Timing lines of a stats YAML: they differ from run to run and stay out of the card.
TIMING = ("total_time", "samples_per_second", "generation_time")
# Where a card stands: a run folder, ``synthset export hf RUN OUT`` or ``synthset export hf
# task=NAME OUT`` (whose fingerprint is the export's source, not a run's).
SOURCES = ("run", "run export", "task export")


def size_category(n: int) -> str:
    for bound, name in SIZES:
        if n < bound:
            return name
    return "n>1T"


def is_ours(path) -> bool:
    try:
        return MARK in as_path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return True
    except (OSError, UnicodeDecodeError):
        return False


def write_card(save_dir, stats: dict | None = None, license: str | None = None,
               generator=None, out=None, layout: str | None = None) -> Path | None:
    """Write (or rewrite) the card of the run in ``save_dir``; returns its path, or None when
    ``README.md`` there is not synthset's (left as it is, with a note on stderr).

    ``stats``: each split's statistics (else read from ``{split}_stats.yaml``); ``license``
    and ``generator`` (a task object: its ``describe()`` gives the resolved task config) when
    the run writes the card, else what ``.synthset/card.json`` kept. ``out`` and ``layout``
    (``parquet``) write the card of an export of the run elsewhere.
    """
    folder = as_path(save_dir)
    manifest = RunFolder(folder).manifest
    if manifest is None:
        return None
    side = _side(folder)
    if generator is not None or license is not None or stats is not None:
        text = json.dumps({"license": license, "task_config": _task_config(generator),
                           "kind": getattr(generator, "kind", None)}, default=str)
        atomic_write_text(folder / SIDE, text + "\n")
        side = json.loads(text)  # as a rewrite reads it back: the same card bytes
    if out is None:  # croissant.json beside the card (an export writes its own)
        write_croissant(folder)
    target = as_path(out or folder) / CARD
    if not is_ours(target):
        print(f"synthset: {target} is not synthset's dataset card: left as it is",
              file=sys.stderr)
        return None
    splits = list(manifest["config"]["sizes"])
    if stats is None:
        stats = {s: _read_stats(folder, s) for s in splits}
    text = render(folder, manifest, stats, side, layout,
                  source="run" if out is None else "run export")
    try:
        if target.read_text(encoding="utf-8") == text:
            return target
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    atomic_write_text(target, text)
    return target


def _side(folder) -> dict:
    try:
        return json.loads((folder / SIDE).read_text())
    except (OSError, ValueError):
        return {}


def _task_config(generator) -> dict | None:
    describe = getattr(generator, "describe", None)
    if describe is None:
        return None
    try:
        return dict(describe()["config"])
    except Exception:
        return None


def _read_stats(folder, split: str) -> dict:
    try:
        return read_stats(folder / f"{split}_stats.yaml") or {}
    except (OSError, ValueError):
        return {}


def data_files(folder, manifest: dict, layout: str | None = None) -> list[dict]:
    """``[{split, path}]`` for the card's ``configs``: Parquet, else JSONL, else text."""
    formats = set(manifest["config"].get("formats") or ())
    splits = list(manifest["config"]["sizes"])
    if layout == "parquet" or "parquet" in formats:
        return [{"split": s, "path": split_glob(s)} for s in splits if hf_split_name(s)]
    elif "json" in formats:
        pattern = "{}_data.jsonl"
    elif "text" in formats:
        pattern = "{}_raw.txt"
    else:
        return []
    return [{"split": s, "path": pattern.format(s)} for s in splits if hf_split_name(s)]


def hf_split_name(split: str) -> bool:
    """Whether Hugging Face ``datasets`` takes ``split`` as a split name (words joined by
    '.'); synthset's split names may also hold '-', which the card's ``configs`` leave out."""
    return re.fullmatch(r"\w+(\.\w+)*", split) is not None


def front_matter(folder, manifest: dict, side: dict, layout: str | None = None) -> dict:
    task = manifest.get("task") or {}
    total = sum(manifest["config"]["sizes"].values())
    tags = ["synthetic", "synthset"]
    if side.get("kind") in ("algebra", "reasoning"):
        tags.append(side["kind"])
    if task.get("name"):
        tags.append(task["name"])
    meta = {"license": side.get("license") or "unknown",
            "pretty_name": _pretty_name(manifest),
            "task_categories": ["text-generation"], "tags": tags,
            "size_categories": [size_category(total)]}
    files = data_files(folder, manifest, layout)
    if files:
        meta["configs"] = [{"config_name": "default", "data_files": files}]
    return meta


def _pretty_name(manifest: dict) -> str:
    """The task's name, or the generator's (not the folder's: the card of a run is the same
    bytes wherever it is)."""
    task = manifest.get("task") or {}
    if task.get("name"):
        return task["name"]
    generator = str(manifest["config"].get("instance_generator") or "generator")
    return generator.partition("@")[0].rpartition(".")[2] or "generator"


def render(folder, manifest: dict, stats: dict, side: dict, layout: str | None = None,
           source: str = "run") -> str:
    """The card's text; ``source`` (one of SOURCES) says where it stands."""
    import yaml

    config = manifest["config"]
    task = manifest.get("task") or {}
    sizes = config["sizes"]
    version = (manifest.get("versions") or {}).get("synthset", "?")
    meta = front_matter(folder, manifest, side, layout)
    name = meta["pretty_name"]
    gen = config.get("instance_generator")
    what = f"the built-in task `{task['name']}`" if task.get("name") else \
        f"the generator `{gen}`"
    lines = ["---", yaml.safe_dump(meta, sort_keys=False, allow_unicode=True).rstrip(), "---",
             MARK, "", f"# {name}", "",
             f"Synthetic data made by [synthset](https://pypi.org/project/synthset/) {version} "
             f"from {what}: {sum(sizes.values()):,} samples in {len(sizes)} split"
             f"{'s' if len(sizes) != 1 else ''} "
             f"({', '.join(f'{s}: {n:,}' for s, n in sizes.items())})."
             " Every file is deterministic: the same configuration makes the same bytes, for "
             "any number of workers, batch size and executor.", ""]
    if not side.get("license"):
        where = {"run": " (`license:` in its data.yaml)",
                 "run export": " (`license:` in the data.yaml of the run it was exported from)",
                 "task export": ""}[source]
        lines += [f"No license was set for this dataset{where}.", ""]
    lines += ["## Generator", "", "| | |", "| --- | --- |"]
    if task.get("name"):
        backend = f" (backend {task.get('backend') or 'sympy'})" \
            if side.get("kind") == "algebra" else ""
        lines.append(f"| task | `{task['name']}`{backend} |")
    lines += [f"| generator | `{gen}` (name@hash of its code) |",
              f"| statistics | `{config.get('statistics_calculator')}` |",
              f"| {'source' if source == 'task export' else 'run'} fingerprint | "
              f"`{manifest['fingerprint']}` |",
              f"| synthset | {version} |", ""]
    resolved = {k: v for k, v in config.items()}
    if task.get("name"):
        resolved["task"] = {"name": task["name"], "config": task.get("config") or {}}
        if side.get("kind") == "algebra":
            resolved["task"]["backend"] = task.get("backend")
        if side.get("task_config") is not None:
            resolved["task"]["resolved"] = side["task_config"]
    if task.get("check"):
        resolved["check"] = task["check"]
    also = {"run": " (`.synthset/manifest.json` holds it too)",
            "run export": " (the `.synthset/manifest.json` of the run it was exported from "
                          "holds it too)",
            "task export": ""}[source]
    lines += ["## Configuration", "", f"What determines the bytes{also}:", "",
              "```yaml", yaml.safe_dump(resolved, sort_keys=False, allow_unicode=True,
                                        default_flow_style=False).rstrip(), "```", ""]
    lines += ["## Seeds", "",
              f"Root seed **{config.get('root_seed')}**. Sample `index` of split `split` is "
              f"made from the seed `{SEED_RULE}` (`synthset.derive_seed(root_seed, split, "
              "index)`, CALT's rule): a 128-bit integer, different for every split and index.",
              ""]
    if config.get("on_error") == "skip" or config.get("dedup") in ("splits", "all"):
        why = " or ".join(w for w, on in (
            ("failed (`on_error: skip`)", config.get("on_error") == "skip"),
            ("whose problem was already taken (`dedup`)",
             config.get("dedup") in ("splits", "all"))) if on)
        lines += [f"A sample that {why} was replaced by one from "
                  "`sha256(f\"{root_seed}_{split}_{index}#retry{attempt}\")` (the same "
                  "128-bit cut), attempts 1, 2, ...; the counts are below.", ""]
    if config.get("dedup") in ("splits", "all"):
        inner = ", and no two samples of a split share one" if config["dedup"] == "all" else ""
        lines += [f"With `dedup: {config['dedup']}`, the splits are disjoint by dedup key{inner}: "
                  "they claim keys in the order " + ", ".join(f"`{s}`" for s in
                                                             claim_order(sizes)) + " (the "
                  "candidates passed over are `deduplicated` in each split's statistics).", ""]
    lines += ["## Splits", "", "| split | samples | files | errors | timeouts | skipped |",
              "| --- | ---: | --- | ---: | ---: | ---: |"]
    files = {f["split"]: f["path"] for f in meta.get("configs", [{}])[0].get("data_files", [])}
    for split, n in sizes.items():
        st = stats.get(split) or {}
        lines.append(f"| {split} | {n:,} | `{files.get(split, '')}` | {st.get('errors', 0)} | "
                     f"{st.get('timeouts', 0)} | {st.get('skipped', 0)} |")
    lines.append("")
    left_out = [s for s in sizes if not hf_split_name(s)]
    if left_out:
        lines += ["Not in `configs`: " + ", ".join(f"`{s}`" for s in left_out) + " (Hugging "
                  "Face split names are letters, digits and `_`, joined by `.`); load their "
                  "files by path.", ""]
    table = _stats_table(stats)
    if table:
        lines += ["### Statistics", "", "From each split's `{split}_stats.yaml` (exact sums; "
                  "population standard deviations).", "", *table, ""]
    lines += token_section(folder)
    lines += ["## Quality check", "", CHECK_BEGIN, *check_section(folder, source), CHECK_END,
              ""]
    return "\n".join(lines)


def _stats_table(stats: dict) -> list[str]:
    rows = []
    for split, st in stats.items():
        for key, block in (st or {}).items():
            if key in TIMING or not (isinstance(key, str) and key.endswith("_stats")) \
                    or not isinstance(block, dict):
                continue
            for name, summary in block.items():
                if isinstance(summary, dict) and "mean" in summary:
                    rows.append(f"| {split} | {key[:-len('_stats')]}.{name} | "
                                f"{_num(summary.get('mean'))} | {_num(summary.get('std'))} | "
                                f"{_num(summary.get('min'))} | {_num(summary.get('max'))} |")
    if not rows:
        return []
    return ["| split | statistic | mean | std | min | max |",
            "| --- | --- | ---: | ---: | ---: | ---: |", *rows]


def _num(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def current_tokens(folder) -> dict | None:
    """The token counts of the last ``synthset check --tokenizer`` (``tokens.json``), when
    they are about the data files as they are."""
    try:
        tokens = json.loads((as_path(folder) / TOKENS).read_text())
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(tokens, dict) or not tokens.get("data") or not tokens.get("splits"):
        return None
    try:
        for name, (size, mtime) in tokens["data"].items():
            stat = (as_path(folder) / name).stat()
            if [stat.st_size, stat.st_mtime_ns] != [size, mtime]:
                return None
        for s in tokens["splits"].values():  # the keys token_section reads
            [s[part][key] for part in ("prompt", "answer", "total")
             for key in ("tokens", "min", "mean", "p50", "p90", "p99", "max")]
            if tokens.get("max_tokens"):
                int(s["over_max_tokens"])
    except (OSError, AttributeError, TypeError, ValueError, KeyError):
        return None  # a file that is gone, or a tokens.json not as check writes it
    return tokens


def token_section(folder) -> list[str]:
    """The card's token counts (``tokens.json``), or nothing when there are none."""
    tokens = current_tokens(folder)
    if tokens is None:
        return []
    limit = tokens.get("max_tokens")
    lines = ["### Token counts", "",
             f"Under the tokenizer `{Path(tokens['tokenizer']).name}` (sha256 "
             f"`{tokens['digest']}`), prompt and answer encoded separately, special tokens "
             "left out (`synthset check --tokenizer`; `tokens.json`). Percentiles are nearest "
             "rank.", "",
             "| split | part | tokens | min | mean | p50 | p90 | p99 | max |"
             + (f" over {limit:,} |" if limit else ""),
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
             + (" ---: |" if limit else "")]
    for split, s in tokens["splits"].items():
        for part in ("prompt", "answer", "total"):
            t = s[part]
            over = (f" {s['over_max_tokens']:,} |" if part == "total" else " |") \
                if limit else ""
            lines.append(f"| {split} | {part} | {t['tokens']:,} | {t['min']} | "
                         f"{t['mean']:.2f} | {t['p50']} | {t['p90']} | {t['p99']} | "
                         f"{t['max']} |{over}")
    return [*lines, ""]


def current_check(folder) -> dict | None:
    """The last ``synthset check`` report, when it is about the data files as they are."""
    try:
        report = json.loads((as_path(folder) / "quality.json").read_text())
    except (OSError, ValueError):
        return None
    for name, (size, mtime) in (report.get("data") or {}).items():
        try:
            stat = (as_path(folder) / name).stat()
        except (OSError, AttributeError):
            return None
        if [stat.st_size, stat.st_mtime_ns] != [size, mtime]:
            return None
    return report if report.get("data") else None


# The check section of a card whose run has no current check, by SOURCES.
UNCHECKED = {
    "run": "Not checked yet: `synthset check` on this folder re-verifies every sample, counts "
           "duplicates and overlap between splits and writes its summary here.",
    "run export": "Not checked before this export: `synthset check` on the run folder it was "
                  "exported from re-verifies every sample, counts duplicates and overlap "
                  "between splits and writes its summary in that folder's card; exporting "
                  "again brings it here.",
    "task export": "Not checked: `synthset check` reads a run folder, not an export. A run of "
                   "this configuration (`synthset generate`) makes these samples as its split "
                   "`train`; check that run to verify them.",
}


def check_section(folder, source: str = "run") -> list[str]:
    """The summary of the last check of the run in ``folder`` (``source``: see SOURCES)."""
    report = current_check(folder)
    if report is None:
        return [UNCHECKED[source]]
    status = "passed" if report["ok"] else "found problems"
    lines = [f"`synthset check` {status} ({report['verifier']}; synthset "
             f"{report.get('synthset', '?')}).", "",
             "| split | samples | failing | duplicates | duplicate rate |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for split, s in report["splits"].items():
        lines.append(f"| {split} | {s['samples']:,} | {s['failing']:,} | {s['duplicates']:,} | "
                     f"{100 * s['duplicate_rate']:.2f}% |")
    lines.append("")
    for o in report.get("overlap", []):
        a, b = o["splits"]
        lines.append(f"- overlap {a}/{b}: {o['shared_keys']:,} shared keys; {o['b_in_a']:,} "
                     f"{b} samples occur in {a}, {o['a_in_b']:,} {a} samples in {b}")
    det = report.get("determinism") or {}
    if det.get("checked"):
        lines.append(f"- determinism: {det['checked']} samples made again from their seeds, "
                     f"{det['differ']} differ")
    for problem in report.get("problems", []):
        lines.append(f"- problem: {problem}")
    for note in report.get("notes", []):
        lines.append(f"- note: {note}")
    if report.get("figures"):
        lines.append("")
        lines += [f"![{Path(f).stem}]({f})" for f in report["figures"]]
    where = "" if source == "run" else " in the run folder it was exported from"
    lines += ["", f"Details: `quality.json`{where}."]
    return lines


def export_card(run_folder, out) -> Path | None:
    """The card of an export of ``run_folder`` to ``out`` (Parquet under ``out/data``), and
    the check's figures beside it."""
    folder = as_path(run_folder)
    src = folder / CARD
    target = as_path(out) / CARD
    if src.is_file() and not is_ours(src):  # the user's own card: copied as it is
        if is_ours(target):
            atomic_write_text(target, src.read_text(encoding="utf-8"))
        return target
    written = write_card(folder, out=out, layout="parquet")
    report = current_check(folder)
    for name in (report or {}).get("figures", []):
        path = folder / name
        if path.is_file():
            dest = as_path(out) / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(path.read_bytes())
    return written
