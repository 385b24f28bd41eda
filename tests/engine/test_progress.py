"""Progress on a terminal: every long step draws its own bar on stderr — each split of a run,
each ``dedup: all`` round, each stage of ``synthset check`` — and nothing is drawn off a
terminal. The commands run as `python -m synthset.cli.main` with stderr on a pseudo-terminal.
"""

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios

import yaml
from tqdm import tqdm

from synthset import derive_seed
from tests import gens
from tests.conftest import ROOT


def on_a_terminal(tmp_path, *args) -> tuple[int, str, list[str]]:
    """``(exit status, stdout, the lines the terminal showed)``: stderr on a pty of 120
    columns, each carriage return starting a line (a bar's redraws are lines of their own),
    cursor movements left out."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    with open(tmp_path / "stdout", "w+") as out:
        proc = subprocess.Popen([sys.executable, "-m", "synthset.cli.main", *args], cwd=ROOT,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=slave)
        os.close(slave)
        shown = bytearray()
        while True:
            try:
                block = os.read(master, 65536)
            except OSError:  # EIO: every process holding the terminal has exited
                break
            if not block:
                break
            shown += block
        proc.wait()
        os.close(master)
        out.seek(0)
        printed = out.read()
    text_shown = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", shown.decode(errors="replace"))
    lines = re.split(r"\r\n|\r|\n", text_shown)
    return proc.returncode, printed, [line.strip() for line in lines if line.strip()]


def _config(tmp_path, name, **block):
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"dataset": {
        "save_dir": str(tmp_path / name), "batch_size": 10, "n_jobs": 1, "root_seed": 42,
        "executor": "serial", **block}}))
    return path


def _finished(lines, desc: str) -> list[str]:
    """The final state of each bar whose description starts with ``desc``."""
    return [line for line in lines if line.startswith(desc) and "100%|" in line]


def test_every_dedup_all_round_draws_its_own_bar(tmp_path):
    config = _config(tmp_path, "run", num_train_samples=60, num_test_samples=25,
                     instance_generator="tests.gens:few_sums", dedup="all")
    code, _, lines = on_a_terminal(tmp_path, "generate", str(config))
    assert code == 0, lines
    # Round 1 of test moves every sample whose plain problem a lower index holds.
    plain = [gens.few_sums(derive_seed(42, "test", i))[0] for i in range(25)]
    moved = sum(problem in plain[:i] for i, problem in enumerate(plain))
    assert _finished(lines, f"dedup round 1 (test): {moved} replacements:"), lines
    for split in ("test", "train"):
        rounds = [line for line in lines if line.startswith("dedup round ") and
                  f"({split}):" in line and "%|" in line]
        numbers = sorted({int(re.match(r"dedup round (\d+)", line)[1]) for line in rounds})
        assert numbers == list(range(1, len(numbers) + 1)), rounds
        assert len(_finished(lines, "dedup round")) >= len(numbers)  # each round ends
        assert _finished(lines, split), lines  # the split's own bar
    estimate = [line for line in lines if line.startswith("synthset: about ")]
    assert len(estimate) == 1 and re.fullmatch(
        r"synthset: about \d+\.\d kB for 75 samples \(\d+ B each from the first shard\); "
        r"the disk has \d+\.\d [kMGT]B free", estimate[0]), estimate

    # Off a terminal (a pipe, a log file): no bar, no note; the summary table only.
    config = _config(tmp_path, "piped", num_train_samples=60, num_test_samples=25,
                     instance_generator="tests.gens:few_sums", dedup="all")
    done = subprocess.run([sys.executable, "-m", "synthset.cli.main", "generate", str(config)],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "\r" not in done.stderr and "%|" not in done.stderr and "about" not in done.stderr
    assert done.stderr.splitlines()[0] == f"synthset: run folder {tmp_path / 'piped'}"


def test_check_draws_a_bar_for_each_stage(tmp_path):
    config = _config(tmp_path, "run", num_train_samples=200, num_test_samples=10,
                     task="integer_sum", verbose=False)
    assert subprocess.run([sys.executable, "-m", "synthset.cli.main", "generate", str(config)],
                          cwd=ROOT).returncode == 0
    run = str(tmp_path / "run")
    code, out, lines = on_a_terminal(tmp_path, "check", run, "--determinism", "8",
                                     "--executor", "serial", "--no-figures")
    assert code == 0, (out, lines)
    size = sum(os.path.getsize(tmp_path / "run" / f"{s}_data.jsonl") for s in ("train", "test"))
    assert _finished(lines, "reading:"), lines  # the JSONL files, by bytes
    assert f"/{tqdm.format_sizeof(size, divisor=1000)} [" in _finished(lines, "reading:")[-1]
    assert "| 210/210 [" in _finished(lines, "verifying (+8 made again):")[-1]
    assert _finished(lines, "duplicates:"), lines  # the key partitions counted
    assert "determinism: 8 samples made again from their seeds: all identical" in out

    code, out, lines = on_a_terminal(tmp_path, "check", run, "-q", "--executor", "serial",
                                     "--no-figures")
    assert code == 0 and lines == []  # -q: no bar
