"""Shared fixtures: the run helper most test modules use, and the golden folder."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("SYMPY_GROUND_TYPES", "python")  # pin CALT-compatible GF(p) printing

TESTS = Path(__file__).parent
GOLDEN = TESTS / "golden"
# Process executors import tests.gens in their workers: make the repository root importable
# for them too (loky and multiprocessing pass sys.path on; Dask/Ray workers read PYTHONPATH).
ROOT = str(TESTS.parent)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (ROOT, os.environ.get("PYTHONPATH")) if p)

OUTPUT_FILES = ("train_raw.txt", "train_data.jsonl", "test_raw.txt", "test_data.jsonl")


def read_outputs(folder: Path, names=OUTPUT_FILES) -> dict[str, bytes]:
    return {name: (Path(folder) / name).read_bytes() for name in names}


def strip_timing(stats_text: str) -> str:
    """A stats YAML without the wall-clock fields (the only ones allowed to differ)."""
    lines, skip = [], False
    for line in stats_text.splitlines():
        if line.startswith(("total_time:", "samples_per_second:")):
            continue
        if line.startswith("generation_time:"):
            skip = True
            continue
        if skip and line.startswith("    "):
            continue
        skip = False
        lines.append(line)
    return "\n".join(lines)


def make_run(save_dir, generator, *, sizes=None, n_jobs=1, backend="serial", batch_size=25,
             **kwargs):
    """Generate with DatasetGenerator (quiet) and return the statistics."""
    from synthset.dataset import DatasetGenerator

    sizes = sizes or {"train": 60, "test": 17}
    return DatasetGenerator(backend=backend, n_jobs=n_jobs, verbose=False, root_seed=42).run(
        dataset_sizes=sizes, instance_generator=generator, save_dir=str(save_dir),
        batch_size=batch_size, **kwargs)


def task_config(path: Path, save_dir, task: str, train: int, test: int, **extra) -> Path:
    """Write a data.yaml that runs built-in ``task`` (serial, quiet, root_seed 42)."""
    import yaml

    block = {"save_dir": str(save_dir), "num_train_samples": train, "num_test_samples": test,
             "batch_size": 50, "n_jobs": 1, "root_seed": 42, "verbose": False, "task": task,
             **extra}
    path.write_text(yaml.safe_dump({"dataset": block}))
    return path


def stopped_run(save_dir, stop_at=("train", 55), **kwargs):
    """A run of integer_sum (make_run's defaults: shards train [0, 25), [25, 50), [50, 60),
    test [0, 17)) stopped by a failing sample, leaving finished shards behind; returns a
    function that resumes it (the generator's identity stays the same: only a closure cell
    changes)."""
    from synthset import GenerationError
    from synthset.core.seeding import derive_seed
    from tests import gens

    failing = {"seed": derive_seed(42, *stop_at)}

    def gen(seed):
        if seed == failing["seed"]:
            raise RuntimeError("stopped here")
        return gens.integer_sum(seed)

    with pytest.raises(GenerationError):
        make_run(save_dir, gen, **kwargs)
    failing["seed"] = None
    return lambda: make_run(save_dir, gen, **kwargs)


@pytest.fixture
def golden():
    return GOLDEN


def plant_code(run: Path, generator: bool = False) -> None:
    """Make ``run`` look downloaded from a stranger: a ``chk.py`` inside it that leaves
    ``chk.py.ran`` behind when imported, named by the manifest as the run's verifier (and,
    with ``generator``, as its generator)."""
    import json

    (run / "chk.py").write_text("open(__file__ + '.ran', 'w').close()\n"
                                "def check(problem, answer):\n    return True\n")
    manifest = json.loads((run / ".synthset" / "manifest.json").read_text())
    manifest["task"] = {"check": "chk:check"}
    if generator:
        manifest["generator"] = "chk:check"
    (run / ".synthset" / "manifest.json").write_text(json.dumps(manifest))


@pytest.fixture
def python_sigint():
    """Python's own SIGINT handler, as in a fresh `synthset` process: an earlier test may have
    imported Sage, whose cysignals installs its own (with one, a generator's KeyboardInterrupt
    cannot be told from a Ctrl-C, and a SIGINT may not raise where the test expects it)."""
    import signal

    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)
