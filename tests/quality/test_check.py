"""``synthset check``: planted wrong answers, duplicates and cross-split copies are found with
their indices and exact counts; the check resumes; user code is imported only with --trust-code."""

import contextlib
import json
import os
import subprocess
from pathlib import Path

import pytest

from synthset import derive_seed
from synthset.cli.main import main
from synthset.dataset import DatasetPipeline
from synthset.quality import check_run
from tests.conftest import plant_code

BLOCK = {"num_train_samples": 300, "num_test_samples": 60, "batch_size": 100, "n_jobs": 1,
         "root_seed": 42, "verbose": False}


def _run(folder, **block):
    DatasetPipeline.from_config({**BLOCK, "save_dir": str(folder), **block}).run()
    return Path(folder)


def _lines(folder, split):
    return (Path(folder) / f"{split}_data.jsonl").read_text().splitlines()


def _write(folder, split, lines):
    (Path(folder) / f"{split}_data.jsonl").write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def sum_run(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("sum") / "run", task="integer_sum",
                formats=["parquet"])


@pytest.fixture
def planted(sum_run, tmp_path):
    """A copy of the run with a wrong answer at train[10], train[0] copied to train[5] and
    train[6], and test[3] copied to train[7] and train[8]."""
    import shutil

    run = tmp_path / "run"
    shutil.copytree(sum_run, run)
    train, test = _lines(run, "train"), _lines(run, "test")
    train[5] = train[6] = train[0]
    train[7] = train[8] = test[3]
    row = json.loads(train[10])
    row["answer"] = str(int(row["answer"]) + 1)
    train[10] = json.dumps(row, ensure_ascii=False)
    _write(run, "train", train)
    return run


