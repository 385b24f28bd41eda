"""The run lock: one owner per run folder, against a second real process.

The first run is a `python -m synthset.cli.main generate` child whose generator waits while a
"hold" file exists (tests.gens.held); the tests wait for its lock file, never for a duration.
"""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from synthset.cli.main import main
from tests import gens
from tests.conftest import OUTPUT_FILES, make_run, read_outputs


def _config(tmp_path, save_dir, **extra):
    lines = ["dataset:", f"  save_dir: {save_dir}", "  num_train_samples: 60",
             "  num_test_samples: 17", "  batch_size: 25", "  n_jobs: 1", "  root_seed: 42",
             "  verbose: false", "  executor: serial",
             "  instance_generator: tests.gens:held"]
    lines += [f"  {k}: {v}" for k, v in extra.items()]
    path = tmp_path / "data.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def held_run(tmp_path, monkeypatch):
    """A first run of the folder, started and holding its lock; ``release()`` lets it end."""
    hold = tmp_path / "hold"
    hold.write_text("")
    run = tmp_path / "run"
    config = _config(tmp_path, run)
    proc = subprocess.Popen([sys.executable, "-m", "synthset.cli.main", "generate", str(config)],
                            env={**os.environ, "SYNTHSET_TEST_HOLD": str(hold)},
                            start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    lock = run / ".synthset" / "lock"
    owner = None
    while proc.poll() is None and owner is None:  # until the child has written its record
        try:
            owner = json.loads(lock.read_text())
        except (FileNotFoundError, ValueError):
            time.sleep(0.001)
    assert owner is not None, proc.communicate()[1].decode()
    yield proc, run, config, owner, hold
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    return err


def test_a_second_run_on_a_busy_folder_exits_2_naming_the_owner(held_run, capsys, tmp_path):
    proc, run, config, owner, hold = held_run
    assert owner["pid"] == proc.pid and owner["host"] and owner["started"]

    assert main(["generate", str(config)]) == 2
    err = _one_line(capsys)
    assert f"{run} is in use by another synthset run (pid {proc.pid} on host " \
           f"{owner['host']}, started {owner['started']})" in err

    # resume=false with another seed must not clear the folder the first run is writing to.
    manifest = (run / ".synthset" / "manifest.json").read_bytes()
    assert main(["generate", str(config), "resume=false", "root_seed=7"]) == 2
    assert "is in use by another synthset run" in _one_line(capsys)
    assert (run / ".synthset" / "manifest.json").read_bytes() == manifest

    # status names the owner where it would otherwise say to run the command again
    assert main(["status", str(run)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == \
        f"the run is not complete: pid {proc.pid} on host {owner['host']} is generating it; " \
        f"started {owner['started']}"

    hold.unlink()  # the first run finishes, alone, with the bytes of a run never disturbed
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    make_run(tmp_path / "ref", gens.held)
    assert read_outputs(run) == read_outputs(tmp_path / "ref")
    assert not (run / ".synthset" / "lock").exists()


def test_a_lock_left_by_a_killed_run_is_taken_over_with_a_message(held_run, capsys, tmp_path):
    proc, run, config, owner, hold = held_run
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (run / ".synthset" / "lock").exists()  # left behind

    hold.unlink()
    assert main(["generate", str(config)]) == 0
    err = capsys.readouterr().err
    assert f"taking over the lock of {run}: its owner (pid {proc.pid} on host " \
           f"{owner['host']}, started {owner['started']}) is no longer running" in err
    make_run(tmp_path / "ref", gens.held)
    assert read_outputs(run, OUTPUT_FILES) == read_outputs(tmp_path / "ref")
    assert not (run / ".synthset" / "lock").exists()


def test_a_lock_held_by_a_process_that_outlived_its_run_names_that_process(tmp_path, capsys):
    """The run that took the lock is gone; a process it forked (a worker) keeps the flock:
    the refusal names that process, which is what to wait for or end."""
    from synthset.engine.state import RunFolderBusy, RunLock

    run = tmp_path / "run"
    run.mkdir()
    code = ("import os, sys\n"
            "from synthset.engine.state import RunLock\n"
            f"lock = RunLock({str(run)!r}).acquire()\n"
            "if os.fork() == 0:  # the worker: holds the lock until its stdin closes\n"
            "    print(os.getpid(), flush=True)\n"
            "    sys.stdin.read()\n"
            "    os.close(lock.fd)\n"
            "    os._exit(0)\n"
            "os._exit(0)  # the run itself ends at once, its lock file left behind\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        worker = int(proc.stdout.readline())
        proc.wait()  # the run is gone; its worker is not
        owner = json.loads((run / ".synthset" / "lock").read_text())
        with pytest.raises(RunFolderBusy) as info:
            RunLock(run).acquire()
        message = str(info.value)
        assert f"{run} is still locked by process {worker} (" in message, message
        assert "which outlived the run that took it (pid " \
               f"{proc.pid} on host {owner['host']}, started {owner['started']}, no longer " \
               f"running): wait for it to exit or end it (kill {worker}), then run the same " \
               "command again" in message, message
        assert "python" in message  # its command line
    finally:
        proc.stdin.close()  # the worker lets the lock go and exits
        assert proc.stdout.read() == ""
    with RunLock(run):  # now free: taken over, with the usual message
        pass
    assert f"its owner (pid {proc.pid} on host" in capsys.readouterr().err
