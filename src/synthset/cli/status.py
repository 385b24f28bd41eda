"""``synthset status SAVE_DIR``: which shards of which split are done."""

from __future__ import annotations

from synthset.engine.plan import plan_shards
from synthset.engine.state import RunState, read_manifest


def status(save_dir: str) -> str:
    manifest = read_manifest(save_dir)
    state = RunState(save_dir)
    sizes = manifest["config"]["sizes"]
    shards = plan_shards(sizes, manifest["shard_size"])
    lines = [f"run folder {save_dir}  (fingerprint {manifest['fingerprint']}, "
             f"shard size {manifest['shard_size']})"]
    complete = True
    for split, count in sizes.items():
        mine = [s for s in shards if s.split == split]
        done = [s for s in mine if state.is_done(s)]
        samples = sum(s.size for s in done)
        merged = state.is_merged(split)
        complete &= merged
        label = "complete" if merged else ("generated, not merged" if len(done) == len(mine)
                                           else "in progress" if done else "not started")
        lines.append(f"  {split:<12} {len(done):>5}/{len(mine):<5} shards  "
                     f"{samples:>10}/{count:<10} samples  {label}")
        missing = [s.number for s in mine if not state.is_done(s)]
        if missing and done:
            lines.append(f"  {'':<12} shards to do: {_ranges(missing)}")
    lines.append("the run is complete" if complete else
                 "the run is not complete: run the same command again to resume it")
    return "\n".join(lines)


def _ranges(numbers: list[int]) -> str:
    out, start = [], None
    for i, n in enumerate(numbers):
        if start is None:
            start = n
        if i + 1 == len(numbers) or numbers[i + 1] != n + 1:
            out.append(f"{start}" if start == n else f"{start}-{n}")
            start = None
    return ", ".join(out)
