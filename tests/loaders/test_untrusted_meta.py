"""A data folder's metadata is data: its dtype and vocab_size are checked against what
synthset writes before anything is memory-mapped (a crafted ``object`` dtype crashed the
loader with SIGSEGV)."""

import json
import pickle

import numpy as np
import pytest

from synthset.core.errors import FormatError
from synthset.loaders import NanoGPTData


def _folder(tmp_path, meta: dict, as_pickle: bool = False):
    folder = tmp_path / "d"
    folder.mkdir()
    for split in ("train", "val"):
        np.arange(100, dtype=np.uint16).tofile(folder / f"{split}.bin")
    if as_pickle:
        (folder / "meta.pkl").write_bytes(pickle.dumps(meta))
    else:
        (folder / "meta.json").write_text(json.dumps(meta))
    return folder


@pytest.mark.parametrize("as_pickle", [False, True])
@pytest.mark.parametrize("meta, message", [
    ({"vocab_size": 10, "dtype": "object"}, "dtype must be one of uint16, uint32, got 'object'"),
    ({"vocab_size": 10, "dtype": "float64"}, "dtype must be one of uint16, uint32"),
    ({"vocab_size": 100_000, "dtype": "uint16"}, "dtype uint16 cannot hold ids of a vocab_size"),
    ({"vocab_size": -3}, "vocab_size must be an integer from 1 to 2**32, got -3"),
    ({"vocab_size": "10"}, "vocab_size must be an integer from 1 to 2**32, got '10'"),
])
def test_a_crafted_meta_is_refused_in_one_line(tmp_path, meta, message, as_pickle):
    folder = _folder(tmp_path, meta, as_pickle)
    with pytest.raises(FormatError) as info:
        NanoGPTData(folder).get_batch("train", 2, 8)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_a_written_meta_still_reads(tmp_path):
    folder = _folder(tmp_path, {"vocab_size": 100, "dtype": "uint16"})
    x, y = NanoGPTData(folder).get_batch("train", 2, 8)[:2]
    assert x.shape == (2, 8) and (y - x == 1).all()
