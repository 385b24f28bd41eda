"""The one reader of a run's manifest: every way a folder can fail to be a run, one error."""

import json

import pytest

from synthset.cli.main import main
from synthset.engine.state import RunFolderError, read_manifest
from synthset.runs import RunFolder
from tests import gens
from tests.conftest import make_run


@pytest.fixture
def run(tmp_path):
    make_run(tmp_path / "run", gens.integer_sum)
    return tmp_path / "run"


def test_reads_a_run(run):
    manifest = read_manifest(run)
    assert manifest["config"]["sizes"] == {"train": 60, "test": 17}
    assert manifest["shard_size"] > 0 and len(manifest["fingerprint"]) == 16


@pytest.mark.parametrize("damage, message", [
    ("missing", "does not exist: give the save_dir of a run"),
    ("no manifest", "is not a synthset run folder (no .synthset/manifest.json)"),
    ("corrupt", "manifest.json is corrupt"),
    ("no shard_size", "manifest.json has no shard_size"),
    ("no sizes", "manifest.json has no config.sizes"),
])
def test_every_reader_fails_the_same_way(run, tmp_path, capsys, damage, message):
    manifest = run / ".synthset" / "manifest.json"
    folder = run
    if damage == "missing":
        folder = tmp_path / "nowhere"
    elif damage == "no manifest":
        manifest.unlink()
    elif damage == "corrupt":
        manifest.write_text('{"fingerprint": ')
    else:
        data = json.loads(manifest.read_text())
        data.pop("shard_size") if damage == "no shard_size" else data["config"].pop("sizes")
        manifest.write_text(json.dumps(data))
    with pytest.raises(RunFolderError) as info:
        read_manifest(folder)
    assert message in str(info.value) and str(folder) in str(info.value)
    assert main(["status", str(folder)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    if damage != "no manifest":  # a folder without one may be CALT's: readers use its files
        with pytest.raises(RunFolderError, match=message.replace("(", r"\(").replace(")", r"\)")):
            RunFolder(folder)
    if damage not in ("missing", "no manifest"):  # a resume says the same, with what to do
        with pytest.raises(RunFolderError, match="resume=false"):
            make_run(folder, gens.integer_sum)


def test_a_folder_calt_wrote_is_read_from_its_files(run):
    (run / ".synthset" / "manifest.json").unlink()
    assert read_manifest(run, missing_ok=True) is None
    assert RunFolder(run).splits == ["test", "train"]


@pytest.mark.parametrize("edit, message", [
    ({"sizes": {"../../etc": 3}}, "split name '../../etc' is not accepted"),
    ({"sizes": {"train": -5}}, "Number of samples must be a positive integer, got -5"),
    ({"sizes": {"train": 10 ** 20}}, "more than the 1,000,000 one run can track"),
    ({"shard_size": 0}, "shard_size must be a positive integer, got 0"),
    ({"shard_size": "10"}, "shard_size must be a positive integer, got '10'"),
])
def test_a_crafted_manifest_is_refused_by_every_reader(run, capsys, edit, message):
    """Values read from a folder are checked against what synthset writes: a split name that
    climbs out of the folder, a count or shard size no run has."""
    path = run / ".synthset" / "manifest.json"
    data = json.loads(path.read_text())
    if "sizes" in edit:
        data["config"]["sizes"] = edit["sizes"]
    else:
        data["shard_size"] = edit["shard_size"]
    path.write_text(json.dumps(data))
    with pytest.raises(RunFolderError, match="holds values synthset does not write"):
        RunFolder(run)
    assert main(["status", str(run)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_resume_false_starts_over_from_a_corrupt_manifest(run, golden):
    from tests.conftest import read_outputs

    (run / ".synthset" / "manifest.json").write_text("not json")
    make_run(run, gens.integer_sum, resume=False)
    assert read_outputs(run) == read_outputs(golden / "integer_sum")


def test_a_key_newer_than_the_manifest_stands_for_its_default(tmp_path):
    """A manifest written before a config key existed matches that key at its declared
    default, keeps its fingerprint, and still refuses the key at any other value."""
    from synthset import ResumeError
    from synthset.engine.state import RunState

    old = {"sizes": {"train": 3}, "root_seed": 1}
    RunState(tmp_path).open(old, 3, True, {})
    written = (tmp_path / ".synthset" / "manifest.json").read_text()
    defaults = {"foo": [], "bar": None}
    assert RunState(tmp_path).open({**old, "foo": ()}, 5, True, {}, defaults=defaults) == 3
    assert (tmp_path / ".synthset" / "manifest.json").read_text() == written
    with pytest.raises(ResumeError, match=r"configuration \(foo: \[\] -> \['x'\]\)"):
        RunState(tmp_path).open({**old, "foo": ("x",)}, 5, True, {}, defaults=defaults)
    with pytest.raises(ResumeError, match=r"\(foo: \(not recorded\) -> \[\]\)"):
        RunState(tmp_path).open({**old, "foo": ()}, 5, True, {})  # no default declared
    with pytest.raises(ResumeError, match=r"\(root_seed: 1 -> \(not recorded\)\)"):
        RunState(tmp_path).open({"sizes": {"train": 3}}, 5, True, {}, defaults=defaults)
