"""Parquet (HF naming, explicit schema) and pickle output of runs: deterministic bytes."""

import pytest

from synthset.io.pickle import load_samples
from tests import gens
from tests.conftest import make_run


def test_parquet_and_pickle_bytes_do_not_depend_on_sharding(tmp_path):
    outputs = []
    for i, (backend, n_jobs, batch) in enumerate([("serial", 1, 500), ("loky", 2, 33)]):
        folder = tmp_path / str(i)
        make_run(folder, gens.nested, sizes={"train": 250, "test": 40}, backend=backend,
                 n_jobs=n_jobs, batch_size=batch, formats=["parquet", "pickle"])
        outputs.append({p.name: p.read_bytes() for p in [*folder.iterdir(),
                                                          *(folder / "data").iterdir()]
                        if p.suffix in (".parquet", ".pkl")})
    assert sorted(outputs[0]) == ["test-00000-of-00001.parquet", "test_data.pkl",
                                  "train-00000-of-00001.parquet", "train_data.pkl"]
    assert outputs[0] == outputs[1]


def test_parquet_schema_and_rows(tmp_path):
    import pyarrow.parquet as pq

    make_run(tmp_path, gens.nested, formats=["parquet"])
    table = pq.read_table(tmp_path / "data" / "train-00000-of-00001.parquet")
    assert str(table.schema.field("problem").type) == "string"
    assert table.column_names == ["problem", "answer", "index"]
    raw = (tmp_path / "train_raw.txt").read_text().splitlines()
    rows = table.to_pylist()
    assert [f"{r['problem']} # {r['answer']}" for r in rows] == raw
    assert [r["index"] for r in rows] == list(range(60))


def test_parquet_files_are_cut_by_rows_per_file(tmp_path):
    from synthset.io import parquet

    names = parquet.file_names("train", 2_500_000)
    assert names == [f"data/train-0000{i}-of-00003.parquet" for i in range(3)]


def test_pickle_of_a_run_loads_without_code(tmp_path):
    make_run(tmp_path, gens.nested, formats=["pickle"])
    samples = load_samples(tmp_path / "train_data.pkl")
    assert len(samples) == 60
    assert samples[0] == ([["3", "6", "6"], "éé", 'x"y\\z'], "∑ 3")


def test_datasets_loads_the_parquet_folder_with_split_names(tmp_path):
    datasets = pytest.importorskip("datasets")
    make_run(tmp_path, gens.integer_sum, formats=["parquet"], save_text=False, save_json=False,
             sizes={"train": 30, "test": 5, "validation": 4})
    ds = datasets.load_dataset("parquet", data_dir=str(tmp_path))
    assert {k: v.num_rows for k, v in ds.items()} == {"train": 30, "test": 5, "validation": 4}
    first = (tmp_path / "data" / "train-00000-of-00001.parquet")
    assert first.exists()
    assert ds["train"][0] == {"problem": "208 | -507 | -146 | 389 | 406", "answer": "350",
                              "index": 0}
    assert ds["validation"].features["problem"].dtype == "string"
