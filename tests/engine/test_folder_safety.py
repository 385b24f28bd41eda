"""A run folder is data, never an instruction: synthset writes nothing through a symbolic link
inside it, ``resume: false`` leaves none of the previous run's files, and the clean-up after a
kill removes synthset's own temporary files only."""

import json
import os
from pathlib import Path

import pytest

from synthset.cli.main import main
from synthset.core.errors import ConfigError
from synthset.core.fs import tmp_path
from synthset.engine.state import RunFolderError
from tests import gens
from tests.conftest import OUTPUT_FILES, make_run, read_outputs

LINKED = "synthset does not write through links inside a run folder"
SMALL = {"sizes": {"train": 30, "test": 7}, "batch_size": 10}


@pytest.fixture
def run(tmp_path):
    folder = tmp_path / "run"
    make_run(folder, gens.integer_sum, **SMALL)
    return folder


@pytest.fixture
def victim(tmp_path):
    path = tmp_path / "victim.txt"
    path.write_text("precious\n")
    return path


def _check(folder, *extra):
    return main(["check", str(folder), "-q", "--executor", "serial", *extra])


def _one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    return err


# -- 1. no write goes through a link -------------------------------------------------------------
def test_a_lock_that_is_a_link_is_refused(run, victim, capsys):
    lock = run / ".synthset" / "lock"
    lock.symlink_to(victim)
    assert _check(run, "--no-figures") == 2
    err = _one_line(capsys)
    assert str(lock) in err and LINKED in err
    with pytest.raises(ConfigError, match=LINKED):
        make_run(run, gens.integer_sum, **SMALL)
    assert victim.read_text() == "precious\n"


def test_a_state_folder_that_is_a_link_is_refused(run, tmp_path, capsys):
    elsewhere = tmp_path / "elsewhere"
    (run / ".synthset").rename(elsewhere)
    (run / ".synthset").symlink_to(elsewhere)
    before = sorted(p.name for p in elsewhere.iterdir())
    assert _check(run, "--no-figures") == 2
    assert str(run / ".synthset") in _one_line(capsys)
    assert sorted(p.name for p in elsewhere.iterdir()) == before


def test_a_check_state_that_is_a_link_is_refused(run, tmp_path, capsys):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "mine.txt").write_text("mine\n")
    (run / ".synthset" / "check").symlink_to(elsewhere, target_is_directory=True)
    assert _check(run, "--no-figures") == 2
    err = _one_line(capsys)
    assert str(run / ".synthset" / "check") in err and LINKED in err
    assert [p.name for p in elsewhere.iterdir()] == ["mine.txt"]


def test_a_quality_folder_that_is_a_link_is_refused(run, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (run / "quality").symlink_to(elsewhere, target_is_directory=True)
    assert _check(run) == 2
    err = _one_line(capsys)
    assert str(run / "quality") in err and LINKED in err
    assert list(elsewhere.iterdir()) == []


def test_a_data_folder_that_is_a_link_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "data").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(ConfigError, match=LINKED):
        make_run(folder, gens.integer_sum, formats=["parquet"], **SMALL)
    assert list(elsewhere.iterdir()) == []


def test_a_link_in_the_state_folder_stops_a_resume(run, tmp_path):
    """The serial executor's ``running`` marker is written in place: a dangling link there
    would create its target. The resume refuses any link in the state folder first."""
    target = tmp_path / "created.txt"
    (run / ".synthset" / "running").symlink_to(target)
    with pytest.raises(ConfigError, match=LINKED):
        make_run(run, gens.integer_sum, **SMALL)
    assert not target.exists()


def test_a_temporary_name_that_is_a_link_is_not_followed(tmp_path, victim):
    from synthset.core.fs import atomic_write_text

    path = tmp_path / "out.txt"
    tmp_path_of = tmp_path / tmp_path_name(path)
    tmp_path_of.symlink_to(victim)
    with pytest.raises(ConfigError, match=LINKED):
        atomic_write_text(path, "new\n")
    assert victim.read_text() == "precious\n" and not path.exists()


def tmp_path_name(path: Path) -> str:
    return tmp_path(path).name


def test_a_run_folder_reached_through_a_link_works(tmp_path, golden):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "datasets").symlink_to(real, target_is_directory=True)
    folder = tmp_path / "datasets" / "run"
    make_run(folder, gens.integer_sum)
    assert read_outputs(real / "run") == read_outputs(golden / "integer_sum")
    assert _check(folder, "--no-figures") == 0
    assert (real / "run" / "quality.json").is_file()
    make_run(folder, gens.integer_sum)  # a resume
    make_run(folder, gens.integer_sum, resume=False)
    assert read_outputs(real / "run") == read_outputs(golden / "integer_sum")


def test_a_final_file_that_is_a_link_is_replaced_not_followed(run, victim):
    """A data file kept as a link (git-annex, DVC) is replaced when made again; what it
    pointed to is left as it was."""
    (run / "train_raw.txt").unlink()
    (run / "train_raw.txt").symlink_to(victim)
    (run / "train_data.jsonl").unlink()  # the split is made again
    make_run(run, gens.integer_sum, **SMALL)
    assert not (run / "train_raw.txt").is_symlink()
    assert victim.read_text() == "precious\n"


