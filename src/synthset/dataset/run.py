"""One run from start to finish: plan, resume, map shards, merge each split, report.

Both CALT faces (``DatasetGenerator.run`` and ``DatasetPipeline.run``) and the CLI end here.
"""

from __future__ import annotations

import json
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path

from synthset import __version__
from synthset.core.errors import ConfigError, bad_choice
from synthset.core.fs import as_path
from synthset.dataset.identity import callable_identity
from synthset.dataset.job import FORMAT_EXT, SampleJob
from synthset.engine.executors import get_executor
from synthset.engine.plan import DEFAULT_SHARD_SIZE, MIN_SHARD_SIZE, Shard, check_split_names, plan_shards
from synthset.engine.runner import run_shards
from synthset.engine.state import RunState

FORMATS = ("text", "json", "parquet", "pickle")
ON_ERROR = ("raise", "skip")


@dataclass
class RunSpec:
    """Everything that defines a run. Fields above ``n_jobs`` change the output bytes and are
    recorded in the manifest; a resume must repeat them."""

    sizes: dict[str, int]
    generator: object
    statistics_calculator: object = None
    save_dir: str = "."
    formats: tuple[str, ...] = ("text", "json")
    root_seed: int = 42
    on_error: str = "raise"
    timeout: float | None = None
    n_jobs: int = -1
    executor: str = "loky"
    address: str | None = None
    batch_size: int = 100_000
    shard_size: int | None = None
    resume: bool = True
    verbose: bool = True
    task: dict | None = None  # {"name", "config"} of a built-in task (recorded, for exports)

    def validate(self) -> None:
        check_split_names(self.sizes)
        if self.generator is None:
            raise ConfigError("instance_generator must be provided")
        if not callable(self.generator):
            raise ConfigError(f"instance_generator must be callable, got {self.generator!r}")
        if self.statistics_calculator is not None and not callable(self.statistics_calculator):
            raise ConfigError("statistics_calculator must be callable or None")
        for fmt in self.formats:
            if fmt not in FORMATS:
                raise bad_choice("formats", fmt, FORMATS)
        if not self.formats:
            raise ConfigError("nothing to write: save_text, save_json and formats are all off")
        if isinstance(self.root_seed, bool) or not isinstance(self.root_seed, int):
            raise ConfigError(f"root_seed must be an integer, got {self.root_seed!r}")
        if self.on_error not in ON_ERROR:
            raise bad_choice("on_error", self.on_error, ON_ERROR)
        if self.timeout is not None and (
            isinstance(self.timeout, bool) or not isinstance(self.timeout, (int, float))
            or not self.timeout > 0
        ):
            raise ConfigError(f"timeout must be a positive number of seconds or null, "
                              f"got {self.timeout!r}")
        if str(self.save_dir).startswith("memory://") and self.executor not in ("serial",) \
                and self.n_jobs != 1:
            raise ConfigError(f"save_dir {self.save_dir!r}: a memory:// filesystem lives in one "
                              "process, so workers could not share it; use executor=serial or "
                              "n_jobs=1, or a shared filesystem")
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int) \
                or self.batch_size <= 0:
            raise ConfigError(f"Batch size must be positive, got {self.batch_size!r}")

    def manifest_config(self) -> dict:
        return {
            "sizes": dict(self.sizes),
            "root_seed": self.root_seed,
            "instance_generator": callable_identity(self.generator),
            "statistics_calculator": callable_identity(self.statistics_calculator),
            "formats": sorted(self.formats),
            "on_error": self.on_error,
            "timeout": self.timeout,
        }


def final_files(split: str, formats, num_samples: int) -> list[str]:
    from synthset.io.parquet import file_names

    names = []
    if "text" in formats:
        names.append(f"{split}_raw.txt")
    if "json" in formats:
        names.append(f"{split}_data.jsonl")
    if "pickle" in formats:
        names.append(f"{split}_data.pkl")
    if "parquet" in formats:
        names.extend(file_names(split, num_samples))
    names.append(f"{split}_stats.yaml")
    return names


