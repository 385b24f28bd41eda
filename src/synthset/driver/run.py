"""One run from start to finish: plan, resume, map shards, merge each split, report.

Both CALT faces (``DatasetGenerator.run`` and ``DatasetPipeline.run``) and the CLI end here.
Formats come from the table in ``io/formats.py``: nothing below knows one format from another.
``resume: false`` first removes every file the previous run wrote (``previous_files``).

What a run says goes to stderr: on a terminal, a bar per split and per ``dedup: all`` round,
and once the disk estimate (``SpaceCheck``, which also stops a run its disk clearly cannot
hold); with ``verbose``, the summary table at the end, or one line when the run was already
complete and nothing was made.
"""

from __future__ import annotations

import bisect
import json
import os
import pickle
import shutil
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from synthset import __version__
from synthset.core.errors import ConfigError, GenerationError, SynthsetError
from synthset.core.fs import as_path, atomic_write_text, make_dirs, make_folder
from synthset.core.identity import callable_identity, callable_name, code_hashes
from synthset.core.seeding import derive_seed
from synthset.core.stats import MemoryEfficientStatisticsCalculator
from synthset.driver import dedup
from synthset.driver.job import JobOptions, SampleJob
from synthset.driver.options import RunOptions
from synthset.driver.remake import Remaker
from synthset.engine.executors import get_executor
from synthset.engine.executors.base import cpu_count, worker_count
from synthset.engine.executors.local import previous_crash
from synthset.engine.plan import (
    DEFAULT_SHARD_SIZE,
    MIN_SHARD_SIZE,
    Shard,
    check_shard_count,
    check_split_names,
    split_shards,
)
from synthset.engine.progress import bar, note, on_terminal, size_text
from synthset.engine.runner import ShardTask, make_again, run_shards, sort_out
from synthset.engine.state import RunLock, RunState, digests_of, flush_markers
from synthset.io.formats import FORMATS, DamagedPart, PartChanged, digest, get_format
from synthset.io.stats_yaml import read_stats, write_stats
from synthset.runs.card import CARD, is_ours, write_card
from synthset.runs.croissant import CROISSANT
from synthset.runs.croissant import is_ours as croissant_is_ours
from synthset.tasks.spec import TaskSpec

# More workers than this many per core only compete for the cores (and each holds a shard).
WORKERS_PER_CORE = 4
# What the reports on a run write into its folder (``synthset check``: quality/check.py and
# quality/report.py; ``synthset eval``: evaluation.py): about the data as it was.
REPORT_FILES = ("quality.json", "quality_failures.jsonl", "quality/lengths.png",
                "quality/statistics.png", "quality/duplicates.png", "eval.json", "eval.png",
                "tokens.json")


@dataclass
class RunSpec:
    """A run: its checked options, its splits, and the callables the options resolved to."""

    options: RunOptions
    sizes: dict[str, int]
    generator: Callable
    statistics_calculator: Callable | None = None
    task: dict | None = None  # recorded in the manifest under "task" (not fingerprinted)

    def manifest_config(self) -> dict:
        """What the fingerprint covers: everything that changes the output bytes."""
        return {
            "sizes": dict(self.sizes),
            "instance_generator": callable_identity(self.generator),
            "statistics_calculator": callable_identity(self.statistics_calculator),
            **self.options.fingerprinted(),
        }


def final_files(split: str, formats, num_samples: int) -> list[str]:
    names = [n for fmt in formats for n in get_format(fmt).final_names(split, num_samples)]
    return [*names, f"{split}_stats.yaml"]


