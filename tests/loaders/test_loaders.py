"""Batch samplers: random, sequential, without replacement; masks, sample alignment; modes."""

from collections import Counter

import numpy as np
import pytest

from synthset import ConfigError
from synthset.core.errors import FormatError
from synthset.export import export_nanogpt
from synthset.loaders import MultiContext, MultiDataset, NanoGPTData, make_loader
from synthset.loaders.nanogpt import schedule_probs


def _folder(tmp_path, name, tokens, vocab=1000, val=None):
    from synthset.io.nanogpt import SplitWriter, write_meta

    folder = tmp_path / name
    folder.mkdir(parents=True)
    for split, data in (("train", tokens), ("val", tokens if val is None else val)):
        w = SplitWriter(folder, split, np.uint16, with_mask=True)
        w.write(np.asarray(data), np.arange(0, len(data), 10), np.asarray(data) % 2)
        w.close()
    write_meta(folder, {"vocab_size": vocab}, {"vocab_size": vocab, "dtype": "uint16"})
    return folder


def test_sequential_walks_windows_in_order_and_wraps(tmp_path):
    folder = _folder(tmp_path, "a", np.arange(100))
    d = NanoGPTData(folder, sampling_method="sequential")
    x, y = d.get_batch("train", 3, 10)
    assert x[:, 0].tolist() == [0, 10, 20] and (y == x + 1).all()
    for _ in range(2):
        x, _ = d.get_batch("train", 3, 10)
    assert x[:, 0].tolist() == [60, 70, 80]
    x, _ = d.get_batch("train", 2, 10)
    assert x[:, 0].tolist() == [0, 10]  # 90 + 11 > 100: wrapped


def test_without_replacement_covers_every_window_once_per_epoch(tmp_path):
    folder = _folder(tmp_path, "a", np.arange(1001))
    d = NanoGPTData(folder, sampling_method="without_replacement", seed=3)
    starts = [int(x[0]) for _ in range(25) for x in d.get_batch("train", 4, 10)[0]]
    assert sorted(starts) == list(range(0, 1000, 10))  # 100 windows, each exactly once
    nxt = [int(x[0]) for x in d.get_batch("train", 100, 10)[0]]
    assert sorted(nxt) == list(range(0, 1000, 10)) and nxt != starts


def test_random_is_deterministic_and_covers(tmp_path):
    folder = _folder(tmp_path, "a", np.arange(500))
    a = NanoGPTData(folder, seed=1).get_batch("train", 64, 8)[0]
    b = NanoGPTData(folder, seed=1).get_batch("train", 64, 8)[0]
    c = NanoGPTData(folder, seed=2).get_batch("train", 64, 8)[0]
    assert (a == b).all() and not (a == c).all()
    assert a.min() >= 0 and a[:, 0].max() < 492


def test_masked_and_sample_aligned_batches(tmp_path):
    folder = _folder(tmp_path, "a", np.arange(300))
    d = NanoGPTData(folder, masked=True, sample_aligned=True, seed=0)
    x, y, m = d.get_batch("train", 16, 12)
    assert (x[:, 0] % 10 == 0).all()  # sample starts are every 10 tokens here
    assert (m == y % 2).all()  # the mask of the targets


def test_reopen_mode_gives_the_same_batches(tmp_path):
    folder = _folder(tmp_path, "a", np.arange(300))
    a = NanoGPTData(folder, seed=5).get_batch("val", 8, 16)
    b = NanoGPTData(folder, seed=5, reopen=True).get_batch("val", 8, 16)
    assert (a[0] == b[0]).all()


