"""``croissant.json`` beside every dataset card: mlcroissant validates it with no error and no
warning, and reads back through it exactly the samples the run and its exports hold."""

import datetime
import hashlib
import json
from pathlib import Path

import mlcroissant as mlc
import pyarrow.parquet as pq
import pytest

from synthset.cli.main import main
from synthset.core.nested import text_field
from synthset.dataset import DatasetPipeline
from synthset.runs.croissant import CONFORMS_TO, write_croissant

BLOCK = {"num_train_samples": 60, "num_test_samples": 20, "batch_size": 25, "n_jobs": 1,
         "root_seed": 42, "verbose": False}


def _run(folder, **block):
    DatasetPipeline.from_config({**BLOCK, "save_dir": str(folder), **block}).run()
    return Path(folder)


def _load(folder) -> mlc.Dataset:
    """The folder's croissant.json through mlcroissant: no error, no warning."""
    dataset = mlc.Dataset(jsonld=str(Path(folder) / "croissant.json"))
    issues = dataset.metadata.ctx.issues
    assert (issues.errors, issues.warnings) == (set(), set())
    return dataset


def _records(dataset, split) -> list[dict]:
    """A record set's records, with its fields' names only and text as str."""
    def plain(v):
        if isinstance(v, bytes):
            return v.decode()
        if isinstance(v, list):
            return [plain(x) for x in v]
        if hasattr(v, "tolist"):
            return plain(v.tolist())
        return v
    return [{k.split("/", 1)[1]: plain(v) for k, v in r.items()}
            for r in dataset.records(record_set=split)]


def _jsonl(folder, split) -> list[dict]:
    return [json.loads(line) for line in
            (Path(folder) / f"{split}_data.jsonl").read_text().splitlines()]


def _check_files(folder, meta: dict) -> None:
    """Every FileObject's sha256 and size are its file's."""
    for f in meta["distribution"]:
        if f["@type"] == "cr:FileObject":
            blob = (Path(folder) / f["contentUrl"]).read_bytes()
            assert f["sha256"] == hashlib.sha256(blob).hexdigest()
            assert f["contentSize"] == f"{len(blob)} B"


@pytest.fixture(scope="module")
def depo(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("depo") / "run", task="depo", task_config={"level": 1},
                formats=["json", "parquet", "text"], license="cc-by-4.0")


def test_a_runs_parquet_files_read_back_as_its_samples(depo):
    meta = json.loads((depo / "croissant.json").read_text())
    dataset = _load(depo)
    manifest = json.loads((depo / ".synthset" / "manifest.json").read_text())
    assert meta["conformsTo"] == CONFORMS_TO and meta["@type"] == "sc:Dataset"
    assert meta["name"] == "depo" and meta["license"] == "cc-by-4.0"
    assert meta["version"] == f"0.1.0+{manifest['fingerprint']}"
    newest = max((depo / f["contentUrl"]).stat().st_mtime for f in meta["distribution"])
    assert meta["datePublished"] == datetime.datetime.fromtimestamp(
        newest, datetime.timezone.utc).strftime("%Y-%m-%d")
    assert [r["name"] for r in meta["recordSet"]] == ["train", "test"]
    assert {f["name"]: (f["dataType"], f.get("isArray", False))
            for f in meta["recordSet"][0]["field"]} == {
        "input_ids": ("sc:Integer", True), "loss_mask": ("sc:Integer", True),
        "labels": ("sc:Integer", True), "meta": ("sc:Text", False),
        "index": ("sc:Integer", False)}
    formats = {f["contentUrl"]: f["encodingFormat"] for f in meta["distribution"]}
    assert formats == {"data/train-00000-of-00001.parquet": "application/x-parquet",
                       "data/test-00000-of-00001.parquet": "application/x-parquet",
                       "train_raw.txt": "text/plain", "test_raw.txt": "text/plain"}
    _check_files(depo, meta)
    for split in ("train", "test"):
        rows = _jsonl(depo, split)
        got = _records(dataset, split)
        assert len(got) == BLOCK[f"num_{split}_samples"]
        for i, (record, row) in enumerate(zip(got, rows)):
            assert record["index"] == i
            assert {k: record[k] for k in ("input_ids", "loss_mask", "labels")} == \
                {k: row[k] for k in ("input_ids", "loss_mask", "labels")}
            assert json.loads(record["meta"]) == row["meta"]


