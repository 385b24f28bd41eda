"""Every example's data.yaml runs through `synthset generate` (on a few samples)."""

from pathlib import Path

import pytest

from synthset.cli.main import main

EXAMPLES = sorted(Path(__file__).parent.parent.glob("examples/*/configs/data.yaml"))


def test_there_are_examples():
    assert len(EXAMPLES) >= 13


@pytest.mark.parametrize("config", EXAMPLES, ids=lambda p: p.parent.parent.name)
def test_example_runs(tmp_path, config, monkeypatch):
    text = config.read_text()
    if "backend: flint" in text:
        pytest.importorskip("flint")
    monkeypatch.chdir(Path(__file__).parent.parent)  # examples name modules relative to it
    out = tmp_path / "out"
    assert main(["generate", str(config), f"save_dir={out}", "num_train_samples=12",
                 "num_test_samples=3", "n_jobs=1", "verbose=false"]) == 0
    assert len((out / "train_raw.txt").read_text().splitlines()) == 12
