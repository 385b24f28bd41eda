"""One run, one task spec, one loop: generate -> train on the run -> eval its checkpoint, from
the command line; checkpoints of every model kind; one TrainConfig with one-line errors that
leave no folder behind; the older key spellings read with a note."""

import csv
import json
import sys

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from synthset.cli.main import main  # noqa: E402
from synthset.runs import RunFolder  # noqa: E402
from tests.conftest import task_config  # noqa: E402
from tests.train.conftest import checkpoint  # noqa: E402

TINY = ["model.n_layer=1", "model.n_embd=32", "model.n_head=2", "device=cpu", "threads=1"]
CURVES = ["curves", "+preset=cpu_demo", "train.steps=4", "eval.every=2", "eval.examples=4",
          "train.batch_size=4", *TINY]


def _last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


@pytest.fixture
def gf17_run(tmp_path):
    cfg = task_config(tmp_path / "data.yaml", tmp_path / "run", "gf17_addition", 300, 40)
    assert main(["generate", str(cfg)]) == 0
    return tmp_path / "run"


def test_generate_train_on_the_run_then_eval_its_checkpoint(gf17_run, tmp_path, capsys):
    capsys.readouterr()
    assert main(["train", f"data={gf17_run}", "train.steps=3", "train.batch_size=8",
                 "eval.examples=6", *TINY, f"output_dir={tmp_path / 'out'}"]) == 0
    out = capsys.readouterr().out
    ckpt = checkpoint(tmp_path / "out")
    assert _last_line(out) == f"checkpoint: {ckpt}"
    assert "(gf17_addition)" in out and "score:" in out
    for name in ("config.json", "model.safetensors", "vocab.json", "task.json", "train.json",
                 "summary.json", "config.yaml", "curve.csv"):
        assert (ckpt / name).is_file(), name
    task = json.loads((ckpt / "task.json").read_text())
    assert task["spec"] == RunFolder(gf17_run).task_spec.record()
    assert task["source"]["run"] == str(gf17_run.resolve())
    assert json.loads((ckpt / "vocab.json").read_text())["kind"] == "bytes"
    train = json.loads((ckpt / "train.json").read_text())
    assert train["train"]["steps"] == 3 and train["data"] == str(gf17_run)
    assert json.loads((ckpt / "summary.json").read_text())["step"] == 3

    assert main(["eval", str(gf17_run), "--model", str(ckpt)]) == 0
    report = json.loads((gf17_run / "eval.json").read_text())
    assert report["samples"] == RunFolder(gf17_run).sizes["test"] == 40
    assert len(report["failures"]) == 40 - round(report["success_rate"] * 40)


def test_latest_points_at_the_newest_finished_checkpoint(gf17_run, tmp_path, capsys):
    out = tmp_path / "out"
    train = ["train", f"data={gf17_run}", "train.steps=1", "train.batch_size=4",
             "eval.examples=4", *TINY, f"output_dir={out}"]
    assert main(train) == 0
    first = checkpoint(out)
    assert main(train) == 0
    second = checkpoint(out)
    assert second != first and sorted(p.name for p in out.iterdir()) == sorted(
        [first.name, second.name, "latest"])
    assert _last_line(capsys.readouterr().out) == f"checkpoint: {second}"
    assert main(["eval", str(gf17_run), "--model", str(out / "latest")]) == 0
    assert json.loads((gf17_run / "eval.json").read_text())["source"] == str(out / "latest")


def test_a_checkpoint_of_another_vocabulary_is_refused_in_one_line(gf17_run, tmp_path,
                                                                   capsys):
    assert main(["train", "task=mano", "train.steps=1", "train.batch_size=2", "eval.examples=2",
                 *TINY, f"output_dir={tmp_path / 'out'}"]) == 0
    ckpt = checkpoint(tmp_path / "out")
    capsys.readouterr()
    assert main(["eval", str(gf17_run), "--model", str(ckpt)]) == 2
    err = capsys.readouterr().err
    assert "the model reads another task's" in err and "but gf17_addition is read as " \
        "bytes" in err
    assert len(err.strip().splitlines()) == 1 and not (gf17_run / "eval.json").exists()


USER_GEN = '''
import random


def gen(seed):
    rng = random.Random(seed)
    a, b = rng.randint(0, 9), rng.randint(0, 9)
    return f"{a} + {b}", str(a + b)


def check(problem, answer):
    a, b = problem.split(" + ")
    return int(answer) == int(a) + int(b)
'''


