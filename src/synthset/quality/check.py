"""``synthset check RUN``: re-verify every sample, count duplicates and overlap, report.

Steps (each resumable; state under ``OUT/.synthset/check/``, where ``OUT`` — where the check
writes, ``--output-dir`` — is the run folder itself unless it is given; a run folder that is
not writable needs it):

1. **Plan.** Which verifier: a built-in task's own (from the manifest's ``task``), the user's
   ``check`` (``UserTask``), or none (format and determinism checks only). Each split's
   ``{split}_data.jsonl`` is scanned once for the byte offset of every range's first line
   (ranges of the run's shard size), so that a worker reads only its own lines.
2. **Verify** (``verify.RangeJob``, mapped over the executor): per range, failures,
   histograms and the range's distinct dedup keys on disk. A range whose result file exists is
   done; a rerun skips it.
3. **Count** (``keys.count_partition``, mapped over the executor): per hash partition, exact
   duplicates inside each split and overlap between every pair of splits. Results are kept per
   partition too.
4. **Report**: ``quality.json``, the figures under ``quality/``, the dataset card's check
   section (``README.md``), a short table and one line per problem class. With
   ``tokenizer`` (``--tokenizer``), each split's prompt and answer token counts
   (``io.tokens``), in the report, ``tokens.json`` and the card; read in the driver, in index
   order, batch by batch.

On a terminal (and without ``-q``) steps 1 to 3 each draw a bar on stderr: ``reading`` (the
JSONL files, by bytes), ``verifying`` (samples; its label counts the samples the determinism
re-check makes again alongside) and ``duplicates`` (partitions).

The check's state is thrown away when anything it depends on changes: a data file (size or
modification time), the verifier, the partition count, the determinism sample or synthset's
version. The run is read through ``runs.RunFolder``; user code it names (``check``, the
generator) is imported only with ``trust_code`` (``--trust-code``: importing a module runs it).
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from synthset import __version__
from synthset.core.errors import ConfigError
from synthset.core.fs import (atomic_open, atomic_write_text, make_dirs, make_folder,
                              open_for_write, rmtree)
from synthset.core.identity import callable_identity
from synthset.core.seeding import derive_seed
from synthset.driver.options import check_option
from synthset.driver.run import determinism_checks
from synthset.engine.executors import get_executor
from synthset.engine.executors.base import worker_count
from synthset.engine.plan import KEYS_PER_PARTITION, partition_bits
from synthset.engine.progress import bar
from synthset.engine.state import RunLock
from synthset.io.stats_yaml import read_stats
from synthset.io.tokens import TokenCounts, check_max_tokens, count_tokens, load_tokenizer, \
    tokenizer_digest
from synthset.quality.report import pct, write_figures
from synthset.quality.verify import (
    MergedDistribution,
    Range,
    RangeJob,
    TaskPlan,
    build,
    summarize,
)
from synthset.runs import RunFolder
from synthset.runs.card import write_card

STATE = "check"  # under .synthset/
REPORT = "quality.json"
TOKENS = "tokens.json"  # token counts under --tokenizer, beside the run's {split}_stats.yaml
TOKEN_BATCH = 10_000  # samples encoded per encode_batch call
FAILURES_FILE = "quality_failures.jsonl"
# quality.json lists this many failures; all of them go to FAILURES_FILE when there are more.
LISTED = 10_000
DEFAULT_RANGE = 10_000
DETERMINISM = 16
_SCAN_BLOCK = 16 * 1024 * 1024


@dataclass
class Options:
    executor: str = "loky"
    n_jobs: int = -1
    address: str | None = None
    max_overlap: float = 0.0
    max_duplicates: float | None = None
    determinism: int = DETERMINISM
    trust_code: bool = False
    figures: bool = True
    card: bool = True
    verbose: bool = False
    keys_per_partition: int | None = None
    range_size: int | None = None
    # where the check's report and state go (None: the run folder, which must be writable)
    output_dir: str | None = None
    # token counts under a real tokenizer (a local tokenizer.json or folder; None: none), and
    # how many samples are over max_tokens (prompt and answer together) under it
    tokenizer: str | None = None
    max_tokens: int | None = None

    def validate(self) -> None:
        # the run's own checks of the two
        check_option("executor", self.executor, "--executor")
        check_option("n_jobs", self.n_jobs)
        for name in ("max_overlap", "max_duplicates"):
            value = getattr(self, name)
            if value is None and name == "max_duplicates":
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not 0 <= value <= 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be a fraction from 0 to 1, "
                                  f"got {value!r}")
        for name in ("determinism", "keys_per_partition", "range_size"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                      or value < (0 if name == "determinism" else 1)):
                kind = "non-negative" if name == "determinism" else "positive"
                raise ConfigError(f"{name} must be a {kind} integer, got {value!r}")
        if self.max_tokens is not None:
            check_max_tokens(self.max_tokens)
            if self.tokenizer is None:
                raise ConfigError("--max-tokens counts tokens under a tokenizer: give "
                                  "--tokenizer PATH too (a tokenizer.json or a folder holding "
                                  "one)")


# -- step 1: what to check, and how ------------------------------------------------------------
def jsonl_path(folder: Path, split: str) -> Path:
    return folder / f"{split}_data.jsonl"


def scan(path: Path, range_size: int, shown=None) -> tuple[int, list[int], int]:
    """``(lines, offsets, size)``: the file's line count, the byte offset of lines 0,
    range_size, 2 * range_size, ..., and its size. A last line without its newline counts.
    ``shown``: a progress bar counting the bytes read."""
    import numpy as np

    offsets, count, pos, boundary, last = [0], 0, 0, range_size, b"\n"
    with open(path, "rb") as f:
        while block := f.read(_SCAN_BLOCK):
            newlines = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10)
            while boundary <= count + newlines.size:
                offsets.append(pos + int(newlines[boundary - count - 1]) + 1)
                boundary += range_size
            count += int(newlines.size)
            pos += len(block)
            last = block[-1:]
            if shown:
                shown.update(len(block))
    if pos and last != b"\n":
        count += 1
    return count, offsets, pos


def make_ranges(split: str, count: int, offsets: list[int], size: int, range_size: int):
    ranges = []
    for number, start in enumerate(range(0, count, range_size)):
        stop = min(start + range_size, count)
        end = offsets[number + 1] if number + 1 < len(offsets) else size
        ranges.append(Range(split, number, start, stop, offsets[number], end))
    return ranges


@dataclass
class Plan:
    task_plan: object
    verifier: str  # how samples are verified, for the report
    notes: list
    task: object = None  # the task object (built-in tasks), for the card
    generator_ok: bool = False  # whether determinism can be re-checked


def plan_task(run, trust: bool) -> Plan:
    """How the run's samples are verified and re-made: the built-in task its spec names
    (compared on its canonical form), or the user code it names — imported only with
    ``trust`` (``--trust-code``); without, a note says what was not checked."""
    notes: list[str] = []
    spec = run.task_spec
    if spec is not None:
        config = tuple((k, json.dumps(v, sort_keys=True)) for k, v in spec.config.items())
        plan = TaskPlan("builtin", spec.name, config, spec.backend or "sympy")
        task, _ = build(plan)
        same = run.same_code(task)
        if not same:
            notes.append(f"task {spec.name!r} is not the code that made the run (identity "
                         f"{callable_identity(task)}, the run's {run.recorded_identity}; "
                         "another synthset version?): determinism not re-checked")
        return Plan(plan, f"task {spec.name}, its own verifier", notes, task, same)
    check = _trusted(run, "check", trust, notes, "its verifier not run")
    generator = None
    if run.manifest is None:
        notes.append("no manifest (a folder CALT wrote?): format and duplicate checks only")
    elif not run.code("generator"):
        notes.append("the manifest does not name the generator's module (a run made before "
                     "synthset recorded it): determinism not re-checked")
    else:
        generator = _trusted(run, "generator", trust, notes, "determinism not re-checked")
        if generator and not run.same_code(run.load("generator", trust)):
            notes.append(f"the generator {generator} is not the code that made the run "
                         f"(identity {callable_identity(run.load('generator', trust))}, the "
                         f"run's {run.recorded_identity}): determinism not re-checked")
            generator = None
    name = (generator or run.code("generator") or "generator").rpartition(":")[2]
    plan = TaskPlan("user", name, check=check, generator=generator,
                    search=tuple(run.search_path()))
    checks = "format, determinism and duplicate" if generator else "format and duplicate"
    verifier = f"the user's check {check}" if check else f"no verifier: {checks} checks only"
    return Plan(plan, verifier, notes, None, generator is not None)


def _trusted(run, key: str, trust: bool, notes: list, lost: str) -> str | None:
    """The ``module:qualname`` the run names under ``key`` when it may be imported (trusted
    and importable; a missing module is a ConfigError now), else None with a note."""
    spec = run.code(key)
    if not spec:
        return None
    why = run.why_not_importable(key)
    if why is None and not trust:
        why = (f"{key} {spec!r} is not imported: code a run folder names runs only with "
               "--trust-code")
    if why:
        notes.append(f"{why}; {lost}")
        return None
    run.load(key, trust)
    return spec


# -- the check's state ----------------------------------------------------------------------------
class CheckState:
    """``.synthset/check/``: the check's manifest, per-range results and key files, per
    partition counts."""

    def __init__(self, folder: Path):
        self.root = folder / ".synthset" / STATE

    def open(self, identity: dict) -> bool:
        """Keep the state of an earlier check of the same data; else start afresh. Returns
        whether earlier results were kept."""
        path = self.root / "manifest.json"
        try:
            kept = json.loads(path.read_text()) == identity
        except (OSError, ValueError):
            kept = False
        if not kept:
            rmtree(self.root)  # refuses a link, as every write here does (core.fs)
            make_dirs(self.root)
            atomic_write_text(path, json.dumps(identity, sort_keys=True) + "\n")
        return kept

    def partition_file(self, p: int) -> Path:
        return self.root / "partitions" / f"{p:05d}.json"


@dataclass
class PartitionJob:
    """Picklable: count partition ``p`` over every range's key file."""

    files: list  # [(split number, path of the key file)], split by split
    offsets: object  # numpy array: ranges x (partitions + 1)
    num_splits: int
    state: str

    def __call__(self, p: int) -> int:
        from synthset.quality.keys import count_partition, read_slice  # numpy: keeps --help cheap

        pieces = [(sid, read_slice(path, int(self.offsets[i, p]), int(self.offsets[i, p + 1])))
                  for i, (sid, path) in enumerate(self.files)]
        counts = count_partition(pieces, self.num_splits)
        out = Path(self.state) / "partitions" / f"{p:05d}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(out, json.dumps(counts) + "\n")
        return p


