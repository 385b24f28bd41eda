"""Each trainer's own way of reaching synthset's reward, shared by the adapter tests."""

import functools
from pathlib import Path

REWARD_FILE = "from synthset.rewards.openrlhf import reward_func  # noqa: F401\n"


def verl_reward(path: str = "pkg://synthset.rewards.verl", name: str = "compute_score"):
    """verl's custom reward, loaded by verl's own loader from its config keys."""
    from omegaconf import OmegaConf
    from verl.trainer.ppo.reward import get_custom_reward_fn

    return get_custom_reward_fn(OmegaConf.create(
        {"reward": {"custom_reward_function": {"path": path, "name": name}}}))


def openrlhf_reward(folder: Path, text: str = REWARD_FILE):
    """OpenRLHF's reward_func, loaded from a reward file (``--reward.remote_url``) by
    OpenRLHF's own executor."""
    from openrlhf.utils.agent import SingleTurnAgentExecutor

    path = Path(folder) / "reward.py"
    path.write_text(text)
    return SingleTurnAgentExecutor(remote_rm_url=str(path)).reward_func


@functools.cache
def _trace_parts():
    """What every trace shares: the agent and the verifiers build (made once: the build's
    default reads the installed version on every trace)."""
    import verifiers.v1 as vf
    from verifiers.v1.trace import AgentInfo, _current_build

    return AgentInfo(config=vf.AgentConfig()), _current_build()


def trace_for(task, reply: str):
    """A verifiers trace of one rollout: the task's prompt, then the model's reply."""
    import verifiers.v1 as vf
    from verifiers.v1.graph import MessageNode
    from verifiers.v1.trace import Trace, TraceTask

    agent, build = _trace_parts()
    return Trace(task=TraceTask(type=type(task).__name__, data=task.data), agent=agent,
                 verifiers=build,
                 nodes=[MessageNode(message=vf.UserMessage(content=task.data.prompt)),
                        MessageNode(parent=0, message=vf.AssistantMessage(content=reply),
                                    sampled=True)])


def task_tokenizer(task):
    """A word-level tokenizer over a token task's names (whitespace-separated), made on the
    spot, with a plain chat template (the messages' contents, one after another)."""
    import transformers
    from tokenizers import Tokenizer, models, pre_tokenizers

    names = ["<pad>", *task.vocab.itos, "|"]
    core = Tokenizer(models.WordLevel({n: i for i, n in enumerate(dict.fromkeys(names))},
                                      unk_token="<pad>"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = transformers.PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>",
                                                     eos_token="<eos>")
    tokenizer.chat_template = "{% for m in messages %}{{ m['content'] }} {% endfor %}"
    return tokenizer