def execute(spec: RunSpec) -> dict[str, dict]:
    """Run (or resume) ``spec``; returns each split's statistics as written to its YAML."""
    spec.validate()
    save_dir = as_path(spec.save_dir)
    save_dir.mkdir(parents=True, exist_ok=True)
    state = RunState(save_dir)
    executor = get_executor(spec.executor, spec.n_jobs, spec.address)
    shard_size = state.open(spec.manifest_config(),
                            spec.shard_size or auto_shard_size(spec, executor.workers),
                            spec.resume,
                            {"synthset": __version__},
                            {"task": spec.task} if spec.task else None)
    shards = plan_shards(spec.sizes, shard_size)
    by_split: dict[str, list[Shard]] = {s: [] for s in spec.sizes}
    for shard in shards:
        by_split[shard.split].append(shard)

    results: dict[str, dict] = {}
    todo_splits = []
    for split in spec.sizes:
        names = final_files(split, spec.formats, spec.sizes[split])
        if state.is_merged(split) and all((save_dir / n).exists() for n in names):
            state.discard_shard_files(split)  # a kill between marker and clean-up
            results[split] = _read_split_stats(save_dir, split)
        else:
            if state.is_merged(split):
                state.unmark_split(split)  # final files were removed: make them again
            todo_splits.append(split)

    job = SampleJob(spec.generator, spec.statistics_calculator, spec.root_seed,
                    tuple(spec.formats), str(save_dir), spec.on_error, spec.timeout)
    # Largest shards first, so the short remainder shards fill the gaps at the end.
    pending = sorted((s for split in todo_splits for s in by_split[split]),
                     key=lambda s: -s.size)
    if executor.needs_pickle and any(not state.is_done(s) for s in pending):
        ensure_picklable(job, executor)

    bars = _Progress(spec, todo_splits) if spec.verbose else None
    summaries: dict[str, dict[int, dict]] = {split: {} for split in todo_splits}
    try:
        for shard, summary in run_shards(pending, job, executor, state):
            summaries[shard.split][shard.number] = summary
            if bars:
                bars.update(shard.split, summary["samples"])
            if len(summaries[shard.split]) == len(by_split[shard.split]):
                results[shard.split] = merge_split(
                    state, shard.split, by_split[shard.split], spec.formats,
                    summaries[shard.split])
    finally:
        executor.close()
        if bars:
            bars.close()
    results = {split: results[split] for split in spec.sizes}
    if spec.verbose:
        print(summary_table(results, save_dir), file=sys.stderr)
    return results


def auto_shard_size(spec: RunSpec, workers: int) -> int:
    """Shards small enough that every worker gets ~32 (the last ones finish together) and never
    above ``batch_size`` (memory) or DEFAULT_SHARD_SIZE; at least MIN_SHARD_SIZE samples so the
    per-shard bookkeeping stays negligible."""
    per_worker = -(-sum(spec.sizes.values()) // (32 * max(workers, 1)))
    return max(1, min(spec.batch_size, DEFAULT_SHARD_SIZE, max(MIN_SHARD_SIZE, per_worker)))


def merge_split(state: RunState, split: str, shards: list[Shard], formats,
                summaries: dict) -> dict:
    """Concatenate a split's shard files into its final files, write its statistics.

    ``total_time`` is the wall-clock span from the first of the split's shards starting to the
    last one finishing (across resumes, the span of the invocations' shard times).
    """
    from synthset.core.stats import MemoryEfficientStatisticsCalculator
    from synthset.io import parquet, pickle as pkl
    from synthset.io.concat import concat_files
    from synthset.io.stats_yaml import write_stats

    save_dir = state.save_dir
    num_samples = sum(s.size for s in shards)
    if "text" in formats:
        concat_files((state.shard_file(s, "txt") for s in shards), save_dir / f"{split}_raw.txt")
    if "json" in formats:
        concat_files((state.shard_file(s, "jsonl") for s in shards),
                     save_dir / f"{split}_data.jsonl")
    if "pickle" in formats:
        concat_files((state.shard_file(s, "pkl") for s in shards), save_dir / f"{split}_data.pkl",
                     header=pkl.HEADER, footer=pkl.FOOTER)
    if "parquet" in formats:
        parquet.merge_parts([state.shard_file(s, "parquet") for s in shards], save_dir, split,
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


def _read_split_stats(save_dir: Path, split: str) -> dict:
    from synthset.io.stats_yaml import read_stats

    return read_stats(save_dir / f"{split}_stats.yaml")


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

    def __init__(self, spec: RunSpec, splits: list[str]):
        from tqdm.auto import tqdm

        self.bars = {
            split: tqdm(total=spec.sizes[split], desc=f"{split:>10}", unit=" samples",
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


def formats_from(save_text: bool, save_json: bool, formats=None) -> tuple[str, ...]:
    """CALT's save_text/save_json flags plus our ``formats`` list, as one ordered tuple."""
    chosen = []
    if save_text:
        chosen.append("text")
    if save_json:
        chosen.append("json")
    aliases = {"txt": "text", "jsonl": "json", "pkl": "pickle"}
    for fmt in formats or ():
        fmt = aliases.get(fmt, fmt)
        if fmt not in FORMATS:
            raise bad_choice("formats", fmt, FORMATS)
        if fmt not in chosen:
            chosen.append(fmt)
    return tuple(chosen)


__all__ = ["FORMATS", "FORMAT_EXT", "RunSpec", "execute", "formats_from"]