# -- the driver ---------------------------------------------------------------------------------
def check_run(save_dir, **options) -> dict:
    """Check the run folder ``save_dir``; returns the report (also written as quality.json).

    ``report["ok"]`` is False when a sample fails, a split's line count differs from its
    manifest, a sample is not made again the same, or an overlap rate exceeds
    ``max_overlap`` (or a duplicate rate ``max_duplicates``); ``report["problems"]`` holds one
    line per problem class. Options: see ``Options``.
    """
    opts = Options(**options)
    opts.validate()
    text = str(save_dir)
    if "://" in text:
        raise ConfigError(f"{text}: synthset check reads local run folders; copy the run "
                          "here first")
    folder = Path(text)
    run = RunFolder(folder)
    run.require_complete("check it")
    for split in run.splits:
        path = jsonl_path(folder, split)
        if not path.is_file():
            raise ConfigError(f"{path} not found: synthset check reads each split's "
                              "{split}_data.jsonl (written when the run has save_json: true)")
    out = output_folder(folder, opts.output_dir)
    # a bad tokenizer path is one line before any work
    tokenizer = load_tokenizer(opts.tokenizer) if opts.tokenizer is not None else None
    # The folder the check writes is locked: the run folder itself by default (no run changes
    # its data meanwhile); with --output-dir elsewhere, that folder, and the run is only read.
    with RunLock(out, "checking it"):
        return _check(run, opts, out, tokenizer)