def test_a_users_run_with_a_verifier_needs_trust_code(tmp_path, monkeypatch, capsys):
    (tmp_path / "usergen.py").write_text(USER_GEN)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "usergen", raising=False)  # another test's usergen
    cfg = task_config(tmp_path / "data.yaml", tmp_path / "run", "x", 60, 10)
    text = cfg.read_text().replace("task: x", "instance_generator: usergen:gen\n  check: "
                                                "usergen:check")
    cfg.write_text(text)
    assert main(["generate", str(cfg)]) == 0
    capsys.readouterr()
    common = ["train", f"data={tmp_path / 'run'}", "train.steps=2", "train.batch_size=4",
              "eval.examples=4", *TINY, f"output_dir={tmp_path / 'out'}"]
    assert main(common) == 2
    err = capsys.readouterr().err
    assert "--trust-code" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
    assert main([*common, "trust_code=true"]) == 0
    ckpt = checkpoint(tmp_path / "out")
    assert json.loads((ckpt / "task.json").read_text())["spec"] is None  # a user's generator
    assert json.loads((ckpt / "summary.json").read_text())["metric"]["score"] >= 0.0


@pytest.mark.parametrize("argv, message", [
    (["train", "task=integer_sum", "train.steps=0"], "train.steps must be an integer >= 1, "
                                                     "got 0"),
    (["train", "task=integer_sum", "train.lr=-1"], "train.lr must be a number > 0, got -1"),
    (["train", "task=integer_sum", "train.batch_size=0"], "train.batch_size must be an "
                                                          "integer >= 1, got 0"),
    (["train", "task=integer_sum", "train.warmup=-5"], "train.warmup must be an integer >= 0"),
    (["train", "task=integer_sum", "eval.every=1.5"], "eval.every must be an integer >= 0, "
                                                      "got 1.5"),
    (["train", "task=integer_sum", "device=gpu"], "device must be auto, cpu, cuda, cuda:N or "
                                                  "mps, got 'gpu'"),
    (["train", "task=integer_sum", "train.curriculum=sometimes"], "curriculum 'sometimes' is "
                                                                  "not one of"),
    (["train", "task=integer_sum", "task.cuont=3"], "key 'cuont' (did you mean 'count'?)"),
    (["train", "task=integer_sum", "train.stpes=3"], "unknown override key 'train.stpes' (did "
                                                     "you mean 'train.steps'?)"),
    (["train", "task=integer_sum", "model=no/such/folder"], "model must be one of "),
    (["curves", "train.steps=0"], "train.steps must be an integer >= 1, got 0"),
    (["curves", "train.lr=-1"], "train.lr must be a number > 0, got -1"),
    (["curves", "train.batch_size=0"], "train.batch_size must be an integer >= 1, got 0"),
    (["curves", "eval.examples=0"], "eval.examples must be an integer >= 1, got 0"),
    # an older spelling: the error names the key as written (and no note comes before it)
    (["curves", "train.max_steps=0"], "train.max_steps must be an integer >= 1, got 0"),
    (["curves", "dataset=depo9"], "dataset must be one of "),
])
def test_a_bad_value_is_one_line_and_leaves_no_folder(tmp_path, capsys, argv, message):
    assert main([*argv, f"output_dir={tmp_path / 'out'}"]) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
@pytest.mark.parametrize("command", ["train", "curves"])
def test_cuda_without_a_gpu_is_one_line(tmp_path, capsys, command):
    assert main([command, "device=cuda", f"output_dir={tmp_path / 'out'}"]) == 2
    err = capsys.readouterr().err
    assert "device must be auto, cpu, cuda, cuda:N or mps (a device this machine has), got " \
        "'cuda': this machine has 0 CUDA devices" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_a_crash_before_the_first_checkpoint_removes_the_folder(tmp_path, monkeypatch):
    import synthset.train.loop as loop

    def broken(*args, **kwargs):
        raise RuntimeError("evaluation broke")

    monkeypatch.setattr(loop, "evaluate", broken)
    argv = ["train", "task=integer_sum", "train.steps=4", "train.batch_size=2",
            "eval.examples=2", "eval.every=2", *TINY, f"output_dir={tmp_path / 'a' / 'out'}"]
    with pytest.raises(RuntimeError, match="evaluation broke"):
        main(argv)
    assert not (tmp_path / "a").exists()  # the run folder and the parents it made

    calls = []

    def breaks_second(*args, **kwargs):  # the first evaluation's checkpoint is kept
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("evaluation broke")
        return {"score": 0.5}

    monkeypatch.setattr(loop, "evaluate", breaks_second)
    with pytest.raises(RuntimeError):
        main(argv)
    kept = next((tmp_path / "a" / "out").iterdir())
    assert json.loads((kept / "summary.json").read_text())["step"] == 2


