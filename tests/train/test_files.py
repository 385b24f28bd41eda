"""`synthset train data=PATH`: training on an exported data folder, scored by its source task."""

import json

import pytest

torch = pytest.importorskip("torch")

from synthset.cli.main import main  # noqa: E402
from synthset.export import export_nanogpt  # noqa: E402
from synthset.train.files import evaluate_folder, load_folder, train_on_folder  # noqa: E402
from tests.train.conftest import checkpoint  # noqa: E402

TINY = {"type": "gpt2", "n_layer": 1, "n_embd": 32, "n_head": 2}


class _Oracle(torch.nn.Module):
    """Predicts, at every position of a validation sample's prefix, the sample's next token:
    a perfect model for the first samples of a folder's val split."""

    def __init__(self, data, vocab):
        super().__init__()
        self.seqs = [data._open("val")[a:b].tolist() for a, b in
                     __import__("synthset.train.files", fromlist=["x"]).sample_bounds(
                         data, "val")]
        self.vocab = vocab

    def forward(self, input_ids, **_):
        logits = torch.zeros(*input_ids.shape, self.vocab)
        for b, row in enumerate(input_ids.tolist()):
            # the sample this row is a prefix of (greedy decoding), or that it holds, padded
            seq = next(s for s in self.seqs if s[:len(row)] == row or row[:len(s)] == s)
            for i in range(len(row)):
                logits[b, i, seq[min(i + 1, len(seq) - 1)]] = 1.0
        return type("O", (), {"logits": logits})()


@pytest.mark.parametrize("name, tokenizer, config", [
    ("gf17_addition", "char", {"level": 2}),  # problem/answer text, scored by the verifier
    ("mano", "task", {"level": 2, "loss_on": "answer"}),  # a token task, its own decoding
])
def test_a_perfect_model_scores_1_and_training_runs(tmp_path, name, tokenizer, config):
    export_nanogpt(name, "d", out=tmp_path, tokenizer=tokenizer, count=200, seed=1,
                   task_config=config)
    data, meta = load_folder(tmp_path / "d")
    assert data.masked  # problem/answer exports carry an answer mask too
    x, y, mask = data.get_batch("train", 4, 16)
    assert 0 < mask.mean() < 1  # the loss sees part of each window
    oracle = _Oracle(data, meta["vocab_size"])
    assert evaluate_folder(oracle, data, meta, 8, "cpu")["score"] == 1.0
    _, result = train_on_folder(tmp_path / "d", TINY, steps=6, batch_size=4, log=None,
                                device="cpu", eval_examples=4)
    assert 0.0 <= result.metric["score"] <= 1.0 and len(result.losses) == 6


def test_train_cli_on_a_folder_and_its_errors(tmp_path, capsys):
    export_nanogpt("gf17_addition", "d", out=tmp_path, count=100, seed=0,
                   task_config={"level": 1})
    assert main(["train", f"data={tmp_path / 'd'}", "train.steps=3", "train.batch_size=2",
                 "eval.examples=2", "model.n_layer=1", "model.n_embd=32", "device=cpu",
                 f"output_dir={tmp_path / 'o'}"]) == 0
    out = capsys.readouterr().out
    ckpt = checkpoint(tmp_path / "o")
    assert "score:" in out and out.strip().splitlines()[-1] == f"checkpoint: {ckpt}"
    assert json.loads((ckpt / "vocab.json").read_text())["kind"] == "nanogpt"  # char ids
    assert main(["train", f"data={tmp_path / 'nowhere'}", "device=cpu"]) == 2
    assert "nowhere: no such folder" in capsys.readouterr().err
    # A stream's options are refused with a folder, not ignored.
    assert main(["train", f"data={tmp_path / 'd'}", f"output_dir={tmp_path / 'o2'}",
                 "train.curriculum=adaptive:1", "eval.held_out=true", "device=cpu"]) == 2
    assert "train.curriculum, eval.held_out: only for training on a task's stream" in \
        capsys.readouterr().err
    assert not (tmp_path / "o2").exists()
