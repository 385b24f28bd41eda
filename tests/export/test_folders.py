"""The folder an export writes and what the command shows: a task's dataset card, a folder
refused unless --overwrite, the same export run twice, progress bars on a terminal only, the
summary line, --count checked first."""

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios

import pytest
import yaml

import synthset.tasks as T
from synthset.cli.main import main
from synthset.core.identity import callable_identity
from synthset.io.parquet import split_glob
from tests import gens
from tests.conftest import make_run


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    make_run(folder, gens.integer_sum, sizes={"train": 40, "test": 10})
    return folder


def _argv(kind, source, out, *more):
    """``synthset export KIND SOURCE`` into the folder ``out`` (nanogpt: --name of it)."""
    if kind == "nanogpt":
        return ["export", "nanogpt", str(source), *more, "--name", out.name, "--output-dir",
                str(out.parent)]
    return ["export", "hf", str(source), str(out), *more]


OTHER = {"nanogpt": "--name", "hf": "OUT folder"}


def test_a_task_exported_to_hf_has_the_dataset_card_of_its_run(tmp_path, capsys):
    import datasets

    out = tmp_path / "hf"
    assert main(["export", "hf", "depo1", str(out), "task.N=12", "--count", "30",
                 "--seed", "3"]) == 0
    text = (out / "README.md").read_text()
    _, front, body = text.split("---\n", 2)
    front = yaml.safe_load(front)
    assert front["pretty_name"] == "depo1" and "depo1" in front["tags"]
    assert front["configs"] == [{"config_name": "default", "data_files": [
        {"split": "train", "path": split_glob("train")}]}]
    assert "from the built-in task `depo1`: 30 samples in 1 split (train: 30)" in body
    assert "| task | `depo1` |" in body and "Root seed **3**" in body
    # the generator a run of the same task would record, and the task's fields
    task = T.get("depo1", N=12)
    assert f"| generator | `{callable_identity(task)}` (name@hash of its code) |" in body
    config = yaml.safe_load(body.split("```yaml\n")[1].split("```")[0])
    assert config["root_seed"] == 3 and config["sizes"] == {"train": 30}
    assert config["task"]["name"] == "depo1" and config["task"]["config"] == {"N": 12}
    assert config["task"]["resolved"] == task.describe()["config"]
    loaded = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "cache"))
    assert list(loaded) == ["train"]
    assert loaded["train"]["input_ids"] == [r["input_ids"] for r in
                                            task.iter_records(3, 30, split="train")]


@pytest.mark.parametrize("kind", ["nanogpt", "hf"])
def test_a_folder_holding_other_files_is_written_only_with_overwrite(run, tmp_path, capsys,
                                                                    kind):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert main(_argv(kind, run, out)) == 2
    assert capsys.readouterr().err == (
        f"synthset export: error: {out} is not empty (notes.txt); give another {OTHER[kind]}, "
        "or --overwrite to write this export there\n")
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    assert main([*_argv(kind, run, out), "--overwrite"]) == 0
    assert (out / "notes.txt").read_text() == "mine"  # only an export's own files are replaced


@pytest.mark.parametrize("kind, other_options, differs", [
    ("nanogpt", ["--val-fraction", "0.2"], "val_fraction"),
    ("nanogpt", ["--template", "{problem} = {answer}\\n"], "template"),
    ("hf", ["--prompts"], "prompts"),
])
def test_the_same_export_again_is_nothing_to_do(run, tmp_path, capsys, kind, other_options,
                                               differs):
    out = tmp_path / "out"
    assert main(_argv(kind, run, out)) == 0
    capsys.readouterr()
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    assert main(_argv(kind, run, out)) == 0
    assert capsys.readouterr().out == \
        f"{out} is already this export (same run, same options); nothing to do\n"
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before  # nothing written
    # other options, or another run: refused, the export left as it is
    argv = _argv(kind, run, out, *other_options)
    assert main(argv) == 2
    assert capsys.readouterr().err == (
        f"synthset export: error: {out} holds another export (different {differs}); give "
        f"another {OTHER[kind]}, or --overwrite to write this export there\n")
    make_run(tmp_path / "run2", gens.integer_sum, sizes={"train": 41})
    assert main(_argv(kind, tmp_path / "run2", out)) == 2
    assert "holds another export (different source)" in capsys.readouterr().err
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before
    assert main([*argv, "--overwrite"]) == 0


