"""nanoGPT exports: round trips, nanoGPT's own reading code, dtypes, masks, HF, scaffolding."""

import json
import pickle

import numpy as np
import pytest

from synthset import ConfigError
from synthset.cli.main import main
from synthset.export import export_hf, export_nanogpt, to_hf_dataset
from tests import gens
from tests.conftest import make_run, task_config


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    make_run(folder, gens.nested, sizes={"train": 200, "test": 30})
    return folder


def _decode(folder, split):
    meta = pickle.loads((folder / "meta.pkl").read_bytes())
    ids = np.memmap(folder / f"{split}.bin", dtype=np.uint16, mode="r")  # nanoGPT's read
    return "".join(meta["itos"][int(i)] for i in ids)


def test_char_export_round_trips_in_order(run, tmp_path):
    meta = export_nanogpt(run, "n", out=tmp_path, val_split="test")
    raw_train = (run / "train_raw.txt").read_text()
    assert _decode(tmp_path / "n", "train") == raw_train  # template = the raw.txt line
    assert _decode(tmp_path / "n", "val") == (run / "test_raw.txt").read_text()
    assert meta["splits"]["train"]["samples"] == 200 and meta["dtype"] == "uint16"
    assert meta["vocab_size"] == len(set(raw_train + (run / "test_raw.txt").read_text()))


def test_val_fraction_splits_at_sample_boundaries(run, tmp_path):
    export_nanogpt(run, "n", out=tmp_path, val_fraction=0.25)
    lines = (run / "train_raw.txt").read_text().splitlines(keepends=True)
    assert _decode(tmp_path / "n", "train") == "".join(lines[:150])
    assert _decode(tmp_path / "n", "val") == "".join(lines[150:])
    starts = np.fromfile(tmp_path / "n" / "val.starts.bin", dtype="<u8")
    assert len(starts) == 50 and starts[0] == 0


def test_nanogpt_get_batch_logic_recovers_the_text(run, tmp_path):
    export_nanogpt(run, "n", out=tmp_path, val_split="test")
    folder = tmp_path / "n"
    meta = pickle.loads((folder / "meta.pkl").read_bytes())
    data = np.memmap(folder / "train.bin", dtype=np.uint16, mode="r")
    text = (run / "train_raw.txt").read_text()
    block = 32
    rng = np.random.default_rng(0)
    for i in rng.integers(0, len(data) - block, 8):  # nanoGPT: x = data[i:i+block], y shifted
        x = data[i:i + block].astype(np.int64)
        y = data[i + 1:i + 1 + block].astype(np.int64)
        assert "".join(meta["itos"][int(t)] for t in x) == text[i:i + block]
        assert (y[:-1] == x[1:]).all()


def test_custom_template(run, tmp_path):
    export_nanogpt(run, "t", out=tmp_path, val_split="test", template="Q: {problem}\nA: {answer}\n")
    assert _decode(tmp_path / "t", "val").startswith("Q: ")


def test_dtype_switches_to_uint32_past_65535():
    from synthset.io.nanogpt import token_dtype

    assert token_dtype(65535).name == "uint16" and token_dtype(65536).name == "uint32"


def test_big_vocabulary_is_written_as_uint32(tmp_path):
    def many_chars(seed):  # 12 code points from 80,000: ~76,000 distinct over the run
        return "".join(chr(0x20000 + (seed >> (12 * k)) % 80000) for k in range(12)), "x"

    make_run(tmp_path / "run", many_chars, sizes={"train": 20000})
    meta = export_nanogpt(tmp_path / "run", "big", out=tmp_path, val_fraction=0.1)
    assert meta["vocab_size"] > 65535 and meta["dtype"] == "uint32"
    ids = np.fromfile(tmp_path / "big" / "train.bin", dtype="<u4")
    itos = pickle.loads((tmp_path / "big" / "meta.pkl").read_bytes())["itos"]
    lines = (tmp_path / "run" / "train_raw.txt").read_text(encoding="utf-8")
    assert "".join(itos[int(i)] for i in ids[:200]) == lines[:200]