def previous_files(state: RunState) -> set[str]:
    """The files the run held in ``state`` wrote into its folder (names relative to it):
    for each split of its manifest, the final files of every format (a format it did not ask
    for may be left by a run before it) and its statistics; what its merged markers name; the
    reports on it; the card when it is synthset's. The manifest is data: its splits count only
    when a run would accept them, at most MAX_SHARDS shards of DEFAULT_SHARD_SIZE samples
    (the merged markers count in any case)."""
    merged = state.merged_names()
    names = {name for files in merged.values() for name in files}
    names |= {f"{split}_stats.yaml" for split in merged}
    manifest = state.previous_manifest()
    sizes = {}
    if manifest is not None:
        try:
            check_split_names(manifest["config"]["sizes"])
            # at most MAX_SHARDS shards of the default size: a bounded number of names
            check_shard_count(manifest["config"]["sizes"], DEFAULT_SHARD_SIZE)
            sizes = manifest["config"]["sizes"]
        except SynthsetError:
            pass
    for split, n in sizes.items():
        names.update(final_files(split, FORMATS, n))
    names.update(REPORT_FILES)
    if is_ours(state.save_dir / CARD):
        names.add(CARD)
    if croissant_is_ours(state.save_dir / CROISSANT):
        names.add(CROISSANT)
    return names


def execute(spec: RunSpec) -> dict[str, dict]:
    """Run (or resume) ``spec``; returns each split's statistics as written to its YAML.

    The run folder is locked for the whole run (``RunLock``): a second run on it is refused
    naming the first, and ``resume: false`` never clears a folder another run is using.
    """
    check_split_names(spec.sizes)
    opts = spec.options
    workers = _workers(opts)
    check_shard_count(spec.sizes, opts.shard_size or auto_shard_size(spec, workers))
    save_dir = as_path(opts.save_dir)
    if opts.dedup != "off" and not isinstance(save_dir, Path):
        raise ConfigError(f"dedup: {opts.dedup} needs a local save_dir (its workers read the "
                          f"earlier splits' keys from it), got {opts.save_dir!r}")
    make_folder(save_dir, "save_dir")
    with RunLock(save_dir, "generating it"):
        return _execute(spec, save_dir, workers)


