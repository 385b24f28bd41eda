"""``synthset status SAVE_DIR [--verify]``: which shards of which split are done.

Every merged split's final files are looked up (present, and the size its merged marker
records: a stat, no reading), and a missing or truncated one is named; the command then exits
with status 1, and the next run makes that split again. ``--verify`` also checks every
finished shard's files against its completion marker (size, row count and blake2b hash) and
the final files' blake2b hashes, and sets each damaged shard or split aside (its marker
removed, unless a run is using the folder), so the next run makes it again.

A run folder another live process holds (its ``RunLock``) is reported as that process's:
its pid, host, what it is doing and since when.
"""

from __future__ import annotations

from synthset.driver.run import part_rows
from synthset.engine.executors.local import previous_crash
from synthset.engine.plan import plan_shards
from synthset.engine.state import RunFolderError, RunLock, RunState
from synthset.runs import RunFolder


def status(save_dir: str, verify: bool = False) -> str:
    return status_report(save_dir, verify)[0]


def status_report(save_dir: str, verify: bool = False) -> tuple[str, int]:
    """The report, and how many shards or splits ``verify`` found damaged."""
    run = RunFolder(save_dir)
    if run.manifest is None:
        raise RunFolderError(f"{save_dir} is not a synthset run folder (no "
                             ".synthset/manifest.json): give the save_dir of a run")
    state = RunState(save_dir)
    sizes = run.sizes
    shards = plan_shards(sizes, run.shard_size)
    lines = [f"run folder {save_dir}  (fingerprint {run.fingerprint}, "
             f"shard size {run.shard_size})"]
    owner = RunLock(save_dir).owner()
    crash = previous_crash(save_dir)  # a serial run killed by its generator
    if crash:
        lines.append(f"the last run's {crash}")
    complete = True
    damaged = []
    for split, count in sizes.items():
        mine = [s for s in shards if s.split == split]
        merged = state.is_merged(split)
        broken = state.merged_damage(split, verify=verify) if merged else None
        if broken:
            damaged.append(f"split {split}: {broken}")
            if verify and not owner:  # its final files are made again by the next run
                state.unmark_split(split)
        if verify and not merged:
            done = []
            for shard in mine:
                summary, damage = state.check_shard(shard, part_rows, verify=True)
                if summary is not None:
                    done.append(shard)
                elif damage:
                    damaged.append(f"shard {shard.key}: {damage}")
                    if not owner:
                        state.unmark(shard)
        else:  # a merged split's shards are all done (their files were merged)
            done = mine if merged else [s for s in mine if state.is_done(s)]
        samples = sum(s.size for s in done)
        complete &= merged
        label = "damaged" if broken else "complete" if merged else (
            "generated, not merged" if len(done) == len(mine) else
            "in progress" if done else "not started")
        lines.append(f"  {split:<12} {len(done):>5}/{len(mine):<5} shards  "
                     f"{samples:>10}/{count:<10} samples  {label}")
        finished = set(done)
        missing = [s.number for s in mine if s not in finished]
        if missing and done:
            lines.append(f"  {'':<12} shards to do: {_ranges(missing)}")
    lines.extend(f"damaged: {what}" for what in damaged)
    if damaged and not owner:
        lines.append(f"{len(damaged)} damaged: run the same command again to make "
                     f"{'them' if len(damaged) > 1 else 'it'} again")
    elif verify and not damaged:
        lines.append("verified: every finished shard and final file matches its record")
    if owner:
        who = (f"pid {owner.get('pid', '?')} on host {owner.get('host', '?')} is "
               f"{owner.get('doing', 'using it')}; started {owner.get('started', '?')}")
        lines.append(f"the run is complete; {who}" if complete and not damaged else
                     f"the run is not complete: {who}")
    else:
        lines.append("the run is complete" if complete and not damaged else
                     "the run is not complete: run the same command again to resume it")
    return "\n".join(lines), len(damaged)


def _ranges(numbers: list[int]) -> str:
    out, start = [], None
    for i, n in enumerate(numbers):
        if start is None:
            start = n
        if i + 1 == len(numbers) or numbers[i + 1] != n + 1:
            out.append(f"{start}" if start == n else f"{start}-{n}")
            start = None
    return ", ".join(out)
