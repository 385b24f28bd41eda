"""Every subcommand with bad values, impossible paths and a full disk: one line, no traceback,
the documented exit status (2 configuration and usage, 1 a failed sample, 3 input/output),
and nothing half-written."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from synthset.cli.main import main


def _config(path: Path, save_dir, train=200, **extra) -> Path:
    block = {"save_dir": str(save_dir), "num_train_samples": train, "num_test_samples": 10,
             "batch_size": 50, "n_jobs": 1, "root_seed": 42, "verbose": False,
             "task": "integer_sum", **extra}
    path.write_text(yaml.safe_dump({"dataset": block}))
    return path


def _one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


@pytest.fixture
def cases(tmp_path):
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder\n")
    broken = tmp_path / "broken_run"
    (broken / ".synthset").mkdir(parents=True)
    (broken / ".synthset" / "manifest.json").write_text(json.dumps(
        {"fingerprint": "x", "config": {"sizes": {"train": 3}}}))
    unfinished = tmp_path / "unfinished"
    (unfinished / ".synthset").mkdir(parents=True)
    (unfinished / ".synthset" / "manifest.json").write_text(json.dumps(
        {"fingerprint": "x", "config": {"sizes": {"train": 3}}, "shard_size": 3}))
    return {
        "file": a_file, "broken": broken, "unfinished": unfinished,
        "good": _config(tmp_path / "good.yaml", tmp_path / "out"),
        "save_dir_is_a_file": _config(tmp_path / "f.yaml", a_file),
        "save_dir_under_a_file": _config(tmp_path / "u.yaml", a_file / "run"),
    }


@pytest.mark.parametrize("argv, code, message", [
    (["generate", "{tmp}/missing.yaml"], 2, "config file not found"),
    (["generate", "{tmp}"], 2, "config file not found"),
    (["generate", "{save_dir_is_a_file}"], 2, "a_file"),
    (["generate", "{save_dir_under_a_file}"], 2, "a_file"),
    (["generate", "{good}", "n_jobs=-2"], 2, "n_jobs must be -1 (all cores) or a positive"),
    (["generate", "{good}", "num_trian_samples=3"], 2, "did you mean 'num_train_samples'"),
    (["generate", "{good}", "task=nope"], 2, "task must be one of"),
    (["generate", "{good}", "task_config={{level: 11}}"], 2, "level must be an integer"),
    (["generate", "{good}", "task.level=11"], 2, "level must be an integer"),
    (["generate", "{good}", "timeout=1e10"], 2,
     "timeout must be a positive number of seconds up to 1,000,000, or null, got 1"),
    (["generate", "{good}", "timeout=1e300"], 2, "timeout must be a positive number"),
    (["generate", "{good}", "timeout=.nan"], 2, "timeout must be a positive number"),
    (["status", "{file}"], 2, "a_file"),
    (["status", "{tmp}/nowhere"], 2, "does not exist"),
    (["status", "{broken}"], 2, "shard_size"),
    (["inspect", "show=abc"], 2, "show must be an integer"),
    (["inspect", "dataset=nope"], 2, "dataset must be one of"),
    (["export", "nanogpt", "{tmp}/nowhere", "--name", "x", "--output-dir", "{tmp}"], 2,
     "is not a run folder"),
    (["export", "nanogpt", "{unfinished}", "--name", "x", "--output-dir", "{tmp}"], 2,
     "not finished"),
    (["export", "nanogpt", "mano", "--count", "5", "--name", "x", "--output-dir", "{tmp}",
      "--val-fraction", "2"], 2, "--val-fraction must be in (0, 1)"),
    (["export", "hf", "{file}", "{tmp}/hf"], 2, "is not a run folder"),
    (["data", "prepare", "nope", "--root", "{tmp}"], 2, "not found"),
    (["train", "task=nope"], 2, "task must be one of"),
    (["train", "task=mano", "train.steps=abc"], 2, "train.steps"),
    (["curves", "eval.hops=[0]"], 2, "eval.hops [0] are outside"),
    (["curves", "eval.hops=[a]"], 2, "eval.hops must be a list of integers"),
    (["curves", "train.max_steps=abc"], 2, "train.max_steps must be an integer"),
])
def test_bad_input_is_one_line_with_its_exit_status(tmp_path, capsys, cases, argv, code,
                                                    message):
    argv = [a.format(tmp=tmp_path, **{k: str(v) for k, v in cases.items()}) for a in argv]
    assert main(argv) == code
    assert message in _one_line(capsys)


@contextlib.contextmanager
def _tmpfs(path: Path, size: str, *options: str):
    """A small tmpfs at ``path`` (this suite runs as root where mounts are allowed); skips
    with the reason when the machine forbids mounting."""
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join([f"size={size}", *options]),
                           "tmpfs", str(path)], capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); the disk-full path "
                    "is also covered by test_disk_full_in_process")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def _generate(config: Path, *overrides: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "synthset.cli.main", "generate", str(config),
                           *overrides], capture_output=True, text=True)


def test_full_disk_exits_3_leaves_nothing_half_written_and_resumes(tmp_path):
    ref = _config(tmp_path / "ref.yaml", tmp_path / "ref", train=20_000,
                  formats=["parquet"])
    assert _generate(ref).returncode == 0
    with _tmpfs(tmp_path / "disk", "192k") as disk:
        config = _config(tmp_path / "full.yaml", disk / "run", train=20_000,
                         formats=["parquet"])
        # Clearly too small: refused after the first shard, from its bytes per sample.
        done = _generate(config)
        assert done.returncode == 2, done.stderr
        assert re.fullmatch(r"synthset generate: error: \S+/run needs about [\d.]+ [kM]B more "
                            r"for [\d,]+ samples \([\d.]+ k?B each from the first shard\); the "
                            r"disk has [\d.]+ k?B free\n", done.stderr), done.stderr
        # Enough by the estimate, short while the final files are merged: a full disk.
        subprocess.run(["mount", "-o", "remount,size=3500k", str(disk)], check=True)
        done = _generate(config)
        assert done.returncode == 3, done.stderr
        assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
        assert "no space left on device writing" in done.stderr
        assert "free space and run the same command to resume" in done.stderr
        run = disk / "run"
        for path in [*run.glob("*"), *run.glob("data/*")]:  # what a reader sees
            if path.is_file() and not path.name.endswith("_stats.yaml"):
                assert path.read_bytes() == (tmp_path / "ref" / path.relative_to(run)) \
                    .read_bytes(), path.name
        # Free space: the same command resumes and finishes with the same bytes.
        subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
        done = _generate(config)
        assert done.returncode == 0, done.stderr
        for name in ("train_raw.txt", "train_data.jsonl", "test_raw.txt",
                     "data/train-00000-of-00001.parquet"):
            assert (run / name).read_bytes() == (tmp_path / "ref" / name).read_bytes(), name


def test_read_only_file_system_exits_3(tmp_path, capsys):
    with _tmpfs(tmp_path / "ro", "1m", "ro") as ro:
        config = _config(tmp_path / "ro.yaml", ro / "run")
        assert main(["generate", str(config)]) == 3
        assert "read-only file system" in _one_line(capsys)
        assert main(["export", "nanogpt", "mano", "--count", "5", "--name", "m", "--output-dir",
                     str(ro)]) == 3
        assert "read-only file system" in _one_line(capsys)


def test_disk_full_in_process(tmp_path, capsys, monkeypatch):
    """The same path without a mount: every write fails as a full disk does."""
    import errno

    from synthset.core import fs

    real = fs.AtomicFile.__init__

    def full(self, path, mode="w"):
        real(self, path, mode)
        if "shards" in str(path):
            def write(*_):
                raise OSError(errno.ENOSPC, "No space left on device")
            self.write = write
            self.file.write = write

    monkeypatch.setattr(fs.AtomicFile, "__init__", full)
    config = _config(tmp_path / "c.yaml", tmp_path / "run")
    assert main(["generate", str(config)]) == 3
    err = _one_line(capsys)
    assert "no space left on device writing" in err and ".synthset/shards/" in err
    assert not [p for p in (tmp_path / "run").rglob("*") if p.is_file()
                and ".synthset" not in p.parts]


def test_a_disk_full_from_the_start_names_the_file(tmp_path, capsys):
    """The first write of a run (its lock) on a full disk names its file too."""
    with _tmpfs(tmp_path / "disk", "64k") as disk:
        with open(disk / "filler", "wb", buffering=0) as filler:  # the disk is full
            with contextlib.suppress(OSError):
                while True:
                    filler.write(b"\0" * 4096)
        for n_jobs in (1, 2):
            config = _config(tmp_path / "c.yaml", disk / "run", n_jobs=n_jobs)
            assert main(["generate", str(config)]) == 3
            err = _one_line(capsys)
            assert f"no space left on device writing {disk / 'run' / '.synthset' / 'lock'}; " \
                   "free space and run the same command to resume" in err
            assert not (disk / "run" / ".synthset" / "lock").exists()


def test_disk_full_writing_the_serial_executors_marker_names_the_file(tmp_path, capsys,
                                                                      monkeypatch):
    """n_jobs=1 records the shard it makes in .synthset/running: a full disk there names that
    file, as the pool's writes do."""
    import errno
    import os

    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc to tell which file a descriptor is")
    real = os.pwrite

    def pwrite(fd, data, offset):
        if os.readlink(f"/proc/self/fd/{fd}").endswith("/.synthset/running"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd, data, offset)

    monkeypatch.setattr(os, "pwrite", pwrite)
    config = _config(tmp_path / "c.yaml", tmp_path / "run")
    assert main(["generate", str(config)]) == 3
    err = _one_line(capsys)
    assert f"no space left on device writing {tmp_path / 'run' / '.synthset' / 'running'}; " \
           "free space and run the same command to resume" in err