def test_a_clean_run_passes(sum_run, capsys):
    assert main(["check", str(sum_run), "-q", "--n-jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "ok: every sample verifies" in out and "FAIL" not in out
    report = json.loads((sum_run / "quality.json").read_text())
    assert report["ok"] and report["problems"] == []
    assert report["verifier"] == "task integer_sum, its own verifier"
    assert report["splits"]["train"]["samples"] == 300
    assert report["splits"]["train"]["duplicates"] == 0
    assert report["determinism"] == {"checked": 16, "differ": 0}
    lengths = report["splits"]["train"]["lengths"]["prompt chars"]
    assert lengths["count"] == 300 and sum(c for _, c in lengths["hist"]) == 300
    for name in ("lengths", "statistics", "duplicates"):
        assert (sum_run / "quality" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_planted_problems_are_found_with_exact_counts(planted, capsys):
    assert main(["check", str(planted), "-q", "--n-jobs", "1"]) == 1
    out = capsys.readouterr().out
    report = json.loads((planted / "quality.json").read_text())
    train = report["splits"]["train"]
    # duplicates inside train: train[0] three times (2 extra), test[3] twice in train (1 extra)
    assert train["duplicates"] == 3 and train["distinct"] == 297
    assert report["splits"]["test"]["duplicates"] == 0
    (overlap,) = report["overlap"]
    assert overlap["splits"] == ["train", "test"]
    assert overlap["shared_keys"] == 1 and overlap["a_in_b"] == 2 and overlap["b_in_a"] == 1
    assert [[g["split"], g["index"]] for g in report["examples"]["overlap"][0]] == \
        [["train", 7], ["test", 3]]
    assert {"split": "train", "index": 0, "samples": 3} in report["examples"]["duplicates"]
    # the wrong answer, with its index and seed
    assert report["failures"] == [{
        "split": "train", "index": 10, "seed": derive_seed(42, "train", 10), "class": "wrong",
        "message": report["failures"][0]["message"]}]
    assert "does not verify" in report["failures"][0]["message"]
    assert f"train[10] seed {derive_seed(42, 'train', 10)}: wrong:" in out
    fails = [line for line in out.splitlines() if line.startswith("synthset check: FAIL")]
    assert [line.split()[3] for line in fails] == ["wrong:", "overlap:"]
    assert fails[1] == ("synthset check: FAIL overlap: 1 of 60 test samples (1.67%) occur in "
                        "train, 2 of 300 train samples (0.67%) in test (--max-overlap 0)")
    assert fails[0] == "synthset check: FAIL wrong: 1 sample fails the verifier (train 1)"


def test_max_overlap_is_a_fraction(planted, capsys):
    # test[3] in train: 1 of 60 test samples (1.7%); 2 of 300 train samples in test
    assert main(["check", str(planted), "-q", "--max-overlap", "0.02"]) == 1  # still wrong
    report = json.loads((planted / "quality.json").read_text())
    assert [p.split(":")[0] for p in report["problems"]] == ["wrong"]
    report = check_run(planted, max_overlap=0.01)
    assert [p.split(":")[0] for p in report["problems"]] == ["wrong", "overlap"]


def test_failures_are_all_reported_and_twenty_printed(sum_run, tmp_path, capsys, monkeypatch):
    import shutil

    from synthset.quality import check

    run = tmp_path / "run"
    shutil.copytree(sum_run, run)
    train = _lines(run, "train")
    for i in range(0, 300, 10):  # 30 wrong answers
        row = json.loads(train[i])
        row["answer"] = "x" + row["answer"]
        train[i] = json.dumps(row, ensure_ascii=False)
    _write(run, "train", train)
    monkeypatch.setattr(check, "LISTED", 25)
    assert main(["check", str(run), "-q", "--determinism", "0"]) == 1
    out = capsys.readouterr().out
    assert "failures (20 of 30 shown" in out
    assert sum(1 for line in out.splitlines() if line.startswith("  train[")) == 20
    report = json.loads((run / "quality.json").read_text())
    assert report["failures_total"] == 30 and len(report["failures"]) == 25
    every = [json.loads(x) for x in (run / report["failures_file"]).read_text().splitlines()]
    assert [f["index"] for f in every] == list(range(0, 300, 10))
    assert {f["class"] for f in every} == {"error"}  # int("x...") raises in the verifier


def test_a_generator_that_repeats_on_purpose(tmp_path):
    run = _run(tmp_path / "run", instance_generator="tests.quality.gens:small_space")
    report = check_run(run, trust_code=True)
    # brute force: the problems as written
    seen = {}
    for split in ("train", "test"):
        seen[split] = [json.loads(line)["problem"][0] for line in _lines(run, split)]
    for split, values in seen.items():
        assert report["splits"][split]["distinct"] == len(set(values))
        assert report["splits"][split]["duplicates"] == len(values) - len(set(values))
    (overlap,) = report["overlap"]
    assert overlap["shared_keys"] == len(set(seen["train"]) & set(seen["test"]))
    assert overlap["b_in_a"] == sum(v in set(seen["train"]) for v in seen["test"]) == 60
    assert report["problems"][0].startswith("overlap:")
    assert report["verifier"] == "no verifier: format, determinism and duplicate checks only"
    assert report["determinism"] == {"checked": 16, "differ": 0}


def test_a_users_check_verifies_and_catches_a_wrong_answer(tmp_path):
    run = _run(tmp_path / "run", instance_generator="tests.gens:integer_sum",
               check="tests.quality.gens:sum_check")
    assert check_run(run, trust_code=True)["ok"]
    train = _lines(run, "train")
    row = json.loads(train[42])
    row["answer"] = str(int(row["answer"]) - 1)
    train[42] = json.dumps(row, ensure_ascii=False)
    _write(run, "train", train)
    report = check_run(run, trust_code=True)
    assert report["verifier"] == "the user's check tests.quality.gens:sum_check"
    assert [(f["index"], f["class"]) for f in report["failures"]] == [(42, "wrong")]


def test_user_code_is_imported_only_with_trust(tmp_path, monkeypatch, capsys):
    run = _run(tmp_path / "run", instance_generator="tests.gens:integer_sum",
               check="tests.quality.gens:sum_check")
    # A module placed inside a downloaded run folder, named by its manifest: never run
    # without --trust-code.
    plant_code(run, generator=True)
    monkeypatch.chdir(run)
    report = check_run(run)
    assert report["verifier"] == "no verifier: format and duplicate checks only" and report["ok"]
    assert report["determinism"]["checked"] == 0
    assert any("check 'chk:check' is not imported: code a run folder names runs only with "
               "--trust-code" in n for n in report["notes"])
    assert any("determinism not re-checked" in n for n in report["notes"])
    assert not (run / "chk.py.ran").exists()
    assert main(["check", str(run), "-q", "--no-figures"]) == 0
    assert "--trust-code" in capsys.readouterr().out
    assert not (run / "chk.py.ran").exists()


def test_trusted_user_code_is_re_checked(tmp_path):
    run = _run(tmp_path / "run", instance_generator="tests.gens:integer_sum",
               check="tests.quality.gens:sum_check")
    report = check_run(run, trust_code=True)
    assert report["verifier"] == "the user's check tests.quality.gens:sum_check"
    assert report["determinism"]["checked"] == 16 and report["notes"] == []


def test_a_nondeterministic_generator_is_reported(tmp_path):
    run = _run(tmp_path / "run", instance_generator="tests.quality.gens:unseeded",
               verify_determinism=0)
    report = check_run(run, determinism=4, trust_code=True)
    assert report["determinism"]["checked"] == 4 and report["determinism"]["differ"] == 4
    assert report["problems"][0].startswith("nondeterministic: 4 samples")
    assert {f["class"] for f in report["failures"]} == {"nondeterministic"}


def test_a_generator_returning_a_set_is_reported_as_generate_reports_it(tmp_path, monkeypatch):
    """`synthset check` makes a sample again as `synthset generate` makes it: a set is no
    (problem, answer) pair (unpacked, its order changes from one process to the next)."""
    from synthset import GenerationError

    run = _run(tmp_path / "run", instance_generator="tests.quality.gens:a_set_when_asked")
    monkeypatch.setenv("SYNTHSET_TEST_A_SET", "1")
    cause = ("the generator must return a (problem, answer) pair, a tuple or a list of two, "
             "got a set, whose order changes from one Python process to the next")
    with pytest.raises(GenerationError) as info:
        _run(tmp_path / "again", instance_generator="tests.quality.gens:a_set_when_asked")
    assert info.value.cause == cause
    report = check_run(run, determinism=4, trust_code=True)
    assert report["determinism"] == {"checked": 4, "differ": 4}
    assert {f["message"] for f in report["failures"]} == {f"made again from its seed, {cause}"}


def test_a_token_task_with_a_wrong_answer(tmp_path):
    run = _run(tmp_path / "run", task="depo", task_config={"level": 2},
               num_train_samples=200, num_test_samples=20)
    train = _lines(run, "train")
    row = json.loads(train[17])
    start, stop = row["meta"]["answer_spans"][0]
    row["input_ids"][start] = row["input_ids"][start - 2]  # another word's token
    row["labels"][start] = row["input_ids"][start]
    train[17] = json.dumps(row, separators=(",", ":"))
    _write(run, "train", train)
    report = check_run(run, n_jobs=2)
    assert [(f["split"], f["index"], f["class"]) for f in report["failures"]] == \
        [("train", 17, "wrong")]
    assert report["splits"]["train"]["statistics"]["row.length"]["count"] == 200


def test_the_check_resumes_and_notices_edited_data(planted):
    first = check_run(planted, range_size=50)
    assert first["ranges"] == {"total": 8, "made": 8, "size": 50}
    again = check_run(planted, range_size=50)
    assert again["ranges"]["made"] == 0 and again["partitions_made"] == 0
    assert {k: again[k] for k in ("splits", "overlap", "failures")} == \
        {k: first[k] for k in ("splits", "overlap", "failures")}
    # a lost range result is made again, alone
    (planted / ".synthset" / "check" / "ranges" / "train" / "00002.json").unlink()
    assert check_run(planted, range_size=50)["ranges"]["made"] == 1
    # edited data: everything again
    train = _lines(planted, "train")
    train[100] = train[1]
    _write(planted, "train", train)
    report = check_run(planted, range_size=50)
    assert report["ranges"]["made"] == 8 and report["splits"]["train"]["duplicates"] == 4


def test_serial_and_process_workers_agree(planted):
    serial = check_run(planted, executor="serial", range_size=40)
    pooled = check_run(planted, n_jobs=2, range_size=40, keys_per_partition=100)
    assert pooled["partitions"] > 1
    for key in ("splits", "overlap", "failures", "problems"):
        assert serial[key] == pooled[key], key


def test_usage_errors_are_one_line(tmp_path, capsys):
    assert main(["check", str(tmp_path / "nowhere")]) == 2
    assert "does not exist" in capsys.readouterr().err
    run = _run(tmp_path / "run", task="integer_sum", save_json=False, formats=["parquet"])
    assert main(["check", str(run)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "train_data.jsonl not found" in err
    assert main(["check", str(run), "--max-overlap", "2"]) == 2
    assert "--max-overlap must be a fraction" in capsys.readouterr().err
    (run / ".synthset" / "merged" / "test").unlink()
    assert main(["check", str(run)]) == 2
    assert "not finished" in capsys.readouterr().err


@contextlib.contextmanager
def _read_only(folder: Path):
    """``folder`` read-only: a read-only bind mount over it as root (whom permission bits do
    not stop), else its permission bits; skips when neither can be had."""
    if os.geteuid() == 0:
        done = subprocess.run(["mount", "--bind", str(folder), str(folder)],
                              capture_output=True, text=True)
        if done.returncode:
            pytest.skip(f"cannot bind-mount here ({done.stderr.strip()})")
        try:
            done = subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)],
                                  capture_output=True, text=True)
            if done.returncode:
                pytest.skip(f"cannot remount read-only here ({done.stderr.strip()})")
            yield folder
        finally:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)
        return
    paths = [folder, *folder.rglob("*")]
    modes = {p: p.stat().st_mode for p in paths}
    for p in paths:
        p.chmod(modes[p] & ~0o222)
    try:
        yield folder
    finally:
        for p in reversed(paths):
            p.chmod(modes[p])


def _snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None
            for p in folder.rglob("*")}


