"""The command line: generate, overrides, status, and one-line errors."""

import subprocess
import sys

import pytest

from synthset.cli.main import main
from tests.conftest import read_outputs

CONFIG = """\
dataset:
  save_dir: {save_dir}
  num_train_samples: 60
  num_test_samples: 17
  batch_size: 25
  n_jobs: 1
  root_seed: 42
  verbose: false
  instance_generator: tests.gens:integer_sum
"""


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "data.yaml"
    path.write_text(CONFIG.format(save_dir=tmp_path / "out"))
    return path


def test_generate_matches_calt_golden(config, tmp_path, golden):
    assert main(["generate", str(config)]) == 0
    assert read_outputs(tmp_path / "out") == read_outputs(golden / "integer_sum")


def test_overrides_with_and_without_prefix(config, tmp_path):
    assert main(["generate", str(config), "num_train_samples=5",
                 f"dataset.save_dir={tmp_path / 'o2'}", "formats=[parquet]"]) == 0
    assert len((tmp_path / "o2" / "train_raw.txt").read_text().splitlines()) == 5
    assert (tmp_path / "o2" / "data" / "train-00000-of-00001.parquet").exists()


def test_verbose_prints_progress_and_summary(config, tmp_path, capsys):
    assert main(["generate", str(config), "verbose=true"]) == 0
    err = capsys.readouterr().err
    assert "train" in err and "samples/s" in err
    assert "split" in err and "errors" in err and " 60 " in err


@pytest.mark.parametrize("override, message", [
    ("num_trian_samples=5", "unknown dataset key 'num_trian_samples' (did you mean "
                            "'num_train_samples'?)"),
    ("n_jobs=0", "n_jobs must be -1 (all cores) or a positive integer, got 0"),
    ("executor=threads", "executor must be one of 'serial', 'loky'"),
    ("backend=maple", "backend must be one of 'sympy', 'sagemath', 'flint', got 'maple'"),
    ("instance_generator=tests.gens:nope", "instance_generator: module 'tests.gens' has no "
                                           "'nope'"),
    ("instance_generator=nomodule", "instance_generator must be written as 'module:function'"),
    ("save_text=maybe", "save_text must be true or false"),
])
def test_bad_config_is_one_line_naming_the_key(config, capsys, override, message):
    assert main(["generate", str(config), override]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_missing_file_and_missing_generator(tmp_path, capsys):
    assert main(["generate", str(tmp_path / "none.yaml")]) == 2
    assert "config file not found" in capsys.readouterr().err
    path = tmp_path / "d.yaml"
    path.write_text(CONFIG.format(save_dir=tmp_path).replace(
        "  instance_generator: tests.gens:integer_sum\n", ""))
    assert main(["generate", str(path)]) == 2
    assert "names no generator" in capsys.readouterr().err


def test_failing_sample_exits_1_with_one_line(config, capsys):
    assert main(["generate", str(config), "instance_generator=tests.gens:always_fails"]) == 1
    err = capsys.readouterr().err
    assert "sample 0 of split 'train'" in err and "RuntimeError: broken generator" in err
    assert "Traceback" not in err


def test_sagemath_backend_without_sage_names_the_extra(config, capsys, monkeypatch):
    from synthset.algebra.backends.sagemath import SageBackend

    for mod in ("sage", "sage.all", "sage.all__sagemath_singular"):
        monkeypatch.setitem(sys.modules, mod, None)  # as if Sage were not installed
    monkeypatch.delattr(SageBackend, "_shared", raising=False)
    assert main(["generate", str(config), "backend=sagemath"]) == 2
    err = capsys.readouterr().err
    assert "pip install 'synthset[sage]'" in err and len(err.strip().splitlines()) == 1


def test_status_command(config, tmp_path, capsys):
    main(["generate", str(config)])
    capsys.readouterr()
    assert main(["status", str(tmp_path / "out")]) == 0
    assert "the run is complete" in capsys.readouterr().out
    assert main(["status", str(tmp_path)]) == 2
    assert "not a synthset run folder" in capsys.readouterr().err


def test_help_runs_as_a_program():
    out = subprocess.run([sys.executable, "-m", "synthset.cli.main", "--help"],
                         capture_output=True, text=True, check=True).stdout
    assert "generate" in out and "status" in out


@pytest.mark.parametrize("command", ["inspect", "train", "curves"])
def test_train_curves_and_inspect_help_show_the_task_spelling(capsys, command):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    assert "task=" in out and "dataset" not in out and "max_steps" not in out