def _execute(spec: RunSpec, save_dir, workers: int) -> dict[str, dict]:
    opts = spec.options
    state = RunState(save_dir)
    if not opts.resume:  # the previous run's files go (a folder holding others is refused)
        state.start_over(previous_files(state))
    shard_size = state.open(spec.manifest_config(),
                            opts.shard_size or auto_shard_size(spec, workers),
                            opts.resume,
                            {"synthset": __version__},
                            # informational: which module:function to import to check the run
                            {"generator": callable_name(spec.generator),
                             # the files its identity covers: a refusal names the changed ones
                             "code_files": code_hashes(spec.generator),
                             **({"task": spec.task} if spec.task else {})},
                            # an option declared since a folder was made: absent means default
                            defaults=opts.fingerprint_defaults())

    crash = previous_crash(save_dir, forget=True)  # a serial run killed by its generator
    if crash:
        print(f"synthset: the previous run's {crash}", file=sys.stderr)

    avoid, collect = dedup.plan(spec.sizes, opts.dedup)
    results: dict[str, dict] = {}
    todo_splits = []
    for split in spec.sizes:
        damage = state.merged_damage(split) if state.is_merged(split) else "not merged"
        if damage is None and split in avoid.values():  # a later split needs its keys
            damage = dedup.seen_damage(dedup.seen_file(state.root, split))
        if damage is None:
            state.discard_shard_files(split)  # a kill between marker and clean-up
            results[split] = read_stats(save_dir / f"{split}_stats.yaml")
        else:
            if state.is_merged(split):  # final files removed or damaged: make them again
                print(f"synthset: making split {split!r} again: {damage}", file=sys.stderr)
                state.unmark_split(split)
            todo_splits.append(split)

    if not todo_splits:  # every split merged, its files as they were written
        if opts.verbose:
            print(f"synthset: {opts.save_dir} is complete ({_counts(spec.sizes)}); nothing to "
                  "do", file=sys.stderr)
        write_card(save_dir, results, license=opts.license, generator=spec.generator)
        return {split: results[split] for split in spec.sizes}

    shards = {split: split_shards(split, spec.sizes[split], shard_size) for split in todo_splits}
    # Largest shards first, so the short remainder shards fill the gaps at the end.
    pending = sorted((s for split in todo_splits for s in shards[split]), key=lambda s: -s.size)
    # Sizes and rows now; the hashes of the files the merge reads, as it reads them.
    merge_reads = read_by_merge(opts.formats)
    done, todo = sort_out(pending, state, part_rows,
                          verify=lambda name: not merge_reads(name))
    checks = determinism_checks(spec.sizes, opts.verify_determinism)
    job = SampleJob(generator=spec.generator, statistics_calculator=spec.statistics_calculator,
                    options=JobOptions.of(opts), checks=checks,
                    attempt=f"{socket.gethostname()}:{os.getpid()}:{time.time()}",
                    avoid=avoid, collect=collect,
                    overrides=read_overrides(state, todo_splits) if opts.dedup == "all"
                    else None)
    if job.overrides:  # a shard made before its split's overrides last changed is made again
        stale = [(shard, summary) for shard, summary in done
                 if summary.get("overrides", {}) != job._overrides(shard)]
        for shard, _ in stale:
            state.unmark(shard)
        done = [d for d in done if d not in stale]
        todo = sorted(todo + [shard for shard, _ in stale], key=lambda s: -s.size)
    # Under dedup the splits run one after another, in claim order (each needs the keys of
    # those before it); otherwise all at once.
    phases = [[s for s in dedup.claim_order(spec.sizes) if s in todo_splits]] \
        if opts.dedup == "off" else [[s] for s in dedup.claim_order(spec.sizes)
                                      if s in todo_splits]
    executor = get_executor(opts.executor, worker_count(opts.n_jobs, len(todo)), opts.address)
    bars = probe = None
    remaker = Remaker()  # the determinism re-check, in a fresh process (driver/remake.py)
    try:
        if executor.needs_pickle and todo:
            ensure_picklable(job, executor)
        if checks and todo:
            remaker.start(job)  # its start-up overlaps the shards' work
        bars = _Progress(spec.sizes, todo_splits) if opts.verbose and on_terminal() else None
        tallies = {split: SplitTally() for split in todo_splits}
        space = SpaceCheck(save_dir, job.attempt, sum(s.size for s in todo), opts.verbose)
        if opts.dedup != "off" and dedup.claim_order(spec.sizes)[0] in todo_splits:
            probe = dedup.DomainProbe(spec.sizes, opts.dedup, _maker(spec))
        for tally in tallies.values() if opts.dedup == "all" else ():
            tally.by_shard = {}
        for phase in phases:
            again: list[Shard] = []  # shards a merge found changed: made again, then merged
            for shard, summary in run_shards([d for d in done if d[0].split in phase],
                                             [t for t in todo if t.split in phase],
                                             job, executor, state):
                tally = tallies[shard.split]
                tally.add(summary, shard)
                if bars:
                    bars.update(shard.split, summary["samples"])
                space.first_shard(state, shard, summary)
                if probe is not None and shard.split == probe.split:
                    probe.add(state.shard_file(shard, "keys"),
                              last=tally.shards == len(shards[shard.split]))
                if tally.shards == len(shards[shard.split]):
                    split = shard.split
                    if opts.dedup == "all":
                        settle_duplicates(state, split, shards[split], job, executor, tally)
                    verify_determinism(job, split, checks.get(split, ()), tally, remaker)
                    flush_markers()  # the split's markers are written before its shards go
                    if split in avoid.values():
                        fold_keys(state, split, shards[split], avoid.get(split))
                    try:
                        results[split] = merge_split(state, split, shards[split],
                                                     opts.formats, tally)
                    except ShardsChanged as exc:
                        again += take_back(state, tally, exc.found)
            # A second change of the same shards stops the run (merge_split: ShardDamaged).
            for shard, summary in run_shards([], again, job, executor, state):
                tally = tallies[shard.split]
                tally.add(summary, shard)
                if tally.shards == len(shards[shard.split]):
                    flush_markers()
                    results[shard.split] = merge_split(state, shard.split, shards[shard.split],
                                                       opts.formats, tally, remake=False)
        failed = False
    except GenerationError as exc:
        failed = True
        if opts.dedup == "off" or not dedup.exhausted(exc):
            raise
        counts = dedup.shortfall(spec.sizes, opts.dedup, state.root, exc.split, probe)
        raise GenerationError(exc.split, exc.index, exc.seed, f"{exc.cause}; {counts}") \
            from None
    except BaseException:
        failed = True  # its own error says what to do: a lost marker adds nothing to it
        raise
    finally:
        executor.close()
        remaker.close()
        if bars:
            bars.close()
        error = flush_markers()
        if error is not None and not failed:
            print(f"synthset: a finished shard could not be marked done ({error}); a resume "
                  "makes it again", file=sys.stderr)
    results = {split: results[split] for split in spec.sizes}
    # README.md: the dataset card, after the merges
    write_card(save_dir, results, license=opts.license, generator=spec.generator)
    if opts.verbose:
        print(summary_table(results, save_dir), file=sys.stderr)
    return results


