"""``dedup: splits``: a later split holds no problem of an earlier one, by the documented law,
with the same bytes for any n_jobs, batch size and executor, and after SIGKILL + resume."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import yaml

from synthset import derive_seed
from synthset.core.errors import ConfigError, GenerationError
from synthset.core.seeding import replacement_seed
from synthset.dataset import DatasetPipeline
from synthset.quality import check_run
from tests import gens
from tests.conftest import OUTPUT_FILES, make_run, read_outputs, strip_timing

SIZES = {"train": 300, "test": 40}


def _rows(folder, split):
    return [json.loads(line) for line in (folder / f"{split}_data.jsonl").read_text().splitlines()]


def test_a_later_split_avoids_the_earlier_splits_problems_by_the_documented_law(tmp_path):
    stats = make_run(tmp_path, gens.few_sums, sizes=SIZES, dedup="splits")
    # test claims its keys first (it is not train): its samples are the plain ones.
    test = _rows(tmp_path, "test")
    assert [r["problem"] for r in test] == \
        [gens.few_sums(derive_seed(42, "test", i))[0] for i in range(40)]
    held = {r["problem"] for r in test}
    # train sample i: the first of its seed, then its replacement seeds 1, 2, ..., whose
    # problem test does not hold.
    expected, rejected = [], 0
    for i in range(300):
        seed, attempt = derive_seed(42, "train", i), 0
        while gens.few_sums(seed)[0] in held:
            rejected += 1
            attempt += 1
            seed = replacement_seed(42, "train", i, attempt)
        expected.append(gens.few_sums(seed)[0])
    assert [r["problem"] for r in _rows(tmp_path, "train")] == expected
    assert rejected > 50  # the test split holds a good part of the 100 problems
    assert stats["train"]["deduplicated"] == rejected
    assert stats["test"]["deduplicated"] == 0
    assert yaml.safe_load((tmp_path / "train_stats.yaml").read_text())["deduplicated"] == rejected
    # The splits' problems are disjoint, and CALT's files agree with each other.
    train_text = (tmp_path / "train_raw.txt").read_text().splitlines()
    assert not held & {line.split(" # ")[0] for line in train_text}


def test_a_run_without_dedup_is_unchanged(tmp_path):
    stats = make_run(tmp_path / "plain", gens.few_sums, sizes=SIZES)
    make_run(tmp_path / "off", gens.few_sums, sizes=SIZES, dedup="off")
    assert "deduplicated" not in stats["train"]
    assert read_outputs(tmp_path / "plain") == read_outputs(tmp_path / "off")
    manifest = json.loads((tmp_path / "off" / ".synthset" / "manifest.json").read_text())
    assert "dedup" not in manifest["config"]  # folders made before the option still resume


def test_the_bytes_do_not_depend_on_n_jobs_batch_size_or_executor(tmp_path):
    make_run(tmp_path / "a", gens.few_sums, sizes=SIZES, dedup="splits", batch_size=25)
    make_run(tmp_path / "b", gens.few_sums, sizes=SIZES, dedup="splits", batch_size=7,
             n_jobs=2, backend="loky")
    make_run(tmp_path / "c", gens.few_sums, sizes=SIZES, dedup="splits", batch_size=100,
             n_jobs=2, backend="multiprocessing", formats=["parquet"])
    a, b = read_outputs(tmp_path / "a"), read_outputs(tmp_path / "b")
    assert a == b
    assert read_outputs(tmp_path / "c", [n for n in OUTPUT_FILES if n.endswith(".jsonl")]) \
        == {n: v for n, v in a.items() if n.endswith(".jsonl")}
    for split in SIZES:
        assert strip_timing((tmp_path / "a" / f"{split}_stats.yaml").read_text()) == \
            strip_timing((tmp_path / "c" / f"{split}_stats.yaml").read_text())


def test_synthset_check_counts_no_overlap_in_a_built_in_task_run(tmp_path):
    block = {"num_train_samples": 400, "num_test_samples": 100, "batch_size": 100,
             "n_jobs": 1, "root_seed": 42, "verbose": False, "task": "gf17_addition",
             "task_config": {"level": 1}}
    DatasetPipeline.from_config({**block, "save_dir": str(tmp_path / "plain")}).run()
    plain = check_run(tmp_path / "plain", n_jobs=1, verbose=False)
    assert plain["overlap"][0]["rate"] > 0  # the task repeats itself here
    DatasetPipeline.from_config({**block, "save_dir": str(tmp_path / "dedup"),
                                 "dedup": "splits"}).run()
    report = check_run(tmp_path / "dedup", n_jobs=1, verbose=False)
    assert report["ok"], report["problems"]
    assert report["overlap"][0]["shared_keys"] == 0
    assert report["overlap"][0]["rate"] == 0


def test_a_reasoning_task_run_is_decontaminated_by_its_own_keys(tmp_path):
    block = {"num_train_samples": 300, "num_test_samples": 100, "batch_size": 100,
             "n_jobs": 1, "root_seed": 42, "verbose": False, "task": "mano",
             "task_config": {"level": 1}}
    DatasetPipeline.from_config({**block, "save_dir": str(tmp_path / "plain")}).run()
    assert check_run(tmp_path / "plain", n_jobs=1, verbose=False)["overlap"][0]["rate"] > 0
    DatasetPipeline.from_config({**block, "save_dir": str(tmp_path / "dedup"),
                                 "dedup": "splits"}).run()
    report = check_run(tmp_path / "dedup", n_jobs=1, verbose=False)
    assert report["ok"], report["problems"]
    assert report["overlap"][0]["rate"] == 0


def test_too_few_distinct_problems_is_refused_before_the_later_split_with_the_counts(
        tmp_path):
    """test's 20 samples draw every one of the 3 problems: train is never started."""
    with pytest.raises(ConfigError) as info:
        make_run(tmp_path, gens.tiny_domain, sizes={"train": 20, "test": 20}, dedup="splits")
    assert str(info.value) == (
        "dedup: splits: the generator tests.gens:tiny_domain makes 3 distinct problems (3 "
        "among 20 test samples); test's 20 samples would hold about 3 of them, too many for "
        "the 20 samples of train to find new ones; make fewer test samples or choose a harder "
        "level")
    assert not (tmp_path / ".synthset" / "completions" / "train").exists()


