"""Resume: killed runs finish with the same bytes; a different config is refused."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from dataclasses import dataclass

from synthset import GenerationError, ResumeError
from synthset.core.seeding import derive_seed
from synthset.dataset import generator as generator_module
from synthset.driver.options import RunOptions, option
from synthset.engine.plan import plan_shards
from synthset.engine.state import RunState
from tests import gens
from tests.conftest import OUTPUT_FILES, make_run, read_outputs, stopped_run, strip_timing

SIZES = {"train": 3000, "test": 400}


def _config(path, save_dir, **extra):
    lines = [
        "dataset:",
        f"  save_dir: {save_dir}",
        f"  num_train_samples: {SIZES['train']}",
        f"  num_test_samples: {SIZES['test']}",
        "  batch_size: 100",
        "  n_jobs: 2",
        "  root_seed: 42",
        "  verbose: false",
        "  instance_generator: tests.gens:slow_sum",
        "  statistics_calculator: tests.gens:integer_sum_stats",
        "  formats: [parquet, pickle]",
    ] + [f"  {k}: {v}" for k, v in extra.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def _start(config):
    return subprocess.Popen([sys.executable, "-m", "synthset.cli.main", "generate", str(config)],
                            start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def _finals(save_dir):
    """The files a reader sees: the folder's own and the Parquet files under data/ (temporary
    files are hidden, named ``.NAME.PID.tmp``, and never count)."""
    data = save_dir / "data"
    return [p for p in [*save_dir.iterdir(), *(data.iterdir() if data.is_dir() else [])]
            if p.is_file() and not p.name.startswith(".")]


def _markers(run) -> int:
    completions = run / ".synthset" / "completions"
    return sum(1 for p in completions.rglob("*") if p.is_file() and not p.name.endswith(".tmp")) \
        if completions.is_dir() else 0


# The moments the run is killed at: observable events, never durations, so that a loaded
# machine only makes the test slower. Each returns True once its moment has come.
EVENTS = {
    "started": lambda run: (run / ".synthset" / "manifest.json").exists(),
    "inside a shard": lambda run: any((run / ".synthset" / "shards").rglob("*.tmp"))
    if (run / ".synthset" / "shards").is_dir() else False,
    "after a shard": lambda run: _markers(run) >= 1,
    "after a few shards": lambda run: _markers(run) >= 12,
    "during a merge": lambda run: any(p.name.endswith(".tmp") for p in run.glob("*"))
    or (run / ".synthset" / "merged").is_dir(),
    "after most shards": lambda run: _markers(run) >= 30,
}


def _wait_for(event, run, proc) -> None:
    """Poll until ``event`` or the process ends (then there is nothing left to kill)."""
    while proc.poll() is None and not EVENTS[event](run):
        time.sleep(0.001)


def test_sigkill_at_any_point_then_resume_gives_the_same_bytes(tmp_path):
    ref = tmp_path / "ref"
    make_run(ref, gens.slow_sum, sizes=SIZES, batch_size=3400, formats=["parquet", "pickle"],
             statistics_calculator=gens.integer_sum_stats)
    expected = {p.name: p.read_bytes() for p in _finals(ref)}

    run = tmp_path / "run"
    config = _config(tmp_path / "data.yaml", run)
    kept_markers = {}
    for event in EVENTS:
        proc = _start(config)
        _wait_for(event, run, proc)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        if run.exists():
            # Nothing half-written under a final name: any final file is already complete.
            for path in _finals(run):
                if not path.name.endswith("_stats.yaml"):
                    assert path.read_bytes() == expected[path.name], path.name
            state = RunState(run)
            for shard in plan_shards(SIZES, 100):
                marker = state.completion_file(shard)
                if marker.exists():
                    kept_markers.setdefault(shard.key, marker.stat().st_mtime_ns)
    proc = _start(config)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    got = {p.name: p.read_bytes() for p in _finals(run)}
    assert sorted(got) == sorted(expected)
    for name in expected:
        if name.endswith("_stats.yaml"):
            assert strip_timing(got[name].decode()) == strip_timing(expected[name].decode())
        else:
            assert got[name] == expected[name], name
    # Shards finished before a kill were not made again.
    state = RunState(run)
    assert kept_markers, "no shard finished before the kills"
    for shard in plan_shards(SIZES, 100):
        if shard.key in kept_markers:
            assert state.completion_file(shard).stat().st_mtime_ns == kept_markers[shard.key]
    assert not list(run.rglob("*.tmp"))  # the resume removed what the kills left


def test_resume_with_another_config_is_refused_naming_what_changed(tmp_path):
    make_run(tmp_path, gens.integer_sum)
    with pytest.raises(ResumeError, match=r"root_seed: 42 -> 7"):
        from synthset.dataset import DatasetGenerator

        DatasetGenerator(backend="serial", verbose=False, root_seed=7).run(
            {"train": 60, "test": 17}, gens.integer_sum, save_dir=str(tmp_path), batch_size=25)
    with pytest.raises(ResumeError, match=r"sizes: .*'train': 60.* -> .*'train': 61"):
        make_run(tmp_path, gens.integer_sum, sizes={"train": 61, "test": 17})
    with pytest.raises(ResumeError, match=r"instance_generator: 'integer_sum@\w+' -> "
                                          r"'poly_product_gf7@"):
        make_run(tmp_path, gens.poly_product_gf7)


def test_resume_false_starts_clean(tmp_path, golden):
    make_run(tmp_path, gens.nested)
    make_run(tmp_path, gens.integer_sum, resume=False)
    assert read_outputs(tmp_path) == read_outputs(golden / "integer_sum")


def test_batch_size_and_n_jobs_may_change_on_resume(tmp_path, golden):
    make_run(tmp_path, gens.integer_sum, batch_size=25)
    for name in OUTPUT_FILES:
        (tmp_path / name).unlink()  # final files removed: the split is made again
    make_run(tmp_path, gens.integer_sum, batch_size=9, backend="loky", n_jobs=2)
    assert read_outputs(tmp_path) == read_outputs(golden / "integer_sum")


def test_completed_run_is_not_regenerated(tmp_path):
    make_run(tmp_path, gens.integer_sum)
    before = {p.name: p.stat().st_mtime_ns for p in _finals(tmp_path)}
    stats = make_run(tmp_path, gens.integer_sum)
    assert {p.name: p.stat().st_mtime_ns for p in _finals(tmp_path)} == before
    assert stats["train"]["num_samples"] == 60


def test_status_reports_shards(tmp_path):
    from synthset.cli.status import status

    make_run(tmp_path, gens.integer_sum)
    text = status(str(tmp_path))
    assert "train" in text and "3/3" in text and "60/60" in text and "complete" in text
    assert text.splitlines()[-1] == "the run is complete"


def test_time_between_attempts_is_not_counted_in_total_time(tmp_path):
    resume = stopped_run(tmp_path)  # train's shards 00000 and 00001 are made
    day_before = 10 * 3600
    for marker in (tmp_path / ".synthset" / "completions" / "train").iterdir():
        summary = json.loads(marker.read_text())  # as if made ten hours ago
        summary["started_at"] -= day_before
        summary["finished_at"] -= day_before
        marker.write_text(json.dumps(summary))
    stats = resume()["train"]
    assert stats["total_time"] < day_before / 10  # the two attempts' working time only
    assert stats["samples_per_second"] > 60 / (day_before / 10)


# -- an option declared after a run folder was made -------------------------------------------
@dataclass(frozen=True)
class LaterOptions(RunOptions):
    """RunOptions once a new option that changes the bytes is declared, as every option is."""

    foo: int | None = option(
        None, "an option declared after the run folder was made", fingerprint=True,
        accepts="an integer or null",
        valid=lambda v: v is None or isinstance(v, int) and not isinstance(v, bool))


CALLS = {"stop": None, "seeds": []}


def stops_once(seed):
    """gens.integer_sum, failing at CALLS["stop"] and noting every seed it is called with
    (neither changes the generator's identity)."""
    CALLS["seeds"].append(seed)
    if seed == CALLS["stop"]:
        raise RuntimeError("stopped here")
    return gens.integer_sum(seed)


def test_declaring_an_option_leaves_run_folders_resumable(tmp_path, monkeypatch, golden):
    monkeypatch.setitem(CALLS, "stop", derive_seed(42, "train", 55))
    monkeypatch.setitem(CALLS, "seeds", [])
    with pytest.raises(GenerationError):  # all but train's last shard, [50, 60), is made
        make_run(tmp_path, stops_once, verify_determinism=0)
    manifest = (tmp_path / ".synthset" / "manifest.json").read_text()
    assert "foo" not in json.loads(manifest)["config"]
    CALLS["stop"] = None
    monkeypatch.setattr(generator_module, "RunOptions", LaterOptions)  # foo is declared now

    with pytest.raises(ResumeError) as info:  # another value than the folder's runs had
        make_run(tmp_path, stops_once, verify_determinism=0, foo=3)
    assert "(foo: None -> 3)" in str(info.value)  # the one difference, named
    CALLS["seeds"].clear()
    make_run(tmp_path, stops_once, verify_determinism=0)  # foo at its default: resumed
    made = {(split, i) for split, n in (("train", 60), ("test", 17)) for i in range(n)
            if derive_seed(42, split, i) in CALLS["seeds"]}
    assert made == {("train", i) for i in range(50, 60)}
    assert read_outputs(tmp_path) == read_outputs(golden / "integer_sum")
    assert (tmp_path / ".synthset" / "manifest.json").read_text() == manifest  # fingerprint too
    make_run(tmp_path, stops_once, verify_determinism=0, foo=None)  # given, the same


# -- what a run says when it starts or has nothing to do --------------------------------------
def test_a_finished_run_run_again_says_so_in_one_line(tmp_path, capsys):
    from synthset.cli.main import main
    from tests.conftest import task_config

    config = task_config(tmp_path / "data.yaml", tmp_path / "run", "integer_sum", 60, 17,
                         verbose=True)
    assert main(["generate", str(config)]) == 0
    assert "samples/s" in capsys.readouterr().err  # the first time, its summary table
    before = {p.name: p.stat().st_mtime_ns for p in _finals(tmp_path / "run")}
    assert main(["generate", str(config)]) == 0
    assert capsys.readouterr() == ("", f"synthset: {tmp_path / 'run'} is complete (train 60, "
                                       "test 17); nothing to do\n")
    assert {p.name: p.stat().st_mtime_ns for p in _finals(tmp_path / "run")} == before


def test_a_disk_clearly_too_small_stops_the_run_after_its_first_shard(tmp_path, capsys,
                                                                       monkeypatch):
    """The first shard's bytes per sample times the samples left, against the free space of
    the save_dir's disk: refused in one line; the shard made stays and a resume goes on."""
    import shutil
    from types import SimpleNamespace

    from synthset.cli.main import main
    from synthset.engine.progress import size_text
    from tests.conftest import task_config

    ref = task_config(tmp_path / "ref.yaml", tmp_path / "ref", "integer_sum", 60, 17)
    assert main(["generate", str(ref)]) == 0
    config = task_config(tmp_path / "data.yaml", tmp_path / "run", "integer_sum", 60, 17)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: SimpleNamespace(free=1_200))
    assert main(["generate", str(config)]) == 2
    # shards of 50: train [0, 50) first (the largest), then 27 samples left
    marker = tmp_path / "run" / ".synthset" / "completions" / "train" / "00000"
    each = sum(f["size"] for f in json.loads(marker.read_text())["files"].values()) / 50
    assert capsys.readouterr().err == (
        f"synthset generate: error: {tmp_path / 'run'} needs about {size_text(each * 27)} more "
        f"for 27 samples ({size_text(each)} each from the first shard); the disk has 1.2 kB "
        "free\n")
    assert len(list(marker.parent.iterdir())) == 1  # the finished shard stays, alone

    monkeypatch.undo()  # space freed: the same command goes on from that shard
    assert main(["generate", str(config)]) == 0
    assert read_outputs(tmp_path / "run") == read_outputs(tmp_path / "ref")
