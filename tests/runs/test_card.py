"""The dataset card every run writes: README.md with Hugging Face front matter that
``datasets.load_dataset(run_folder)`` reads, the same bytes however the run was made."""

import json
from pathlib import Path

import pytest
import yaml

from synthset import ConfigError
from synthset.cli.main import main
from synthset.dataset import DatasetPipeline
from synthset.runs.card import CHECK_BEGIN, CHECK_END, MARK

D5 = "[0-9]" * 5  # the five digits of a Parquet file's number
BLOCK = {"num_train_samples": 120, "num_test_samples": 30, "batch_size": 50, "n_jobs": 1,
         "root_seed": 42, "verbose": False}


def _run(folder, **block):
    DatasetPipeline.from_config({**BLOCK, "save_dir": str(folder), **block}).run()
    return Path(folder)


def _front(folder) -> dict:
    text = (Path(folder) / "README.md").read_text()
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n")[1])


def _section(folder) -> str:
    text = (Path(folder) / "README.md").read_text()
    return text[text.index(CHECK_BEGIN):text.index(CHECK_END)]


def test_card_front_matter_and_load_dataset(tmp_path):
    datasets = pytest.importorskip("datasets")
    run = _run(tmp_path / "sum", task="integer_sum", formats=["parquet"], license="cc-by-4.0")
    meta = _front(run)
    assert meta["license"] == "cc-by-4.0"
    assert meta["task_categories"] == ["text-generation"]
    assert meta["size_categories"] == ["n<1K"]
    assert meta["tags"] == ["synthetic", "synthset", "algebra", "integer_sum"]
    assert meta["configs"] == [{"config_name": "default", "data_files": [
        {"split": "train", "path": f"data/train-{D5}-of-{D5}.parquet"},
        {"split": "test", "path": f"data/test-{D5}-of-{D5}.parquet"}]}]
    text = (run / "README.md").read_text()
    manifest = json.loads((run / ".synthset" / "manifest.json").read_text())
    for needle in (MARK, manifest["fingerprint"], manifest["config"]["instance_generator"],
                   "Root seed **42**", "sha256", "| synthset | 0.1.0 |", "problem.max_abs",
                   "Not checked yet"):
        assert needle in text, needle
    loaded = datasets.load_dataset(str(run), cache_dir=str(tmp_path / "cache"))
    assert {s: len(loaded[s]) for s in loaded} == {"train": 120, "test": 30}
    first = json.loads((run / "train_data.jsonl").read_text().splitlines()[0])
    assert loaded["train"][0]["problem"] == " | ".join(first["problem"])
    assert loaded["train"][0]["answer"] == first["answer"]


def test_split_names_that_share_a_prefix_or_hold_a_dash(tmp_path):
    """Split `val`'s files are not split `val-1`'s; a name Hugging Face refuses (a '-') is left
    out of configs, and the card says so."""
    datasets = pytest.importorskip("datasets")
    from synthset.dataset import DatasetGenerator

    run = tmp_path / "run"
    DatasetGenerator(backend="serial", n_jobs=1, verbose=False).run(
        dataset_sizes={"train": 40, "val": 10, "val-1": 7},
        instance_generator="tests.gens:few_sums", save_dir=str(run), formats=["parquet"],
        dedup="splits")
    meta = _front(run)
    assert [f["split"] for f in meta["configs"][0]["data_files"]] == ["train", "val"]
    text = (run / "README.md").read_text()
    assert "Not in `configs`: `val-1` (Hugging Face split names" in text
    assert "claim keys in the order `val`, `val-1`, `train`" in text
    loaded = datasets.load_dataset(str(run), cache_dir=str(tmp_path / "cache"))
    assert len(loaded["val"]) == 10 and len(loaded["train"]) == 40


def test_a_run_without_parquet_points_at_its_jsonl(tmp_path):
    datasets = pytest.importorskip("datasets")
    run = _run(tmp_path / "sum", instance_generator="tests.gens:integer_sum")
    meta = _front(run)
    assert meta["license"] == "unknown"
    assert meta["configs"][0]["data_files"] == [{"split": "train", "path": "train_data.jsonl"},
                                                {"split": "test", "path": "test_data.jsonl"}]
    loaded = datasets.load_dataset(str(run), cache_dir=str(tmp_path / "cache"))
    assert len(loaded["train"]) == 120 and len(loaded["test"]) == 30
    assert loaded["test"][0] == json.loads((run / "test_data.jsonl").read_text().splitlines()[0])


