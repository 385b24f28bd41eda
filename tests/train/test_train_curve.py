"""``synthset train`` along the way: batched greedy decoding gives what one-by-one decoding
gives, a learning curve (CSV + PNG) for a run, evaluation problems held out of training,
train presets and the threads option."""

import csv
import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

import synthset.tasks as T  # noqa: E402
from synthset.cli.main import main  # noqa: E402
from synthset.core.errors import ConfigError  # noqa: E402
from synthset.train import evaluate as E  # noqa: E402
from synthset.train.loop import held_out_keys, rows_of, train  # noqa: E402
from synthset.train.models import ModelConfig, build_model  # noqa: E402
from tests.train.conftest import checkpoint  # noqa: E402

TINY = {"type": "gpt2", "n_layer": 2, "n_embd": 32, "n_head": 2}


def _one_by_one(model, task, examples):
    texts = []
    for ex in examples:
        room = len(ex["answer"].encode("utf-8")) + 8
        out = E.continue_ids(model, E.prompt_bytes(ex), "cpu", room, E.BYTE_BOS)
        texts.append(bytes(b for b in out if b < 256).decode("utf-8", "replace"))
    return texts


def test_batched_greedy_decoding_matches_one_by_one():
    task = T.get("gf17_addition", max_length=5)
    torch.manual_seed(0)
    model = build_model(ModelConfig.from_dict(TINY), E.BYTE_BOS + 1, 128).eval()
    exs = task.take(3, 40)
    assert len({len(E.prompt_bytes(ex)) for ex in exs}) < len(exs)  # some share a length
    assert E.generated_answers(model, task, exs, "cpu", sample=False, batch=4) == \
        _one_by_one(model, task, exs)


class _Knows(torch.nn.Module):
    """Predicts the next byte of whichever row of ``rows`` the input is a prefix of."""

    def __init__(self, rows):
        super().__init__()
        self.rows = rows

    def forward(self, input_ids, **_):
        B, T_ = input_ids.shape
        logits = torch.zeros(B, T_, E.BYTE_BOS + 1)
        for b in range(B):
            ids = input_ids[b].tolist()
            while ids and ids[-1] == 0:  # collate's padding (no text holds byte 0)
                ids.pop()
            row = next((r for r in self.rows if r[:len(ids)] == ids), None)
            for i in range(T_):
                nxt = row[i + 1] if row is not None and i + 1 < len(row) else 0
                logits[b, i, nxt] = 1.0
        return type("O", (), {"logits": logits})()


def test_a_model_that_knows_the_answers_scores_one_and_the_shortcut_agrees():
    task = T.get("gf17_addition", max_length=4)
    exs = task.take(0, 6)
    rows = [E.model_row(task, ex)["input_ids"] for ex in exs]
    wrong = list(rows[0])
    wrong[-2] = ord("9") if wrong[-2] != ord("9") else ord("8")  # last digit of the answer
    model = _Knows([wrong] + rows[1:])
    forced = E.forced_continuations(model, task, exs, "cpu")
    assert forced[0] is None and all(f is not None for f in forced[1:])
    answers = E.generated_answers(model, task, exs, "cpu", sample=False)
    assert answers[1:] == [ex["answer"] for ex in exs[1:]]
    assert E.score(task, exs, answers)["score"] == pytest.approx(5 / 6)


def test_held_out_drops_the_evaluation_problems_from_training():
    task = T.get("integer_sum", count=2, bound=9)  # 361 problems: the streams overlap
    keys = held_out_keys(task, 100)
    plain = [ex["prompt"] for ex in task.iter_examples(0, 400)]
    assert any(task.dedup_key({"prompt": p}) in keys for p in plain)
    rows = rows_of(task, 0, 400, exclude=keys)
    seen = [bytes(b for b in r["input_ids"] if b < 256).decode().split(" # ")[0] for r in rows]
    assert seen and not any(task.dedup_key({"prompt": p}) in keys for p in seen)
    tiny = T.get("integer_factorization", max_factors=2, prime_bound=6)  # 2*3, 2*5, 3*5
    with pytest.raises(ConfigError, match="eval.held_out"):
        next(rows_of(tiny, 0, exclude=held_out_keys(tiny, 50)))


def test_eval_every_records_a_curve_and_reuses_the_last_point():
    task = T.get("integer_sum", count=2, bound=9)
    seen = []
    _, res = train(task, TINY, steps=5, batch_size=4, eval_examples=6, log=None, device="cpu",
                   eval_every=2, on_eval=lambda *a: seen.append(a[:2]), held_out=True)
    assert [p["step"] for p in res.curve] == [2, 4, 5] and seen == [(2, 8), (4, 16), (5, 20)]
    assert res.metric["score"] == res.curve[-1]["score"]


def test_train_writes_a_curve_with_a_preset(tmp_path, capsys):
    assert main(["train", "+preset=gf17_cpu", "train.steps=4", "train.batch_size=4",
                 "eval.examples=5", "eval.every=2", "model.n_layer=1", "model.n_embd=32",
                 "threads=1", f"output_dir={tmp_path}", "device=cpu"]) == 0
    out = capsys.readouterr().out
    run = checkpoint(tmp_path)
    assert "gf17_addition:" in out and out.strip().splitlines()[-1] == f"checkpoint: {run}"
    assert "loss" in out and " max_length 2" in out  # the preset's curriculum starts at 2
    rows = list(csv.DictReader(open(run / "curve.csv")))
    assert list(rows[0]) == ["step", "examples_seen", "exact_match"]
    assert [(r["step"], r["examples_seen"]) for r in rows] == [("2", "8"), ("4", "16")]
    assert (run / "curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "gf17_addition" in (run / "config.yaml").read_text()
    summary = json.loads((run / "summary.json").read_text())
    assert summary["step"] == 4 and len(summary["losses"]) == 4
    assert [p["step"] for p in summary["curve"]] == [2, 4]


def test_train_with_output_dir_null_writes_nothing(tmp_path, capsys):
    assert main(["train", "task=integer_sum", "train.steps=2", "train.batch_size=2",
                 "eval.examples=2", "model.n_layer=1", "model.n_embd=32", "device=cpu",
                 "output_dir=null"]) == 0
    assert list(tmp_path.iterdir()) == []
    assert "checkpoint:" not in capsys.readouterr().out


def test_threads_must_be_positive(capsys):
    assert main(["train", "task=integer_sum", "threads=0"]) == 2
    assert "threads must be an integer >= 1 or null, got 0" in capsys.readouterr().err