GF17 = {"task": "gf17_addition", "task_config": {"level": 1}, "num_train_samples": 2000,
        "num_test_samples": 1000, "batch_size": 500, "n_jobs": 1, "root_seed": 42,
        "verbose": False}


@pytest.mark.parametrize("mode, message", [
    ("splits", "dedup: splits: level 1 of gf17_addition makes about 285 distinct problems "
               "(277 among 1,000 test samples); test's 1,000 samples would hold about 276 of "
               "them, too many for the 2,000 samples of train to find new ones; make fewer "
               "test samples or choose a harder level"),
    ("all", "dedup: all needs 3,000 distinct problems (test 1,000, train 2,000) but level 1 "
            "of gf17_addition makes about 285 distinct problems (277 among 1,000 test "
            "samples); make fewer samples or choose a harder level"),
])
def test_a_built_in_task_with_too_few_problems_is_refused_in_one_line(tmp_path, capsys, mode,
                                                                       message):
    """Two numbers of GF(17): 289 problems. The estimate comes from test's own samples, before
    train (or a dedup: all round) is made."""
    from synthset.cli.main import main

    config = tmp_path / "data.yaml"
    config.write_text(yaml.safe_dump({"dataset": {**GF17, "save_dir": str(tmp_path / "run"),
                                                  "dedup": mode}}))
    assert main(["generate", str(config)]) == 2
    assert capsys.readouterr().err == f"synthset generate: error: {message}\n"
    assert not (tmp_path / "run" / ".synthset" / "dedup" / "test.overrides.json").exists()


def test_a_domain_large_enough_for_the_splits_is_not_refused(tmp_path):
    """700 test samples leave about 25 of the 289 problems: each train sample finds one of them
    within its 101 seeds."""
    DatasetPipeline.from_config({**GF17, "num_test_samples": 700, "dedup": "splits",
                                 "save_dir": str(tmp_path)}).run()
    test = {str(r["problem"]) for r in _rows(tmp_path, "test")}
    assert not test & {str(r["problem"]) for r in _rows(tmp_path, "train")}


@pytest.mark.parametrize("value", ["maybe", "inner", 1])
def test_a_bad_dedup_value_is_named(tmp_path, value):
    with pytest.raises(ConfigError, match=f"dedup must be off, splits or all, got {value!r}"):
        make_run(tmp_path, gens.few_sums, dedup=value)


def test_yaml_off_is_off(tmp_path):
    config = yaml.safe_load("dedup: off")  # YAML 1.1 reads off as false
    make_run(tmp_path, gens.few_sums, sizes=SIZES, dedup=config["dedup"])
    assert "deduplicated" not in yaml.safe_load((tmp_path / "train_stats.yaml").read_text())


def test_a_lost_keys_file_makes_its_split_again(tmp_path, capsys):
    make_run(tmp_path / "ref", gens.few_sums, sizes=SIZES, dedup="splits")
    make_run(tmp_path / "run", gens.few_sums, sizes=SIZES, dedup="splits")
    seen = tmp_path / "run" / ".synthset" / "dedup" / "test.seen"
    seen.unlink()
    # train is merged, test's keys are gone: test is made again, train is kept.
    (tmp_path / "run" / "train_data.jsonl").unlink()
    make_run(tmp_path / "run", gens.few_sums, sizes=SIZES, dedup="splits")
    err = capsys.readouterr().err
    assert "making split 'test' again: its dedup keys" in err
    assert seen.exists()
    assert read_outputs(tmp_path / "run") == read_outputs(tmp_path / "ref")