def output_folder(folder: Path, output_dir) -> Path:
    """Where the check writes its report and its state: ``output_dir`` (made when missing),
    else the run folder — refused in one line naming --output-dir when it is not writable."""
    if output_dir is not None:
        out = Path(output_dir)
        make_folder(out, "--output-dir")
        return out
    unwritable = [p for p in (folder, folder / ".synthset", folder / ".synthset" / STATE,
                              folder / "quality")
                  if p.is_dir() and not os.access(p, os.W_OK)]
    if unwritable:
        raise ConfigError(f"{unwritable[0]} is not writable (a read-only run folder?): synthset "
                          "check writes its report (quality.json, quality/) and its state "
                          "(.synthset/check/) beside the run; give --output-dir DIR to write "
                          "them in DIR instead")
    return folder


def _check(run, opts: Options, out: Path, tokenizer=None) -> dict:
    import numpy as np

    from synthset.quality.keys import merge_counts  # numpy: keeps --help cheap

    started = time.perf_counter()
    folder, splits = run.path, run.splits
    plan = plan_task(run, opts.trust_code)
    range_size = opts.range_size or run.shard_size or DEFAULT_RANGE
    ranges, counts, data = [], {}, {}
    for split in splits:
        path = jsonl_path(folder, split)
        stat = path.stat()
        data[path.name] = [stat.st_size, stat.st_mtime_ns]
    # each stage that reads or works through every sample draws its bar (engine/progress.py)
    shown = _bar(sum(size for size, _ in data.values()), "  reading", opts.verbose, unit="B")
    try:
        for split in splits:
            path = jsonl_path(folder, split)
            count, offsets, size = scan(path, range_size, shown)
            counts[split] = count
            ranges += make_ranges(split, count, offsets, size, range_size)
    finally:
        if shown:
            shown.close()
    total = sum(counts.values())
    timing = {"plan": time.perf_counter() - started}
    bits = partition_bits(total, opts.keys_per_partition or KEYS_PER_PARTITION)
    chosen = determinism_checks({s: n for s, n in counts.items() if n}, opts.determinism) \
        if plan.generator_ok and run.manifest is not None else {}
    config = run.config
    # A sample may come from one of its replacement seeds: a failed one under on_error: skip,
    # a duplicate under dedup (the determinism re-check tries them in the same order).
    replaced = "skip" if config.get("dedup", "off") != "off" else config.get("on_error")
    identity = {"synthset": __version__, "data": data, "plan": plan.task_plan.key(),
                "bits": bits, "range_size": range_size, "determinism": chosen,
                "root_seed": config.get("root_seed"), "on_error": replaced}
    state = CheckState(out)
    state.open(identity)
    job = RangeJob(str(folder), str(state.root), plan.task_plan, bits,
                   config.get("root_seed"), replaced or "raise", chosen)
    todo = sorted((r for r in ranges if not job.result_file(r).exists()),
                  key=lambda r: (-r.size, r.split, r.number))
    # the verifier, and the determinism re-check of the chosen samples, range by range
    again = sum(map(len, chosen.values()))
    verifying = _bar(total, "verifying" + (f" (+{again} made again)" if again else ""),
                     opts.verbose, done=sum(r.size for r in ranges) - sum(r.size for r in todo))
    try:
        if todo:
            executor = get_executor(opts.executor, worker_count(opts.n_jobs, len(todo)),
                                    opts.address)
            try:
                for summary in executor.map_unordered(job, todo):
                    if verifying:
                        verifying.update(summary["samples"])
            finally:
                executor.close()
    finally:
        if verifying:
            verifying.close()

    # Read every range's result back, in order: aggregate, and collect the key offsets.
    split_number = {s: i for i, s in enumerate(splits)}
    ordered = sorted(ranges, key=lambda r: (split_number[r.split], r.number))
    timing["verify"] = time.perf_counter() - started - sum(timing.values())
    agg = _Aggregate(run, state.root)
    offsets = np.zeros((len(ordered), (1 << bits) + 1), dtype=np.int64)
    files = []
    for i, r in enumerate(ordered):
        result = json.loads(job.result_file(r).read_text())
        offsets[i] = result["offsets"]
        files.append((split_number[r.split], str(job.keys_file(r))))
        agg.add(result)
    agg.close()

    timing["aggregate"] = time.perf_counter() - started - sum(timing.values())
    parts = [p for p in range(1 << bits) if not state.partition_file(p).exists()]
    if parts:
        counter = PartitionJob(files, offsets, len(splits), str(state.root))
        executor = get_executor(opts.executor, worker_count(opts.n_jobs, len(parts)),
                                opts.address)
        shown = _bar(1 << bits, "duplicates", opts.verbose, unit=" partitions",
                     done=(1 << bits) - len(parts))
        try:
            for _ in executor.map_unordered(counter, parts):
                if shown:
                    shown.update(1)
        finally:
            executor.close()
            if shown:
                shown.close()
    keys = merge_counts((json.loads(state.partition_file(p).read_text())
                         for p in range(1 << bits)), len(splits))
    timing["count"] = time.perf_counter() - started - sum(timing.values())
    report = agg.report(plan, keys, counts, opts, data)
    if tokenizer is not None:
        report["tokens"] = token_counts(run, plan.task, tokenizer, opts, counts, data)
        timing["tokens"] = time.perf_counter() - started - sum(timing.values())
    report["seconds"] = round(time.perf_counter() - started, 3)
    report["partitions"] = 1 << bits
    report["ranges"] = {"total": len(ranges), "made": len(todo), "size": range_size}
    report["partitions_made"] = len(parts)
    report["timing"] = {k: round(v, 3) for k, v in timing.items()}  # seconds of each step
    report["output_dir"] = str(out)
    here = out.resolve() == folder.resolve()
    if not here:
        report["notes"].append(f"the run folder is only read: the report is in {out}, and the "
                               "dataset card (README.md) is not updated")
    _write_report(out, report, opts, card=here)
    report["timing"]["report"] = round(time.perf_counter() - started - sum(timing.values()), 3)
    return report


