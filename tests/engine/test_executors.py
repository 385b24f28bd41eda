"""Every executor writes the bytes of the serial run; Ray and Dask on local clusters."""

import subprocess
import sys
from pathlib import Path

import pytest

from synthset.core.errors import ConfigError
from synthset.engine.executors import get_executor, worker_count
from synthset.engine.executors.base import cpu_count
from tests import gens
from tests.conftest import ROOT, make_run, read_outputs, strip_timing


def _square(x):
    return x * x


@pytest.mark.parametrize("name", ["serial", "loky", "multiprocessing"])
def test_local_executors_map_everything(name):
    with get_executor(name, 2) as ex:
        assert sorted(ex.map_unordered(_square, range(20))) == [i * i for i in range(20)]


def test_one_job_runs_in_process():
    assert get_executor("loky", 1).name == "serial"


def test_worker_count_is_n_jobs_or_the_cores_and_never_more_than_the_work():
    cores = cpu_count()
    assert worker_count(-1) == cores
    assert worker_count(3) == 3 and worker_count(3, 2) == 2 and worker_count(3, 5) == 3
    assert worker_count(-1, cores + 1) == cores and worker_count(-1, 0) == 1


def test_unknown_executor_names_the_choices():
    with pytest.raises(ConfigError, match="executor must be one of 'serial', 'loky', "
                                          "'multiprocessing', 'ray', 'dask', got 'spark'"):
        get_executor("spark")


@pytest.mark.parametrize("name", ["dask", "ray"])
def test_cluster_executor_bytes_equal_serial(tmp_path, golden, name):
    pytest.importorskip("distributed" if name == "dask" else "ray")
    make_run(tmp_path / "serial", gens.integer_sum, statistics_calculator=gens.integer_sum_stats,
             formats=["parquet"])
    make_run(tmp_path / name, gens.integer_sum, statistics_calculator=gens.integer_sum_stats,
             formats=["parquet"], backend=name, n_jobs=2, batch_size=9)
    assert read_outputs(tmp_path / name) == read_outputs(golden / "integer_sum")
    for split in ("train", "test"):
        a = (tmp_path / "serial" / f"{split}_stats.yaml").read_text()
        b = (tmp_path / name / f"{split}_stats.yaml").read_text()
        assert strip_timing(a) == strip_timing(b)
        part = f"data/{split}-00000-of-00001.parquet"
        assert (tmp_path / name / part).read_bytes() == (tmp_path / "serial" / part).read_bytes()


@pytest.mark.parametrize("name", ["dask", "ray"])
def test_cluster_executor_reraises_generation_errors(tmp_path, name):
    pytest.importorskip("distributed" if name == "dask" else "ray")
    from synthset import GenerationError

    with pytest.raises(GenerationError, match="ZeroDivisionError"):
        make_run(tmp_path, gens.fails_on_multiples_of_7, backend=name, n_jobs=2,
                 sizes={"train": 100})


@pytest.mark.parametrize("name", ["loky", "multiprocessing"])
def test_a_dead_worker_is_an_error_not_a_hang(tmp_path, name):
    from synthset.engine.executors.base import WorkerLost

    with pytest.raises(WorkerLost, match="worker process .* died.*run the same command again"):
        make_run(tmp_path, gens.dies_in_workers, backend=name, n_jobs=2,
                 sizes={"train": 400}, batch_size=10)
    # What finished is kept; a serial resume completes the run.
    make_run(tmp_path, gens.dies_in_workers, sizes={"train": 400}, batch_size=10)
    assert len((tmp_path / "train_raw.txt").read_text().splitlines()) == 400


def test_ray_runs_the_readme_example_from_any_folder(tmp_path):
    """The generator sits next to the config, not on the workers' path, and save_dir is
    relative: Ray's workers get the driver's folders through the task's runtime environment."""
    pytest.importorskip("ray")
    synthset = str(Path(sys.executable).parent / "synthset")
    config = str(Path(ROOT) / "examples" / "integer_sum" / "configs" / "data.yaml")
    common = ["num_train_samples=300", "num_test_samples=30", "verbose=false"]
    for executor, out in (("ray", "by_ray"), ("serial", "serial")):
        proc = subprocess.run([synthset, "generate", config, f"executor={executor}", "n_jobs=2",
                               f"save_dir={out}", *common], cwd=tmp_path, capture_output=True,
                              text=True)
        assert proc.returncode == 0, proc.stderr[-3000:]
    assert read_outputs(tmp_path / "by_ray") == read_outputs(tmp_path / "serial")


@pytest.mark.parametrize("frozen_before", [False, True])
def test_a_serial_run_keeps_the_objects_before_it_from_the_collector_and_gives_them_back(
        tmp_path, frozen_before):
    """In-process shards run with this process's earlier objects frozen (``gc.freeze``), as
    the pool's forked workers do; the collector is as it was once the run is over, and a
    process that froze objects itself keeps them frozen, the run freezing nothing more."""
    import gc

    seen = []

    def gen(seed):
        seen.append(gc.get_freeze_count())
        return gens.integer_sum(seed)

    if frozen_before:
        gc.freeze()
    before = gc.get_freeze_count()
    try:
        make_run(tmp_path / "run", gen, sizes={"train": 30}, verify_determinism=0)
        after = gc.get_freeze_count()
    finally:
        if frozen_before:
            gc.unfreeze()
    assert min(seen) > 0
    if frozen_before:  # frozen objects may die meanwhile: the count only falls
        assert max(seen) <= before and 0 < after <= before
    else:
        assert after == 0
    make_run(tmp_path / "ref", gens.integer_sum, sizes={"train": 30}, verify_determinism=0)
    for name in ("train_raw.txt", "train_data.jsonl"):
        assert (tmp_path / "run" / name).read_bytes() == (tmp_path / "ref" / name).read_bytes()
