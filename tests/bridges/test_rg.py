"""reasoning-gym's datasets as synthset tasks (``rg/NAME``): the contract end to end."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from synthset import ConfigError, get_task
from synthset.dataset import DatasetPipeline
from synthset.export import export_hf, export_nanogpt, to_hf_dataset
from synthset.quality import check_run
from synthset.rewards import reward_function
from synthset.runs import RunFolder


def _run(folder, task="rg/chain_sum", n_jobs=1, train=60, test=20, **options):
    DatasetPipeline(task=task, save_dir=str(folder), num_train_samples=train,
                    num_test_samples=test, n_jobs=n_jobs, batch_size=100_000,
                    save_text=False, verbose=False, **options).run()
    return folder


def test_a_sample_is_the_question_then_the_answer():
    task = get_task("rg/chain_sum", level=3)
    ex = task.example(42, 0)
    assert ex["prompt"] == ("State the final answer to the following arithmetic problem: "
                            "16 - 20 - 13 - 86 =\n")
    assert ex["answer"] == "-103"
    assert ex["text"] == ex["prompt"] + ex["answer"]
    assert ex["meta"]["metadata"]["expression"] == "16 - 20 - 13 - 86"
    # JSON-safe: reasoning-gym's tuples are stored as lists
    assert ex["meta"]["metadata"]["difficulty"] == {"num_terms": [2, 4], "num_digits": [1, 3]}
    task.validate_example(ex)


def test_levels_map_onto_the_curriculum_clamped():
    levels = get_task("rg/chain_sum").describe()["levels"]
    assert levels[1] == {"max_digits": 1, "max_terms": 2, "min_digits": 1, "min_terms": 2}
    assert levels[3] == {"max_digits": 3, "max_terms": 4, "min_digits": 1, "min_terms": 2}
    assert levels[10] == {"max_digits": 10, "max_terms": 11, "min_digits": 1, "min_terms": 2}
    # word_len has 5 levels [3, 5, 7, 9, 11]: level 4 is its 4th, 5..10 its last
    levels = get_task("rg/spell_backward").describe()["levels"]
    assert levels[4] == {"max_word_len": 9, "min_word_len": 3}
    assert levels[5] == levels[10] == {"max_word_len": 11, "min_word_len": 3}
    # explicit fields win over the level's
    task = get_task("rg/chain_sum", level=3, max_terms=2)
    assert (task._config.max_terms, task._config.max_digits) == (2, 3)


def test_the_library_scorer_judges_other_texts():
    task = get_task("rg/chain_sum", level=3)
    ex = task.example(42, 0)
    assert task.score_answer("-103", ex) == 1.0
    assert task.score_answer("-102", ex) == 0.0
    assert task.score_answer("", ex) == 0.0
    assert task.score_answer("-103 apples", ex) == pytest.approx(4 / 11)  # its partial credit


def test_bad_names_and_fields_are_one_line():
    cases = {
        ("rg/chan_sum", ()): "unknown task rg/chan_sum (did you mean rg/chain_sum?)",
        ("rg/chain_sum", (("max_term", 3),)): "unknown task rg/chain_sum key 'max_term' "
                                              "(did you mean 'max_terms'?)",
        ("rg/chain_sum", (("min_terms", 0),)): "task rg/chain_sum: min_terms must be positive",
        ("rg/chain_sum", (("seed", 3),)): "task rg/chain_sum: seed is set by the run",
        ("rg/composite", ()): "task rg/composite is refused: it mixes other",
    }
    for (name, fields), message in cases.items():
        with pytest.raises(ConfigError) as err:
            get_task(name, **dict(fields))
        assert str(err.value).startswith(message)
        assert "\n" not in str(err.value)
    with pytest.raises(ConfigError, match="has no levels"):
        get_task("rg/acre", level=2)


def test_runs_are_the_same_bytes_for_any_n_jobs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a run writes nothing beside its folder
    one = _run(tmp_path / "one", n_jobs=1, task_config={"level": 2})
    two = _run(tmp_path / "two", n_jobs=2, task_config={"level": 2})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one", "two"]
    for split in ("train", "test"):
        assert (one / f"{split}_data.jsonl").read_bytes() == \
            (two / f"{split}_data.jsonl").read_bytes()
    row = json.loads((one / "train_data.jsonl").read_text().splitlines()[0])
    assert row == {"text": row["text"], "meta": row["meta"]}
    assert RunFolder(one).task().name == "rg/chain_sum"


def test_a_sample_is_the_same_in_another_process():
    # matplotlib (imported by cellpylib, for game_of_life only) is imported on first use:
    # not by a process that makes other datasets, and game_of_life's samples are the same
    code = ("import json, sys; from synthset import get_task; "
            "t = get_task('rg/pool_matrix'); print(json.dumps([t.record(7, i) for i in range(3)]));"
            "print('matplotlib' in sys.modules);"
            "print(json.dumps(get_task('rg/game_of_life').record(7, 0)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    here = get_task("rg/pool_matrix")
    assert json.loads(out[0]) == [here.record(7, i) for i in range(3)]
    assert out[1] == "False"
    assert json.loads(out[2]) == get_task("rg/game_of_life").record(7, 0)


def test_check_export_and_reward_need_no_task_code(tmp_path):
    run = _run(tmp_path / "run", train=200, test=100, task_config={"level": 4},
               dedup="splits")
    report = check_run(run)
    assert report["ok"], report["problems"]
    assert report["overlap"][0]["shared_keys"] == 0
    info = export_nanogpt(run, "cs", out=tmp_path / "data")
    assert info["splits"]["train"]["samples"] > 0
    export_hf(run, tmp_path / "hf", prompts=True)
    data = to_hf_dataset(run, prompts=True)
    first = data[0]
    reward = reward_function(run)
    got = reward(prompts=[first["prompt"]] * 2, completions=[first["answer"], "nope"],
                 example=[first["example"]] * 2)
    assert got == [1.0, 0.0]


def test_a_curriculum_schedule_drives_the_levels():
    from synthset.tasks.curriculum import Linear, scheduled_records

    task = get_task("rg/chain_sum", allow_negation=True)
    schedule = Linear(1, 10, over=90)
    records = list(scheduled_records(task, 3, schedule, num=91, step=30))
    for index, record in zip(range(0, 91, 30), records):
        level = schedule.level(index)
        assert record == get_task("rg/chain_sum", level=level, allow_negation=True).record(3, index)
    assert [schedule.level(i) for i in range(0, 91, 30)] == [1, 4, 7, 10]


def _in_process(code: str, **env) -> subprocess.CompletedProcess:
    import os

    environ = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**environ, **env})


def test_a_dataset_ordered_by_string_hashing_needs_a_fixed_hash_seed():
    code = ("import json; from synthset import get_task\n"
            "try:\n    t = get_task('rg/word_ladder')\n"
            "except Exception as e:\n    print('REFUSED', e)\n"
            "else:\n    print(json.dumps([t.record(5, i) for i in range(4)]))")
    refused = _in_process(code).stdout.strip()
    assert refused == ("REFUSED task rg/word_ladder is refused: its items follow the order of "
                       "Python sets of strings, which differs from process to process; run "
                       "with PYTHONHASHSEED=0 (e.g. PYTHONHASHSEED=0 synthset generate "
                       "data.yaml) to use it")
    first, second = (_in_process(code, PYTHONHASHSEED="0").stdout for _ in range(2))
    assert first == second and first.startswith('[{"text": ')


def test_tuples_and_missing_answers_survive_the_json_round_trip():
    # arc_agi's scorer compares a parsed tuple grid with the metadata's (a list in JSON)
    task = get_task("rg/arc_agi")
    row = json.loads(json.dumps(task.record(0, 0)))
    ex = task.example_of(row)
    task.validate_example(ex)
    assert task.score_answer(ex["answer"], ex) == 1.0
    assert task.score_answer("0 0\n0 0", ex) == 0.05
    # rush_hour has no reference answer: any solution that parks the car scores
    task = get_task("rg/rush_hour")
    ex = task.example(0, 0)
    assert ex["answer"] == "" and ex["meta"]["answer"] is None
    task.validate_example(ex)
    assert task.score_answer("nonsense", ex) == 0.01  # reasoning-gym's score for bad moves


def test_a_record_is_the_library_item_of_its_seed():
    from reasoning_gym import create_dataset

    task = get_task("rg/chain_sum")
    for seed in (0, 7, 2**64 + 5):  # the run's seed: its low 64 bits
        item = create_dataset("chain_sum", seed=seed % 2**64, size=1)[0]
        row = task(seed)
        assert row["text"] == item["question"] + "\n" + item["answer"]
        assert row["meta"]["prompt_chars"] == len(item["question"]) + 1
        assert row["meta"]["metadata"]["expression"] == item["metadata"]["expression"]
        assert row == task.row(*task.entry(seed % 2**64))
    # a dataset built per sample from its seed, drawing from Python's global random state
    task = get_task("rg/list_functions")
    assert task(3) == task.row(*task.entry(3)) == task(3)
    assert task(3) != task(4)
    # survo's item idx comes from Random(config.seed + idx): the item of each seed, not one
    # item for every seed
    task = get_task("rg/survo")
    for seed in (3, 4):
        item = create_dataset("survo", seed=seed, size=1)[0]
        assert task(seed)["text"] == item["question"] + "\n" + item["answer"]
    assert task(3) != task(4)


def test_metadata_is_plain_json_from_the_first_sample_on(monkeypatch):
    from synthset.tasks.bridges import base

    # as in a fresh process: orjson not yet bound
    monkeypatch.setattr(base, "_dumps", base._first_dumps)
    monkeypatch.setattr(base, "_loads", None)
    monkeypatch.setattr(base, "_OPTION", 0)
    walk = base.json_safe
    walked = []
    monkeypatch.setattr(base, "json_safe", lambda value, depth=0: (
        walked.append(value) if depth == 0 else None) or walk(value, depth))
    assert base.plain({"grid": ((1, 2), (3, 4)), 5: None}) == {"grid": [[1, 2], [3, 4]],
                                                               "5": None}
    import numpy as np

    # what orjson's default options refuse (NumPy, non-string keys) goes through its options
    assert base.plain({"a": np.arange(3), 1.5: np.float64(0.25), "n": np.int64(7)}) == \
        {"a": [0, 1, 2], "1.5": 0.25, "n": 7}
    assert walked == []  # orjson's round trip, not the Python walk
    assert base.plain({"s": {"b", "a"}, "big": 2**70}) == {"s": ["a", "b"], "big": str(2**70)}
    assert len(walked) == 1  # what orjson refuses: the walk


def test_a_task_that_is_not_deterministic_or_writes_files_is_refused_in_one_line(
        tmp_path, monkeypatch):
    """Refused before anything is written: rg/codeio runs code snippets that write files where
    they run (file_N.txt in the working directory), rcore/table_qa draws from a random source
    synthset cannot seed."""
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "data.yaml"
    config.write_text("dataset:\n  task: rg/codeio\n  save_dir: run\n  num_train_samples: 20\n"
                      "  num_test_samples: 0\n  batch_size: 20\n  n_jobs: 1\n  root_seed: 0\n")
    done = subprocess.run([sys.executable, "-m", "synthset.cli.main", "generate", str(config)],
                          capture_output=True, text=True)
    assert (done.returncode, done.stderr) == (
        2, "synthset generate: error: task rg/codeio is refused: it executes the library's code "
           "snippets, some of which write files in the working directory and in the temporary "
           "folder (file_N.txt, temporary files kept), so a run would write outside its "
           "folder\n")
    with pytest.raises(ConfigError) as err:
        _run(tmp_path / "run", task="rcore/table_qa")
    assert str(err.value) == ("task rcore/table_qa is refused: the same seed gives other "
                              "samples even within one process (it draws from a random source "
                              "that is not seeded from outside)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.yaml"]