def test_old_spellings_are_read_with_a_note(tmp_path, capsys):
    assert main(["curves", "+preset=cpu_demo", "train.max_steps=4", "train.eval_every=2",
                 "eval.num_examples=4", "dataset=depo1", "dataset.K=3", "dataset.N=16",
                 "eval.hops=[1,3]", "train.batch_size=4", *TINY,
                 f"output_dir={tmp_path / 'c'}"]) == 0
    err = capsys.readouterr().err.splitlines()
    for old, new in (("train.max_steps", "train.steps"), ("train.eval_every", "eval.every"),
                     ("eval.num_examples", "eval.examples"), ("dataset", "task"),
                     ("dataset.K", "task.K"), ("dataset.N", "task.N")):
        assert f"synthset: note: {old} is now written {new}" in err
    rows = list(csv.DictReader(open(checkpoint(tmp_path / "c") / "curves.csv")))
    assert [(r["step"], r["hop"]) for r in rows] == [("2", "1"), ("2", "3"), ("4", "1"),
                                                    ("4", "3")]

    assert main(["train", "task=gf17_addition", "task.config.max_length=3", "train.steps=1",
                 "train.batch_size=2", "eval.examples=2", *TINY,
                 f"output_dir={tmp_path / 't'}"]) == 0
    captured = capsys.readouterr()
    assert "synthset: note: task.config.max_length is now written task.max_length" in \
        captured.err
    ckpt = checkpoint(tmp_path / "t")
    assert json.loads((ckpt / "task.json").read_text())["spec"]["config"] == {
        "level": 3, "max_length": 3}

    assert main(["inspect", "dataset=mano", "dataset.config.L=2", "--no-color"]) == 0
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        "synthset: note: dataset is now written task",
        "synthset: note: dataset.config.L is now written task.L"]
    assert main(["inspect", "task=mano", "task.L=2", "--no-color"]) == 0
    assert capsys.readouterr() == (captured.out, "")  # the same examples, no note


def test_both_commands_compose_the_same_keys():
    from synthset.cli.train import CONF
    from synthset.core.compose import compose
    from synthset.train.config import OLD_SPELLINGS, TrainConfig

    train = compose(CONF / "train", [], task_groups=("task",))
    curves = compose(CONF / "depo_curve", [], task_groups=("task",))
    assert TrainConfig.from_config(train) == TrainConfig()  # the file's defaults are the class's
    curves_cfg = TrainConfig.from_config(curves, extra=("eval.hops", "eval.resample_each_eval"))
    assert curves_cfg.steps == 2000 and curves_cfg.eval_every == 100
    old = compose(CONF / "depo_curve", ["train.max_steps=7", "dataset=depo2", "dataset.K=5"],
                  task_groups=("task",), renamed=OLD_SPELLINGS)
    new = compose(CONF / "depo_curve", ["train.steps=7", "task=depo2", "task.K=5"],
                  task_groups=("task",))
    assert old == new and new.task.K == 5 and new.task.name == "depo"


