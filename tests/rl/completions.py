"""Completions of every kind a policy writes, made cheaply from a prompt dataset: right (bare,
in tags, boxed, after reasoning, spaced), wrong (another row's answer), mangled (cut, one
character changed, doubled) and garbage. Shared by the trainer adapters' tests.

Cheap on purpose: a right answer is recognised without running the verifier, and so is a
completion with no answer in it; the forms that do run it (wrong and mangled answers) are one
in eight, so that the long checks (Lano's grammar) stay a small part of 10,000."""

import random

CHEAP = (
    lambda a, o: a,
    lambda a, o: f"<answer>{a}</answer>",
    lambda a, o: f"<think>let me see</think>\\boxed{{{a}}}",
    lambda a, o: f"Reasoning first.\nAnswer: {a}",
    lambda a, o: f"  {a}\n",
    lambda a, o: "<think>never finished",
    lambda a, o: "",
)
CHECKED = (
    lambda a, o: o,                                    # another row's answer
    lambda a, o: a[: len(a) // 2],                     # cut short
    lambda a, o: a[:-1] + ("0" if a[-1:] != "0" else "1"),   # last character changed
    lambda a, o: f"{a} {a}",
    lambda a, o: "I do not know.",
    lambda a, o: "<answer>" + o,                       # unclosed tag, wrong answer
)


def completions(rows: list[dict], total: int, seed: int = 0) -> list[tuple[int, str]]:
    """``total`` (row index, completion) pairs over ``rows`` (each with ``answer``)."""
    rng = random.Random(seed)
    out = []
    for i in range(total):
        r = i % len(rows)
        other = rows[rng.randrange(len(rows))]["answer"]
        forms = CHECKED if rng.random() < 1 / 8 else CHEAP
        out.append((r, forms[rng.randrange(len(forms))](rows[r]["answer"], other)))
    return out

