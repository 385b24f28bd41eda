"""examples/rl/: each trainer's script runs here. TRL trains on the CPU
(tests/test_examples.py runs examples/rl/trl_grpo.py); verl and OpenRLHF train on GPUs, so
their scripts write the data and check the reward through the trainer's own loader, and the
verifiers one scores rollouts offline as verifiers does."""

import importlib.util
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parent.parent.parent / "examples" / "rl"


def _example(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name, command", [
    ("verl_grpo", "reward.custom_reward_function.path=pkg://synthset.rewards.verl"),
    ("openrlhf_grpo", "--data.label_key label")])
def test_gpu_trainer_examples(tmp_path, capsys, name, command):
    out = tmp_path / "data"
    summary = _example(name).main(["--out", str(out), "--count", "20"])
    assert summary == {"rows": 20, "mean_right": 1.0, "mean_wrong": 0.0}
    printed = capsys.readouterr().out
    assert command in printed and str(out) in printed


def test_verifiers_example():
    summary = _example("verifiers_env").main(["--count", "3"])
    assert summary == {"env": "SingleAgentEnv", "tasks": 3, "mean_right": 1.0,
                       "mean_wrong": 0.0}