def test_curves_evaluate_a_checkpoint_without_training(tmp_path, capsys):
    assert main([*CURVES, "eval.resample_each_eval=false", f"output_dir={tmp_path / 'a'}"]) == 0
    trained = checkpoint(tmp_path / "a")
    capsys.readouterr()
    assert main(["curves", f"model={tmp_path / 'a' / 'latest'}", "eval.resample_each_eval=false",
                 "eval.examples=4", "eval.hops=[1,2,3,4]", "device=cpu",
                 f"output_dir={tmp_path / 'b'}"]) == 0
    out = capsys.readouterr().out
    evaluated = next((tmp_path / "b").iterdir())
    assert "without training" in out and _last_line(out) == f"run folder: {evaluated}"
    assert not (evaluated / "model.safetensors").exists()
    last = [r for r in csv.DictReader(open(trained / "curves.csv")) if r["step"] == "4"]
    # The same weights on the same evaluation set: the training run's last point again.
    assert list(csv.DictReader(open(evaluated / "curves.csv"))) == last

    assert main(["curves", f"model={trained}", "task.K=3", "device=cpu",
                 f"output_dir={tmp_path / 'c'}"]) == 2
    err = capsys.readouterr().err
    assert "is evaluated on the task it was trained on (task=depo" in err
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize("model", [
    {"type": "gpt2", "n_layer": 1, "n_embd": 32, "n_head": 2},
    {"type": "gpt2", "n_layer": 1, "n_embd": 32, "n_head": 2, "canon": 3},
    {"type": "recurrent_olmo3", "n_embd": 32, "n_head": 2, "recurrent": {"loops": 2},
     "act": {"enabled": True}},
])
def test_every_model_kind_round_trips_through_a_checkpoint(tmp_path, model):
    from synthset.train.checkpoint import load_checkpoint, save_checkpoint
    from synthset.train.models import ModelConfig, build_model

    torch.manual_seed(0)
    built = build_model(ModelConfig.from_dict(model), 30, 64).eval()
    save_checkpoint(tmp_path, built, {"kind": "task", "tokens": []}, {"spec": None}, {}, {})
    assert not list(tmp_path.glob(".checkpoint.tmp*"))
    loaded = load_checkpoint(tmp_path).model
    x = torch.randint(0, 30, (2, 9))
    assert torch.equal(built(input_ids=x).logits, loaded(input_ids=x).logits)
    again = build_model(ModelConfig.from_dict({"type": "from_pretrained",
                                               "name_or_path": str(tmp_path)}), 0, 0)
    assert torch.equal(again(input_ids=x).logits, loaded(input_ids=x).logits)


class _Opens:
    """Unpickled, it would create a file: code a checkpoint must not get to run."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_loading_a_checkpoint_runs_no_code_from_it(tmp_path):
    import pickle

    from synthset.train.checkpoint import load_checkpoint
    from synthset.train.models import ModelConfig, build_model

    build_model(ModelConfig.from_dict({"type": "gpt2", "n_layer": 1, "n_embd": 32,
                                       "n_head": 2}), 30, 64).save_pretrained(tmp_path)
    (tmp_path / "model.safetensors").unlink()
    marker = tmp_path / "ran"
    (tmp_path / "pytorch_model.bin").write_bytes(pickle.dumps(_Opens(str(marker)), protocol=2))
    with pytest.raises(Exception):
        load_checkpoint(tmp_path)
    assert not marker.exists()


def test_decoded_answers_stop_before_the_stop_token():
    import synthset.tasks as T
    from synthset.train import evaluate as E

    task = T.get("brevo1", N=8)
    rows = task.take(0, 3)
    eos = task.vocab["<eos>"]
    model = _Continue(rows, len(task.vocab))
    prompts = [r["input_ids"][:task.answer_spans(r)[0][0]] for r in rows]
    for row, prompt in zip(rows, prompts):
        out = E.continue_ids(model, prompt, "cpu", 50, eos)
        assert out == row["input_ids"][len(prompt):-1] and eos not in out
    same = [i for i, p in enumerate(prompts) if len(p) == len(prompts[0])]
    got = E.greedy_batch(model, [prompts[i] for i in same], "cpu", [50] * len(same), eos)
    assert all(eos not in g for g in got)
    answers = E.model_answers(model, task, rows, "cpu")
    assert answers == [r["answer"] for r in rows] and not any("<eos>" in a for a in answers)


class _Continue(torch.nn.Module):
    """Predicts the next token of whichever row the input is a prefix of."""

    def __init__(self, rows, vocab):
        super().__init__()
        self.rows, self.vocab = [r["input_ids"] for r in rows], vocab

    def forward(self, input_ids, **_):
        logits = torch.zeros(*input_ids.shape, self.vocab)
        for b, ids in enumerate(input_ids.tolist()):
            row = next(r for r in self.rows if r[:len(ids)] == ids)
            for i in range(len(ids)):
                logits[b, i, row[min(i + 1, len(row) - 1)]] = 1.0
        return type("O", (), {"logits": logits})()
