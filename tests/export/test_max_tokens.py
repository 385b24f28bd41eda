"""``--max-tokens N`` of ``synthset export nanogpt`` and ``synthset export hf``: a sample whose
prompt and answer together are over N tokens is left out and counted, the same samples for any
chunk size, worker count or token budget, and exactly those ``synthset check --tokenizer
--max-tokens`` counts over."""

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from synthset.cli.main import main
from synthset.dataset import DatasetPipeline
from synthset.export import export_hf, export_nanogpt
from synthset.io.nanogpt import read_llmc
from synthset.io.tokens import load_tokenizer, tokenizer_digest
from synthset.runs import RunFolder

from tests.local_tokenizer import word_tokenizer

BLOCK = {"num_train_samples": 200, "num_test_samples": 40, "batch_size": 100, "n_jobs": 1,
         "root_seed": 42, "verbose": False}
LIMIT = 12


@pytest.fixture(scope="module")
def tok_path(tmp_path_factory):
    return word_tokenizer(tmp_path_factory.mktemp("tok") / "tokenizer.json")


@pytest.fixture(scope="module")
def sum_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sum") / "run"
    DatasetPipeline.from_config({**BLOCK, "save_dir": str(folder), "task": "integer_sum"}).run()
    return folder


def _kept(tok_path: Path, examples, limit: int = LIMIT) -> list[bool]:
    """Whether each example is kept, counted one sample at a time."""
    tok = load_tokenizer(tok_path)
    return [len(tok.encode(e["prompt"], add_special_tokens=False).ids)
            + len(tok.encode(e["answer"], add_special_tokens=False).ids) <= limit
            for e in examples]


def _run_kept(run: Path, tok_path: Path, split: str) -> list[bool]:
    folder = RunFolder(run)
    return _kept(tok_path, [ex for ex, _ in folder.examples(split, folder.task(verifier=False))])


def _check_over(run: Path, tok_path: Path, out: Path) -> dict:
    """What ``synthset check --tokenizer --max-tokens`` counts over, per split."""
    assert main(["check", str(run), "--tokenizer", str(tok_path), "--max-tokens", str(LIMIT),
                 "--output-dir", str(out), "--executor", "serial", "--determinism", "0",
                 "--no-figures", "-q"]) == 0
    tokens = json.loads((out / "tokens.json").read_text())
    return {s: st["over_max_tokens"] for s, st in tokens["splits"].items()}


def _samples(folder: Path, split: str) -> list[np.ndarray]:
    """The token ids of each sample of a nanoGPT export's split (cut at its starts)."""
    ids = np.fromfile(folder / f"{split}.bin", dtype="<u2")
    starts = np.fromfile(folder / f"{split}.starts.bin", dtype="<u8")
    return np.split(ids, starts[1:])