def test_rai_fields_tell_how_the_data_was_made(depo):
    meta = json.loads((depo / "croissant.json").read_text())
    collection = meta["rai:dataCollection"]
    for needle in ("the built-in synthset task depo at level 1", "Root seed 42",
                   "DepoTask@", "train with 60 samples", "test with 20 samples",
                   'sha256(f"{root_seed}_{s}_{i}"'):
        assert needle in collection, needle
    assert meta["rai:dataCollectionType"] == "Synthetic data"
    assert meta["rai:personalSensitiveInformation"].startswith("None")
    for key in ("rai:dataLimitations", "rai:dataBiases", "rai:dataUseCases", "citeAs"):
        assert meta[key]


def test_a_runs_jsonl_is_described_when_it_has_no_parquet(tmp_path):
    run = _run(tmp_path / "sum", task="integer_sum")  # formats: text and json
    meta = json.loads((run / "croissant.json").read_text())
    assert meta["license"] == "unknown"
    assert {f["contentUrl"]: f["encodingFormat"] for f in meta["distribution"]} == {
        "train_data.jsonl": "application/jsonlines", "test_data.jsonl": "application/jsonlines",
        "train_raw.txt": "text/plain", "test_raw.txt": "text/plain"}
    assert [(f["name"], f["dataType"], f.get("isArray", False))
            for f in meta["recordSet"][0]["field"]] == [("problem", "sc:Text", True),
                                                        ("answer", "sc:Text", False)]
    dataset = _load(run)
    for split in ("train", "test"):
        assert _records(dataset, split) == _jsonl(run, split)


def test_a_task_rows_meta_object_is_left_out_of_the_jsonl_record_set(tmp_path):
    run = _run(tmp_path / "depo", task="depo", task_config={"level": 1})
    meta = json.loads((run / "croissant.json").read_text())
    assert "Not described as fields (nested deeper than a list of values): train.meta, " \
           "test.meta." in meta["description"]
    dataset = _load(run)
    rows = _jsonl(run, "test")
    assert _records(dataset, "test") == [{k: r[k] for k in ("input_ids", "loss_mask", "labels")}
                                         for r in rows]


def test_a_text_only_run_lists_its_files_and_says_why_no_records(tmp_path):
    run = _run(tmp_path / "sum", task="integer_sum", save_json=False)
    meta = json.loads((run / "croissant.json").read_text())
    assert "recordSet" not in meta
    assert "holds no Parquet or JSONL files" in meta["description"]
    _load(run)
    _check_files(run, meta)


def test_the_same_run_writes_the_same_croissant_however_it_was_made(tmp_path):
    a = _run(tmp_path / "a", task="integer_sum", formats=["json", "parquet"])
    b = _run(tmp_path / "b", task="integer_sum", formats=["json", "parquet"], n_jobs=2,
             batch_size=7)

    def without_date(folder):
        meta = json.loads((folder / "croissant.json").read_text())
        meta.pop("datePublished")
        return meta
    assert without_date(a) == without_date(b)


def test_changed_data_is_hashed_again_and_unchanged_data_is_not_rewritten(tmp_path):
    run = _run(tmp_path / "sum", task="integer_sum")
    path = run / "croissant.json"
    before = path.stat().st_mtime_ns, path.read_text()
    assert write_croissant(run) == path
    assert (path.stat().st_mtime_ns, path.read_text()) == before
    data = run / "test_data.jsonl"
    data.write_text(data.read_text().replace('"answer": "', '"answer": "1', 1))
    write_croissant(run)
    meta = json.loads(path.read_text())
    _check_files(run, meta)
    assert _records(_load(run), "test") == _jsonl(run, "test")


