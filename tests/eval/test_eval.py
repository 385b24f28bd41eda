"""`synthset eval RUN`: answers judged by the run's own task; bad predictions named by line."""

import json
import sys

import pytest

from synthset.cli.main import main
from synthset.core.nested import text_field
from tests.conftest import task_config


@pytest.fixture
def run(tmp_path):
    cfg = task_config(tmp_path / "data.yaml", tmp_path / "run", "poly_sum", 10, 30,
                      task_config={"level": 3})
    assert main(["generate", str(cfg)]) == 0
    return tmp_path / "run"


def _answers(run):
    return [text_field(json.loads(line)["answer"]) for line in
            (run / "test_data.jsonl").read_text().splitlines()]


def test_predictions_are_scored_with_buckets_and_every_failure(run, tmp_path, capsys):
    answers = _answers(run)
    wrong = {3, 7, 21}
    with open(tmp_path / "pred.jsonl", "w") as f:
        for i in reversed(range(30)):  # any order; spelling may differ (terms reversed)
            text = "0" if i in wrong else " + ".join(reversed(answers[i].split(" + ")))
            f.write(json.dumps({"index": i, "answer": text}) + "\n")
    assert main(["eval", str(run), "--predictions", str(tmp_path / "pred.jsonl")]) == 0
    report = json.loads((run / "eval.json").read_text())
    assert report["samples"] == 30 and report["success_rate"] == pytest.approx(27 / 30)
    assert sorted(f["index"] for f in report["failures"]) == sorted(wrong)
    assert sum(report["bucket_sizes"]["answer_terms"].values()) == 30
    assert (run / "eval.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "success 0.900" in capsys.readouterr().out


def test_without_matplotlib_the_scores_are_written_and_the_figure_skipped(
        run, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    with open(tmp_path / "pred.jsonl", "w") as f:
        for i, answer in enumerate(_answers(run)):
            f.write(json.dumps({"index": i, "answer": answer}) + "\n")
    assert main(["eval", str(run), "--predictions", str(tmp_path / "pred.jsonl")]) == 0
    assert json.loads((run / "eval.json").read_text())["success_rate"] == 1.0
    assert not (run / "eval.png").exists()
    out = capsys.readouterr()
    assert "success 1.000" in out.out
    assert out.err == ("synthset: note: eval.png skipped: matplotlib is not installed "
                       "(pip install matplotlib)\n")


def test_bad_predictions_are_named_line_by_line(run, tmp_path, capsys):
    lines = ['{"index": 0, "answer": "1"}', "not json", '{"index": 0, "answer": "2"}',
             '{"index": 30, "answer": "2"}', '{"index": 1, "answer": 5}', '[1, 2]']
    (tmp_path / "bad.jsonl").write_text("\n".join(lines) + "\n")
    assert main(["eval", str(run), "--predictions", str(tmp_path / "bad.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for needle in ("bad.jsonl:2: not a JSON line", "bad.jsonl:3: index 0 again (first on line 1)",
                   "bad.jsonl:4: index 30 is outside the split (0..29)",
                   "bad.jsonl:5: answer must be a string, got int",
                   "bad.jsonl:6: expected an object with 'index' and 'answer'",
                   "no answer for 29 of the 30 indices"):
        assert needle in err, needle
    assert not (run / "eval.json").exists()


def test_a_binary_or_deeply_nested_predictions_file_is_bounded(run, tmp_path, capsys):
    import random

    noise = random.Random(0).randbytes(200_000)
    (tmp_path / "bin.jsonl").write_bytes(noise)
    assert main(["eval", str(run), "--predictions", str(tmp_path / "bin.jsonl")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 21 and err[-1].endswith("bin.jsonl: stopped after 20 problems")
    (tmp_path / "deep.jsonl").write_text("[" * 100_000 + "]" * 100_000 + "\n")
    assert main(["eval", str(run), "--predictions", str(tmp_path / "deep.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "deep.jsonl:1: not a JSON line (nested too deeply)" in err


def test_a_local_checkpoint_answers_through_the_tasks_decoding(run, tmp_path):
    transformers = pytest.importorskip("transformers")
    model = transformers.GPT2LMHeadModel(transformers.GPT2Config(
        vocab_size=257, n_positions=256, n_embd=16, n_layer=1, n_head=2))
    model.save_pretrained(tmp_path / "ckpt")
    assert main(["eval", str(run), "--model", str(tmp_path / "ckpt"), "--output-dir",
                 str(tmp_path / "o")]) == 0
    report = json.loads((tmp_path / "o" / "eval.json").read_text())
    assert report["samples"] == 30 and 0.0 <= report["success_rate"] <= 1.0
    assert len(report["failures"]) == 30 - round(report["success_rate"] * 30)


def test_a_folder_that_is_not_a_checkpoint_is_one_line(run, tmp_path, capsys):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    (tmp_path / "empty").mkdir()
    assert main(["eval", str(run), "--model", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err
    assert "--model " + str(tmp_path / "empty") + ": not a local checkpoint folder (no " \
        "config.json)" in err and len(err.strip().splitlines()) == 1
    assert not (run / "eval.json").exists()