def token_counts(run, task, tokenizer, opts: Options, counts: dict, data: dict) -> dict:
    """Each split's prompt, answer and prompt + answer token counts under ``tokenizer``
    (``io.tokens``: special tokens left out), read in index order; with ``max_tokens``, how
    many samples are over it. What ``tokens.json`` holds."""
    task = task or run.task(verifier=False)  # reading stored samples imports no user code
    shown = _bar(sum(counts.values()), "    tokens", opts.verbose)
    splits = {}
    try:
        for split in run.splits:
            tally = TokenCounts(opts.max_tokens)
            examples = (example for example, _ in run.examples(split, task))
            while block := list(islice(examples, TOKEN_BATCH)):
                tally.add(*count_tokens(tokenizer, [e["prompt"] for e in block],
                                        [e["answer"] for e in block]))
                if shown:
                    shown.update(len(block))
            splits[split] = tally.summary()
    finally:
        if shown:
            shown.close()
    return {"tokenizer": str(opts.tokenizer), "digest": tokenizer_digest(tokenizer),
            "special_tokens": False, "max_tokens": opts.max_tokens, "splits": splits,
            "data": data}


def _bar(total: int, desc: str, verbose: bool, unit: str = " samples", done: int = 0):
    """A stage's bar (on a terminal, unless ``verbose`` is off: ``-q``)."""
    return bar(total, f"{desc:>10}", unit=unit, initial=done, scale=unit == "B") \
        if verbose else None


