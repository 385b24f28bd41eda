"""Training harness: every task trains a few steps, metrics on hand-made logits, curves,
recurrent-model options, clear config errors, answers that end before the stop token."""

import csv
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

import synthset.tasks as T  # noqa: E402
from synthset.cli.main import main  # noqa: E402
from synthset.core.errors import ConfigError  # noqa: E402
from synthset.train import evaluate as E  # noqa: E402
from synthset.train.loop import train  # noqa: E402
from synthset.train.models import LoopedLM, ModelConfig, build_model  # noqa: E402
from tests.train.conftest import checkpoint  # noqa: E402

TINY = {"type": "gpt2", "n_layer": 2, "n_embd": 32, "n_head": 2}


@pytest.mark.parametrize("name, config, metric", [
    ("depo1", {"N": 6, "K": 2, "V": 10, "max_len": 1}, "score_by_k"),
    ("brevo1", {"N": 6}, "score"),
    ("mano", {"L": 2}, "score"),
    ("lano_cfg3f", {}, "score"),
    ("capo", {"N": 10}, "bits"),
    ("integer_sum", {"count": 2, "bound": 9}, "score"),
])
def test_a_few_steps_per_task_lower_the_loss(name, config, metric):
    task = T.get(name, **config)
    _, res = train(task, TINY, steps=40, batch_size=8, lr=3e-3, warmup=5, eval_examples=4,
                   log=None, device="cpu")
    assert np.mean(res.losses[-5:]) < np.mean(res.losses[:5])
    assert metric in res.metric and res.tokens_per_second > 0


def _one_hot_logits(targets, vocab):
    """Logits whose argmax at position i - 1 is targets[i] (a perfect teacher-forced model)."""
    logits = torch.full((len(targets), vocab), -10.0)
    for i in range(1, len(targets)):
        logits[i - 1, targets[i]] = 10.0
    return logits


def test_depo_score_on_hand_made_logits():
    task = T.get("depo1", N=8, K=2, V=10, max_len=1)
    rows = task.take(0, 3)
    perfect = [_one_hot_logits(r["input_ids"], len(task.vocab)) for r in rows]
    got = E.score(task, rows, E.teacher_forced_answers(task, rows, perfect))
    assert got["score"] == 1.0 and set(got["score_by_k"].values()) == {1.0}
    wrong = [lg.clone() for lg in perfect]
    s, _ = rows[0]["meta"]["answer_spans"][0]
    wrong[0][s - 1] = 0.0
    wrong[0][s - 1, 0] = 10.0  # predicts <pad> for the first answer token of query 0
    k0 = rows[0]["meta"]["k"][0]
    total = sum(1 for r in rows for kk, (a, b) in zip(r["meta"]["k"], r["meta"]["answer_spans"])
                if kk == k0 for _ in range(a, b))
    got = E.score(task, rows, E.teacher_forced_answers(task, rows, wrong))
    assert got["score_by_k"][k0] == pytest.approx(1 - 1 / total)


def test_mano_score_on_hand_made_logits():
    task = T.get("mano", L=2)
    rows = task.take(0, 4)
    logits = [_one_hot_logits(r["input_ids"], len(task.vocab)) for r in rows]
    assert E.score(task, rows, E.teacher_forced_answers(task, rows, logits))["score"] == 1.0
    logits[0][len(rows[0]["input_ids"]) - 2] = 0.0  # the answer position: no preference
    logits[0][len(rows[0]["input_ids"]) - 2, 0] = 1.0
    assert E.score(task, rows, E.teacher_forced_answers(task, rows, logits))["score"] == 0.75


class _Replay(torch.nn.Module):
    """A 'model' that always predicts the next token of a fixed sequence (for decoding)."""

    def __init__(self, seq, vocab):
        super().__init__()
        self.seq, self.vocab = seq, vocab

    def forward(self, input_ids, **_):
        T_ = input_ids.shape[1]
        logits = torch.zeros(input_ids.shape[0], T_, self.vocab)
        for i in range(T_):
            nxt = self.seq[i + 1] if i + 1 < len(self.seq) else self.seq[-1]
            logits[:, i, nxt] = 1.0
        return type("O", (), {"logits": logits})()