@pytest.mark.parametrize("prompts", [False, True])
def test_an_hf_export_of_a_run_reads_back_as_its_parquet_rows(depo, tmp_path, prompts):
    out = tmp_path / "hf"
    assert main(["export", "hf", str(depo), str(out), *(["--prompts"] if prompts else [])]) == 0
    meta = json.loads((out / "croissant.json").read_text())
    dataset = _load(out)
    assert meta["license"] == "cc-by-4.0"
    assert "These files are a Parquet export of those samples." in meta["rai:dataCollection"]
    assert all(f["contentUrl"].startswith("data/") for f in meta["distribution"])
    _check_files(out, meta)
    for split in ("train", "test"):
        files = sorted((out / "data").glob(f"{split}-*.parquet"))
        rows = pq.read_table(files).to_pylist()
        assert _records(dataset, split) == rows
        if prompts:
            assert list(rows[0]) == ["prompt", "answer", "example", "index"]


def test_an_hf_export_of_a_task_by_name(tmp_path):
    out = tmp_path / "hf"
    assert main(["export", "hf", "integer_sum", str(out), "--count", "30", "--seed", "3"]) == 0
    meta = json.loads((out / "croissant.json").read_text())
    dataset = _load(out)
    assert meta["name"] == "integer_sum" and meta["license"] == "unknown"
    assert "Root seed 3" in meta["rai:dataCollection"]
    assert "train with 30 samples" in meta["rai:dataCollection"]
    rows = pq.read_table(sorted((out / "data").glob("train-*.parquet"))).to_pylist()
    assert _records(dataset, "train") == rows
    # the rows are those of split train of a run with root_seed = --seed
    run = _run(tmp_path / "run", task="integer_sum", num_train_samples=30, num_test_samples=1,
               root_seed=3)
    assert [(r["problem"], r["answer"]) for r in rows] == \
        [(text_field(j["problem"]), text_field(j["answer"])) for j in _jsonl(run, "train")]


def test_a_split_cut_into_several_parquet_files_is_one_file_set(depo, tmp_path):
    """A split of more than a million rows is cut into files; its record set then reads a
    FileSet over them, in file order."""
    import types

    out = tmp_path / "hf"
    assert main(["export", "hf", str(depo), str(out)]) == 0
    table = pq.read_table(out / "data" / "train-00000-of-00001.parquet")
    (out / "data" / "train-00000-of-00001.parquet").unlink()
    pq.write_table(table.slice(0, 25), out / "data" / "train-00000-of-00002.parquet")
    pq.write_table(table.slice(25), out / "data" / "train-00001-of-00002.parquet")
    write_croissant(out, types.SimpleNamespace(folder=depo))
    meta = json.loads((out / "croissant.json").read_text())
    sets = [f for f in meta["distribution"] if f["@type"] == "cr:FileSet"]
    assert sets == [{"@type": "cr:FileSet", "@id": "train-files", "name": "train-files",
                     "encodingFormat": "application/x-parquet",
                     "includes": "data/train-*.parquet"}]
    _check_files(out, meta)
    got = _records(_load(out), "train")
    assert got == table.to_pylist()


def test_an_exports_preprocessing_is_said(depo, tmp_path):
    import types

    out = tmp_path / "hf"
    assert main(["export", "hf", str(depo), str(out)]) == 0
    said = "samples over 40 tokens under tokenizer.json left out: 3 of train, 0 of test"
    write_croissant(out, types.SimpleNamespace(folder=depo), preprocessing=said)
    meta = json.loads((out / "croissant.json").read_text())
    assert meta["rai:dataPreprocessingProtocol"] == said
    _load(out)


def test_a_users_own_croissant_json_is_left_as_it_is(tmp_path, capsys):
    """A croissant.json synthset did not write is never overwritten, and ``resume: false``
    does not count it as the run's: the folder is refused, the file kept."""
    folder = _run(tmp_path / "r", task="integer_sum")
    own = '{"@type": "sc:Dataset", "name": "mine"}\n'
    (folder / "croissant.json").write_text(own)
    assert write_croissant(folder) is None
    assert "croissant.json is not synthset's Croissant file: left as it is" in \
        capsys.readouterr().err
    assert (folder / "croissant.json").read_text() == own
    with pytest.raises(Exception, match=r"holds files its run did not write \(croissant.json\)"):
        _run(folder, task="integer_sum", resume=False)
    assert (folder / "croissant.json").read_text() == own