def test_a_read_only_run_folder_is_checked_into_an_output_dir(sum_run, tmp_path, capsys):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(sum_run, run)
    before = _snapshot(run)
    report_dir = tmp_path / "report"
    argv = ["check", str(run), "-q", "--n-jobs", "1", "--no-figures"]
    with _read_only(run):
        assert main(argv) == 2  # one line that says what to do
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
        assert f"{run} is not writable" in err and "give --output-dir DIR" in err
        assert main([*argv, "--output-dir", str(report_dir)]) == 0
        out = capsys.readouterr().out
        assert f"in {report_dir} (" in out and "ok: every sample verifies" in out
        report = json.loads((report_dir / "quality.json").read_text())
        assert report["ok"] and report["run"] == str(run)
        assert report["output_dir"] == str(report_dir) and report.get("card") is None
        assert (report_dir / ".synthset" / "check" / "manifest.json").is_file()
        assert not (report_dir / ".synthset" / "lock").exists()
        assert main([*argv, "--output-dir", str(report_dir)]) == 0  # resumes from its state
        assert json.loads((report_dir / "quality.json").read_text())["ranges"]["made"] == 0
    assert _snapshot(run) == before  # the run folder was only read


def test_output_dir_on_a_writable_run_leaves_the_run_untouched(planted, tmp_path, capsys):
    before = _snapshot(planted)
    assert main(["check", str(planted), "-q", "--n-jobs", "1", "--no-figures",
                 "--output-dir", str(tmp_path / "elsewhere")]) == 1  # the planted problems
    report = json.loads((tmp_path / "elsewhere" / "quality.json").read_text())
    assert report["splits"]["train"]["failing"] == 1
    assert _snapshot(planted) == before