def test_brevo_score_with_greedy_decoding():
    task = T.get("brevo1", N=8)
    row = task.example(0, 0)
    right = _Replay(row["input_ids"], len(task.vocab))
    answers = E.generated_answers(right, task, [row], "cpu", sample=False)
    assert answers == [row["answer"]]  # the stop token ends the answer, outside it
    assert E.score(task, [row], answers)["score"] == 1.0
    broken = list(row["input_ids"])
    broken[-2] = broken[-3]  # the answer repeats a node instead of ending with the query
    answers = E.generated_answers(_Replay(broken, len(task.vocab)), task, [row], "cpu", False)
    assert E.score(task, [row], answers)["score"] == 0.0


def test_lano_completions_are_scored_by_the_parser():
    task = T.get("lano_cfg3f")
    row = task.example(0, 0)
    replay = _Replay(row["input_ids"] + [task.vocab["<bos>"]], len(task.vocab))
    answers = E.generated_answers(replay, task, [row], "cpu", sample=False)
    assert answers == [row["answer"]]  # <bos> (Lano's stop) ends it, outside it
    assert E.score(task, [row, row], [answers[0], row["answer"] + " 1 1 1"])["score"] == 0.5


def test_capo_span_losses_and_bits():
    logits = torch.log(torch.tensor([[0.5, 0.5], [0.25, 0.75], [0.9, 0.1]]))
    assert E.span_loss_nats(logits, [0, 1, 0], [[1, 3]]) == pytest.approx(
        -np.log(0.5) - np.log(0.25))


