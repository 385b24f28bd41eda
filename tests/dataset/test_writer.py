"""DatasetWriter: CALT's methods and bytes; no half-written file; pickle without code."""

import json
import pickle

import pytest

from synthset.core.errors import FormatError
from synthset.dataset import DatasetWriter

SAMPLES = [("x^2 + 1", "x^2"), (["x + y", "x - y"], ["2*x", "2*y"]),
           ([["a", "b"], "c"], [["d", "e"], "f"])]


def test_open_save_close_writes_calts_lines(tmp_path):
    writer = DatasetWriter(save_dir=str(tmp_path))
    writer.open("train")
    writer.save_batch(SAMPLES[:2], tag="train", batch_idx=0)
    assert not (tmp_path / "train_raw.txt").exists()  # appears complete, on close
    writer.save_batch(SAMPLES[2:], tag="train", batch_idx=1)
    writer.close("train")
    assert (tmp_path / "train_raw.txt").read_text() == (
        "x^2 + 1 # x^2\nx + y | x - y # 2*x | 2*y\na | b || c # d | e || f\n")
    lines = (tmp_path / "train_data.jsonl").read_text().splitlines()
    assert lines[1] == json.dumps({"problem": ["x + y", "x - y"], "answer": ["2*x", "2*y"]},
                                  ensure_ascii=False)
    assert writer.load_dataset_jsonl("train") == [
        ("x^2 + 1", "x^2"), (["x + y", "x - y"], ["2*x", "2*y"]),
        ([["a", "b"], "c"], [["d", "e"], "f"])]


def test_without_open_batch_zero_overwrites_and_later_batches_append(tmp_path):
    writer = DatasetWriter(save_dir=str(tmp_path), save_json=False)
    writer.save_batch([("a", "b")], tag="dev", batch_idx=0)
    writer.save_batch([("c", "d")], tag="dev", batch_idx=1)
    assert (tmp_path / "dev_raw.txt").read_text() == "a # b\nc # d\n"
    writer.save_batch([("e", "f")], tag="dev", batch_idx=0)
    assert (tmp_path / "dev_raw.txt").read_text() == "e # f\n"
    assert not (tmp_path / "dev_data.jsonl").exists()


def test_error_inside_context_manager_leaves_no_file(tmp_path):
    with pytest.raises(RuntimeError), DatasetWriter(save_dir=str(tmp_path)) as writer:
        writer.open("train")
        writer.save_batch(SAMPLES, tag="train")
        raise RuntimeError("crash mid-way")
    assert list(tmp_path.iterdir()) == []


def test_non_string_and_deep_samples_are_refused(tmp_path):
    writer = DatasetWriter(save_dir=str(tmp_path))
    with pytest.raises(ValueError, match="split 'train'.*non-string element 3"):
        writer.save_batch([(["x", 3], "y")], tag="train")
    with pytest.raises(ValueError, match="deeper than two levels"):
        writer.save_batch([([["x", ["y"]]], "y")], tag="train")
    with pytest.raises(ValueError, match="tag must be a non-empty string"):
        writer.open("")


def test_jsonl_loader_accepts_solution_and_keeps_empty_answers(tmp_path):
    (tmp_path / "old_data.jsonl").write_text(
        '{"problem": "1 + 1", "solution": "2"}\n\n{"problem": "x", "answer": ""}\n')
    assert DatasetWriter(str(tmp_path)).load_dataset_jsonl("old") == [("1 + 1", "2"), ("x", "")]


def test_jsonl_loader_names_the_bad_line(tmp_path):
    (tmp_path / "bad_data.jsonl").write_text('{"problem": "a", "answer": "b"}\n{"problem": \n')
    with pytest.raises(FormatError, match=r"bad_data.jsonl:2: not valid JSON"):
        DatasetWriter(str(tmp_path)).load_dataset_jsonl("bad")
    (tmp_path / "keys_data.jsonl").write_text('{"question": "a"}\n')
    with pytest.raises(FormatError, match=r"keys_data.jsonl:1: expected .*'problem'"):
        DatasetWriter(str(tmp_path)).load_dataset_jsonl("keys")


def test_pickle_is_opt_in_and_round_trips(tmp_path):
    writer = DatasetWriter(str(tmp_path), save_pickle=True)
    with writer:
        writer.open("train")
        writer.save_batch(SAMPLES, tag="train")
    assert (tmp_path / "train_data.pkl").exists()
    assert not (DatasetWriter(str(tmp_path / "x")).save_pickle)
    loaded = writer.load_dataset("train")
    assert loaded == [tuple(s) for s in SAMPLES]
    with open(tmp_path / "train_data.pkl", "rb") as f:
        assert pickle.load(f) == [tuple(s) for s in SAMPLES]  # a plain pickle of a list


class _Evil:
    def __reduce__(self):
        return (print, ("pwned",))


def test_pickle_loader_refuses_code(tmp_path):
    (tmp_path / "evil_data.pkl").write_bytes(pickle.dumps([("a", _Evil())]))
    with pytest.raises(FormatError, match="refusing to load builtins.print"):
        DatasetWriter(str(tmp_path)).load_dataset("evil")


def test_save_final_statistics_is_calts_yaml(tmp_path):
    DatasetWriter(str(tmp_path)).save_final_statistics(
        {"total_time": 1.5, "num_samples": 2, "generation_time": {"mean": 0.5}}, tag="test")
    assert (tmp_path / "test_stats.yaml").read_text() == (
        "total_time: 1.5\nnum_samples: 2\ngeneration_time:\n    mean: 0.5\n")
