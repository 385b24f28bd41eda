"""The command line: generate, overrides, status, and one-line errors."""

import subprocess
from pathlib import Path
import sys

import pytest
import yaml

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


@pytest.mark.parametrize("text, message", [
    ("data:\n  task: depo1\nmodel: x\n", " has no 'dataset:' block (its top-level keys: data, "
                                          "model); a data.yaml holds the run's options under "
                                          "'dataset:'"),
    ("", " has no 'dataset:' block (it is empty); a data.yaml holds the run's options under "
         "'dataset:'"),
    ("dataset: [1, 2]\n", ": 'dataset:' must be a mapping of run options (save_dir, task, ...), "
                          "got [1, 2]"),
])
def test_a_file_without_a_dataset_block_says_so(tmp_path, capsys, text, message):
    (tmp_path / "data.yaml").write_text(text)
    assert main(["generate", str(tmp_path / "data.yaml")]) == 2
    assert capsys.readouterr().err == \
        f"synthset generate: error: {tmp_path / 'data.yaml'}{message}\n"


def test_failing_sample_exits_1_with_one_line(config, capsys):
    assert main(["generate", str(config), "instance_generator=tests.gens:always_fails"]) == 1
    err = capsys.readouterr().err
    assert "sample 0 of split 'train'" in err and "RuntimeError: broken generator" in err
    assert "Traceback" not in err


def returns_a_set(seed):  # {problem, answer} written for (problem, answer)
    return {f"x{seed % 5}", str(seed % 7)}


def sometimes_a_set(seed):
    return {"a", "b"} if seed % 3 == 0 else ("p", str(seed % 7))


def test_a_generator_returning_a_set_is_a_sample_error(config, tmp_path, capsys):
    from synthset.core.seeding import derive_seed

    assert main(["generate", str(config),
                 "instance_generator=tests.cli.test_cli:returns_a_set"]) == 1
    assert capsys.readouterr().err == (
        f"synthset generate: error: sample 0 of split 'train' (seed "
        f"{derive_seed(42, 'train', 0)}) failed: the generator must return a (problem, answer) "
        "pair, a tuple or a list of two, got a set, whose order changes from one Python "
        "process to the next\n")
    assert main(["generate", str(config), "instance_generator=tests.cli.test_cli:"
                 "sometimes_a_set", "on_error=skip", f"save_dir={tmp_path / 'skip'}"]) == 0
    stats = yaml.safe_load((tmp_path / "skip" / "train_stats.yaml").read_text())
    assert stats["errors"] == stats["skipped"] > 0
    lines = (tmp_path / "skip" / "train_raw.txt").read_text().splitlines()
    assert len(lines) == 60 and all(line.startswith("p # ") for line in lines)


def test_sagemath_backend_without_sage_names_the_extra(config, capsys, monkeypatch):
    from synthset.algebra import backends
    from synthset.algebra.backends.sagemath import SageBackend

    for mod in ("sage", "sage.all", "sage.all__sagemath_singular"):
        monkeypatch.setitem(sys.modules, mod, None)  # as if Sage were not installed
    monkeypatch.delattr(SageBackend, "_shared", raising=False)
    monkeypatch.setattr(backends, "_SHARED", {})  # no adapter made before in this process
    assert main(["generate", str(config), "backend=sagemath"]) == 2
    err = capsys.readouterr().err
    assert err == ("synthset generate: error: backend 'sagemath' needs SageMath, which is not "
                   "installed: pip install 'synthset[sage]' (the passagemath wheels, ~3.6 GB)\n")


def test_status_command(config, tmp_path, capsys):
    main(["generate", str(config)])
    capsys.readouterr()
    assert main(["status", str(tmp_path / "out")]) == 0
    assert "the run is complete" in capsys.readouterr().out
    assert main(["status", str(tmp_path)]) == 2
    assert "not a synthset run folder" in capsys.readouterr().err


def _without_sympy(*argv: str) -> subprocess.CompletedProcess:
    """``synthset ARGV`` in a Python where SymPy cannot be imported (the core install)."""
    code = ("import sys; sys.modules['sympy'] = None\n"
            "from synthset.cli.main import main; sys.exit(main(sys.argv[1:]))")
    return subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True)


def test_tasks_and_a_reasoning_tasks_examples_need_no_sympy():
    from synthset.tasks.registry import REGISTRY

    done = _without_sympy("tasks", "--verbose")
    assert done.returncode == 0 and done.stderr == ""
    built_in, _, libraries = done.stdout.partition("\nTask libraries")
    listed = [line.split()[0] for line in built_in.splitlines()
              if line.startswith("  ") and line[2] != " "]
    assert listed == list(REGISTRY)
    assert [line.split()[0] for line in libraries.splitlines()[1:]] == ["rg/NAME", "rcore/NAME"]
    assert "  poly_product           k random polynomials; answer their product.  [sympy, " \
           "flint, sagemath]" in done.stdout.splitlines()
    done = _without_sympy("inspect", "task=depo1", "--no-color")
    assert done.returncode == 0 and "check: ok (score of this answer: 1)" in done.stdout
    done = _without_sympy("inspect", "task=poly_product")  # making samples needs it
    assert (done.returncode, done.stderr) == (2, (
        "synthset inspect: error: backend 'sympy' needs the optional package 'sympy', which "
        "is not installed: pip install 'synthset[sympy]'\n"))