def test_determinism_n_makes_exactly_n_samples_again(tmp_path, capsys):
    """8 shared between 200 train and 10 test samples: 7 and 1 (rounding each share gave 9)."""
    run = _run(tmp_path / "run", task="integer_sum", num_train_samples=200,
               num_test_samples=10)
    assert main(["check", str(run), "-q", "--n-jobs", "1", "--determinism", "8",
                 "--no-figures"]) == 0
    assert "determinism: 8 samples made again from their seeds: all identical" in \
        capsys.readouterr().out.splitlines()
    assert json.loads((run / "quality.json").read_text())["determinism"] == \
        {"checked": 8, "differ": 0}


def test_a_corrupted_groebner_basis_is_reported_past_its_certificate(tmp_path):
    """Groebner's verifier first checks a certificate (a shape basis and a division of
    constant determinant; tests/algebra/test_certificates.py compares its verdicts with the
    full check's): a stored basis changed by one term is still reported."""
    run = _run(tmp_path / "run", task="groebner", num_train_samples=40, num_test_samples=5)
    train = _lines(run, "train")
    for at in (3, 11):
        row = json.loads(train[at])
        if isinstance(row["answer"], list):
            row["answer"][-1] += " + 1"
        else:
            row["answer"] += " + 1"
        train[at] = json.dumps(row, ensure_ascii=False)
    _write(run, "train", train)
    report = check_run(run, n_jobs=1)
    assert [(f["split"], f["index"], f["class"]) for f in report["failures"]] == \
        [("train", 3, "wrong"), ("train", 11, "wrong")]


