"""Every training test runs in its own temporary folder: `synthset train` and `synthset curves`
write their checkpoint folders under the current folder by default (outputs/...)."""

import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def checkpoint(output_dir: Path) -> Path:
    """The folder ``output_dir/latest`` points at (as the command's log names it): the newest
    finished run's."""
    return output_dir / os.readlink(output_dir / "latest")
