"""Joining a Dask cluster started elsewhere (``address``): its scheduler and worker run in
another folder with no PYTHONPATH, yet a generator next to the config and a relative save_dir
work, a worker's cached module of the same name never stands in for the run's own code, and a
worker that cannot import a package the code needs stops the run with one line."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from synthset.cli.main import main
from tests.conftest import read_outputs

pytest.importorskip("distributed")

GENERATOR = ("import random\n\n"
             "def make(seed):\n"
             "    rng = random.Random(seed)\n"
             "    problem = [rng.randint(-1000, 1000) for _ in range(4)]\n"
             "    return problem, sum(problem)\n")


@contextmanager
def cluster(folder: Path, *scheduler_args: str, worker_args: tuple = ()):
    """A scheduler and one single-threaded worker started in ``folder`` without PYTHONPATH, as a
    user starts them by hand; yields the scheduler's address once the worker has joined."""
    import distributed

    folder.mkdir()
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    file = str(folder / "scheduler.json")
    started = []
    try:
        for module, args in (("dask_scheduler", ["--port", "0", "--dashboard-address", ":0",
                                                  *scheduler_args]),
                             ("dask_worker", ["--nworkers", "1", "--nthreads", "1",
                                              "--no-nanny", *worker_args])):  # one process
            with open(folder / f"{module}.log", "w") as log:
                started.append(subprocess.Popen(
                    [sys.executable, "-m", f"distributed.cli.{module}", "--scheduler-file", file,
                     *args], cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT))
        # The client waits for the scheduler file; then for the worker to register.
        with distributed.Client(scheduler_file=file, timeout=60) as client:
            client.wait_for_workers(1, timeout=60)
            address = client.scheduler.address
        yield address
    finally:
        for process in reversed(started):
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def address(tmp_path_factory):
    with cluster(tmp_path_factory.mktemp("dask") / "cluster") as address:
        yield address


def project(folder: Path, module: str, address: str) -> Path:
    """A folder holding ``module``.py and a data.yaml that runs its ``make`` on the cluster."""
    folder.mkdir()
    (folder / f"{module}.py").write_text(GENERATOR)
    block = {"save_dir": "out/dask", "num_train_samples": 300, "num_test_samples": 30,
             "batch_size": 40, "n_jobs": 2, "root_seed": 42, "verbose": False,
             "instance_generator": f"{module}:make", "executor": "dask", "address": address}
    (folder / "data.yaml").write_text(yaml.safe_dump({"dataset": block}))
    return folder


def test_a_generator_next_to_the_config_runs_on_a_cluster_started_elsewhere(tmp_path, address):
    here = project(tmp_path / "project", "dask_address_gen", address)
    synthset = str(Path(sys.executable).parent / "synthset")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    for overrides in ([], ["executor=serial", "address=null", "save_dir=out/serial"]):
        proc = subprocess.run([synthset, "generate", "data.yaml", *overrides], cwd=here,
                              env=env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-3000:]
    assert read_outputs(here / "out" / "dask") == read_outputs(here / "out" / "serial")


def test_the_runs_own_code_runs_even_where_a_module_of_that_name_differs(
        tmp_path, address, monkeypatch):
    """Two projects whose generators are both ``generator.py``, run one after the other on the
    same long-lived worker: each run's bytes are its own code's (the code travels by value; a
    worker's cached module of that name is never used)."""
    outputs = {}
    for name, offset in (("one", 0), ("two", 1000)):
        here = project(tmp_path / name, "generator", address)
        (here / "generator.py").write_text(GENERATOR.replace("sum(problem)",
                                                             f"sum(problem) + {offset}"))
        monkeypatch.chdir(here)
        monkeypatch.syspath_prepend(str(here))
        monkeypatch.delitem(sys.modules, "generator", raising=False)
        for overrides in ([], ["executor=serial", "address=null", "save_dir=out/serial"]):
            assert main(["generate", "data.yaml", "verify_determinism=0", *overrides]) == 0
        assert read_outputs(here / "out" / "dask") == read_outputs(here / "out" / "serial")
        outputs[name] = read_outputs(here / "out" / "dask")
    assert outputs["one"] != outputs["two"]
    monkeypatch.delitem(sys.modules, "generator")


def test_a_worker_without_a_package_the_code_imports_stops_the_run_in_one_line(
        tmp_path, monkeypatch, capsys):
    (tmp_path / "no_fractions.py").write_text("import sys\nsys.modules['fractions'] = None\n")
    with cluster(tmp_path / "cluster", worker_args=("--preload", str(tmp_path / "no_fractions.py"))
                 ) as at:
        here = project(tmp_path / "project", "dask_fractions_gen", at)
        (here / "dask_fractions_gen.py").write_text(
            "import fractions\n\ndef make(seed):\n    return [seed % 7], str(fractions.Fraction(seed % 7, 3))\n")
        monkeypatch.chdir(here)
        monkeypatch.syspath_prepend(str(here))
        assert main(["generate", "data.yaml", "verify_determinism=0"]) == 2
        monkeypatch.delitem(sys.modules, "dask_fractions_gen")
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(
        "synthset generate: error: executor 'dask': worker tcp://")
    assert " cannot import module 'fractions' (" in err
    assert err.endswith(") at the same paths, as on a shared file system, and have the "
                        "packages they import installed\n")


def test_a_scheduler_without_synthset_stops_the_run_in_one_line(tmp_path, monkeypatch, capsys):
    """Dask's own words would be a traceback ending in "Error during deserialization of the
    task graph"."""
    (tmp_path / "no_synthset.py").write_text("import sys\nsys.modules['synthset'] = None\n")
    with cluster(tmp_path / "cluster", "--preload", str(tmp_path / "no_synthset.py")) as at:
        here = project(tmp_path / "project", "dask_address_gen", at)
        monkeypatch.chdir(here)
        assert main(["generate", "data.yaml"]) == 2
    assert capsys.readouterr().err == (
        f"synthset generate: error: executor 'dask': the scheduler at {at} cannot unpickle "
        "synthset's tasks; install this synthset, under the same Python version, where the "
        "scheduler and its workers run\n")