def test_a_task_export_again_is_nothing_to_do_and_a_lost_file_is_written_again(tmp_path,
                                                                              capsys):
    out = tmp_path / "data" / "depo"
    argv = _argv("nanogpt", "depo1", out, "--count", "50", "--tokenizer", "task")
    assert main(argv) == 0
    val = (out / "val.bin").read_bytes()
    capsys.readouterr()
    assert main(argv) == 0
    assert capsys.readouterr().out == f"{out} is already this export (same task, count and " \
                                      "seed, same options); nothing to do\n"
    (out / "val.bin").unlink()  # the same export, a file missing: made again
    assert main(argv) == 0 and capsys.readouterr().out.startswith(f"wrote {out}: ")
    assert (out / "val.bin").read_bytes() == val


def test_an_overwrite_leaves_no_file_of_the_earlier_export(tmp_path):
    out = tmp_path / "data" / "m"
    assert main(_argv("nanogpt", "mano", out, "--count", "20", "--tokenizer", "task")) == 0
    assert (out / "train.mask.bin").exists()
    # Capo's rows are text with no trained part: an export of them has no mask
    assert main([*_argv("nanogpt", "capo", out, "--count", "20"), "--overwrite"]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "meta.json", "meta.pkl", "train.bin", "train.starts.bin", "val.bin", "val.starts.bin"]


def _cli(argv, cwd, tty: bool) -> tuple[str, str]:
    """``synthset ARGV`` in a child process whose stderr is a terminal (a pty) or a pipe;
    returns (stdout, stderr)."""
    command = [sys.executable, "-m", "synthset.cli.main", *argv]
    if not tty:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout, done.stderr
    parent, child = pty.openpty()
    # a terminal 120 columns wide, as a user's (a new pty has none: 0 columns)
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=child)
    os.close(child)
    seen = b""
    while True:  # until the child closes the terminal (EIO on Linux, b"" elsewhere)
        try:
            data = os.read(parent, 65536)
        except OSError:
            break
        if not data:
            break
        seen += data
    os.close(parent)
    out = proc.stdout.read().decode()
    assert proc.wait() == 0, seen
    return out, seen.decode(errors="replace")


@pytest.mark.parametrize("kind", ["nanogpt", "hf"])
def test_a_terminal_shows_a_bar_per_split_and_a_pipe_the_summary_alone(tmp_path, kind):
    if kind == "hf":
        argv = ["export", "hf", "depo1", "a", "task.N=12", "--count", "400"]
    else:
        argv = ["export", "nanogpt", "depo1", "task.N=12", "--count", "400", "--name", "a",
                "--tokenizer", "task"]
    out, err = _cli(argv, tmp_path, tty=True)
    splits = {"nanogpt": [("train", 360), ("val", 40)], "hf": [("train", 400)]}[kind]
    for split, n in splits:
        assert re.search(rf"{split}: 100%\|.*\| {n}/{n} \[", err), err
    summary = {
        "nanogpt": "wrote data/a: train 360 samples (19.2K tokens), val 40 samples (2,170 "
                   "tokens); vocab 112 (uint16, tokenizer task) in ",
        "hf": "wrote a: train 400 samples; 1 Parquet file under a/data, README.md, "
               "croissant.json in "}[kind]
    assert out.startswith(summary) and re.fullmatch(r"\d+\.\d\d s\n", out[len(summary):])
    # the same again on a pipe: no bar, the line that says there is nothing to do
    out, err = _cli(argv, tmp_path, tty=False)
    assert err == "" and out.endswith("is already this export (same task, count and seed, "
                                      "same options); nothing to do\n")
    out, err = _cli([*argv, "--overwrite"], tmp_path, tty=False)
    assert err == "" and out.startswith(summary)


@pytest.mark.parametrize("kind", ["nanogpt", "hf"])
@pytest.mark.parametrize("count", ["-5", "0"])
def test_count_must_be_positive(tmp_path, capsys, kind, count):
    assert main(_argv(kind, "mano", tmp_path / "m", "--count", count)) == 2
    assert capsys.readouterr().err == \
        f"synthset export: error: --count must be a positive integer, got {count}\n"
    assert list(tmp_path.iterdir()) == []