def read_overrides(state: RunState, splits) -> dict[str, dict[int, int]]:
    """``dedup: all``: each split's overrides as a resume finds them (driver/dedup.py)."""
    found = {}
    for split in splits:
        try:
            text = dedup.overrides_file(state.root, split).read_text()
        except FileNotFoundError:
            continue
        try:
            found[split] = {int(i): int(a) for i, a in json.loads(text).items()}
        except (ValueError, TypeError, AttributeError) as exc:
            raise ShardDamaged(f"{dedup.overrides_file(state.root, split)} is unreadable ({exc}); "
                               "run with resume: false to start again") from None
    return found


def _counts(sizes: dict[str, int]) -> str:
    return ", ".join(f"{split} {n:,}" for split, n in sizes.items())


def _maker(spec: RunSpec) -> str:
    """What made the samples, as messages name it: ``level 1 of gf17_addition``, ``depo
    (N=12)``, or a user's generator by its ``module:function``."""
    if not (spec.task or {}).get("name"):  # a user's generator (its task may name a check)
        return f"the generator {callable_name(spec.generator)}"
    task = TaskSpec.from_record(spec.task)
    fields = ", ".join(f"{k}={v}" for k, v in task.fields)
    name = f"level {task.level} of {task.name}" if task.level else task.name
    return f"{name} ({fields})" if fields else name


class NotEnoughSpace(SynthsetError):
    """The run's folder is on a disk with clearly too little free space for the rest of it."""


class SpaceCheck:
    """The disk estimate made once, when the first shard this invocation makes is in: its
    files' bytes per sample times the samples still to make. Clearly more than the free space
    of the save_dir's disk stops the run before it writes more (the shard made stays: a
    resume goes on from it); on a terminal the estimate is shown once. Fsspec folders are not
    estimated."""

    def __init__(self, save_dir, attempt: str, todo: int, verbose: bool):
        self.save_dir, self.attempt, self.todo, self.verbose = save_dir, attempt, todo, verbose
        self.done = not isinstance(save_dir, Path)

    def first_shard(self, state: RunState, shard: Shard, summary: dict) -> None:
        if self.done or summary.get("attempt") != self.attempt or not shard.size:
            return
        self.done = True
        left = self.todo - shard.size
        if left <= 0:
            return
        size = 0
        for name in summary["files"]:
            try:
                size += os.path.getsize(state.root / name)
            except OSError:
                return  # not there to measure (made again meanwhile): no estimate
        each = size / shard.size
        needed = each * left
        free = shutil.disk_usage(self.save_dir).free
        if needed > free:
            raise NotEnoughSpace(
                f"{self.save_dir} needs about {size_text(needed)} more for {left:,} samples "
                f"({size_text(each)} each from the first shard); the disk has "
                f"{size_text(free)} free")
        if self.verbose:
            note(f"about {size_text(needed)} for {left:,} samples ({size_text(each)} each "
                 f"from the first shard); the disk has {size_text(free)} free")


# Rounds of settling one split's inner duplicates before giving up (each round moves every
# sample still sharing a key with a lower index to its next replacement seed).
MAX_ROUNDS = 1_000


