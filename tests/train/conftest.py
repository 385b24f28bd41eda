"""Every training test runs in its own temporary folder: `synthset train` and `synthset curves`
write their checkpoint folders under the current folder by default (outputs/...)."""

import pytest


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
