"""reasoning-core's tasks as synthset tasks (``rcore/NAME``)."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest

from synthset import ConfigError, get_task
from synthset.dataset import DatasetPipeline


def test_level_is_reasoning_core_level_minus_one():
    task = get_task("rcore/arithmetics", level=3)
    assert task._config.level == 2
    assert (task._config.min_depth, task._config.max_depth) == (5, 7)
    levels = task.describe()["levels"]
    assert levels[1] == {}  # the library's defaults
    assert levels[3] == {"min_depth": 5, "max_depth": 7, "out_decimals": 5, "out_digits": 8}
    assert get_task("rcore/arithmetics", level=3, max_depth=9)._config.max_depth == 9


def test_a_sample_is_a_function_of_its_seed_alone():
    task = get_task("rcore/arithmetics", level=3)
    first = task.record(42, 0)
    random.seed(1)  # what the caller's own global state holds never matters
    task.record(42, 5)
    assert task.record(42, 0) == first
    ex = task.example_of(first)
    assert ex["prompt"] == ("Evaluate max((11.1) + -8.6 // 5 + -11, ((3.3) + min(-1 * 3, -4))**2)."
                            "\nUse exact arithmetic.\nThe answer is a number.\n")
    assert ex["answer"] == "0.49"
    assert "_time" not in ex["meta"]["metadata"]
    task.validate_example(ex)
    assert task.score_answer("0.49", ex) == 1.0
    assert task.score_answer("0.5", ex) == pytest.approx(0.9350885072998224)  # its partial
    assert task.score_answer("abc", ex) == 0.0
    code = ("import json; from synthset import get_task; "
            "t = get_task('rcore/arithmetics', level=3); print(json.dumps(t.record(42, 0)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert json.loads(out.splitlines()[-1]) == first


def test_runs_are_the_same_bytes_for_any_n_jobs(tmp_path):
    outs = []
    for n_jobs in (1, 2):
        folder = tmp_path / str(n_jobs)
        DatasetPipeline(task="rcore/arithmetics", save_dir=str(folder), num_train_samples=12,
                        num_test_samples=4, n_jobs=n_jobs, batch_size=100_000,
                        save_text=False, verbose=False).run()
        outs.append([(folder / f"{s}_data.jsonl").read_bytes() for s in ("train", "test")])
    assert outs[0] == outs[1]


def test_a_task_needing_a_package_that_is_missing_says_so_when_built(monkeypatch):
    from synthset.core.deps import MissingDependency

    monkeypatch.setitem(sys.modules, "pyggp", None)  # not importable, installed or not
    with pytest.raises(MissingDependency) as err:
        get_task("rcore/game_best_move")
    assert str(err.value) == ("task rcore/game_best_move needs the package 'pyggp', which is "
                              "not installed: pip install 'reasoning-core[gen]'")


def test_bad_names_and_fields_are_one_line():
    with pytest.raises(ConfigError, match=r"^unknown task rcore/arithmetic \(did you mean "
                                          r"rcore/arithmetics\?\)"):
        get_task("rcore/arithmetic")
    with pytest.raises(ConfigError, match="unknown task rcore/arithmetics key 'max_dept'"):
        get_task("rcore/arithmetics", max_dept=3)
