"""Finished shards are checked, not trusted: a damaged one is named and made again.

A run stopped by a failing sample leaves finished, unmerged shards (with their files) behind;
the tests damage those by hand, then resume.
"""

import json

import pytest

from synthset.cli.main import main
from synthset.driver.run import ShardDamaged
from tests import gens
from tests.conftest import make_run, read_outputs, stopped_run


def _shard(folder, name):
    return folder / ".synthset" / "shards" / "train" / name


def _marker(folder, number="00000"):
    return folder / ".synthset" / "completions" / "train" / number


def test_a_truncated_shard_is_named_and_made_again(tmp_path, golden, capsys):
    resume = stopped_run(tmp_path)
    part = _shard(tmp_path, "00000.txt")
    size = part.stat().st_size
    part.write_bytes(part.read_bytes()[: size // 2])
    resume()
    err = capsys.readouterr().err
    assert f"shard train/00000 is damaged ({part} has {size // 2} bytes, its marker says " \
           f"{size}): making it again" in err
    assert read_outputs(tmp_path) == read_outputs(golden / "integer_sum")


def test_a_shard_missing_a_line_of_the_same_size_is_counted(tmp_path, golden, capsys):
    resume = stopped_run(tmp_path)
    part = _shard(tmp_path, "00001.jsonl")
    lines = part.read_bytes().split(b"\n")
    part.write_bytes(lines[0] + b" " + b"\n".join(lines[1:]))  # two rows joined: same size
    resume()
    assert f"shard train/00001 is damaged ({part} has 24 rows, its marker says 25)" in \
        capsys.readouterr().err
    assert read_outputs(tmp_path) == read_outputs(golden / "integer_sum")


@pytest.mark.parametrize("damage", ["garbage parquet", "garbage marker", "empty marker",
                                    "missing part"])
def test_corrupt_files_and_markers_are_made_again_not_a_traceback(tmp_path, capsys, damage):
    kwargs = {"formats": ["parquet", "pickle"]}
    ref = tmp_path / "ref"
    make_run(ref, gens.integer_sum, **kwargs)
    run = tmp_path / "run"
    resume = stopped_run(run, **kwargs)
    if damage == "garbage parquet":
        part = _shard(run, "00000.parquet")
        size = part.stat().st_size
        part.write_bytes((b"garbage!" * size)[:size])  # same size: its rows cannot be read
        expected = "00000.parquet is unreadable"
    elif damage == "garbage marker":
        _marker(run).write_bytes(b"\x89PNG not json")
        expected = "completion marker"
    elif damage == "empty marker":
        _marker(run).write_text("")
        expected = "completion marker"
    else:
        _shard(run, "00001.pkl").unlink()
        expected = "00001.pkl is missing"
    resume()
    err = capsys.readouterr().err
    assert "is damaged" in err and expected in err
    names = ["train_raw.txt", "train_data.jsonl", "train_data.pkl", "test_data.pkl",
             "data/train-00000-of-00001.parquet", "data/test-00000-of-00001.parquet"]
    assert read_outputs(run, names) == read_outputs(ref, names)


def test_status_verify_finds_a_changed_byte_and_sets_the_shard_aside(tmp_path, golden,
                                                                      capsys):
    resume = stopped_run(tmp_path)
    part = _shard(tmp_path, "00001.txt")
    data = bytearray(part.read_bytes())
    data[3] = ord("7") if data[3] != ord("7") else ord("8")  # same size, same rows
    part.write_bytes(bytes(data))

    assert main(["status", str(tmp_path)]) == 0  # without --verify: sizes are not even read
    capsys.readouterr()
    assert main(["status", str(tmp_path), "--verify"]) == 1
    out = capsys.readouterr().out
    assert f"damaged: shard train/00001: {part} does not hash to what its marker says" in out
    assert out.splitlines()[-1] == "the run is not complete: run the same command again to " \
                                   "resume it"
    resume()  # the shard set aside is made again
    assert read_outputs(tmp_path) == read_outputs(golden / "integer_sum")
    assert main(["status", str(tmp_path), "--verify"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "the run is complete"


def test_the_merge_checks_that_the_rows_add_up(tmp_path, golden):
    """A shard whose marker agrees with a part that lost a row (as if the marker lied) passes
    the resume check; the merge counts, stops naming it, and the next run makes it again."""
    resume = stopped_run(tmp_path)
    part = _shard(tmp_path, "00000.txt")
    part.write_bytes(b"\n".join(part.read_bytes().split(b"\n")[1:]))
    marker = json.loads(_marker(tmp_path).read_text())
    from synthset.engine.state import file_digest

    size, digest = file_digest(part)
    marker["files"]["shards/train/00000.txt"].update(size=size, rows=24, blake2b=digest)
    _marker(tmp_path).write_text(json.dumps(marker))

    with pytest.raises(ShardDamaged, match=rf"merging split 'train': {part} holds 24 samples, "
                                           r"its shard 25; the shard is set aside"):
        resume()
    resume()
    assert read_outputs(tmp_path) == read_outputs(golden / "integer_sum")


def test_final_files_that_changed_size_make_their_split_again(tmp_path, golden, capsys):
    make_run(tmp_path, gens.integer_sum)
    final = tmp_path / "train_raw.txt"
    final.write_bytes(final.read_bytes()[:100])
    make_run(tmp_path, gens.integer_sum)
    assert f"making split 'train' again: {final} has 100 bytes" in capsys.readouterr().err
    assert read_outputs(tmp_path) == read_outputs(golden / "integer_sum")


def _parquet_part_damaged_inside(tmp_path):
    """(reference run, stopped run, its resume, its first Parquet part damaged at the same
    size in its first data page, not the footer)."""
    ref = tmp_path / "ref"
    make_run(ref, gens.integer_sum, formats=["parquet"])
    run = tmp_path / "run"
    resume = stopped_run(run, formats=["parquet"])
    part = _shard(run, "00000.parquet")
    data = bytearray(part.read_bytes())
    data[8:200] = b"\xff" * 192
    part.write_bytes(bytes(data))
    return ref, run, resume, part


def test_a_parquet_part_damaged_inside_is_made_again_by_the_merge(tmp_path, capsys):
    """Same size and a readable footer pass the resume's size and row checks; the merge checks
    the part's hash before pyarrow reads it, names it, makes it again and merges again."""
    ref, run, resume, part = _parquet_part_damaged_inside(tmp_path)
    resume()
    assert f"shard train/00000 is damaged ({part} does not hash to what its marker says " \
           "(blake2b)): making it again" in capsys.readouterr().err
    names = ["data/train-00000-of-00001.parquet", "train_raw.txt"]
    assert read_outputs(run, names) == read_outputs(ref, names)


def test_a_parquet_part_its_marker_vouches_for_stops_the_merge_then_is_made_again(tmp_path):
    """A damaged part whose marker records its damaged bytes (as if the marker lied) passes
    every check of its record; the merge cannot read it, names it, and the next run makes
    it again."""
    ref, run, resume, part = _parquet_part_damaged_inside(tmp_path)
    marker = json.loads(_marker(run).read_text())
    from synthset.engine.state import file_digest

    marker["files"]["shards/train/00000.parquet"]["blake2b"] = file_digest(part)[1]
    _marker(run).write_text(json.dumps(marker))
    with pytest.raises(ShardDamaged, match=rf"{part} is unreadable .*; the shard is set aside"):
        resume()
    resume()
    names = ["data/train-00000-of-00001.parquet", "train_raw.txt"]
    assert read_outputs(run, names) == read_outputs(ref, names)