def settle_duplicates(state: RunState, split: str, shards: list[Shard], job: SampleJob,
                      executor, tally: SplitTally) -> None:
    """``dedup: all``: until no two samples of ``split`` share a key, move every sample whose
    key a lower index holds to its next replacement attempt and make its shard again.

    The outcome depends on the keys only (the lowest index keeps a key; the others move on,
    in rounds), so it is the same for any shard size, n_jobs or executor; the overrides are
    written before the shards are made again, so a resume goes on from the same round."""
    files = [state.shard_file(s, "keys") for s in shards]
    starts = [s.start for s in shards]
    mine = job.overrides.setdefault(split, {})
    for number in range(1, MAX_ROUNDS + 1):
        try:
            again = dedup.later_duplicates(files, state.root / "dedup" / f".{split}.parts")
        except (OSError, ValueError) as exc:
            _set_aside(state, shards, f"reading the dedup keys of split {split!r}: {exc}")
        if not again:
            return
        for index in again:
            mine[index] = tally.attempts.get(str(index), 0) + 1
        path = dedup.overrides_file(state.root, split)
        make_dirs(path.parent)
        atomic_write_text(path, json.dumps({str(i): a for i, a in sorted(mine.items())}))
        redo = sorted({shards[bisect.bisect_right(starts, i) - 1] for i in again},
                      key=lambda s: -s.size)
        flush_markers()
        for shard in redo:
            tally.remove(shard)
            state.unmark(shard)
        # each round its own bar: the split's own bar stays at 100% meanwhile
        shown = bar(sum(s.size for s in redo),
                    f"dedup round {number} ({split}): {len(again):,} replacement"
                    + ("s" if len(again) > 1 else ""))
        try:
            for shard, summary in executor.map_unordered(ShardTask(job, str(state.save_dir)),
                                                         redo):
                tally.add(summary, shard)
                if shown:
                    shown.update(shard.size)
        finally:
            if shown:
                shown.close()
        flush_markers()
    raise GenerationError(split, again[0], derive_seed(job.options.root_seed, split, again[0]),
                          f"{len(again):,} of its {sum(s.size for s in shards):,} samples still "
                          f"share a problem with a lower index after {MAX_ROUNDS} rounds of "
                          "dedup: all; the task makes too few distinct problems")


def fold_keys(state: RunState, split: str, shards: list[Shard], before: str | None) -> None:
    """Write the seen file of ``split`` (driver/dedup.py) from its shards' key files."""
    previous = dedup.seen_file(state.root, before) if before else None
    try:
        dedup.fold(previous, [state.shard_file(s, "keys") for s in shards],
                   dedup.seen_file(state.root, split))
    except (OSError, ValueError) as exc:
        _set_aside(state, shards, f"collecting the dedup keys of split {split!r}: {exc}")


def _workers(opts: RunOptions) -> int:
    """How many workers ``n_jobs`` asks for; warns when that is far more than the cores."""
    cores = cpu_count()
    workers = worker_count(opts.n_jobs)
    if opts.executor != "serial" and opts.address is None \
            and workers > WORKERS_PER_CORE * cores:
        print(f"synthset: n_jobs={workers} is more than {WORKERS_PER_CORE} times the {cores} "
              "cores here: the workers only compete for them, each holding a shard in memory "
              "(n_jobs=-1 uses every core)", file=sys.stderr)
    return workers


def part_rows(path) -> int:
    """Samples in a shard's part file (by its extension: txt, jsonl, parquet, pkl)."""
    return get_format(path.name.rsplit(".", 1)[-1]).count_rows(path)


def read_by_merge(formats) -> Callable[[str], bool]:
    """Which of a shard's files (by name in the state folder) its split's merge reads, and so
    checks against their markers' hashes as it reads them: the part of each format and the
    statistics partial. A resume hashes the others (dedup keys) before making anything."""
    exts = {get_format(name).shard_ext for name in formats}
    return lambda name: name.startswith("stats/") or name.rsplit(".", 1)[-1] in exts


class ShardDamaged(SynthsetError):
    """A finished shard's files do not add up when its split is merged."""