def test_a_missing_torch_names_the_pinned_install():
    """An unpinned torch pulls a multi-GB CUDA build: the hint installs the CPU pin first."""
    code = ("import sys; sys.modules['torch'] = None\n"
            "from synthset.cli.main import main; sys.exit(main(sys.argv[1:]))")
    done = subprocess.run([sys.executable, "-c", code, "train", "task=depo", "train.steps=1"],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.endswith(
        "needs the optional package 'torch', which is not installed: "
        "pip install torch==2.13.0 && pip install 'synthset[train]'\n"), done.stderr


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


@pytest.mark.parametrize("line, error", [
    ("generate cfg.yaml --n-jobs 2", "unrecognized option --n-jobs (this command's settings "
                                     "are key=value overrides: n_jobs=2)"),
    ("export nanogpt RUN --nmae x", "unrecognized option --nmae (did you mean --name?)"),
    ("check RUN --verfy", "unrecognized option --verfy"),
    ("status RUN --verfy", "unrecognized option --verfy (did you mean --verify?)"),
    ("status RUN extra", "unrecognized arguments: extra"),
    ("data new x --rot d", "unrecognized option --rot (did you mean --root?)"),
])
def test_a_mistyped_option_shows_its_commands_usage_and_the_closest_option(capsys, line, error):
    argv = line.split()
    command = " ".join(argv[:2] if argv[0] in ("export", "data") else argv[:1])
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"usage: synthset {command} [-h]")
    assert err[-1] == f"synthset {command}: error: {error}"


def test_task_fields_may_follow_the_options():
    from synthset.cli.main import _parser

    for argv in (["export", "hf", "depo1", "out", "--count", "5", "task.N=12", "task.K=2"],
                 ["export", "hf", "depo1", "out", "task.N=12", "--count", "5", "task.K=2"]):
        args = _parser().parse_args(argv)
        assert (args.count, sorted(args.fields)) == (5, ["task.K=2", "task.N=12"])


def test_a_task_override_replaces_the_files_generator(tmp_path, monkeypatch):
    """`task=NAME` on a data.yaml that names a generator (and the reverse) picks what makes
    the samples; the file's own maker and its settings are dropped, not refused."""
    monkeypatch.chdir(Path(__file__).parents[2])  # the example names its module from here
    config = "examples/integer_sum/configs/data.yaml"
    common = ["num_train_samples=4", "num_test_samples=1", "n_jobs=1", "verbose=false"]
    assert main(["generate", config, "task=depo1", "task.N=12", f"save_dir={tmp_path / 'a'}",
                 *common]) == 0
    assert (tmp_path / "a" / "train_raw.txt").read_text().startswith("101 ")  # Depo's <bos>
    task_config = Path(__file__).parents[2] / "examples/integer_sum_task/configs/data.yaml"
    assert main(["generate", str(task_config), "instance_generator=examples.integer_sum."
                 "generator:instance_generator", f"save_dir={tmp_path / 'b'}", *common]) == 0
    assert main(["generate", config, f"save_dir={tmp_path / 'c'}", *common]) == 0
    assert (tmp_path / "b" / "train_raw.txt").read_text() == \
        (tmp_path / "c" / "train_raw.txt").read_text()  # the generator's samples, not the task's


def test_two_projects_with_a_module_of_the_same_name_each_get_their_own(tmp_path, monkeypatch):
    """Two folders, each a data.yaml and its own generator.py, generated one after the other
    in one process (a notebook): each run is made by its own folder's generator, not by the
    module of that name the first run imported."""
    monkeypatch.delitem(sys.modules, "generator", raising=False)
    runs = {}
    for name, answer in (("one", "1"), ("two", "2"), ("one_again", "1")):
        folder = tmp_path / name.removesuffix("_again")
        folder.mkdir(exist_ok=True)
        (folder / "generator.py").write_text(
            f"def instance_generator(seed):\n    return str(seed % 5), {answer!r}\n")
        (folder / "data.yaml").write_text(
            "dataset:\n  num_train_samples: 3\n  num_test_samples: 0\n  n_jobs: 1\n  batch_size: 3\n  root_seed: 1\n"
            "  verbose: false\n  instance_generator: generator:instance_generator\n")
        assert main(["generate", str(folder / "data.yaml"),
                     f"save_dir={tmp_path / ('out_' + name)}"]) == 0
        runs[name] = (tmp_path / f"out_{name}" / "train_raw.txt").read_text().splitlines()
    assert {line.split(" # ")[1] for line in runs["one"]} == {"1"}
    assert {line.split(" # ")[1] for line in runs["two"]} == {"2"}
    assert runs["one_again"] == runs["one"]
    monkeypatch.delitem(sys.modules, "generator", raising=False)
