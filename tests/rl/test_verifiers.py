"""synthset.rewards.verifiers_env through verifiers' own code: its loaders find the taskset by
id, the single-agent environment is built over it, and a task scores a finished rollout the
way verifiers scores one (``Task.score(trace)``, as ``vf-eval`` and ``vf-replay`` do; no model
is called)."""

import asyncio
import sys

import pytest

from synthset.core.errors import ConfigError
from tests.rl.helpers import trace_for


def _score(task, reply: str):
    trace = trace_for(task, reply)
    asyncio.run(task.score(trace))
    return trace


def test_the_taskset_id_resolves_through_verifiers_loaders():
    import verifiers.v1 as vf
    from verifiers.v1.utils.loaders import load_taskset, taskset_class

    from synthset.rewards import verifiers_env as vfe

    assert taskset_class(vfe.TASKSET_ID) is vfe.SynthsetTaskset
    assert vf.task_type(vfe.TASKSET_ID) is vfe.SynthsetTask
    taskset = load_taskset(vfe.SynthsetTasksetConfig(source="mano", count=3, level=2))
    tasks = list(taskset)
    assert [t.data.id for t in tasks] == ["mano/train/0", "mano/train/1", "mano/train/2"]
    first = tasks[0].data
    assert (first.prompt, first.answer, first.name, first.idx) == (
        "<bos> <len_2> + 15 * 16 7 <ans>", "12", "mano", 0)
    # verifiers' own views over the taskset
    assert [t.data.idx for t in taskset.shuffle(seed=0).take(2)] != []


def test_a_rollout_is_scored_by_the_tasks_verifier():
    from synthset.rewards.verifiers_env import load_taskset

    tasks = list(load_taskset("poly_gcd", count=2))
    answer = tasks[0].data.answer
    scores = [_score(tasks[0], reply).rewards["correct"].score for reply in (
        answer, f"<think>gcd first</think>The answer is {answer}.", tasks[1].data.answer,
        "no idea")]
    assert scores == [1.0, 1.0, 0.0, 0.0]
    trace = _score(tasks[0], answer)
    assert trace.reward == 1.0 and trace.rewards["correct"].weight == 1.0
    # verifiers' model-free check of the ground truth (vf-validate)
    assert [asyncio.run(t.validate(None)) for t in tasks] == [True, True]
    wrong = tasks[0].with_data(answer=tasks[1].data.answer)
    assert asyncio.run(wrong.validate(None)) is False


def test_load_environment_is_verifiers_single_agent_env():
    import verifiers.v1 as vf

    from synthset.rewards.verifiers_env import SynthsetTaskset, load_environment

    env = load_environment("depo", count=2, level=2)
    assert isinstance(env, vf.SingleAgentEnv) and isinstance(env.taskset, SynthsetTaskset)
    assert [t.data.id for t in env.taskset] == ["depo/train/0", "depo/train/1"]
    assert env.config.taskset.level == 2


def test_a_run_folder_and_its_split(tmp_path):
    from synthset.cli.main import main
    from synthset.rewards.verifiers_env import load_taskset

    run = tmp_path / "run"
    assert main(["generate", "examples/integer_sum/configs/data.yaml", f"save_dir={run}",
                 "num_train_samples=4", "num_test_samples=2", "n_jobs=1",
                 "verbose=false"]) == 0
    tasks = list(load_taskset(run, split="test"))
    # a generator of your own: its samples judged by the run (no check: equal answers)
    assert [t.data.id for t in tasks] == ["instance_generator/test/0",
                                         "instance_generator/test/1"]
    assert _score(tasks[1], tasks[1].data.answer).reward == 1.0


def test_the_id_module_for_verifiers_command_lines(tmp_path, monkeypatch):
    """The two-line module docs/guide/rl-trainers.md shows is a taskset verifiers imports."""
    from verifiers.v1.utils.loaders import taskset_class

    from synthset.rewards import verifiers_env as vfe

    (tmp_path / "my_synthset_env.py").write_text(
        "from synthset.rewards.verifiers_env import SynthsetTaskset\n"
        '__all__ = ["SynthsetTaskset"]\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "my_synthset_env", raising=False)
    assert taskset_class("my-synthset-env") is vfe.SynthsetTaskset


def test_a_bad_source_is_one_line():
    from synthset.rewards.verifiers_env import load_taskset

    with pytest.raises(ConfigError, match="no_such_task"):
        list(load_taskset("no_such_task"))
