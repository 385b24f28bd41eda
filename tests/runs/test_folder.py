"""``RunFolder``: the one reader of a run folder and the one resolver of the task that made
it — canonical task specs, no backend needed to read, no code imported without trust."""

import json
from pathlib import Path

import pytest

from synthset.cli.main import main
from synthset.dataset import DatasetPipeline
from synthset.engine.state import RunFolderError
from synthset.quality import check_run
from synthset.runs import RunFolder, UntrustedCode
from synthset.tasks.registry import REGISTRY, get_task
from tests.conftest import plant_code

BLOCK = {"num_train_samples": 20, "num_test_samples": 5, "batch_size": 20, "n_jobs": 1,
         "executor": "serial",
         "root_seed": 3, "verbose": False}


def _run(folder, **block):
    DatasetPipeline.from_config({**BLOCK, "save_dir": str(folder), **block}).run()
    return Path(folder)


def _unsorted_config(name: str) -> dict:
    """Two of the task's level-1 fields and its level, written in reverse sorted order."""
    resolved = get_task(name, level=1).describe()["config"]
    keys = sorted(k for k, v in resolved.items() if v is not None)[:2]
    return {"level": 1, **{k: resolved[k] for k in reversed(keys)}}


@pytest.mark.parametrize("name", list(REGISTRY))
def test_check_re_checks_determinism_whatever_the_order_of_task_config(name, tmp_path):
    config = _unsorted_config(name)
    assert list(config) != sorted(config)
    run = _run(tmp_path / "run", task=name, task_config=config)
    report = check_run(run, executor="serial", determinism=4, figures=False, card=False,
                       max_overlap=1.0)  # small level-1 domains repeat across splits
    assert report["notes"] == [] and report["ok"], report["problems"]
    assert report["determinism"] == {"checked": 4, "differ": 0}
    spec = RunFolder(run).task_spec
    assert spec.name == name and spec.level == 1
    assert list(spec.config) == sorted(spec.config)


def test_the_same_fields_in_any_order_are_the_same_task():
    from synthset.core.identity import callable_identity

    a = get_task("depo", N=12, K=4)
    b = get_task("depo", K=4, N=12)
    assert callable_identity(a) == callable_identity(b)
    a = get_task("integer_sum", count=2, bound=30)
    b = get_task("integer_sum", bound=30, count=2)
    assert callable_identity(a) == callable_identity(b)


def test_reading_a_run(tmp_path):
    run = _run(tmp_path / "run", task="integer_sum", task_config={"level": 1})
    folder = RunFolder(run)
    assert folder.splits == ["train", "test"] and folder.sizes == {"train": 20, "test": 5}
    assert folder.is_complete() and folder.unfinished() == []
    pairs = list(folder.samples("test"))
    assert len(pairs) == 5
    lines = (run / "test_data.jsonl").read_text().splitlines()
    assert [json.loads(line)["problem"] for line in lines] == [p for p, _ in pairs]
    task = folder.task()
    assert task.name == "integer_sum" and task.level == 1
    example, record = next(folder.examples("test"))
    assert record == pairs[0] and task.score_answer(example["answer"], example) == 1.0
    with pytest.raises(Exception, match="split 'val': the run .* has splits train, test"):
        list(folder.samples("val"))


def test_an_unfinished_run_is_named(tmp_path):
    run = _run(tmp_path / "run", task="integer_sum", task_config={"level": 1})
    (run / ".synthset" / "merged" / "test").unlink()
    folder = RunFolder(run)
    assert folder.unfinished() == ["test"] and not folder.is_complete()
    with pytest.raises(RunFolderError, match="split test not complete.*then export"):
        folder.require_complete("export")


def test_reading_needs_no_backend(tmp_path, monkeypatch):
    """A run made on FLINT is read, exported and scored where FLINT is not installed."""
    run = _run(tmp_path / "run", task="poly_product", backend="flint",
               task_config={"level": 1})
    import sys

    from synthset.algebra.backends.flint import FlintBackend

    monkeypatch.setitem(sys.modules, "flint", None)  # as if python-flint were not installed
    monkeypatch.delattr(FlintBackend, "_shared", raising=False)
    with pytest.raises(ImportError, match=r"synthset\[flint\]"):
        get_task("poly_product", backend="flint").generate_example(__import__("random").Random(0))
    folder = RunFolder(run)
    task = folder.task()
    example, _ = next(folder.examples("train"))
    assert task.score_answer(example["answer"], example) == 1.0
    from synthset.export import export_hf
    from synthset.rewards import reward_function

    assert export_hf(str(run), tmp_path / "hf")
    reward = reward_function(str(run))
    from synthset.export import record_json

    record = next(folder.samples("train"))
    assert reward(prompts=["p"], completions=[example["answer"]],
                  example=[record_json(record)]) == [1.0]


@pytest.fixture
def planted_code(tmp_path, monkeypatch):
    """A user run whose manifest names a verifier module placed inside the run folder (a
    downloaded folder): importing it would leave a file behind."""
    run = _run(tmp_path / "run", instance_generator="tests.gens:integer_sum",
               check="tests.quality.gens:sum_check")
    plant_code(run)
    monkeypatch.chdir(run)
    return run


def test_no_command_imports_code_a_run_names_without_trust(planted_code, tmp_path, capsys):
    run = planted_code
    ran = run / "chk.py.ran"
    with pytest.raises(UntrustedCode, match=r"names its check 'chk:check'.*--trust-code"):
        RunFolder(run).task()
    from synthset.rewards import reward_function

    with pytest.raises(UntrustedCode, match="--trust-code"):
        reward_function(str(run))
    preds = tmp_path / "p.jsonl"
    preds.write_text("".join(json.dumps({"index": i, "answer": "0"}) + "\n" for i in range(5)))
    assert main(["eval", str(run), "--predictions", str(preds)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--trust-code" in err[0]
    assert main(["export", "hf", str(run), str(tmp_path / "hf")]) == 0
    assert main(["export", "nanogpt", str(run), "--name", "n", "--output-dir",
                 str(tmp_path / "data")]) == 0
    assert main(["check", str(run), "-q", "--no-figures"]) == 0
    assert not ran.exists()
    # with trust, the verifier is imported and run
    assert main(["eval", str(run), "--predictions", str(preds), "--trust-code"]) == 0
    assert ran.exists()
