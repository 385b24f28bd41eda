"""A synthset task as a verifiers (0.4) environment, scored offline as verifiers scores it.

verifiers runs rollouts against a model server (``vf-eval``, prime-rl); this script needs
none. It builds the single-agent environment over Capo samples
(``synthset.rewards.verifiers_env.load_environment``), then scores two rollouts per task as
``vf-replay`` re-scores saved ones: a trace with the model's reply, ``Task.score(trace)``.

To evaluate a model with verifiers' own command line, put a two-line module named like the
taskset id on the path (``synthset_verifiers.py``: ``from synthset.rewards.verifiers_env
import SynthsetTaskset`` and ``__all__ = ["SynthsetTaskset"]``), then:

    vf-eval synthset_verifiers --env.taskset.source capo --env.taskset.count 200 ...

    python examples/rl/verifiers_env.py [--task capo] [--count 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser()
    ap.add_argument("--task", default="capo")
    ap.add_argument("--count", type=int, default=8)
    args = ap.parse_args(argv)

    import verifiers.v1 as vf
    from verifiers.v1.graph import MessageNode
    from verifiers.v1.trace import AgentInfo, Trace, TraceTask

    from synthset.rewards.verifiers_env import load_environment

    env = load_environment(args.task, count=args.count, seed=0)
    agent = AgentInfo(config=vf.AgentConfig())

    async def score(task, reply: str) -> float:
        trace = Trace(task=TraceTask(type=type(task).__name__, data=task.data), agent=agent,
                      nodes=[MessageNode(message=vf.UserMessage(content=task.data.prompt)),
                             MessageNode(parent=0, sampled=True,
                                         message=vf.AssistantMessage(content=reply))])
        await task.score(trace)
        return trace.reward

    tasks = list(env.taskset)
    right = [asyncio.run(score(t, f"<think>recall</think>\\boxed{{{t.data.answer}}}"))
             for t in tasks]
    wrong = [asyncio.run(score(t, "I cannot say.")) for t in tasks]
    summary = {"env": type(env).__name__, "tasks": len(tasks),
               "mean_right": sum(right) / len(tasks), "mean_wrong": sum(wrong) / len(tasks)}
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()

# Output:
# {"env": "SingleAgentEnv", "tasks": 8, "mean_right": 1.0, "mean_wrong": 0.0}
