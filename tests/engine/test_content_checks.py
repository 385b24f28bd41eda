"""Shards and final files are checked by their content (blake2b), not only by their size.

A run stopped by a failing sample (``stopped_run``) leaves finished, unmerged shards behind;
the tests change their bytes without changing their size or row count — what a size check
cannot see — then resume, or change a final file of a finished run and ask ``status``.
"""

import json
import os
import signal

import pytest

from synthset.cli.main import main
from synthset.io.formats import get_format
from tests import gens
from tests.conftest import make_run, read_outputs, stopped_run, strip_timing


def _shard(folder, name):
    return folder / ".synthset" / "shards" / "train" / name


def test_a_text_shard_edited_at_the_same_size_is_made_again(tmp_path, golden, capsys):
    run = tmp_path / "run"
    resume = stopped_run(run)
    part = _shard(run, "00000.txt")
    data = part.read_bytes()
    first = data.split(b"\n", 1)[0]
    assert first.endswith(b" # 350")  # the answer of sample 0
    part.write_bytes(first[:-3] + b"750\n" + data.split(b"\n", 1)[1])  # a wrong answer
    assert len(part.read_bytes()) == len(data)
    resume()
    assert read_outputs(run) == read_outputs(golden / "integer_sum")
    assert f"shard train/00000 is damaged ({part} does not hash to what its marker says " \
           "(blake2b)): making it again" in capsys.readouterr().err


def test_a_shard_made_again_by_the_merge_counts_once(tmp_path, capsys, python_sigint):
    """The skipped samples of a shard found changed are taken back before it is made again."""
    from synthset.core.seeding import derive_seed

    stop = {"seed": derive_seed(42, "train", 55)}

    def gen(seed):  # skips the multiples of 7; a Ctrl-C stops the run once, at train 55
        if seed == stop["seed"]:
            os.kill(os.getpid(), signal.SIGINT)
        return gens.fails_on_multiples_of_7(seed)

    run = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        make_run(run, gen, on_error="skip")
    part = _shard(run, "00000.jsonl")
    data = bytearray(part.read_bytes())
    data[20] ^= 0x01
    part.write_bytes(bytes(data))
    stop["seed"] = None
    make_run(run, gen, on_error="skip")
    assert "shard train/00000 is damaged" in capsys.readouterr().err
    ref = tmp_path / "ref"
    make_run(ref, gens.fails_on_multiples_of_7, on_error="skip")
    for name in ("train_stats.yaml", "test_stats.yaml", "train_data.jsonl"):
        assert strip_timing((run / name).read_text()) == strip_timing((ref / name).read_text())
    assert "skipped: 6" in (run / "train_stats.yaml").read_text()


def _silent_flip(part) -> tuple[int, int]:
    """A bit of a Parquet part whose flip leaves it readable, with its row count, but changes
    a value: what only its hash can tell. ``(byte, bit)``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = part.read_bytes()
    rows = pq.read_table(pa.BufferReader(data)).to_pylist()
    for offset in range(4, len(data) - 8):  # not the magic bytes nor the footer's length
        for bit in range(8):
            flipped = bytearray(data)
            flipped[offset] ^= 1 << bit
            try:
                table = pq.read_table(pa.BufferReader(bytes(flipped)))
                if table.num_rows == len(rows) and table.to_pylist() != rows:
                    return offset, bit
            except Exception:
                continue
    raise AssertionError(f"no silent bit flip in {part}")


def test_a_parquet_shard_with_one_bit_flipped_is_made_again(tmp_path, capsys):
    kwargs = {"formats": ["parquet"]}
    ref = tmp_path / "ref"
    make_run(ref, gens.integer_sum, **kwargs)
    run = tmp_path / "run"
    resume = stopped_run(run, **kwargs)
    part = _shard(run, "00001.parquet")
    offset, bit = _silent_flip(part)
    data = bytearray(part.read_bytes())
    data[offset] ^= 1 << bit
    part.write_bytes(bytes(data))
    resume()
    names = ["data/train-00000-of-00001.parquet", "data/test-00000-of-00001.parquet"]
    assert read_outputs(run, names) == read_outputs(ref, names)
    assert f"shard train/00001 is damaged ({part} does not hash to what its marker says " \
           "(blake2b)): making it again" in capsys.readouterr().err


def test_a_final_file_changed_at_the_same_size_fails_status_verify(tmp_path, golden, capsys):
    make_run(tmp_path, gens.integer_sum)
    final = tmp_path / "train_data.jsonl"
    data = bytearray(final.read_bytes())
    data[-5] ^= 0x01  # a digit of the last answer, one bit: same size, same rows
    final.write_bytes(bytes(data))

    assert main(["status", str(tmp_path)]) == 0  # cheap: sizes at most, nothing hashed
    assert capsys.readouterr().out.splitlines()[-1] == "the run is complete"
    assert main(["status", str(tmp_path), "--verify"]) == 1
    out = capsys.readouterr().out
    assert f"damaged: split train: {final} does not hash to what it did when written " \
           "(blake2b)" in out
    assert "damaged: split test" not in out
    marker = json.loads((tmp_path / ".synthset" / "merged" / "test").read_text())
    assert set(marker["blake2b"]) == set(marker["files"]) == {
        "test_raw.txt", "test_data.jsonl", "test_stats.yaml"}
    make_run(tmp_path, gens.integer_sum)  # the split set aside is made again
    assert read_outputs(tmp_path) == read_outputs(golden / "integer_sum")
    assert main(["status", str(tmp_path), "--verify"]) == 0
    assert "verified: every finished shard and final file matches its record" in \
        capsys.readouterr().out


@pytest.mark.parametrize("fmt", ["text", "pickle"])
def test_a_changed_part_leaves_no_final_file(tmp_path, fmt):
    """The merge hashes each part as it copies it: a part that changed stops it before the
    final file takes its name (the temporary file goes too)."""
    from synthset.io.formats import PartChanged

    form = get_format(fmt)
    items = [form.encode(str(i), str(2 * i)) for i in range(6)]
    parts = [tmp_path / f"{n}.{form.shard_ext}" for n in range(2)]
    form.write_shard(parts[0], items[:3], 0)
    form.write_shard(parts[1], items[3:], 3)
    out = tmp_path / "out"
    out.mkdir()
    from synthset.engine.state import file_digest

    digests = [file_digest(p)[1] for p in parts]
    records = form.merge_checked(parts, out, "train", 6, [3, 3], digests)
    (name, (size, digest)), = records.items()
    assert file_digest(out / name) == (size, digest)  # hashed as written
    (out / name).unlink()

    data = bytearray(parts[1].read_bytes())
    data[-3] ^= 0x01
    parts[1].write_bytes(bytes(data))
    with pytest.raises(PartChanged, match="does not hash to what its marker says"):
        form.merge_checked(parts, out, "train", 6, [3, 3], digests)
    assert list(out.iterdir()) == []
