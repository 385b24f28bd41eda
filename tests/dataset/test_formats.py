"""The format table: Parquet (HF naming, explicit schema) and pickle output of runs with
deterministic bytes, every format read back, and a new format added by one class."""

import pytest

from synthset.core.nested import text_line
from synthset.io.formats import StreamFormat
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


def test_every_format_reads_back_what_the_run_wrote(tmp_path):
    from synthset.core.nested import text_field
    from synthset.io.formats import FORMATS, get_format

    make_run(tmp_path, gens.nested, formats=list(FORMATS), batch_size=7)
    samples = list(get_format("json").read(tmp_path, "train"))
    assert len(samples) == 60 and samples[0] == ([["3", "6", "6"], "éé", 'x"y\\z'], "∑ 3")
    assert list(get_format("pickle").read(tmp_path, "train")) == samples
    assert list(get_format("text").read(tmp_path, "train")) == \
        (tmp_path / "train_raw.txt").read_text().splitlines()
    rows = list(get_format("parquet").read(tmp_path, "train"))
    assert [(r["problem"], r["answer"], r["index"]) for r in rows] == \
        [(text_field(p), text_field(a), i) for i, (p, a) in enumerate(samples)]


class Shout(StreamFormat):
    """A format made for the test below: the text lines in capitals."""

    name = "shout"
    shard_ext = "shout"
    suffix = "_shout.txt"

    @staticmethod
    def encode(problem, answer):
        return text_line(problem, answer).upper()

    @staticmethod
    def encode_row(row):
        raise NotImplementedError

    def read(self, save_dir, split):
        return (save_dir / self.final_names(split)[0]).read_text().splitlines()


def test_a_new_format_is_one_class_and_one_table_entry(tmp_path, monkeypatch):
    from synthset.io import formats

    monkeypatch.setitem(formats.FORMATS, "shout", "tests.dataset.test_formats:Shout")
    monkeypatch.setattr(formats, "_LOADED", {})
    make_run(tmp_path, gens.integer_sum, formats=["shout"], save_json=False, batch_size=9)
    assert (tmp_path / "train_shout.txt").read_text() == \
        (tmp_path / "train_raw.txt").read_text().upper()
    assert not (tmp_path / "train_data.jsonl").exists()