class ShardsChanged(SynthsetError):
    """A split's merge found finished shards whose files no longer hash to their markers':
    ``found``, ``(shard, what is wrong)`` pairs, are to be made again and the split merged
    again. Nothing of the merge took a final name that holds a byte of them."""

    def __init__(self, found: list[tuple[Shard, str]]):
        self.found = found
        super().__init__("; ".join(f"shard {shard.key}: {what}" for shard, what in found))


def take_back(state: RunState, tally: SplitTally, found) -> list[Shard]:
    """Name each changed shard on stderr, take its summary out of ``tally`` and unmark it (it
    is made again); returns the shards."""
    for shard, what in found:
        try:
            summary = state.summary(shard)
        except (OSError, ValueError):
            summary = {}
        tally.remove(shard, summary)
        make_again(state, shard, what)
    return [shard for shard, _ in found]


class SplitTally:
    """What the driver keeps of a split's finished shards: their number, counters, working
    time and kept samples — not the summaries (memory independent of the number of shards)."""

    COUNTERS = ("errors", "timeouts", "skipped")

    def __init__(self):
        self.shards = 0
        self.counters = dict.fromkeys(self.COUNTERS, 0)
        self.spans: dict = {}  # invocation -> (first shard start, last shard end)
        self.checks: dict[str, str] = {}
        self.attempts: dict[str, int] = {}  # index -> replacement attempt, when not 0
        # dedup: all — each shard's counters, to take back when it is made again
        self.by_shard: dict | None = None

    def add(self, summary: dict, shard: Shard | None = None) -> None:
        self.attempts.update(summary.get("attempts") or {})
        if self.by_shard is not None and shard is not None:
            self.by_shard[shard.key] = {k: summary.get(k, 0) for k in
                                        (*self.COUNTERS, "deduplicated")}
            self.by_shard[shard.key]["attempts"] = list(summary.get("attempts") or ())
        self.shards += 1
        for counter in self.COUNTERS:
            self.counters[counter] += summary[counter]
        if "deduplicated" in summary:  # only under dedup: other runs' stats stay as they were
            self.counters["deduplicated"] = self.counters.get("deduplicated", 0) \
                + summary["deduplicated"]
        attempt = summary.get("attempt")
        start, end = self.spans.get(attempt, (summary["started_at"], summary["finished_at"]))
        self.spans[attempt] = (min(start, summary["started_at"]),
                               max(end, summary["finished_at"]))
        self.checks.update(summary.get("checks") or {})

    def remove(self, shard: Shard, summary: dict | None = None) -> None:
        """Take back a shard's summary (its shard is made again): the one kept by shard
        (``dedup: all``), else ``summary``, its marker's."""
        if self.by_shard is not None:
            summary = self.by_shard.pop(shard.key)
        self.shards -= 1
        for counter in self.COUNTERS:
            self.counters[counter] -= summary.get(counter, 0)
        if "deduplicated" in self.counters:
            self.counters["deduplicated"] -= summary.get("deduplicated", 0)
        for index in summary.get("attempts") or ():
            self.attempts.pop(index, None)

    @property
    def working_time(self) -> float:
        """The split's time across invocations: each invocation's span from its first shard
        of the split starting to its last one finishing, summed (time between invocations
        does not count)."""
        return sum(end - start for start, end in self.spans.values())