def test_the_card_does_not_depend_on_how_the_run_was_made(tmp_path):
    a = _run(tmp_path / "a", task="depo", task_config={"level": 2})
    b = _run(tmp_path / "b", task="depo", task_config={"level": 2}, n_jobs=2, batch_size=7,
             executor="loky")
    card_a = (a / "README.md").read_text()
    assert card_a == (b / "README.md").read_text()
    assert _front(a)["pretty_name"] == "depo" and "\n# depo\n" in card_a
    assert "N: 6" in card_a and "backend" not in card_a  # the resolved config of the task
    before = (a / "README.md").stat().st_mtime_ns
    _run(tmp_path / "a", task="depo", task_config={"level": 2})  # finished: resumed, no-op
    assert (a / "README.md").stat().st_mtime_ns == before


def test_a_readme_of_the_users_own_is_left_alone(tmp_path, capsys):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "README.md").write_text("# my project\n")
    run = _run(tmp_path / "run", task="integer_sum")
    assert (run / "README.md").read_text() == "# my project\n"
    assert "is not synthset's dataset card: left as it is" in capsys.readouterr().err


def test_check_writes_its_summary_and_export_hf_copies_the_card(tmp_path, capsys):
    datasets = pytest.importorskip("datasets")
    run = _run(tmp_path / "run", task="integer_sum", license="mit")
    assert "Not checked yet" in _section(run)
    assert main(["check", str(run), "-q", "--n-jobs", "1"]) == 0
    section = _section(run)
    assert "`synthset check` passed (task integer_sum, its own verifier" in section
    assert "| train | 120 | 0 | 0 | 0.00% |" in section
    assert "![duplicates](quality/duplicates.png)" in section
    assert _front(run)["license"] == "mit"  # kept across the rewrite
    # export hf: the card, its configs on the exported Parquet files, and the figures
    out = tmp_path / "hf"
    assert main(["export", "hf", str(run), str(out)]) == 0
    assert _front(out)["configs"][0]["data_files"][0] == {
        "split": "train", "path": f"data/train-{D5}-of-{D5}.parquet"}
    assert _section(out) == section.replace(
        "Details: `quality.json`.", "Details: `quality.json` in the run folder it was "
                                    "exported from.")
    assert (out / "quality" / "duplicates.png").is_file()
    loaded = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "cache"))
    assert len(loaded["train"]) == 120
    # a split made again after the check: the summary is about other files now
    (run / "test_data.jsonl").unlink()
    _run(tmp_path / "run", task="integer_sum", license="mit")
    assert "Not checked yet" in _section(run)


def test_license_is_checked_and_not_fingerprinted(tmp_path):
    with pytest.raises(ConfigError, match="license must be a license identifier"):
        _run(tmp_path / "x", task="integer_sum", license="MIT; rm -rf /")
    run = _run(tmp_path / "run", task="integer_sum", license="mit")
    _run(tmp_path / "run", task="integer_sum", license="apache-2.0")  # resumed, not refused
    assert _front(run)["license"] == "apache-2.0"


def _lines_with(folder, *starts) -> list[str]:
    """The card's lines that begin with one of ``starts``, in order."""
    text = (Path(folder) / "README.md").read_text()
    return [line for line in text.splitlines() if line.startswith(starts)]


STARTS = ("No license", "| run fingerprint", "| source fingerprint", "What determines",
          "Not checked", "Details")


def test_each_card_says_what_is_true_of_its_folder(tmp_path):
    """A run folder, an export of it and an export of a task by name: an export has no
    manifest, no data.yaml of its own, no quality.json and nothing `synthset check` reads."""
    run = _run(tmp_path / "run", task="integer_sum")
    fingerprint = json.loads((run / ".synthset" / "manifest.json").read_text())["fingerprint"]
    assert _lines_with(run, *STARTS) == [
        "No license was set for this dataset (`license:` in its data.yaml).",
        f"| run fingerprint | `{fingerprint}` |",
        "What determines the bytes (`.synthset/manifest.json` holds it too):",
        "Not checked yet: `synthset check` on this folder re-verifies every sample, counts "
        "duplicates and overlap between splits and writes its summary here."]
    assert main(["export", "hf", str(run), str(tmp_path / "run-hf")]) == 0
    assert _lines_with(tmp_path / "run-hf", *STARTS) == [
        "No license was set for this dataset (`license:` in the data.yaml of the run it was "
        "exported from).",
        f"| run fingerprint | `{fingerprint}` |",
        "What determines the bytes (the `.synthset/manifest.json` of the run it was exported "
        "from holds it too):",
        "Not checked before this export: `synthset check` on the run folder it was exported "
        "from re-verifies every sample, counts duplicates and overlap between splits and writes "
        "its summary in that folder's card; exporting again brings it here."]
    assert main(["export", "hf", "task=integer_sum", str(tmp_path / "task-hf"), "--count", "120",
                 "--seed", "42"]) == 0
    assert _lines_with(tmp_path / "task-hf", *STARTS) == [
        "No license was set for this dataset.",
        "| source fingerprint | `task:integer_sum:{}:backend=sympy:seed=42:count=120` |",
        "What determines the bytes:",
        "Not checked: `synthset check` reads a run folder, not an export. A run of this "
        "configuration (`synthset generate`) makes these samples as its split `train`; check "
        "that run to verify them."]
    # as it says: check refuses an export, and the run's split train is the task export's
    assert main(["check", str(tmp_path / "task-hf"), "-q"]) == 2
    train = sorted((tmp_path / "task-hf" / "data").glob("train-*.parquet"))
    same = sorted((tmp_path / "run-hf" / "data").glob("train-*.parquet"))
    assert [f.read_bytes() for f in train] == [f.read_bytes() for f in same]
    # a run checked before its export: its summary, and where the details are
    assert main(["check", str(run), "-q", "--n-jobs", "1", "--no-figures"]) == 0
    assert main(["export", "hf", str(run), str(tmp_path / "run-hf"), "--overwrite"]) == 0
    assert _lines_with(tmp_path / "run-hf", "Not checked", "Details") == [
        "Details: `quality.json` in the run folder it was exported from."]
    assert _lines_with(run, "Details") == ["Details: `quality.json`."]