# -- nanoGPT ---------------------------------------------------------------------------------
def test_nanogpt_leaves_out_exactly_what_check_counts_over(sum_run, tok_path, tmp_path, capsys):
    over = _check_over(sum_run, tok_path, tmp_path / "check")
    kept = {s: _run_kept(sum_run, tok_path, s) for s in ("train", "test")}
    assert over == {s: k.count(False) for s, k in kept.items()} == {"train": 115, "test": 20}
    argv = ["export", "nanogpt", str(sum_run), "--name", "cut", "--output-dir", str(tmp_path),
            "--tokenizer", str(tok_path), "--val-split", "test", "--max-tokens", str(LIMIT)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert (f"wrote {tmp_path / 'cut'}: train 85 samples (") in out
    assert ", 115 over 12 tokens left out, val 20 samples (" in out
    assert ", 20 over 12 tokens left out; vocab" in out
    meta = json.loads((tmp_path / "cut" / "meta.json").read_text())
    assert {s: (st["samples"], st["skipped"]) for s, st in meta["splits"].items()} == \
        {"train": (85, 115), "val": (20, 20)}
    digest = tokenizer_digest(load_tokenizer(tok_path))
    assert meta["max_tokens"] == {"max_tokens": LIMIT, "tokenizer": str(tok_path),
                                  "digest": digest}
    assert meta["identity"]["max_tokens"] == LIMIT
    assert meta["identity"]["max_tokens_digest"] == digest
    # the samples written are the kept ones, token for token, as an export of all writes them
    export_nanogpt(sum_run, "all", out=tmp_path, tokenizer=str(tok_path), val_split="test")
    for split, source in (("train", "train"), ("val", "test")):
        every = _samples(tmp_path / "all", split)
        want = [s for s, k in zip(every, kept[source]) if k]
        got = _samples(tmp_path / "cut", split)
        assert len(got) == len(want) and all(np.array_equal(a, b) for a, b in zip(got, want))


def test_val_fraction_cuts_at_the_same_source_sample(sum_run, tok_path, tmp_path):
    """val is the last 10% of the source's samples, kept or not; val_from names its start."""
    kept = _run_kept(sum_run, tok_path, "train")
    meta = export_nanogpt(sum_run, "v", out=tmp_path, tokenizer=str(tok_path),
                          max_tokens=LIMIT, chunk=7)
    assert meta["val_from"] == {"split": "train", "start": 180}
    assert meta["splits"]["train"]["samples"] == sum(kept[:180])
    assert meta["splits"]["val"]["samples"] == sum(kept[180:])
    assert meta["splits"]["train"]["skipped"] == kept[:180].count(False) == 101
    assert meta["splits"]["val"]["skipped"] == kept[180:].count(False) == 14


def test_task_ids_the_same_for_any_worker_count_and_chunk(tmp_path):
    """With --tokenizer task a sample's tokens are its row's ids."""
    import synthset.tasks as T

    args = {"tokenizer": "task", "count": 300, "task_config": {"N": 12}, "max_tokens": 60}
    one = export_nanogpt("depo1", "one", out=tmp_path, n_jobs=1, **args)
    two = export_nanogpt("depo1", "two", out=tmp_path, n_jobs=2, chunk=7, **args)
    for split in ("train", "val"):
        assert (tmp_path / "one" / f"{split}.bin").read_bytes() == \
            (tmp_path / "two" / f"{split}.bin").read_bytes()
    assert one["splits"] == two["splits"]
    rows = T.get("depo1", N=12).take(0, 300)
    keep = [len(r["input_ids"]) <= 60 for r in rows]
    want = np.array([t for r, k in zip(rows[:270], keep) if k for t in r["input_ids"]],
                    dtype=np.uint16)
    assert np.array_equal(np.fromfile(tmp_path / "one" / "train.bin", dtype="<u2"), want)
    assert one["splits"]["train"]["skipped"] == keep[:270].count(False) > 0
    assert one["splits"]["val"]["skipped"] == keep[270:].count(False)


def test_a_generated_source_filtered_in_workers_under_a_tokenizer(tok_path, tmp_path):
    args = {"tokenizer": str(tok_path), "count": 200, "max_tokens": LIMIT}
    one = export_nanogpt("integer_sum", "one", out=tmp_path, n_jobs=1, **args)
    two = export_nanogpt("integer_sum", "two", out=tmp_path, n_jobs=2, chunk=9, **args)
    for split in ("train", "val"):
        assert (tmp_path / "one" / f"{split}.bin").read_bytes() == \
            (tmp_path / "two" / f"{split}.bin").read_bytes()
    assert one["splits"] == two["splits"]
    assert {s: (st["samples"], st["skipped"]) for s, st in one["splits"].items()} == \
        {"train": (61, 119), "val": (6, 14)}
    assert one["source_spec"]["count"] == 200


# -- llm.c shards and a token budget ---------------------------------------------------------
def test_llmc_budget_counts_kept_samples_only(tmp_path):
    import synthset.tasks as T

    args = {"tokenizer": "task", "task_config": {"N": 12}, "max_tokens": 60, "tokens": 5000,
            "shard_format": "llmc", "shard_tokens": 1000}
    one = export_nanogpt("depo1", "one", out=tmp_path, n_jobs=1, **args)
    export_nanogpt("depo1", "two", out=tmp_path, n_jobs=2, chunk=7, **args)
    files = sorted(p.name[3:] for p in (tmp_path / "one").glob("one_*.bin"))
    assert files == sorted(p.name[3:] for p in (tmp_path / "two").glob("two_*.bin"))
    for name in files:
        assert (tmp_path / "one" / f"one{name}").read_bytes() == \
            (tmp_path / "two" / f"two{name}").read_bytes()
    st = one["splits"]
    made = sum(s["samples"] + s["skipped"] for s in st.values())
    assert one["source_spec"]["count"] == made
    assert one["val_from"]["start"] == st["train"]["samples"] + st["train"]["skipped"]
    rows = T.get("depo1", N=12).take(0, made)
    kept = [r["input_ids"] for r in rows if len(r["input_ids"]) <= 60]
    assert len(kept) == st["train"]["samples"] + st["val"]["samples"]
    lengths = np.array([len(r) for r in kept])
    n = st["train"]["samples"]
    # train: the fewest kept samples holding 4,500 tokens; val: the fewest after them, 500
    assert lengths[:n].sum() >= 4500 > lengths[:n - 1].sum()
    assert lengths[n:].sum() >= 500 > lengths[n:-1].sum()
    train = np.concatenate([read_llmc(p) for p in sorted((tmp_path / "one").glob("one_train_*"))])
    assert np.array_equal(train, np.array([t for r in kept[:n] for t in r], dtype=np.uint16))
    assert st["train"]["skipped"] > 0


# -- Hugging Face ----------------------------------------------------------------------------
@pytest.mark.parametrize("prompts", [False, True])
def test_hf_keeps_the_samples_check_does_not_count_over(sum_run, tok_path, tmp_path, prompts):
    over = _check_over(sum_run, tok_path, tmp_path / "check")
    out = tmp_path / "hf"
    record = export_hf(sum_run, out, prompts=prompts, tokenizer=str(tok_path),
                       max_tokens=LIMIT)
    assert record["splits"] == {"train": {"samples": 85, "skipped": over["train"]},
                                "test": {"samples": 20, "skipped": over["test"]}}
    assert json.loads((out / ".synthset-export.json").read_text())["max_tokens"] == \
        {"max_tokens": LIMIT, "tokenizer": str(tok_path),
         "digest": tokenizer_digest(load_tokenizer(tok_path))}
    for split in ("train", "test"):
        kept = _run_kept(sum_run, tok_path, split)
        table = pq.read_table(sorted((out / "data").glob(f"{split}-*.parquet")))
        # the rows kept keep the index they have in the run
        assert table.column("index").to_pylist() == [i for i, k in enumerate(kept) if k]
    croissant = (out / "croissant.json").read_text()
    assert (f"samples over 12 tokens (prompt and answer together) under tokenizer {tok_path} "
            f"(sha256 {record['identity']['max_tokens_digest']}) left out: 115 of train, 20 "
            "of test") in croissant


def test_hf_from_the_command_line_and_its_identity(sum_run, tok_path, tmp_path, capsys):
    out = tmp_path / "hf"
    argv = ["export", "hf", str(sum_run), str(out), "--tokenizer", str(tok_path),
            "--max-tokens", str(LIMIT)]
    assert main(argv) == 0
    assert (f"wrote {out}: train 85 samples, 115 over 12 tokens left out, test 20 samples, "
            "20 over 12 tokens left out; 2 Parquet files") in capsys.readouterr().out
    assert main(argv) == 0
    assert "is already this export" in capsys.readouterr().out
    # another limit (or none) is another export
    for other in (argv[:-1] + ["13"], argv[:-4]):
        assert main(other) == 2
        assert "holds another export (different max_tokens" in capsys.readouterr().err


def test_nanogpt_identity_names_the_limit(sum_run, tok_path, tmp_path, capsys):
    base = ["export", "nanogpt", str(sum_run), "--name", "x", "--output-dir", str(tmp_path),
            "--tokenizer", str(tok_path)]
    assert main(base + ["--max-tokens", "12"]) == 0
    capsys.readouterr()
    assert main(base + ["--max-tokens", "12"]) == 0
    assert "is already this export" in capsys.readouterr().out
    assert main(base + ["--max-tokens", "14"]) == 2
    assert "holds another export (different max_tokens)" in capsys.readouterr().err
    assert main(base + ["--max-tokens", "14", "--overwrite"]) == 0
    meta = json.loads((tmp_path / "x" / "meta.json").read_text())
    assert meta["max_tokens"]["max_tokens"] == 14


# -- one line for bad options, before any folder is taken -------------------------------------
@pytest.mark.parametrize("argv, message", [
    (["nanogpt", "integer_sum", "--count", "50", "--name", "n", "--max-tokens", "12"],
     ("--max-tokens counts tokens: give --tokenizer task (the task's own ids) or a tokenizer "
      "PATH, not char")),
    (["nanogpt", "integer_sum", "--count", "50", "--name", "n", "--tokenizer", "TOK",
      "--max-tokens", "0"],
     ("--max-tokens must be a positive integer (tokens of a sample's prompt and answer "
      "together), got 0")),
    (["nanogpt", "integer_sum", "--count", "50", "--name", "n", "--tokenizer", "task",
      "--max-tokens", "5"],
     "--tokenizer task needs"),
    (["hf", "integer_sum", "OUT", "--count", "50", "--max-tokens", "12"],
     ("--max-tokens counts tokens under a tokenizer: give --tokenizer PATH too (a "
      "tokenizer.json or a folder holding one)")),
    (["hf", "integer_sum", "OUT", "--count", "50", "--tokenizer", "TOK"],
     "--tokenizer is for --max-tokens N (an hf export writes text)"),
    (["hf", "integer_sum", "OUT", "--count", "50", "--tokenizer", "missing.json",
      "--max-tokens", "12"],
     "--tokenizer 'missing.json': no such file or folder"),
])
def test_bad_options_get_one_line(argv, message, tok_path, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = [str(tok_path) if a == "TOK" else a for a in argv]
    assert main(["export", *argv, *(["--output-dir", "data"] if argv[0] == "nanogpt"
                                    else [])]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "data").exists() and not (tmp_path / "OUT").exists()


def test_a_split_left_empty_is_one_line(tok_path, tmp_path):
    from synthset import ConfigError

    with pytest.raises(ConfigError, match=r"split 'train' of the export is empty: each of its "
                                          r"180 samples is over --max-tokens 3"):
        export_nanogpt("integer_sum", "e", out=tmp_path, tokenizer=str(tok_path), count=200,
                       max_tokens=3, n_jobs=1)
    with pytest.raises(ConfigError, match=r"every one of the first 1,000 samples is over "
                                          r"--max-tokens 3: nothing fills the --tokens budget"):
        export_nanogpt("integer_sum", "b", out=tmp_path, tokenizer=str(tok_path),
                       tokens=2000, max_tokens=3, n_jobs=1)
    with pytest.raises(ConfigError, match=r"split 'train' of the export is empty: each of its "
                                          r"200 samples is over --max-tokens 3"):
        export_hf("integer_sum", tmp_path / "h", count=200, tokenizer=str(tok_path),
                  max_tokens=3)


def test_a_task_run_read_from_its_lines_leaves_out_the_same_rows(tmp_path):
    """A run folder's task rows exported with --tokenizer task are read from their JSONL
    lines; the rows left out are those of the same task generated on the fly."""
    folder = tmp_path / "depo"
    DatasetPipeline.from_config({**BLOCK, "save_dir": str(folder), "task": "depo1",
                                 "task_config": {"N": 12}}).run()
    run = RunFolder(folder)
    meta = export_nanogpt(folder, "d", out=tmp_path, tokenizer="task", val_split="test",
                          max_tokens=60, chunk=9)
    for split, source in (("train", "train"), ("val", "test")):
        rows = list(run.samples(source))
        keep = [len(r["input_ids"]) <= 60 for r in rows]
        want = np.array([t for r, k in zip(rows, keep) if k for t in r["input_ids"]],
                        dtype=np.uint16)
        assert np.array_equal(np.fromfile(tmp_path / "d" / f"{split}.bin", dtype="<u2"), want)
        assert meta["splits"][split]["skipped"] == keep.count(False)
    assert meta["splits"]["train"]["skipped"] > 0