# -- 2. resume: false starts from an empty folder ------------------------------------------------
def test_resume_false_removes_every_file_of_the_previous_run(tmp_path, capsys):
    folder = tmp_path / "r4"
    make_run(folder, gens.integer_sum, formats=["pickle", "parquet", "json"], root_seed=1,
             **SMALL)
    assert _check(folder) == 0  # quality.json, quality/ and the card's check section
    assert (folder / "train_data.pkl").is_file() and list((folder / "data").iterdir())
    assert (folder / "quality").is_dir()
    (folder / ".test_data.pkl.99999.tmp").write_text("half")  # a killed writer's
    make_run(folder, gens.integer_sum, formats=[], root_seed=2, resume=False, **SMALL)
    second = tmp_path / "fresh"  # the same run made in an empty folder
    make_run(second, gens.integer_sum, formats=[], root_seed=2, **SMALL)
    left = sorted(p.name for p in folder.iterdir())
    assert left == sorted(p.name for p in second.iterdir())
    assert "train_data.pkl" not in left and "data" not in left and "quality" not in left
    assert read_outputs(folder) == read_outputs(second)
    card = (folder / "README.md").read_text()
    assert "train_data.jsonl" in card and "parquet" not in card and "Not checked yet" in card

    from synthset.runs import RunFolder

    assert RunFolder(folder).splits == ["train", "test"]


def test_resume_false_refuses_a_folder_holding_other_files(run, capsys):
    before = read_outputs(run, OUTPUT_FILES)
    (run / "notes").mkdir()
    (run / "notes" / "todo.txt").write_text("mine\n")
    (run / "mine.csv").write_text("a,b\n")
    with pytest.raises(RunFolderError) as info:
        make_run(run, gens.integer_sum, root_seed=2, resume=False, **SMALL)
    message = str(info.value)
    assert "\n" not in message and "mine.csv" in message and "notes/" in message
    assert str(run) in message and "resume=false" in message
    # nothing was removed: the run is as it was
    assert read_outputs(run, OUTPUT_FILES) == before
    assert json.loads((run / ".synthset" / "manifest.json").read_text())["config"][
        "root_seed"] == 42


def test_resume_false_keeps_a_card_that_is_not_synthsets(run):
    (run / "README.md").write_text("# my own card\n")
    with pytest.raises(RunFolderError, match="README.md"):
        make_run(run, gens.integer_sum, root_seed=2, resume=False, **SMALL)
    assert (run / "README.md").read_text() == "# my own card\n"


def test_resume_false_in_a_folder_without_a_run_keeps_its_files(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "data.yaml").write_text("dataset: {}\n")
    make_run(folder, gens.integer_sum, resume=False, **SMALL)
    assert (folder / "data.yaml").read_text() == "dataset: {}\n"


def test_a_manifest_naming_paths_outside_removes_nothing_there(run, tmp_path, victim):
    """The manifest and markers are data: a name that is not a file of the folder is never
    removed."""
    manifest = json.loads((run / ".synthset" / "manifest.json").read_text())
    manifest["config"]["sizes"]["../victim.txt#"] = 3
    (run / ".synthset" / "manifest.json").write_text(json.dumps(manifest))
    (run / ".synthset" / "merged" / "evil").write_text(
        json.dumps({"files": {"../victim.txt": 9, str(victim): 9}}))
    make_run(run, gens.integer_sum, root_seed=2, resume=False, **SMALL)
    assert victim.read_text() == "precious\n"


def test_the_report_files_are_the_ones_check_writes():
    from synthset.driver.run import REPORT_FILES
    from synthset.quality import check, report

    assert {check.REPORT, check.FAILURES_FILE,
            *(f"quality/{name}.png" for name in report.FIGURES)} <= set(REPORT_FILES)


# -- 3. the clean-up after a kill removes synthset's temporary files only --------------------------
def test_only_synthsets_own_temporary_files_are_removed(run):
    ours = [run / ".train_raw.txt.4242.tmp", run / "data" / ".train-00000-of-00001.parquet.7.tmp",
            run / ".synthset" / "shards" / "train" / ".00000.txt.4242.tmp"]
    nested = run / "inner"  # a run folder of its own, maybe being written right now
    theirs = [run / "notes" / ".draft.tmp", run / ".draft.tmp", run / "notes" / ".x.txt.1.tmp",
              nested / ".train_raw.txt.4242.tmp",
              nested / ".synthset" / "shards" / "train" / ".00000.txt.4242.tmp",
              run / "data" / ".draft.tmp"]
    (nested / ".synthset").mkdir(parents=True)
    for path in ours + theirs:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("half")
    make_run(run, gens.integer_sum, **SMALL)  # a resume: it cleans up
    assert [p for p in ours if p.exists()] == []
    assert [p for p in theirs if not p.exists()] == []


def test_temporary_names_are_exact():
    from synthset.core.fs import is_tmp_name

    assert is_tmp_name(tmp_path(Path("train_raw.txt")).name)
    assert is_tmp_name(".a.b.123.tmp")
    for name in (".draft.tmp", "a.123.tmp", ".a.12x.tmp", ".a.123.tmp~", "..123.tmp",
                 ".a.123.TMP"):
        assert not is_tmp_name(name), name


def test_the_remover_does_not_follow_links(run, tmp_path):
    from synthset.core.fs import remove_stale_tmp

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    stale = elsewhere / ".a.txt.5.tmp"
    stale.write_text("theirs")
    (run / "quality").symlink_to(elsewhere, target_is_directory=True)
    remove_stale_tmp(run)
    assert stale.exists()
    assert os.path.islink(run / "quality")