def _corrupt(task, row):
    """``row`` (a stored line's object) with a wrong answer that keeps its format."""
    if task == "integer_factorization":
        row["answer"] = ["1", row["problem"]]  # the right product; 1 is no prime
    elif task == "capo":
        row["meta"]["person"] += 1  # another person's biography
    elif task == "mano":
        ids = row["input_ids"]
        ids[-1] = ids[-3] if ids[-3] != ids[-1] else ids[-1] - 1  # another value: the
        # expression's last operand, or the value below
        row["labels"][-1] = ids[-1]
    else:  # brevo: the query put first among its ancestors
        start, stop = row["meta"]["answer_span"]
        for seq in (row["input_ids"], row["labels"]):
            seq[start], seq[stop - 1] = seq[stop - 1], seq[start]
    return row


@pytest.mark.parametrize("task, columns", [
    ("integer_factorization", {"problem.digits", "answer.num_factors"}),
    ("mano", {"row.length", "row.loss_tokens", "meta.l", "meta.value"}),
    ("capo", {"row.length", "row.loss_tokens", "meta.person"}),
    ("brevo", {"row.length", "row.loss_tokens", "meta.n", "meta.num_ancestors"})])
def test_fast_verifiers_report_corrupted_rows_and_keep_statistics(tmp_path, task, columns):
    """The tasks whose check reads a row once (its verdict and key together) and keeps its
    statistics as one tuple: two corrupted rows are reported, and the statistics agree with
    the run's own stats YAML (the report keeps only those that do)."""
    run = _run(tmp_path / "run", task=task, num_train_samples=60, num_test_samples=6)
    train = _lines(run, "train")
    for at in (4, 31):
        train[at] = json.dumps(_corrupt(task, json.loads(train[at])), ensure_ascii=False)
    _write(run, "train", train)
    report = check_run(run, n_jobs=1, figures=False)
    assert [(f["split"], f["index"], f["class"]) for f in report["failures"]] == \
        [("train", 4, "wrong"), ("train", 31, "wrong")]
    clean = check_run(_run(tmp_path / "clean", task=task, num_train_samples=60,
                           num_test_samples=6), n_jobs=1, figures=False)
    assert clean["ok"] and not clean["failures"]
    stats = clean["splits"]["train"]["statistics"]
    assert set(stats) == columns and {s["count"] for s in stats.values()} == {60}
