"""Every run makes a few samples again before merging a split and compares them."""

import os
import random
import re
import subprocess
import sys

import pytest

from synthset import ConfigError, GenerationError, derive_seed
from synthset.driver.run import determinism_checks
from tests import gens
from tests.conftest import make_run, read_outputs


def unseeded(seed):
    """Takes its randomness from the global generator, not from the seed."""
    return [random.randint(0, 10**9)], 0


def test_a_generator_that_ignores_its_seed_fails_naming_the_index_and_both_values(tmp_path):
    with pytest.raises(GenerationError) as info:
        make_run(tmp_path, unseeded)
    message = str(info.value)
    found = re.search(r"sample (\d+) of split '(\w+)' \(seed \d+\) failed: the generator is not "
                      r"deterministic: made again from the same seed it gave '(.*)', the first "
                      r"time '(.*)'; take all randomness from the seed", message)
    assert found, message
    index, split, again, first = int(found[1]), found[2], found[3], found[4]
    assert index in determinism_checks({"train": 60, "test": 17}, 16)[split]
    assert again != first
    # "the first time" is what the shard holds; the split was not merged.
    shard = sorted((tmp_path / ".synthset" / "shards" / split).glob("*.jsonl"))[index // 25]
    line = shard.read_text().splitlines()[index % 25]
    assert first == line.replace("\\", "\\\\") + "\\n"
    assert not (tmp_path / f"{split}_data.jsonl").exists()


def test_verify_determinism_0_turns_the_check_off_and_is_not_part_of_the_run(tmp_path):
    make_run(tmp_path, unseeded, verify_determinism=0)
    assert (tmp_path / "train_data.jsonl").exists()
    make_run(tmp_path / "b", gens.integer_sum, verify_determinism=0)
    before = read_outputs(tmp_path / "b")
    make_run(tmp_path / "b", gens.integer_sum, verify_determinism=64)  # resumes: no refusal
    assert read_outputs(tmp_path / "b") == before


def test_the_checks_spread_over_the_splits():
    checks = determinism_checks({"train": 200_000, "test": 10_000}, 16)
    assert len(checks["train"]) == 15 and len(checks["test"]) == 1
    assert checks["train"][0] < 200_000 // 15 and checks["train"][-1] > 200_000 * 14 // 15
    assert determinism_checks({"train": 3, "test": 1}, 16) == {"train": [0, 1, 2], "test": [0]}
    assert determinism_checks({"train": 10}, 0) == {}
    with pytest.raises(ConfigError, match="verify_determinism must be an integer >= 0, got -1"):
        make_run("unused", gens.integer_sum, verify_determinism=-1)


# -- the re-check runs in a fresh process, with another hash seed ---------------------------
NOTE = "synthset: the determinism re-check runs in this process, not in a fresh one"


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_a_generator_seeded_from_hash_of_a_string_is_caught(tmp_path, n_jobs):
    """hash(str(seed)) is the same in the process that made a sample (and in the workers it
    forks) and differs in the next run: the re-check, in a fresh process, sees it."""
    with pytest.raises(GenerationError) as info:
        make_run(tmp_path, gens.hash_seeded, n_jobs=n_jobs, backend="multiprocessing")
    message = str(info.value)
    found = re.search(r"sample (\d+) of split '(\w+)' \(seed (\d+)\) failed: the generator is "
                      r"not deterministic: made again from the same seed it gave", message)
    assert found, message
    index, split, seed = int(found[1]), found[2], int(found[3])
    assert index in determinism_checks({"train": 60, "test": 17}, 16)[split]
    assert seed == derive_seed(42, split, index)
    assert "in a fresh Python process" in message
    assert not (tmp_path / f"{split}_data.jsonl").exists()  # the split stays unmerged


def test_the_re_check_runs_in_one_other_process_with_another_hash_seed(tmp_path, monkeypatch,
                                                                        capfd):
    calls = tmp_path / "calls"
    monkeypatch.setenv("SYNTHSET_TEST_CALLS", str(calls))
    make_run(tmp_path / "run", gens.records_calls)
    assert capfd.readouterr().err == ""  # no note: the fresh process was used
    by_pid: dict = {}
    for line in calls.read_text().splitlines():
        pid, hashed = line.split()
        by_pid.setdefault(int(pid), set()).add(int(hashed))
    assert os.getpid() in by_pid and len(by_pid) == 2  # and one other process
    other = next(pid for pid in by_pid if pid != os.getpid())
    assert by_pid[os.getpid()] == {hash("synthset")}
    assert by_pid[other] != by_pid[os.getpid()]  # another hash seed
    lines = calls.read_text().splitlines()
    checked = sum(len(v) for v in determinism_checks({"train": 60, "test": 17}, 16).values())
    assert sum(line.startswith(f"{other} ") for line in lines) == checked
    assert len(lines) == 77 + checked
    # and its bytes are those of an ordinary run
    make_run(tmp_path / "ref", gens.integer_sum)
    assert read_outputs(tmp_path / "run") == read_outputs(tmp_path / "ref")


def test_code_that_cannot_be_imported_by_name_is_re_checked_here_with_a_note(tmp_path, capsys):
    make_run(tmp_path / "a", lambda seed: gens.integer_sum(seed))
    err = capsys.readouterr().err
    assert err.count(NOTE) == 1 and len(err.strip().splitlines()) == 1, err
    assert "is a lambda" in err and "hash() of a string" in err

    state = {"calls": 0}

    def drifts(seed):  # a closure whose samples change with every call: caught here
        state["calls"] += 1
        return [state["calls"]], 0

    with pytest.raises(GenerationError, match="the generator is not deterministic"):
        make_run(tmp_path / "b", drifts)
    assert capsys.readouterr().err.count(NOTE) == 1


def test_a_generator_defined_in_main_is_re_checked_here_with_a_note(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(
        "import random\n"
        "from synthset.dataset import DatasetGenerator\n\n"
        "def gen(seed):\n"
        "    rng = random.Random(seed)\n"
        "    return [rng.randint(0, 9)], 0\n\n"
        "if __name__ == '__main__':\n"
        f"    DatasetGenerator(backend='serial', n_jobs=1, verbose=False).run(\n"
        f"        dataset_sizes={{'train': 20}}, instance_generator=gen,\n"
        f"        save_dir={str(tmp_path / 'run')!r})\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count(NOTE) == 1, done.stderr
    assert "gen is defined in __main__" in done.stderr
    assert (tmp_path / "run" / "train_data.jsonl").exists()


def test_a_module_a_fresh_process_cannot_import_is_re_checked_here_with_a_note(
        tmp_path, monkeypatch, capsys):
    """Loaded from a file under a name that is on no import path (as a notebook's helper can
    be): the fresh process says it cannot import it, and the check runs here."""
    import importlib.util

    source = tmp_path / "elsewhere" / "h12_unlisted.py"
    source.parent.mkdir()
    source.write_text("import random\n\n\ndef gen(seed):\n"
                      "    rng = random.Random(seed)\n    return [rng.randint(0, 9)], 0\n")
    spec = importlib.util.spec_from_file_location("h12_unlisted", source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setitem(sys.modules, "h12_unlisted", module)
    make_run(tmp_path / "run", module.gen)
    err = capsys.readouterr().err
    assert err.count(NOTE) == 1 and len(err.strip().splitlines()) == 1, err
    assert "a fresh process could not import its code" in err and "h12_unlisted" in err
