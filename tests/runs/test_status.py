"""``synthset status``: what it says of a run folder is what the folder holds — a final file
truncated or deleted is named without --verify, a folder another process holds names that
process, and a path that is a file is called one."""

import json
import subprocess
import sys

from synthset.cli.main import main
from tests import gens
from tests.conftest import make_run


def _status(capsys, run) -> tuple[int, list[str]]:
    code = main(["status", str(run)])
    return code, capsys.readouterr().out.splitlines()


def test_a_truncated_or_deleted_final_file_is_named_without_verify(tmp_path, capsys):
    make_run(tmp_path, gens.integer_sum)
    jsonl = tmp_path / "train_data.jsonl"
    written = jsonl.stat().st_size
    jsonl.write_bytes(jsonl.read_bytes()[:100])
    code, lines = _status(capsys, tmp_path)
    assert code == 1  # as with --verify
    assert lines[1:] == [
        "  train            3/3     shards          60/60         samples  damaged",
        "  test             1/1     shards          17/17         samples  complete",
        f"damaged: split train: {jsonl} has 100 bytes, it had {written} when written",
        "1 damaged: run the same command again to make it again",
        "the run is not complete: run the same command again to resume it"]

    (tmp_path / "test_raw.txt").unlink()
    code, lines = _status(capsys, tmp_path)
    assert code == 1
    assert f"damaged: split test: {tmp_path / 'test_raw.txt'} is missing" in lines
    assert "2 damaged: run the same command again to make them again" in lines

    make_run(tmp_path, gens.integer_sum)  # the next run makes both splits again
    capsys.readouterr()
    code, lines = _status(capsys, tmp_path)
    assert code == 0 and lines[-1] == "the run is complete"


def test_a_run_held_by_another_live_process_names_it(tmp_path, capsys):
    make_run(tmp_path, gens.integer_sum)
    code = ("import sys\n"
            "from synthset.engine.state import RunLock\n"
            f"with RunLock({str(tmp_path)!r}, 'checking it'):\n"
            "    print('held', flush=True)\n"
            "    sys.stdin.read()  # until the test closes it\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline() == "held\n"
        owner = json.loads((tmp_path / ".synthset" / "lock").read_text())
        code, lines = _status(capsys, tmp_path)
        assert code == 0
        assert lines[-1] == f"the run is complete; pid {proc.pid} on host {owner['host']} is " \
                            f"checking it; started {owner['started']}"
    finally:
        proc.stdin.close()
        proc.wait()
    assert _status(capsys, tmp_path)[1][-1] == "the run is complete"  # released


def test_a_file_is_not_a_run_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("x\n")
    assert main(["status", "afile"]) == 2
    assert capsys.readouterr().err == "synthset status: error: afile is a file, not a run " \
                                      "folder\n"
    config = tmp_path / "data.yaml"
    config.write_text("dataset: {save_dir: afile, num_train_samples: 5, num_test_samples: 2, "
                      "batch_size: 5, n_jobs: 1, root_seed: 42, task: integer_sum}\n")
    assert main(["generate", str(config)]) == 2
    assert capsys.readouterr().err == "synthset generate: error: save_dir afile is a file, " \
                                      "not a folder\n"
    assert main(["generate", str(config), "save_dir=afile/run"]) == 2
    assert capsys.readouterr().err == "synthset generate: error: save_dir afile/run cannot " \
                                      "be made: afile is a file, not a folder\n"
