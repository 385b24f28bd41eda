"""One run from start to finish: plan, resume, map shards, merge each split, report.

Both CALT faces (``DatasetGenerator.run`` and ``DatasetPipeline.run``) and the CLI end here.
Formats come from the table in ``io/formats.py``: nothing below knows one format from another.
"""

from __future__ import annotations

import json
import pickle
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from synthset import __version__
from synthset.core.errors import ConfigError
from synthset.core.fs import as_path
from synthset.core.stats import MemoryEfficientStatisticsCalculator
from synthset.dataset.config import RunOptions
from synthset.dataset.identity import callable_identity
from synthset.dataset.job import SampleJob
from synthset.engine.executors import get_executor
from synthset.engine.plan import (
    DEFAULT_SHARD_SIZE,
    MIN_SHARD_SIZE,
    Shard,
    check_split_names,
    plan_shards,
)
from synthset.engine.runner import run_shards
from synthset.engine.state import RunState
from synthset.io.formats import get_format
from synthset.io.stats_yaml import read_stats, write_stats


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


def execute(spec: RunSpec) -> dict[str, dict]:
    """Run (or resume) ``spec``; returns each split's statistics as written to its YAML."""
    check_split_names(spec.sizes)
    opts = spec.options
    save_dir = as_path(opts.save_dir)
    save_dir.mkdir(parents=True, exist_ok=True)
    state = RunState(save_dir)
    executor = get_executor(opts.executor, opts.n_jobs, opts.address)
    shard_size = state.open(spec.manifest_config(),
                            opts.shard_size or auto_shard_size(spec, executor.workers),
                            opts.resume,
                            {"synthset": __version__},
                            {"task": spec.task} if spec.task else None)
    shards = plan_shards(spec.sizes, shard_size)
    by_split: dict[str, list[Shard]] = {s: [] for s in spec.sizes}
    for shard in shards:
        by_split[shard.split].append(shard)

    results: dict[str, dict] = {}
    todo_splits = []
    for split in spec.sizes:
        names = final_files(split, opts.formats, spec.sizes[split])
        if state.is_merged(split) and all((save_dir / n).exists() for n in names):
            state.discard_shard_files(split)  # a kill between marker and clean-up
            results[split] = read_stats(save_dir / f"{split}_stats.yaml")
        else:
            if state.is_merged(split):
                state.unmark_split(split)  # final files were removed: make them again
            todo_splits.append(split)

    job = SampleJob(spec.generator, spec.statistics_calculator, opts.root_seed, opts.formats,
                    str(save_dir), opts.on_error, opts.timeout)
    # Largest shards first, so the short remainder shards fill the gaps at the end.
    pending = sorted((s for split in todo_splits for s in by_split[split]),
                     key=lambda s: -s.size)
    if executor.needs_pickle and any(not state.is_done(s) for s in pending):
        ensure_picklable(job, executor)

    bars = _Progress(spec.sizes, todo_splits) if opts.verbose else None
    summaries: dict[str, dict[int, dict]] = {split: {} for split in todo_splits}
    try:
        for shard, summary in run_shards(pending, job, executor, state):
            summaries[shard.split][shard.number] = summary
            if bars:
                bars.update(shard.split, summary["samples"])
            if len(summaries[shard.split]) == len(by_split[shard.split]):
                results[shard.split] = merge_split(
                    state, shard.split, by_split[shard.split], opts.formats,
                    summaries[shard.split])
    finally:
        executor.close()
        if bars:
            bars.close()
    results = {split: results[split] for split in spec.sizes}
    if opts.verbose:
        print(summary_table(results, save_dir), file=sys.stderr)
    return results


def auto_shard_size(spec: RunSpec, workers: int) -> int:
    """Shards small enough that every worker gets ~32 (the last ones finish together) and never
    above ``batch_size`` (memory) or DEFAULT_SHARD_SIZE; at least MIN_SHARD_SIZE samples so the
    per-shard bookkeeping stays negligible."""
    per_worker = -(-sum(spec.sizes.values()) // (32 * max(workers, 1)))
    return max(1, min(spec.options.batch_size, DEFAULT_SHARD_SIZE,
                      max(MIN_SHARD_SIZE, per_worker)))


def merge_split(state: RunState, split: str, shards: list[Shard], formats,
                summaries: dict) -> dict:
    """Concatenate a split's shard files into its final files, write its statistics.

    ``total_time`` is the wall-clock span from the first of the split's shards starting to the
    last one finishing (across resumes, the span of the invocations' shard times).
    """
    save_dir = state.save_dir
    num_samples = sum(s.size for s in shards)
    for name in formats:
        fmt = get_format(name)
        fmt.merge([state.shard_file(s, fmt.shard_ext) for s in shards], save_dir, split,
                  num_samples)
    calc = MemoryEfficientStatisticsCalculator()
    for shard in shards:  # in index order, so categories appear in order of first sight
        part = json.loads(state.stats_file(shard).read_text())
        calc.merge(MemoryEfficientStatisticsCalculator.from_state(part))
    done = [summaries[s.number] for s in shards]
    total_time = max(d["finished_at"] for d in done) - min(d["started_at"] for d in done)
    stats = calc.get_overall_statistics(total_time, num_samples)
    for counter in ("errors", "timeouts", "skipped"):
        stats[counter] = sum(summaries[s.number][counter] for s in shards)
    write_stats(save_dir / f"{split}_stats.yaml", stats)
    state.mark_merged(split, final_files(split, formats, num_samples))
    state.discard_shard_files(split)
    return stats


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
    """One tqdm bar per split: samples done, samples/s, ETA."""

    def __init__(self, sizes: dict[str, int], splits: list[str]):
        from tqdm.auto import tqdm

        self.bars = {
            split: tqdm(total=sizes[split], desc=f"{split:>10}", unit=" samples",
                        position=i, leave=True, file=sys.stderr, mininterval=0.5,
                        dynamic_ncols=True)
            for i, split in enumerate(splits)
        }

    def update(self, split: str, n: int) -> None:
        self.bars[split].update(n)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


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