def test_a_check_rewrites_only_the_cards_summary(tmp_path):
    """The task's resolved configuration keeps its order when `synthset check` rewrites the
    card (it was sorted in the rewrite, so the card's bytes changed)."""
    run = _run(tmp_path / "run", task="integer_sum")
    before = (run / "README.md").read_text()
    assert main(["check", str(run), "-q", "--n-jobs", "1", "--no-figures"]) == 0
    after = (run / "README.md").read_text()
    assert after.split(CHECK_BEGIN)[0] == before.split(CHECK_BEGIN)[0]
    assert "    count: 5\n    bound: 1000\n" in after


def test_token_counts_show_while_they_are_about_the_files(tmp_path):
    """The card's "Token counts" table is tokens.json's (``synthset check --tokenizer``), and
    goes when a data file changes or tokens.json is not as the check writes it."""
    run = _run(tmp_path / "sum", task="integer_sum")
    assert "### Token counts" not in (run / "README.md").read_text()
    data = {name: [(run / name).stat().st_size, (run / name).stat().st_mtime_ns]
            for name in ("train_data.jsonl", "test_data.jsonl")}
    part = {"samples": 3, "tokens": 30, "min": 5, "mean": 10.0, "max": 15, "p50": 10,
            "p90": 15, "p99": 15}
    tokens = {"tokenizer": "/somewhere/gpt2", "digest": "0123456789abcdef",
              "special_tokens": False, "max_tokens": 12, "data": data,
              "splits": {"train": {"prompt": part, "answer": part, "total": part,
                                   "max_tokens": 12, "over_max_tokens": 1}}}
    (run / "tokens.json").write_text(json.dumps(tokens))
    from synthset.runs.card import write_card

    write_card(run)
    text = (run / "README.md").read_text()
    assert ("### Token counts\n\nUnder the tokenizer `gpt2` (sha256 `0123456789abcdef`), prompt "
            "and answer encoded separately") in text
    assert "| split | part | tokens | min | mean | p50 | p90 | p99 | max | over 12 |" in text
    assert "| train | prompt | 30 | 5 | 10.00 | 10 | 15 | 15 | 15 | |" in text
    assert "| train | total | 30 | 5 | 10.00 | 10 | 15 | 15 | 15 | 1 |" in text
    assert text.index("### Token counts") < text.index("## Quality check")
    del tokens["splits"]["train"]["over_max_tokens"]  # not as the check writes it
    (run / "tokens.json").write_text(json.dumps(tokens))
    write_card(run)
    assert "### Token counts" not in (run / "README.md").read_text()
    tokens["max_tokens"] = None
    (run / "tokens.json").write_text(json.dumps(tokens))
    write_card(run)
    assert "| split | part | tokens | min | mean | p50 | p90 | p99 | max |\n" in \
        (run / "README.md").read_text()
    (run / "test_data.jsonl").write_text((run / "test_data.jsonl").read_text())  # touched
    write_card(run)
    assert "### Token counts" not in (run / "README.md").read_text()


def test_croissant_json_is_written_beside_the_card(tmp_path):
    run = _run(tmp_path / "sum", task="integer_sum", license="mit")
    meta = json.loads((run / "croissant.json").read_text())
    assert meta["license"] == "mit" and meta["name"] == "integer_sum"
    (run / "README.md").write_text("my own card\n")  # the user's card: croissant.json stays ours
    (run / "croissant.json").unlink()
    _run(tmp_path / "sum", task="integer_sum", license="mit")
    assert (run / "README.md").read_text() == "my own card\n"
    assert json.loads((run / "croissant.json").read_text()) == meta
