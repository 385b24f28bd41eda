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


def test_grpo_example_scores_every_completion_with_synthset(tmp_path):
    """examples/rl/trl_grpo.py: a few TRL GRPO steps on a tiny random model; every completion
    TRL samples is scored by synthset's reward (the rl extra installs TRL)."""
    import importlib.util
    import json

    spec = importlib.util.spec_from_file_location(
        "trl_grpo", Path(__file__).parent.parent / "examples" / "rl" / "trl_grpo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    summary = module.main(["--steps", "2", "--out", str(tmp_path)])
    saved = json.loads((tmp_path / "rewards.json").read_text())
    # 2 steps x 1 prompt x 4 generations, each scored by synthset in [0, 1]
    assert summary["completions_scored"] == saved["completions_scored"] == 8
    assert all(isinstance(c, str) and 0.0 <= v <= 1.0 for c, v in saved["completions"])