class _Aggregate:
    """Merges the ranges' results, split by split, in bounded memory: counters, histograms,
    the first LISTED failures (all of them stream to a temporary file when there are more)."""

    def __init__(self, run, state: Path):
        self.splits = {s: {"failing": 0, "by_class": {}, "lengths": {}, "statistics": {},
                           "stats_ok": True, "samples": 0} for s in run.splits}
        self.listed: list = []
        self.total_failures = 0
        self.run = run
        self.root_seed = run.root_seed
        self.folder = run.path
        self.spill = None  # all failures, once there are more than LISTED
        self.spill_path = state / "failures.jsonl"
        self.determinism = {"checked": 0, "differ": 0}

    def add(self, result: dict) -> None:
        s = self.splits[result["split"]]
        s["samples"] += result["samples"]
        failures = sorted(result["failures"], key=lambda f: f[0])
        s["failing"] += len({f[0] for f in failures if f[1] != "nondeterministic"})
        for f in failures:
            s["by_class"][f[1]] = s["by_class"].get(f[1], 0) + 1
            self._failure(result["split"], f)
        for name, dist in result["lengths"].items():
            _merged(s["lengths"], name).add(dist)
        if result["statistics"] is None:
            s["stats_ok"] = False
        elif s["stats_ok"]:
            for name, dist in result["statistics"].items():
                _merged(s["statistics"], name).add(dist)
        for key in ("checked", "differ"):
            self.determinism[key] += result["determinism"][key]

    def _failure(self, split: str, f: list) -> None:
        index, kind, message = f
        record = {"split": split, "index": index,
                  "seed": derive_seed(self.root_seed, split, index)
                  if self.root_seed is not None else None,
                  "class": kind, "message": message}
        self.total_failures += 1
        if len(self.listed) < LISTED:
            self.listed.append(record)
            return
        if self.spill is None:
            make_dirs(self.spill_path.parent)
            self.spill = open_for_write(self.spill_path, "w")
            for earlier in self.listed:
                self.spill.write(json.dumps(earlier) + "\n")
        self.spill.write(json.dumps(record) + "\n")

    def close(self) -> None:
        if self.spill is not None:
            self.spill.close()

    def report(self, plan: Plan, keys: dict, counts: dict, opts: Options, data: dict) -> dict:
        for s in self.splits.values():  # the merged histograms, each sorted once
            for kind in ("lengths", "statistics"):
                s[kind] = {name: merged.result() for name, merged in s[kind].items()}
        manifest_sizes = None
        notes = list(plan.notes)
        problems: list[str] = []
        splits_out = {}
        names = list(self.splits)
        for i, (split, s) in enumerate(self.splits.items()):
            stats_yaml = _stats_yaml(self.folder, split)
            computed = _cross_checked(s["statistics"], stats_yaml) if s["stats_ok"] else {}
            n = s["samples"]
            splits_out[split] = {
                "samples": n,
                "failing": s["failing"], "failure_rate": s["failing"] / n if n else 0.0,
                "failures_by_class": s["by_class"],
                "distinct": keys["distinct"][i], "duplicates": keys["samples"][i] -
                keys["distinct"][i],
                "duplicate_rate": (keys["samples"][i] - keys["distinct"][i]) / n if n else 0.0,
                "lengths": {k: {**summarize(v), "hist": v["hist"]}
                            for k, v in s["lengths"].items()},
                "statistics": {k: {**summarize(v), "hist": v["hist"]}
                               for k, v in computed.items()},
                "stats_yaml": stats_yaml,
            }
        overlap = []
        for i, a in enumerate(names):
            for j in range(i + 1, len(names)):
                b = names[j]
                na, nb = splits_out[a]["samples"], splits_out[b]["samples"]
                a_in_b = keys["in_other"].get(f"{i},{j}", 0)
                b_in_a = keys["in_other"].get(f"{j},{i}", 0)
                rate = max(a_in_b / na if na else 0.0, b_in_a / nb if nb else 0.0)
                overlap.append({"splits": [a, b], "shared_keys": keys["shared"].get(f"{i},{j}", 0),
                                "a_in_b": a_in_b, "b_in_a": b_in_a, "a_samples": na,
                                "b_samples": nb, "rate": rate})

        # -- problems, one line per class --------------------------------------------------
        manifest = self.run.manifest
        if manifest is not None:
            manifest_sizes = self.run.sizes
            wrong = {s: (n, manifest_sizes.get(s)) for s, n in counts.items()
                     if manifest_sizes.get(s) != n}
            if wrong:
                problems.append("count: " + "; ".join(
                    f"{s}_data.jsonl holds {n:,} lines, the manifest says {m:,}"
                    for s, (n, m) in wrong.items()))
        for kind, what in (("wrong", "fail the verifier"), ("error", "make the verifier raise"),
                           ("format", "are malformed"),
                           ("nondeterministic", "are not made again the same from their seed")):
            per = {s: v["by_class"].get(kind, 0) for s, v in self.splits.items()}
            if sum(per.values()):
                total = sum(per.values())
                problems.append(f"{kind}: {total:,} sample{'s' if total != 1 else ''} "
                                f"{what if total != 1 else _singular(what)} (" + ", ".join(
                    f"{s} {c:,}" for s, c in per.items() if c) + ")")
        over = [o for o in overlap if o["rate"] > opts.max_overlap]
        if over:
            problems.append("overlap: " + "; ".join(
                f"{o['b_in_a']:,} of {o['b_samples']:,} {o['splits'][1]} samples "
                f"({pct(o['b_in_a'], o['b_samples'])}) occur in {o['splits'][0]}, "
                f"{o['a_in_b']:,} of {o['a_samples']:,} {o['splits'][0]} samples "
                f"({pct(o['a_in_b'], o['a_samples'])}) in {o['splits'][1]}"
                for o in over) + f" (--max-overlap {opts.max_overlap:g})")
        if opts.max_duplicates is not None:
            dup = {s: v for s, v in splits_out.items()
                   if v["duplicate_rate"] > opts.max_duplicates}
            if dup:
                problems.append("duplicates: " + ", ".join(
                    f"{s} {v['duplicates']:,} ({pct(v['duplicates'], v['samples'])})"
                    for s, v in dup.items()) + f" (--max-duplicates {opts.max_duplicates:g})")
        if not plan.generator_ok and not any("determinism" in n for n in notes) \
                and plan.task_plan.kind == "user" and manifest is not None:
            notes.append("determinism not re-checked")
        determinism = dict(self.determinism)
        examples = {
            "duplicates": [{"split": names[e["split"]], "index": e["first"],
                            "samples": e["samples"]} for e in keys["duplicate_examples"]],
            "overlap": [[{"split": names[sid], "index": first, "samples": n}
                         for sid, first, n in group] for group in keys["shared_examples"]],
        }
        return {
            "run": str(self.folder), "synthset": __version__,
            "fingerprint": self.run.fingerprint,
            "task": self.run.task_record or None,
            "generator": self.run.recorded_identity,
            "verifier": plan.verifier, "ok": not problems, "problems": problems,
            "notes": notes, "max_overlap": opts.max_overlap,
            "max_duplicates": opts.max_duplicates,
            "splits": splits_out, "overlap": overlap, "examples": examples,
            "determinism": determinism,
            "failures_total": self.total_failures,
            "failures": self.listed,
            "failures_file": FAILURES_FILE if self.spill is not None else None,
            "data": data,
        }