def test_task_vocabulary_and_mask_sidecar(tmp_path):
    import synthset.tasks as T

    meta = export_nanogpt("depo1", "d", out=tmp_path, tokenizer="task", count=60,
                          task_config={"N": 12}, val_fraction=0.5)
    task = T.get("depo1", N=12)
    rows = task.take(0, 60)
    ids = np.fromfile(tmp_path / "d" / "train.bin", dtype="<u2")
    mask = np.fromfile(tmp_path / "d" / "train.mask.bin", dtype=np.uint8)
    assert ids.tolist() == [t for r in rows[:30] for t in r["input_ids"]]
    assert mask.tolist() == [m for r in rows[:30] for m in r["loss_mask"]]
    assert meta["vocab_size"] == len(task.vocab) and meta["splits"]["train"]["mask"]
    names = pickle.loads((tmp_path / "d" / "meta.pkl").read_bytes())["token_names"]
    assert [names[int(i)] for i in ids[:3]] == task.decode(rows[0]["input_ids"][:3])
    assert json.loads((tmp_path / "d" / "meta.json").read_text())["token_names"] == names


@pytest.mark.parametrize("name, tokenizer", [("depo1", "task"), ("integer_sum", "char")])
def test_export_by_name_has_the_rows_of_a_run_with_that_root_seed(tmp_path, name, tokenizer):
    config = {"N": 12} if name == "depo1" else {}
    cfg = task_config(tmp_path / "data.yaml", tmp_path / "run", name, 50, 5, task_config=config,
                      root_seed=7)
    assert main(["generate", str(cfg)]) == 0
    export_nanogpt(tmp_path / "run", "from_run", out=tmp_path, tokenizer=tokenizer)
    export_nanogpt(name, "by_name", out=tmp_path, tokenizer=tokenizer, count=50, seed=7,
                   task_config=config)
    for f in ("train.bin", "val.bin"):
        assert (tmp_path / "from_run" / f).read_bytes() == (tmp_path / "by_name" / f).read_bytes()


def test_task_run_exports_with_char_level_mask(tmp_path):
    cfg = task_config(tmp_path / "data.yaml", tmp_path / "r", "mano", 40, 5,
                      task_config={"loss_on": "answer"})
    assert main(["generate", str(cfg)]) == 0
    export_nanogpt(tmp_path / "r", "c", out=tmp_path, val_split="test")
    ids = np.fromfile(tmp_path / "c" / "val.bin", dtype="<u2")
    mask = np.fromfile(tmp_path / "c" / "val.mask.bin", dtype=np.uint8)
    itos = pickle.loads((tmp_path / "c" / "meta.pkl").read_bytes())["itos"]
    first_line = "".join(itos[int(i)] for i in ids).split("\n")[0]
    assert first_line.startswith("<bos> <len_")
    trained = "".join(itos[int(i)] for i, m in zip(ids, mask) if m).split("<ans>")
    assert trained[0] == ""  # only <ans> and the value are trained: they come first
    assert (tmp_path / "c" / "train.mask.bin").exists()


def test_local_hf_tokenizer_export(run, tmp_path):
    tokenizers = pytest.importorskip("tokenizers")
    tok = tokenizers.Tokenizer(tokenizers.models.BPE(unk_token="[UNK]"))
    tok.pre_tokenizer = tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = tokenizers.decoders.ByteLevel()
    tok.train_from_iterator([(run / "train_raw.txt").read_text()],
                            tokenizers.trainers.BpeTrainer(
                                vocab_size=300, initial_alphabet=tokenizers.pre_tokenizers
                                .ByteLevel.alphabet(), special_tokens=["[UNK]"]))
    tok.save(str(tmp_path / "tokenizer.json"))
    meta = export_nanogpt(run, "h", out=tmp_path, tokenizer=str(tmp_path), val_split="test")
    ids = np.fromfile(tmp_path / "h" / "train.bin", dtype="<u2")
    assert tok.decode(ids.tolist()) == (run / "train_raw.txt").read_text()
    assert meta["tokenizer"] == str(tmp_path) and meta["vocab_size"] == tok.get_vocab_size()


def test_hf_export_and_dataset(run, tmp_path):
    datasets = pytest.importorskip("datasets")
    files = export_hf(run, tmp_path / "hf")["files"]
    assert sorted(files) == ["data/test-00000-of-00001.parquet",
                             "data/train-00000-of-00001.parquet"]
    ds = datasets.load_dataset("parquet", data_dir=str(tmp_path / "hf"))
    assert {k: v.num_rows for k, v in ds.items()} == {"train": 200, "test": 30}
    first = (run / "train_raw.txt").read_text().splitlines()[0]
    assert f"{ds['train'][0]['problem']} # {ds['train'][0]['answer']}" == first
    one = to_hf_dataset(run, split="test")
    assert one.num_rows == 30 and one[0] == ds["test"][0]