def test_multidataset_mixture_and_schedule(tmp_path):
    f1 = _folder(tmp_path, "one", np.arange(200))
    f2 = _folder(tmp_path, "two", np.arange(1000, 1200))
    mix = MultiDataset([f1, f2], [3, 1], seed=0)
    picks = Counter(mix.get_batch("train", 2, 8)[2] for _ in range(2000))
    assert abs(picks[0] / 2000 - 0.75) < 0.04
    assert schedule_probs([1, 0], [0, 1], 5, 10, "linear").tolist() == [0.5, 0.5]
    assert schedule_probs([1, 0], [0, 1], 10, 10, "cosine").tolist() == [0.0, 1.0]
    sched = MultiDataset([f1, f2], [1, 0], final_probs=[0, 1], max_iters=100, seed=0)
    first = [sched.get_batch("train", 1, 8, iter_num=0)[2] for _ in range(50)]
    last = [sched.get_batch("train", 1, 8, iter_num=100)[2] for _ in range(50)]
    assert set(first) == {0} and set(last) == {1}
    # each dataset keeps its own position
    seq = MultiDataset([f1, f2], [1, 1], seed=0, sampling_method="sequential")
    seen = {0: [], 1: []}
    for _ in range(20):
        x, _, k = seq.get_batch("train", 1, 8)
        seen[k].append(int(x[0, 0]) % 1000)
    for starts in seen.values():
        assert starts == list(range(0, 8 * len(starts), 8))


def test_multidataset_refuses_mismatched_vocab_sizes(tmp_path):
    f1 = _folder(tmp_path, "one", np.arange(200), vocab=300)
    f2 = _folder(tmp_path, "two", np.arange(200), vocab=500)
    with pytest.raises(ConfigError, match="vocab sizes differ"):
        MultiDataset([f1, f2])


def test_multicontext_aligned_and_refuses_different_lengths(tmp_path):
    f1 = _folder(tmp_path, "one", np.arange(200))
    f2 = _folder(tmp_path, "two", np.arange(200) * 2)
    ctx = MultiContext([f1, f2], seed=0)
    (x1, _), (x2, _) = ctx.get_batch("train", 4, 8)
    assert (x2 == 2 * x1).all()
    f3 = _folder(tmp_path, "three", np.arange(150))
    with pytest.raises(ConfigError, match="token-aligned; their train.bin lengths differ"):
        MultiContext([f1, f3])


def test_clear_errors(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        NanoGPTData(tmp_path / "none")
    folder = _folder(tmp_path, "a", np.arange(50))
    with pytest.raises(ConfigError, match="sampling_method must be one of"):
        NanoGPTData(folder, sampling_method="shuffled")
    with pytest.raises(ConfigError, match="training_mode must be one of"):
        make_loader("mixture", dataset=folder)
    with pytest.raises(ConfigError, match="fewer than block_size"):
        NanoGPTData(folder).get_batch("train", 1, 64)
    (folder / "val.bin").write_bytes(b"\x00" * 7)
    with pytest.raises(FormatError, match="val.bin is corrupt"):
        NanoGPTData(folder)
    (folder / "val.bin").unlink()
    with pytest.raises(ConfigError, match="val.bin is missing"):
        NanoGPTData(folder)
    with pytest.raises(ConfigError, match="dataset_sampling_probs has 1 entries for 2"):
        MultiDataset([_folder(tmp_path, "b", np.arange(50)), _folder(tmp_path, "c",
                                                                     np.arange(50))], [1])


def test_reads_a_plain_nanogpt_folder_with_meta_pkl_only(tmp_path):
    import pickle

    folder = tmp_path / "shakespeare_char"
    folder.mkdir()
    np.arange(100, dtype=np.uint16).tofile(folder / "train.bin")
    np.arange(50, dtype=np.uint16).tofile(folder / "val.bin")
    (folder / "meta.pkl").write_bytes(pickle.dumps({"vocab_size": 100, "itos": {0: "a"},
                                                    "stoi": {"a": 0}}))
    d = make_loader("single", dataset="shakespeare_char", data_root=tmp_path)
    assert d.vocab_size == 100 and d.dtype.name == "uint16"
    assert d.get_batch("val", 2, 5)[0].shape == (2, 5)


def test_export_then_load_masked_task_batches(tmp_path):
    export_nanogpt("brevo1", "b", out=tmp_path, tokenizer="task", count=100,
                   task_config={"N": 15})
    d = NanoGPTData(tmp_path / "b", masked=True, sample_aligned=True)
    x, y, m = d.get_batch("train", 8, 32)
    import synthset.tasks as T

    bos = T.get("brevo1", N=15).vocab["<bos>"]
    assert (x[:, 0] == bos).all() and m.dtype == np.uint8 and m.sum() > 0