def test_a_remote_save_dir_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="dedup: splits needs a local save_dir"):
        make_run("memory://dedup-run", gens.few_sums, dedup="splits")


def _config(path, save_dir):
    path.write_text(yaml.safe_dump({"dataset": {
        "save_dir": str(save_dir), "num_train_samples": 3000, "num_test_samples": 600,
        "batch_size": 100, "n_jobs": 2, "root_seed": 42, "verbose": False,
        "instance_generator": "tests.gens:slow_some_sums", "dedup": "splits"}}))
    return path


def _markers(run, split):
    folder = run / ".synthset" / "completions" / split
    return sum(1 for p in folder.iterdir() if not p.name.startswith(".")) \
        if folder.is_dir() else 0


def test_sigkill_then_resume_gives_the_same_bytes(tmp_path):
    stats = make_run(tmp_path / "ref", gens.some_sums, sizes={"train": 3000, "test": 600},
                     dedup="splits", batch_size=1000)
    assert stats["train"]["deduplicated"] > 100
    run = tmp_path / "run"
    config = _config(tmp_path / "data.yaml", run)
    # Killed while test is made, then while train is made (after test's keys are folded).
    events = [lambda: _markers(run, "test") >= 2,
              lambda: _markers(run, "train") >= 3]
    for happened in events:
        proc = subprocess.Popen([sys.executable, "-m", "synthset.cli.main", "generate",
                                 str(config)], start_new_session=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        while proc.poll() is None and not happened():
            time.sleep(0.001)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    # The second kill came while train was being made, after test's keys were folded.
    assert (run / ".synthset" / "dedup" / "test.seen").exists()
    assert _markers(run, "train") >= 3 and not (run / "train_data.jsonl").exists()
    proc = subprocess.run([sys.executable, "-m", "synthset.cli.main", "generate", str(config)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert read_outputs(run) == read_outputs(tmp_path / "ref")


def test_a_large_key_set_is_searched_on_disk_with_the_same_result(tmp_path, monkeypatch):
    from synthset.driver import dedup

    make_run(tmp_path / "set", gens.few_sums, sizes=SIZES, dedup="splits")
    monkeypatch.setattr(dedup, "SET_LIMIT", 0)  # every key set memory-mapped and searched
    make_run(tmp_path / "mapped", gens.few_sums, sizes=SIZES, dedup="splits")
    assert read_outputs(tmp_path / "mapped") == read_outputs(tmp_path / "set")
    held = dedup.KeySet(tmp_path / "mapped" / ".synthset" / "dedup" / "test.seen")
    assert held._set is None and held.count > 30
    test_keys = [dedup.sample_keyer(None)((r["problem"], r["answer"]))
                 for r in _rows(tmp_path / "mapped", "test")]
    assert all(held.contains(k) for k in test_keys)
    assert not held.contains(b"\0" * 16) and not held.contains(b"\xff" * 16)


# -- dedup: all ------------------------------------------------------------------------------
ALL_SIZES = {"train": 60, "test": 25}


def _problems(folder, split):
    return [r["problem"] for r in _rows(folder, split)]


def test_all_leaves_no_two_samples_of_a_split_with_one_problem(tmp_path):
    stats = make_run(tmp_path, gens.few_sums, sizes=ALL_SIZES, dedup="all")
    test, train = _problems(tmp_path, "test"), _problems(tmp_path, "train")
    assert len(set(test)) == 25 and len(set(train)) == 60 and not set(test) & set(train)
    # The lowest index keeps its problem: the first sample is the plain one, and a sample whose
    # plain problem no lower index has is its plain one.
    plain = [gens.few_sums(derive_seed(42, "test", i))[0] for i in range(25)]
    assert test[0] == plain[0]
    for i, problem in enumerate(plain):
        if problem not in plain[:i]:
            assert test[i] == problem
    # Every sample is one of its own candidates: its seed or one of its replacement seeds.
    for i, problem in enumerate(train):
        seeds = [derive_seed(42, "train", i)] + [replacement_seed(42, "train", i, a)
                                                  for a in range(1, 101)]
        assert problem in {gens.few_sums(seed)[0] for seed in seeds}
    assert stats["test"]["deduplicated"] > 0 and stats["train"]["deduplicated"] > 0
    report = check_run(tmp_path, n_jobs=1, verbose=False)
    assert report["ok"], report["problems"]
    assert report["splits"]["train"]["duplicates"] == 0
    assert report["determinism"]["differ"] == 0


def test_all_gives_the_same_bytes_for_any_n_jobs_and_batch_size(tmp_path):
    make_run(tmp_path / "a", gens.few_sums, sizes=ALL_SIZES, dedup="all", batch_size=25)
    make_run(tmp_path / "b", gens.few_sums, sizes=ALL_SIZES, dedup="all", batch_size=7,
             n_jobs=2, backend="loky")
    make_run(tmp_path / "c", gens.few_sums, sizes=ALL_SIZES, dedup="all", batch_size=100)
    assert read_outputs(tmp_path / "a") == read_outputs(tmp_path / "b") \
        == read_outputs(tmp_path / "c")


def test_all_resumes_from_its_overrides(tmp_path):
    """A run stopped after its first settling round resumes to the same bytes: the overrides
    written before the shards were made again tell which shards are stale."""
    from synthset.driver import run as run_module

    make_run(tmp_path / "ref", gens.few_sums, sizes=ALL_SIZES, dedup="all", batch_size=10)
    real = run_module.settle_duplicates

    def one_round_then_stop(state, split, shards, job, executor, tally):
        if split == "test":
            again = run_module.dedup.later_duplicates(
                [state.shard_file(s, "keys") for s in shards])
            mine = job.overrides.setdefault(split, {})
            for index in again:
                mine[index] = tally.attempts.get(str(index), 0) + 1
            path = run_module.dedup.overrides_file(state.root, split)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({str(i): a for i, a in mine.items()}))
            raise KeyboardInterrupt  # killed before the stale shards were made again
        return real(state, split, shards, job, executor, tally)

    run_module.settle_duplicates = one_round_then_stop
    try:
        with pytest.raises(KeyboardInterrupt):
            make_run(tmp_path / "run", gens.few_sums, sizes=ALL_SIZES, dedup="all",
                     batch_size=10)
    finally:
        run_module.settle_duplicates = real
    assert (tmp_path / "run" / ".synthset" / "dedup" / "test.overrides.json").exists()
    make_run(tmp_path / "run", gens.few_sums, sizes=ALL_SIZES, dedup="all", batch_size=10)
    assert read_outputs(tmp_path / "run") == read_outputs(tmp_path / "ref")


def test_all_with_too_few_problems_is_one_clear_error_with_the_counts(tmp_path):
    """Four test samples cannot tell how many problems the generator makes: the run fails
    when a sample runs out of seeds, naming what the splits need and what they hold."""
    with pytest.raises(GenerationError) as info:
        make_run(tmp_path, gens.tiny_domain, sizes={"train": 2, "test": 4}, dedup="all")
    assert str(info.value).endswith(
        "the task makes too few distinct problems for these split sizes; make fewer samples or "
        "a harder level; dedup: all needs 6 distinct problems (test 4, train 2)")


def test_repeats_are_found_the_same_in_memory_and_through_partition_files(tmp_path):
    import random

    from synthset.driver import dedup

    rng = random.Random(0)
    pool = [rng.randbytes(16) for _ in range(300)]
    files, keys = [], []
    for n in range(5):  # five shards' key files, with repeats inside and across them
        block = [rng.choice(pool) for _ in range(400)]
        keys += block
        path = tmp_path / f"{n:05d}.keys"
        path.write_bytes(b"".join(block))
        files.append(path)
    expected = [i for i, k in enumerate(keys) if k in set(keys[:i])]
    assert dedup.later_duplicates(files) == expected
    work = tmp_path / "parts"
    assert dedup.later_duplicates(files, work, keys_per_partition=100) == expected
    assert list(work.iterdir()) == []  # the partition files are removed


def test_a_fold_writes_the_same_seen_file_in_python_and_with_numpy(tmp_path, monkeypatch):
    import random

    from synthset.driver import dedup

    def chunks(data):
        return [data[i:i + 16] for i in range(0, len(data), 16)]

    rng = random.Random(1)
    pool = [rng.randbytes(16) for _ in range(300)]
    files = []
    for n in range(3):  # repeats inside and across the files, and with the earlier seen file
        files.append(tmp_path / f"{n}.keys")
        files[-1].write_bytes(b"".join(rng.choice(pool) for _ in range(200)))
    earlier = tmp_path / "test.seen"
    dedup.fold(None, files[:1], earlier)
    expected = sorted(set(chunks(b"".join(p.read_bytes() for p in files))))
    for limit in (dedup.FOLD_IN_PYTHON, 0):  # 0: the fold goes through numpy
        monkeypatch.setattr(dedup, "FOLD_IN_PYTHON", limit)
        assert dedup.fold(earlier, files[1:], tmp_path / "train.seen") == len(expected)
        assert chunks((tmp_path / "train.seen").read_bytes()) == expected
