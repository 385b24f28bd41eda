"""Every shell and Python block of README.md and docs/guide/*.md runs, in order, as written.

A file's blocks run in one fresh scratch folder holding a copy of the repository's
``examples/``: ``sh``/``bash`` blocks with ``bash -euo pipefail``, ``python`` blocks as a script
of their own, each with this venv's ``synthset`` and ``python`` first on PATH and no network.
README.md runs twice in the same folder: its quick starts must work when pasted again.

Markers, an HTML comment on the line right before a block (CONTRIBUTING.md explains them):
``<!-- file: PATH -->`` writes the block to PATH instead of running it; ``<!-- suite: "OLD" ->
"NEW" ; ... -->`` runs a block too long for the suite with each OLD replaced; ``<!-- exit: N
-->`` expects that exit code; ``<!-- not run: installs -->`` checks the extras and make targets
an install block names instead of running it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib.metadata import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs" / "guide").glob("*.md"))]
RUN = {"sh": "sh", "bash": "sh", "shell": "sh", "python": "python"}
FENCE = re.compile(r"^```(\S*)\s*$")
MARKER = re.compile(r"^<!--\s*(file|suite|exit|not run):\s*(.*?)\s*-->\s*$")
PAIR = re.compile(r'^"(.*)"\s*->\s*"(.*)"$')


@dataclass
class Block:
    path: Path
    line: int  # of the opening fence, 1-based
    lang: str
    text: str
    marker: tuple[str, str] | None

    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def blocks(path: Path) -> list[Block]:
    """The fenced blocks of a Markdown file, each with the marker on the line before it."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found, i = [], 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == "```"), None)
        assert end is not None, f"{path.relative_to(ROOT)}:{i + 1}: a code block is never closed"
        before = MARKER.match(lines[i - 1]) if i else None
        found.append(Block(path, i + 1, opening.group(1), "\n".join(lines[i + 1:end]) + "\n",
                           before.groups() if before else None))
        i = end + 1
    return found


def replaced(block: Block, spec: str) -> str:
    """The block with each ``"OLD" -> "NEW"`` of a suite marker applied (each OLD must occur)."""
    text = block.text
    for pair in spec.split(" ; "):
        m = PAIR.match(pair.strip())
        assert m, f'{block.where()}: a suite marker pair is written "OLD" -> "NEW", got {pair!r}'
        old, new = m.groups()
        assert old in text, f"{block.where()}: the suite marker's {old!r} is not in the block"
        text = text.replace(old, new)
    return text


def check_installs(block: Block) -> None:
    """An install block: every extra it names exists, and every make target."""
    extras = set(metadata("synthset").get_all("Provides-Extra"))
    targets = set(re.findall(r"^([a-z][\w.-]*):", (ROOT / "Makefile").read_text(), re.M))
    for line in block.text.splitlines():
        for group in re.findall(r"\[([\w,-]+)\]", line.split("#")[0]):
            unknown = set(group.split(",")) - extras
            assert not unknown, f"{block.where()}: no extra named {sorted(unknown)}"
        if line.startswith("make "):
            target = line.split()[1]
            assert target in targets, f"{block.where()}: the Makefile has no target {target!r}"
        if "pip install" in line and ("[train" in line or "[rl" in line):
            assert "torch==2.13.0" in line, f"{block.where()}: torch is pinned first"


def environment(scratch: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
               HOME=str(scratch / ".home"), HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1",
               TRANSFORMERS_OFFLINE="1", MPLBACKEND="Agg", NO_COLOR="1")
    return env


def run(block: Block, scratch: Path, env: dict) -> None:
    kind, spec = block.marker or ("", "")
    if kind == "not run":
        assert spec == "installs", f"{block.where()}: 'not run' is only for installs, got {spec!r}"
        return check_installs(block)
    if kind == "file":
        target = scratch / spec
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(block.text, encoding="utf-8")
        return
    if block.lang not in RUN:
        return
    text = replaced(block, spec) if kind == "suite" else block.text
    if RUN[block.lang] == "sh":
        argv = ["bash", "-euo", "pipefail", "-c", text]
    else:
        script = scratch / ".block.py"
        script.write_text(text, encoding="utf-8")
        argv = [sys.executable, str(script)]
    done = subprocess.run(argv, cwd=scratch, env=env, capture_output=True, text=True)
    expected = int(spec) if kind == "exit" else 0
    assert done.returncode == expected, (
        f"{block.where()} exited {done.returncode} (expected {expected})\n--- block\n{text}"
        f"--- stdout (end)\n{done.stdout[-3000:]}\n--- stderr (end)\n{done.stderr[-3000:]}")


def test_markers_name_only_what_the_runner_knows():
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"<!--\s*(\w[\w ]*?):", text):
            assert m.group(1) in {"file", "suite", "exit", "not run"}, (
                f"{path.relative_to(ROOT)}: unknown marker {m.group(1)!r}")


def test_the_readme_is_a_landing_page():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 250, f"README.md has {len(lines)} lines; the landing page keeps <= 250"
    for link in re.findall(r"\]\(((?:docs/|CONTRIBUTING)[^)#]*)", "\n".join(lines)):
        assert (ROOT / link).exists(), f"README.md links to {link}, which does not exist"


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.stem)
def test_every_block_runs(path, tmp_path):
    found = blocks(path)
    assert any(b.lang in RUN for b in found), f"{path.relative_to(ROOT)} has no runnable block"
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    (tmp_path / ".home").mkdir()
    env = environment(tmp_path)
    for _ in range(2 if path.name == "README.md" else 1):
        for block in found:
            run(block, tmp_path, env)