@pytest.mark.parametrize("kwargs, message", [
    ({"val_split": "dev"}, "--val-split 'dev': the source has splits train, test"),
    ({"val_fraction": 1.5}, "--val-fraction must be in (0, 1)"),
    ({"tokenizer": "task"}, "--tokenizer task needs a run made from a built-in task"),
    ({"template": "{question}"}, "must contain {problem} and {answer}"),
    ({"tokenizer": "/no/such/tok"}, "no tokenizer.json there"),
])
def test_export_errors(run, tmp_path, kwargs, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        export_nanogpt(run, "e", out=tmp_path, **kwargs)


def test_export_cli_and_errors(run, tmp_path, capsys):
    assert main(["export", "nanogpt", str(run), "--name", "x", "--output-dir", str(tmp_path)]) == 0
    assert "wrote" in capsys.readouterr().out
    assert json.loads((tmp_path / "x" / "meta.json").read_text())["splits"]["val"]["samples"] \
        == 20
    assert main(["export", "nanogpt", "nope", "--name", "y", "--output-dir", str(tmp_path)]) == 2
    assert "not a run folder" in capsys.readouterr().err


def test_data_new_and_prepare(tmp_path, capsys):
    root = tmp_path / "data"
    assert main(["data", "new", "tiny", "--root", str(root)]) == 0
    assert main(["data", "prepare", "tiny", "--root", str(root)]) == 2
    assert "put your text in" in capsys.readouterr().err
    text = "to be or not to be, that is the question\n" * 50
    (root / "tiny" / "input.txt").write_text(text)
    assert main(["data", "prepare", "tiny", "--root", str(root)]) == 0
    assert "vocab size" in capsys.readouterr().out
    from synthset.loaders import NanoGPTData

    data = NanoGPTData(root / "tiny", sampling_method="sequential")
    itos = data.meta["itos"]
    x, _ = data.get_batch("train", 1, 20)
    assert "".join(itos[int(t)] for t in x[0]) == text[:20]
    capsys.readouterr()
    assert main(["data", "new", "tiny", "--root", str(root)]) == 0  # the template: unchanged
    assert capsys.readouterr().out.endswith("prepare.py is already synthset's prepare.py; "
                                            "nothing to do\n")
    script = root / "tiny" / "prepare.py"
    script.write_text(script.read_text() + "# mine\n")
    assert main(["data", "new", "tiny", "--root", str(root)]) == 2  # an edit: never overwritten
    assert capsys.readouterr().err.endswith("prepare.py exists already and was edited; not "
                                            "overwriting it\n")


def test_task_run_folder_with_task_vocabulary_uses_the_rows_ids(tmp_path):
    cfg = task_config(tmp_path / "data.yaml", tmp_path / "r", "depo1", 60, 10,
                      task_config={"N": 10})
    assert main(["generate", str(cfg)]) == 0
    meta = export_nanogpt(tmp_path / "r", "t", out=tmp_path, tokenizer="task", val_split="test")
    rows = [json.loads(line) for line in (tmp_path / "r" / "train_data.jsonl").open()]
    ids = np.fromfile(tmp_path / "t" / "train.bin", dtype="<u2")
    mask = np.fromfile(tmp_path / "t" / "train.mask.bin", dtype=np.uint8)
    starts = np.fromfile(tmp_path / "t" / "train.starts.bin", dtype="<u8")
    assert ids.tolist() == [t for r in rows for t in r["input_ids"]]
    assert mask.tolist() == [m for r in rows for m in r["loss_mask"]]
    assert starts.tolist() == np.cumsum([0] + [len(r["input_ids"]) for r in rows[:-1]]).tolist()
    assert meta["task"] == "depo1" and meta["splits"]["val"]["samples"] == 10


@pytest.mark.parametrize("argv, message", [
    (["export", "nanogpt", "mano", "--count", "5", "--name", "../victim"],
     "--name must be a plain folder name"),
    (["export", "nanogpt", "mano", "--count", "5", "--name", "/abs/x"],
     "--name must be a plain folder name"),
    (["data", "new", "../../x"], "the data folder name must be a plain folder name"),
    (["export", "nanogpt", "mano", "task.L=!!python/name:os.system", "--count", "5", "--name",
      "m"], "task.L: '!!python/name:os.system' is not a plain YAML value"),
    (["export", "nanogpt", "mano", "task.N=3", "--count", "5", "--name", "m"],
     "unknown mano config key 'N'; accepted keys: L, augment"),
    (["export", "nanogpt", "mano", "L=3", "--count", "5", "--name", "m"],
     "'L=3' must look like task.FIELD=value"),
])
def test_names_stay_inside_their_folder_and_values_construct_nothing(tmp_path, capsys, argv,
                                                                    message):
    assert main([*argv, *(["--output-dir", str(tmp_path)] if argv[0] == "export" else
                          ["--root", str(tmp_path)])]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not any((tmp_path.parent / "victim").glob("*")) and list(tmp_path.iterdir()) == []


def test_a_task_source_is_spelled_as_in_every_command(tmp_path, capsys):
    """``task.level=2 task.L=4`` after a task name: the same spec as get_task(...); the older
    ``--task-config L=4`` is read with a one-line note."""
    from synthset.tasks.spec import TaskSpec

    argv = ["export", "nanogpt", "--count", "20", "--output-dir", str(tmp_path), "--tokenizer", "task"]
    assert main([*argv[:2], "task=mano", "task.L=4", "task.level=2", *argv[2:],
                 "--name", "a"]) == 0
    assert capsys.readouterr().err == ""
    meta = json.loads((tmp_path / "a" / "meta.json").read_text())
    assert meta["source_spec"]["task_config"] == {"L": 4, "level": 2}
    assert TaskSpec.from_record({"name": "mano", **{"config": meta["source_spec"]["task_config"]}}
                                ) == TaskSpec.of("mano", level=2, L=4)
    assert main([*argv[:2], "mano", *argv[2:], "--name", "b", "--task-config", "L=4",
                 "level=2"]) == 0
    assert capsys.readouterr().err.strip() == \
        "synthset: note: --task-config N=12 is now written task.N=12"
    assert (tmp_path / "a" / "train.bin").read_bytes() == \
        (tmp_path / "b" / "train.bin").read_bytes()


def test_a_non_ascii_template_is_kept(tmp_path):
    assert main(["export", "nanogpt", "integer_sum", "task.level=1", "--count", "20", "--name",
                 "u", "--output-dir", str(tmp_path), "--template",
                 "{problem} → {answer} é\\n"]) == 0
    meta = json.loads((tmp_path / "u" / "meta.json").read_text())
    assert meta["template"] == "{problem} → {answer} é\n"
    itos = pickle.loads((tmp_path / "u" / "meta.pkl").read_bytes())["itos"]
    assert "→" in itos.values() and "é" in itos.values() and "â" not in itos.values()


def test_an_hf_export_is_replaced_only_with_overwrite(tmp_path, capsys):
    make_run(tmp_path / "a", gens.integer_sum, sizes={"train": 30, "test": 10})
    make_run(tmp_path / "b", gens.integer_sum, sizes={"train": 20})
    out = tmp_path / "hf"
    assert main(["export", "hf", str(tmp_path / "a"), str(out)]) == 0
    assert main(["export", "hf", str(tmp_path / "b"), str(out)]) == 2
    assert capsys.readouterr().err == f"synthset export: error: {out} holds another export " \
        "(different source); give another OUT folder, or --overwrite to write this export " \
        "there\n"
    assert main(["export", "hf", str(tmp_path / "b"), str(out), "--overwrite"]) == 0
    # the first export's test split does not stay beside the second's train split
    assert sorted(p.name for p in (out / "data").glob("*.parquet")) == \
        ["train-00000-of-00001.parquet"]


def test_the_older_out_flag_is_read_with_a_note(tmp_path, capsys):
    assert main(["export", "nanogpt", "mano", "--count", "20", "--name", "m", "--out",
                 str(tmp_path)]) == 0
    assert capsys.readouterr().err.strip() == \
        "synthset: note: --out is now written --output-dir"
    assert (tmp_path / "m" / "train.bin").is_file()


def test_an_existing_export_is_replaced_only_with_overwrite(tmp_path, capsys):
    argv = ["export", "nanogpt", "mano", "--count", "20", "--name", "m", "--output-dir", str(tmp_path),
            "--tokenizer", "task"]
    assert main(argv) == 0
    before = (tmp_path / "m" / "train.bin").read_bytes()
    assert main([*argv, "--seed", "1"]) == 2
    assert capsys.readouterr().err == f"synthset export: error: {tmp_path / 'm'} holds another " \
        "export (different source); give another --name, or --overwrite to write this " \
        "export there\n"
    assert (tmp_path / "m" / "train.bin").read_bytes() == before
    assert main([*argv, "--seed", "1", "--overwrite"]) == 0
    assert (tmp_path / "m" / "train.bin").read_bytes() != before


def test_exporting_an_unfinished_run_says_it_is_unfinished(tmp_path, capsys):
    from tests.conftest import stopped_run

    stopped_run(tmp_path / "run")  # split test is complete, train is not
    assert main(["export", "nanogpt", str(tmp_path / "run"), "--name", "x",
                 "--output-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "holds a run that is not finished (split train not complete): run the same " \
           "`synthset generate` command again" in err and "save_json" not in err