def determinism_checks(sizes: dict[str, int], count: int) -> dict[str, list[int]]:
    """Exactly ``count`` indices to make again (every index when the run has fewer): shared
    between the splits in proportion to their sizes (largest remainders), each split that
    has samples getting at least one while ``count`` allows; spread evenly over each split."""
    count = min(max(count, 0), sum(sizes.values()))
    if count == 0:
        return {}
    total = sum(sizes.values())
    shares = {split: count * n // total for split, n in sizes.items()}
    left = count - sum(shares.values())
    by_remainder = sorted(sizes, key=lambda split: -(count * sizes[split] % total))
    for split in by_remainder[:left]:
        shares[split] += 1
    for split in sizes:  # a split left without one takes it from the split with the most
        richest = max(shares, key=shares.get)
        if sizes[split] and not shares[split] and shares[richest] > 1:
            shares[split], shares[richest] = 1, shares[richest] - 1
    return {split: sorted({(2 * j + 1) * n // (2 * k) for j in range(k)})
            for split, n in sizes.items() for k in [shares[split]]}


# How much of a sample a determinism error shows.
SHOWN = 300


def verify_determinism(job: SampleJob, split: str, indices, tally: SplitTally,
                       remaker: Remaker | None = None) -> None:
    """Make ``indices`` of ``split`` again — in a fresh Python process with another hash seed
    (``remaker``, driver/remake.py; None: in this one) — and compare them with what the
    shards' markers kept; raises GenerationError naming the index and both values when they
    differ."""
    # those made by an invocation that kept other samples are not compared
    indices = [i for i in indices if str(i) in tally.checks]
    made = remaker.remake(job, split, indices) if remaker is not None \
        else ((i, job.remake(split, i)) for i in indices)
    for index, again in made:
        first = tally.checks[str(index)]
        if again is not None and again != first:
            where = "" if remaker is None or remaker.here else \
                " (in a fresh Python process: hash() of a string, set order and id() differ " \
                "there)"
            raise GenerationError(
                split, index, derive_seed(job.options.root_seed, split, index),
                f"the generator is not deterministic: made again from the same seed it gave "
                f"{_clip(again)!r}, the first time {_clip(first)!r}; take all randomness from "
                f"the seed{where} (verify_determinism: 0 turns this check off)")


def _clip(text: str) -> str:
    return text if len(text) <= SHOWN else text[:SHOWN] + "..."


def auto_shard_size(spec: RunSpec, workers: int) -> int:
    """Shards small enough that every worker gets ~32 (the last ones finish together) and never
    above ``batch_size`` (memory) or DEFAULT_SHARD_SIZE; at least MIN_SHARD_SIZE samples so the
    per-shard bookkeeping stays negligible."""
    per_worker = -(-sum(spec.sizes.values()) // (32 * max(workers, 1)))
    return max(1, min(spec.options.batch_size, DEFAULT_SHARD_SIZE,
                      max(MIN_SHARD_SIZE, per_worker)))


def merge_split(state: RunState, split: str, shards: list[Shard], formats,
                tally: SplitTally, remake: bool = True) -> dict:
    """Concatenate a split's shard files into its final files, write its statistics.

    Each file read is checked against its shard's marker as it is read: its blake2b hash
    (a changed one: ShardsChanged naming every changed shard of the split, to be made again;
    with ``remake`` false, ShardDamaged), and a part must hold its shard's samples (one that
    does not is unmarked, for the next run to make again, and the run stops with
    ShardDamaged). A final file takes its name only once every part in it has passed. The
    merged marker records the final files' sizes and hashes, taken as they were written.
    ``total_time`` is the split's working time (``SplitTally.working_time``).
    """
    save_dir = state.save_dir
    num_samples = sum(s.size for s in shards)
    rows = [s.size for s in shards]
    markers = [state.marker(s) for s in shards]
    recorded = [digests_of(m) for m in markers]

    def changed(shard: Shard, what: str):
        if not remake:
            _set_aside(state, [shard], f"merging split {split!r}: {what} again")
        # every changed shard of the split, so that one round makes them all again
        found = [(s, damage) for s in shards
                 for damage in [state.check_shard(s, verify=True)[1]] if damage]
        raise ShardsChanged(found if any(s == shard for s, _ in found)
                            else [(shard, what), *found])

    calc = MemoryEfficientStatisticsCalculator()
    # in index order: categories in order of sight
    for shard, marker, digests in zip(shards, markers, recorded):
        try:
            partial = marker["stats"] if "stats" in marker else \
                json.loads(_stats_blob(state, shard, digests, changed))
            calc.merge(MemoryEfficientStatisticsCalculator.from_state(partial))
        except (ValueError, KeyError, TypeError) as exc:
            _set_aside(state, [shard], f"merging split {split!r}: the statistics of shard "
                                       f"{shard.key} are unreadable ({exc})")
    records: dict[str, tuple[int, str]] = {}
    for name in formats:
        fmt = get_format(name)
        parts = [state.shard_file(s, fmt.shard_ext) for s in shards]
        try:
            records.update(fmt.merge_checked(
                parts, save_dir, split, num_samples, rows,
                [digests.get(state.name(p)) for digests, p in zip(recorded, parts)]))
        except PartChanged as exc:
            part = [s for s, p in zip(shards, parts) if str(p) == str(exc.path)]
            if not part:
                _set_aside(state, shards, f"merging split {split!r}: {exc}")
            changed(part[0], str(exc))
        except DamagedPart as exc:
            _set_aside(state, [s for s, p in zip(shards, parts) if str(p) == str(exc.path)]
                       or shards, f"merging split {split!r}: {exc}")
    stats = calc.get_overall_statistics(tally.working_time, num_samples)
    stats.update(tally.counters)
    write_stats(save_dir / f"{split}_stats.yaml", stats)
    state.mark_merged(split, final_files(split, formats, num_samples), records)
    state.discard_shard_files(split)
    return stats


def _stats_blob(state: RunState, shard: Shard, digests: dict, changed) -> bytes:
    """The statistics partial of a shard whose marker does not hold it (an older synthset
    wrote it to a file of its own), checked against the hash the marker records."""
    path = state.stats_file(shard)
    try:
        blob = path.read_bytes()
    except OSError as exc:
        _set_aside(state, [shard], f"merging split {shard.split!r}: the statistics of shard "
                                   f"{shard.key} are unreadable (its completion marker holds "
                                   f"none: {exc})")
    want = digests.get(state.name(path))
    if want is not None and _hash(blob) != want:
        changed(shard, f"{path} does not hash to what its marker says (blake2b)")
    return blob


def _hash(blob: bytes) -> str:
    h = digest()
    h.update(blob)
    return h.hexdigest()


def _set_aside(state: RunState, shards: list[Shard], what: str):
    flush_markers()  # a marker still on its way must not come back after the unmark
    for shard in shards:
        state.unmark(shard)
    raise ShardDamaged(f"{what}; the shard is set aside: run the same command again to make "
                       "it again")


def ensure_picklable(job: SampleJob, executor) -> None:
    """Refuse early, with advice, a generator the executor cannot send to its workers."""
    try:
        pickle.dumps(job)
        return
    except Exception as exc:
        error = exc
    if executor.cloudpickle:
        import cloudpickle  # loky's own dependency

        try:
            cloudpickle.dumps(job)
            return
        except Exception as exc:
            error = exc
    raise ConfigError(
        f"the instance_generator or statistics_calculator cannot be sent to the worker "
        f"processes of executor {executor.name!r} ({type(error).__name__}: {error}). "
        "Define it as a module-level function (`def generator(seed): ...` at the top level of "
        "an importable module), or run in this process with executor='serial' or n_jobs=1"
    )


class _Progress:
    """One bar per split on a terminal (engine/progress.py): samples done, samples/s, ETA."""

    def __init__(self, sizes: dict[str, int], splits: list[str]):
        self.bars = {split: bar(sizes[split], f"{split:>10}", position=i)
                     for i, split in enumerate(splits)}

    def update(self, split: str, n: int) -> None:
        self.bars[split].update(n)

    def close(self) -> None:
        for shown in self.bars.values():
            shown.close()


def summary_table(results: dict[str, dict], save_dir: Path) -> str:
    head = f"{'split':<12}{'samples':>10}{'time (s)':>10}{'samples/s':>12}{'errors':>8}" \
           f"{'timeouts':>10}{'skipped':>9}"
    lines = [f"synthset: run folder {save_dir}", head, "-" * len(head)]
    for split, st in results.items():
        rate = st.get("samples_per_second", 0.0)
        lines.append(
            f"{split:<12}{st.get('num_samples', 0):>10}{st.get('total_time', 0.0):>10.2f}"
            f"{rate:>12,.0f}{st.get('errors', 0):>8}{st.get('timeouts', 0):>10}"
            f"{st.get('skipped', 0):>9}"
        )
    return "\n".join(lines)