def _merged(dists: dict, name: str) -> MergedDistribution:
    merged = dists.get(name)
    if merged is None:
        merged = dists[name] = MergedDistribution()
    return merged


def _singular(what: str) -> str:
    return what.replace("fail ", "fails ", 1).replace("make ", "makes ", 1).replace(
        "are ", "is ", 1)


def _stats_yaml(folder: Path, split: str) -> dict:
    """``{category.name: {mean, std, min, max}}`` of a split's stats YAML (empty without one)."""
    path = folder / f"{split}_stats.yaml"
    if not path.is_file():
        return {}
    try:
        stats = read_stats(path) or {}
    except Exception:
        return {}
    out = {}
    for key, block in stats.items():
        if not (isinstance(key, str) and key.endswith("_stats") and isinstance(block, dict)):
            continue
        for name, summary in block.items():
            if isinstance(summary, dict) and {"mean", "std", "min", "max"} <= set(summary):
                out[f"{key[:-len('_stats')]}.{name}"] = {k: summary[k] for k in
                                                         ("mean", "std", "min", "max")}
    return out


def _cross_checked(computed: dict, stats_yaml: dict) -> dict:
    """The computed statistics that agree with the run's own stats YAML (same category, same
    min, max and mean): a statistic computed from stored strings that the run computed from
    objects could disagree, and is then dropped."""
    kept = {}
    for name, dist in computed.items():
        ref = stats_yaml.get(name)
        if not ref or not dist["count"]:
            continue
        mean = dist["sum"] / dist["count"]
        if dist["min"] == ref["min"] and dist["max"] == ref["max"] and \
                math.isclose(mean, ref["mean"], rel_tol=1e-9, abs_tol=1e-12):
            kept[name] = dist
    return kept


def _write_report(folder: Path, report: dict, opts: Options, card: bool = True) -> None:
    """The report's files in ``folder`` (where the check writes); the run's card with ``card``
    (``folder`` is then the run folder)."""
    if report["failures_file"]:
        src = folder / ".synthset" / STATE / "failures.jsonl"
        with atomic_open(folder / FAILURES_FILE, "wb") as out, open(src, "rb") as f:
            while block := f.read(1 << 20):
                out.write(block)
    else:
        (folder / FAILURES_FILE).unlink(missing_ok=True)
    report["figures"] = []
    if opts.figures:
        try:
            report["figures"] = write_figures(report, folder)
        except ImportError:
            report["notes"].append("figures skipped: matplotlib is not installed "
                                   "(pip install matplotlib)")
    if report.get("tokens"):
        atomic_write_text(folder / TOKENS, json.dumps(report["tokens"], indent=1) + "\n")
    atomic_write_text(folder / REPORT, json.dumps(report, indent=1, default=str) + "\n")
    if opts.card and card:
        report["card"] = write_card(folder) is not None