def test_curves_write_csv_and_png(tmp_path, capsys):
    assert main(["curves", "+preset=cpu_demo", "train.steps=6", "eval.every=3",
                 "eval.examples=4", "train.batch_size=4", "model.n_layer=1",
                 "model.n_embd=32", f"output_dir={tmp_path}", "device=cpu"]) == 0
    run = checkpoint(tmp_path)
    rows = list(csv.DictReader(open(run / "curves.csv")))
    assert list(rows[0]) == ["step", "examples_seen", "hop", "accuracy"]
    assert {r["hop"] for r in rows} == {"1", "2", "3", "4"} and {r["step"] for r in rows} == {
        "3", "6"}
    assert (run / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (run / "config.yaml").exists() and (run / "model.safetensors").exists()
    assert capsys.readouterr().out.strip().splitlines()[-1] == f"run folder: {run}"


def test_curves_follow_a_k_curriculum_beside_a_baseline(tmp_path, capsys):
    """A field curriculum moves Depo's K during `synthset curves`; an earlier run's
    curves.csv is drawn beside the new curves."""
    from synthset.train.curves import read_curves

    first, second = tmp_path / "a", tmp_path / "b"
    common = ["curves", "+preset=cpu_demo", "train.steps=4", "eval.every=2",
              "eval.examples=4", "train.batch_size=4", "model.n_layer=1",
              "model.n_embd=32", "device=cpu"]
    assert main([*common, f"output_dir={first}"]) == 0
    before = checkpoint(first) / "curves.csv"
    assert main([*common, "train.curriculum=K:step:1,3:8", f"baseline={before}",
                 f"output_dir={second}"]) == 0
    out = capsys.readouterr().out
    assert " K 1" in out and " K 3" in out  # the log names the field and its value
    run = checkpoint(second)
    assert (run / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [r["hop"] for r in read_curves(run / "curves.csv")] == [1, 2, 3, 4] * 2
    assert read_curves(before)[0] == {"step": 2, "examples_seen": 8, "hop": 1,
                                      "accuracy": read_curves(before)[0]["accuracy"]}


def test_an_evaluated_k_curriculum_rises_when_the_evaluation_at_k_reaches_its_target(
        tmp_path, capsys, monkeypatch):
    """`K:evaluated:1:T` raises K by one after each evaluation whose accuracy at k = K (full
    size, curves.csv) reaches T, and only then: the log's K follows curves.csv. The
    evaluation's accuracies are scripted (a few steps of a tiny model score 0 everywhere)."""
    import synthset.train.curves as curves
    from synthset.train.curves import read_curves

    script = iter([0.2, 0.6, 0.3, 0.7, 0.9, 0.1] * 8)  # one per hop per evaluation
    monkeypatch.setattr(curves, "hop_accuracy", lambda model, base, hops, *a: {
        k: next(script) for k in hops})
    assert main(["curves", "+preset=cpu_demo", "train.steps=12", "eval.every=2",
                 "eval.examples=4", "train.batch_size=4", "model.n_layer=1",
                 "model.n_embd=32", "device=cpu", "train.log_every=1",
                 "train.curriculum=K:evaluated:1:0.5", f"output_dir={tmp_path}"]) == 0
    logged = {int(line.split()[1]): int(line.rsplit(" K ", 1)[1])
              for line in capsys.readouterr().out.splitlines() if line.startswith("step ")}
    rows = read_curves(checkpoint(tmp_path) / "curves.csv")
    acc = {(r["step"], r["hop"]): r["accuracy"] for r in rows}
    k, want, held = 1, {}, 0
    for step in range(1, 13):
        want[step] = k
        if step % 2 == 0 and k < 4:
            if acc[step, k] >= 0.5:
                k += 1
            else:
                held += 1
    assert logged == want and want[12] > 2 and held  # rose and held where curves.csv says


@pytest.mark.parametrize("override, message", [
    ("train.curriculum=K:evaluated:1:0.9 eval.hops=[1,2]",
     "reads the evaluation at each K it reaches: add [3, 4] to eval.hops"),
    ("train.curriculum=num_queries:evaluated:1:0.9", "an evaluated curriculum here moves K: write "
                                         "K:evaluated:START:TARGET"),
])
def test_an_evaluated_curriculum_needs_the_hops_it_reads(tmp_path, capsys, override, message):
    assert main(["curves", "+preset=cpu_demo", *override.split(),
                 f"output_dir={tmp_path / 'o'}"]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_train_refuses_an_evaluated_curriculum(tmp_path, capsys):
    assert main(["train", "task=depo1", "train.curriculum=K:evaluated:1:0.9",
                 f"output_dir={tmp_path / 'o'}"]) == 2
    assert "an evaluated curriculum is fed by the hop evaluation of `synthset curves`" in \
        capsys.readouterr().err


@pytest.mark.parametrize("override, message", [
    ("eval.hops=[1,9]", "eval.hops [9] are outside 1..K=4"),
    ("model=from_pretrained", "is not a local folder"),
    ("model.n_head=3", "must be a multiple of n_head"),
    ("+preset=gpu_demo", "preset must be one of 'cpu_curriculum', 'cpu_demo', 'cpu_depth'"),
    ("baseline=no/such/curves.csv", "baseline=no/such/curves.csv: cannot read it (No such "
                                    "file or directory)"),
    ("baseline=data.yaml", "baseline=data.yaml: not a curves.csv"),
    ("train.curriculum=K:step:1,5:10", "reaches K=5, above the task's own K=4"),
    ("task=mano", "unknown mano config key 'K'"),  # the preset's Depo fields, checked
])
def test_curve_config_errors(tmp_path, capsys, override, message):
    (tmp_path / "data.yaml").write_text("dataset: {}\n")  # a file that is not a curves.csv
    assert main(["curves", "+preset=cpu_demo", override, f"output_dir={tmp_path / 'o'}"]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()  # checked before any folder is made


def test_wandb_logging_without_wandb_names_its_own_pip_command(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb", None)  # as if it were not installed
    assert main(["curves", "+preset=cpu_demo", "logging.wandb.enabled=true", "device=cpu",
                 f"output_dir={tmp_path / 'o'}"]) == 2
    assert capsys.readouterr().err == (
        "synthset curves: error: logging.wandb.enabled=true needs the package 'wandb', which "
        "is not installed: pip install wandb\n")
    assert not (tmp_path / "o").exists()


def test_from_pretrained_loads_a_local_checkpoint(tmp_path):
    model = build_model(ModelConfig.from_dict(TINY), 30, 64)
    model.save_pretrained(tmp_path)
    again = build_model(ModelConfig.from_dict({"type": "from_pretrained",
                                               "name_or_path": str(tmp_path)}), 30, 64)
    x = torch.randint(0, 30, (1, 10))
    assert torch.allclose(model(input_ids=x).logits, again(input_ids=x).logits)


def test_canon_layers_are_causal_and_round_trip(tmp_path):
    model = build_model(ModelConfig.from_dict({**TINY, "canon": 4}), 30, 64).eval()
    assert sum(name.endswith("canon_a.conv.weight") for name, _ in model.named_parameters()) == 2
    x = torch.randint(0, 30, (2, 12))
    changed = x.clone()
    changed[:, 8] = (changed[:, 8] + 1) % 30
    a, b = model(input_ids=x).logits, model(input_ids=changed).logits
    assert torch.allclose(a[:, :8], b[:, :8]) and not torch.allclose(a[:, 8:], b[:, 8:])
    plain = build_model(ModelConfig.from_dict(TINY), 30, 64).eval()
    plain.load_state_dict(model.state_dict(), strict=False)  # the same GPT-2 weights
    assert not torch.allclose(plain(input_ids=x).logits, a)  # the Canon layers take part
    model.save_pretrained(tmp_path)
    again = build_model(ModelConfig.from_dict({"type": "from_pretrained",
                                               "name_or_path": str(tmp_path)}), 0, 0).eval()
    assert sum(name.endswith("canon_a.conv.weight") for name, _ in again.named_parameters()) == 2
    assert torch.allclose(again(input_ids=x).logits, a)


@pytest.mark.parametrize("model, message", [
    ({**TINY, "canon": -1}, "model.canon must be a kernel size >= 0"),
    ({"type": "recurrent_olmo3", "canon": 4}, "model.canon is available for type gpt2 only"),
])
def test_canon_config_errors(model, message):
    with pytest.raises(Exception, match=message):
        build_model(ModelConfig.from_dict(model), 30, 64)


def _looped(**rec):
    act = rec.pop("act", False)
    cfg = ModelConfig.from_dict({"type": "recurrent_olmo3", "n_embd": 32, "n_head": 2,
                                 "recurrent": {"loops": 3, **rec},
                                 "act": {"enabled": act}})
    torch.manual_seed(0)
    return LoopedLM(cfg, 20, 64)


def _prelude_grad(model):
    x = torch.randint(0, 20, (2, 8))
    model(input_ids=x, labels=x).loss.backward()
    grads = [p.grad for p in model.prelude.parameters()]
    return sum(0.0 if g is None else float(g.abs().sum()) for g in grads)


def test_tbptt_limits_the_gradient_to_the_last_loop_steps():
    full = _looped(inject_input_each_step=False)
    cut = _looped(inject_input_each_step=False, tbptt_steps=1)
    assert _prelude_grad(full) > 0
    assert _prelude_grad(cut) == 0.0  # the prelude's output is detached before the last step


def test_act_halting_is_a_distribution_and_reports_steps():
    model = _looped(act=True)
    x = torch.randint(0, 20, (3, 7))
    out = model(input_ids=x, labels=x)
    assert torch.allclose(out.halting.sum(-1), torch.ones(3, 7), atol=1e-5)
    assert 1.0 <= out.mean_steps <= 3.0 and out.kl >= 0
    assert torch.allclose(torch.logsumexp(out.logits, -1), torch.zeros(3, 7), atol=1e-4)


def test_inject_and_random_init_change_the_output():
    x = torch.randint(0, 20, (1, 6))
    base = _looped()(input_ids=x).logits
    assert not torch.allclose(base, _looped(inject_input_each_step=False)(input_ids=x).logits)
    torch.manual_seed(1)
    a = _looped(random_init_loop_state=True)
    torch.manual_seed(2)
    out_a = a(input_ids=x).logits
    torch.manual_seed(3)
    out_b = a(input_ids=x).logits
    assert not torch.allclose(out_a, out_b)  # the loop state starts from fresh noise


def test_train_cli(capsys):
    assert main(["train", "task=mano", "train.steps=5", "train.batch_size=4", "eval.examples=4",
                 "model.n_layer=1", "model.n_embd=32", "device=cpu"]) == 0
    out = capsys.readouterr().out
    assert "mano (level 3):" in out and "score:" in out


def test_bucketed_batches_hold_the_same_rows_with_less_padding():
    from synthset.train.loop import batches, rows_of

    task = T.get("depo1", N=12, K=2, V=12, max_len=1)
    rows = list(rows_of(task, 0, 64))
    plain = batches(rows, 8)
    plain = [next(plain) for _ in range(8)]
    assert plain == [rows[i:i + 8] for i in range(0, 64, 8)]  # bucket=1: the stream in order

    bucketed = batches(rows, 8, bucket=4, seed=3)
    bucketed = [next(bucketed) for _ in range(8)]
    for first in (0, 4):  # each pool of 4 batches holds exactly that pool's rows
        pool = [r for batch in bucketed[first:first + 4] for r in batch]
        assert sorted(map(str, pool)) == sorted(map(str, rows[first * 8:(first + 4) * 8]))
    padded = lambda bs: sum(len(b) * max(len(r["input_ids"]) for r in b) for b in bs)
    assert padded(bucketed) < padded(plain)
    again = batches(rows, 8, bucket=4, seed=3)
    assert [next(again) for _ in range(8)] == bucketed  # seeded: the same batches again
    with pytest.raises(ConfigError, match=r"train.bucket must be an integer >= 1 .*got 0"):
        batches(rows, 8, bucket=0)


def test_curricula_move_the_level_during_training():
    task = T.get("mano", level=1)
    _, res = train(task, TINY, steps=6, batch_size=4, eval_examples=2, log=None, device="cpu",
                   curriculum="step:1,2,4:8")
    assert res.levels == [1, 2, 2, 4, 4, 4]  # the level of the next example after each step
    _, res = train(task, TINY, steps=5, batch_size=4, eval_examples=2, log=None, device="cpu",
                   curriculum="adaptive:1:0.001")  # any accuracy above 0 raises the level
    assert res.levels == sorted(res.levels) and res.levels[-1] > 1


def test_a_field_curriculum_moves_one_field_during_training():
    task = T.get("depo", N=8, K=3, V=10, min_len=1, max_len=1)
    lines = []
    model, res = train(task, TINY, steps=6, batch_size=4, eval_examples=2, log=lines.append,
                       log_every=2, device="cpu", curriculum="K:step:1,2,3:8")
    assert res.levels == [1, 2, 2, 3, 3, 3]  # K of the next example after each step
    steps = [line for line in lines if line.startswith("step")]
    assert "K 2" in steps[1] and "K 3" in steps[-1]
    assert model.config.vocab_size == len(task.vocab)  # the model reads <query_3>
    _, res = train(T.get("gf17_addition", max_length=5), TINY, steps=8, batch_size=4,
                   eval_examples=2, log=None, device="cpu",
                   curriculum="max_length:adaptive:2:0.001")
    # any accuracy above 0 raises it, up to the task's own max_length and no further
    assert res.levels == sorted(res.levels) and res.levels[-2:] == [5, 5]


def test_a_curriculum_over_vocabularies_that_disagree_is_refused():
    with pytest.raises(ConfigError, match="brevo at level 1 numbers its tokens differently"):
        train(T.get("brevo"), TINY, steps=1, log=None, device="cpu", curriculum="linear:1:3:9")
