"""Answers in the forms models write them: read out of reasoning, tags, boxes and "Answer:"
lines, judged as the bare answer would be — on every built-in task.

The perturbation suite draws examples of each task (the reasoning tasks at two levels and
their presets, every algebra problem), writes each right answer in every form and each wrong
answer (another example's, a perturbed one, the right one only inside the reasoning, the right
one with more after it) in the same forms, and counts the forms whose reward differs from the
verifier's score of the bare answer: false negatives (a right answer scored below 1.0) and
false positives (a wrong one scored higher than bare). Both are 0 on this deterministic set.
"""

from __future__ import annotations

import random
import re

import pytest

import synthset
from synthset.export import to_hf_dataset
from synthset.rewards import extract_answer, reward_function, score_completions

REASONING = [*(f"{f}@{lv}" for f in ("depo", "brevo", "mano", "lano", "capo") for lv in (1, 6)),
             "depo1", "depo2", "brevo1", "brevo2", "mano10", "lano_cfg3k"]
ALGEBRA = [n for n in synthset.list_tasks() if synthset.get_task(n).kind == "algebra"]


def _task(name):
    name, _, level = name.partition("@")
    return synthset.get_task(name, **({"level": int(level)} if level else {}))


def _examples(task, count):
    rng = random.Random(7)
    return [task.generate_example(rng) for _ in range(count)]


# -- the forms ------------------------------------------------------------------------------

def _forms(answer: str, decoy: str) -> dict[str, str]:
    """``answer`` written the ways models write it; ``decoy`` is another answer put where the
    rules must not look (inside the reasoning, in an earlier tag or box)."""
    return {
        "bare": answer,
        "whitespace": f"\n\t {answer}  \n",
        "think+answer": f"<think>\nFirst the graph. It could be {decoy}.\n</think>\n"
                        f"<answer>{answer}</answer>",
        "think+answer, spaced": f"<think>{decoy}</think>\n\n<answer>\n  {answer}\n</answer>\n",
        "closed think only": f"Let me think about it. {decoy}</think>\n{answer}",
        "answer tag, unclosed": f"<think>ok</think><answer> {answer}",
        "last answer tag": f"<answer>{decoy}</answer> wait, no. <answer>{answer}</answer>",
        "boxed": f"We get {decoy} first, then \\boxed{{{answer}}}",
        "boxed in tag": f"<answer>$\\boxed{{{answer}}}$</answer>",
        "Answer: line": f"Working: {decoy} is not it.\nAnswer: {answer}",
        "Final Answer, bold": f"Step 1. {decoy}\n\n**Final Answer:** {answer}\n",
        "the answer is": f"The answer is {answer}.",
        "Answer: next line": f"Answer:\n{answer}\n",
    }


# A right answer in each of these is still the right answer (reasoning that is not closed is
# checked apart: it has no answer at all).
RIGHT_FORMS = list(_forms("a", "b"))


def _case_variants(answer: str) -> list[str]:
    return [v for v in (answer.upper(), answer.lower(), answer.swapcase()) if v != answer]


def _perturbed(task, ex, rng) -> list[str]:
    """Answers near the right one: one token or number changed, one dropped, one more."""
    answer = ex["answer"]
    words = answer.split()
    out = []
    numbers = [(m.start(), m.end()) for m in re.finditer(r"\d+", answer)]
    if numbers:
        start, end = numbers[rng.randrange(len(numbers))]
        out.append(answer[:start] + str(int(answer[start:end]) + 1) + answer[end:])
    if len(words) > 1:
        out.append(" ".join(words[1:]))
    out.append(answer + (" + 1" if task.kind == "algebra" else " " + words[-1]))  # more after
    return out


def _suite(name, count):
    """``(task, [(example, answer_text, is_right_bare_score, form, completion)])``."""
    task = _task(name)
    examples = _examples(task, count)
    rng = random.Random(11)
    cases = []
    for i, ex in enumerate(examples):
        answer = ex["answer"]
        other = examples[i - 1]["answer"]
        for form, text in _forms(answer, other).items():
            cases.append((ex, answer, f"right: {form}", text))
        if not task.answer_case_sensitive:
            for variant in _case_variants(answer):
                for form, text in _forms(variant, other).items():
                    cases.append((ex, variant, f"right, case changed: {form}", text))
        wrongs = [("another example's", other), *(("perturbed", p) for p in
                                                   _perturbed(task, ex, rng))]
        for kind, wrong in wrongs:
            for form, text in _forms(wrong, answer).items():
                cases.append((ex, wrong, f"wrong ({kind}): {form}", text))
        # the right answer only in the reasoning, a wrong one (or none) outside it
        cases.append((ex, other, "right in think, wrong outside",
                      f"<think>The answer is {answer}</think>{other}"))
        cases.append((ex, other, "right in think, wrong in tags",
                      f"<think><answer>{answer}</answer></think><answer>{other}</answer>"))
        cases.append((ex, "", "think never closes", f"<think>\n{answer}\n<answer>{answer}"))
        cases.append((ex, "", "empty answer tags", f"<answer>{answer}</answer><answer></answer>"))
    return task, cases


def _measure(name, count):
    """``(false negatives, false positives, rights, wrongs)`` of the suite on ``name``."""
    task, cases = _suite(name, count)
    scores = score_completions(task, [c[3] for c in cases], [c[0] for c in cases])
    bare = {}
    fn, fp, rights, wrongs = [], [], 0, 0
    for (ex, intended, label, text), score in zip(cases, scores):
        key = (id(ex), intended)
        if key not in bare:
            bare[key] = task.score_answer(intended, ex) if intended else 0.0
        expected = bare[key]
        if expected == 1.0:
            rights += 1
            if score < 1.0:
                fn.append((label, text, score))
        else:
            wrongs += 1
            if score > expected:
                fp.append((label, text, score, expected))
    return fn, fp, rights, wrongs


@pytest.mark.parametrize("name", REASONING)
def test_reasoning_answers_in_every_form(name):
    fn, fp, rights, wrongs = _measure(name, count=12)
    assert fn == [] and fp == []
    assert rights >= 12 * len(RIGHT_FORMS) and wrongs >= 12 * 2 * len(RIGHT_FORMS)


@pytest.mark.parametrize("name", ALGEBRA)
def test_algebra_answers_in_every_form(name):
    fn, fp, rights, wrongs = _measure(name, count=4)
    assert fn == [] and fp == []
    assert rights >= 4 * len(RIGHT_FORMS) and wrongs >= 4 * 2 * len(RIGHT_FORMS)


def test_every_wrong_kind_is_wrong_somewhere():
    # the wrong answers are wrong to the verifier itself, not only different texts
    task, cases = _suite("brevo@6", 12)
    labels = {c[2].split(":")[0] for c in cases
              if c[1] and task.score_answer(c[1], c[0]) == 0.0}
    assert {"wrong (another example's)", "wrong (perturbed)", "right in think, wrong outside",
            "right in think, wrong in tags"} <= labels


# -- case: declared per task ----------------------------------------------------------------

def test_names_ignore_case_and_algebra_does_not():
    capo = _task("capo@1")
    ex = _examples(capo, 1)[0]
    assert capo.answer_case_sensitive is False and any(c.isalpha() for c in ex["answer"])
    for variant in _case_variants(ex["answer"]):
        assert capo.score_answer(variant, ex) == 1.0
        assert score_completions(capo, [f"<answer>{variant}</answer>"], [ex]) == [1.0]
    poly = synthset.get_task("poly_sum")
    assert poly.answer_case_sensitive is True
    lettered = [e for e in _examples(poly, 10) if re.search("[a-z]", e["answer"])]
    assert lettered
    for ex in lettered:
        assert score_completions(poly, [ex["answer"].upper()], [ex]) == [0.0]
        assert score_completions(poly, [f"\\boxed{{{ex['answer']}}}"], [ex]) == [1.0]


def test_every_task_declares_whether_case_matters():
    declared = {n: _task(n).answer_case_sensitive for n in synthset.list_tasks()}
    assert {n for n, sensitive in declared.items() if not sensitive} == {"capo"}


# -- extraction, golden -----------------------------------------------------------------------

@pytest.mark.parametrize("text, answer", [
    ("14", "14"),
    ("  14 \n", "14"),
    ("<think>it is 13</think>14", "14"),
    ("<think>it is 13", None),
    ("<THINK>13</THINK>\n<Answer> 14 </Answer>", "14"),
    ("so it is 13</think> <answer>14</answer>", "14"),
    ("<answer>1</answer> no: <answer>2</answer>", "2"),
    ("<answer>3 4", "3 4"),
    ("so \\boxed{x^{2} + 1} done", "x^{2} + 1"),
    ("\\boxed{1} then \\boxed{2", "\\boxed{1} then \\boxed{2"),
    ("Reasoning...\nAnswer: 14.", "14"),
    ("**Final Answer:** 3 16 47", "3 16 47"),
    ("The answer is $x + 1$.", "x + 1"),
    ("The final answer is: 4 57 | 60", "4 57 | 60"),
    ("Answer:\n\n  5 6\nmore", "5 6"),
    ("<answer>\\boxed{\\text{New York}}</answer>", "New York"),
    ("the answer 14", "the answer 14"),
    ("My answer is 14", "14"),
    ("myanswer: 3", "myanswer: 3"),
    ("x\n**Answer**: 9", "9"),
    ("Answer: 1\nFinal Answer: 2", "2"),
    ("İstanbul, then <ANSWER>5</ANSWER>", "5"),  # a letter that lowers to two characters
    ("0.6755 | 0.2036", "0.6755 | 0.2036"),
    ("", ""),
    (None, None),
])
def test_extract_answer(text, answer):
    assert extract_answer(None, text) == answer


def test_a_stored_answer_in_any_form_skips_the_verifier(monkeypatch):
    task = synthset.get_task("brevo1")
    examples = _examples(task, 5)

    def verifier(text, example):
        raise AssertionError("the verifier was called")

    monkeypatch.setattr(task, "_score", verifier)
    completions = [f"<think>{e['answer']}?</think><answer>{e['answer']}</answer>"
                   for e in examples]
    assert score_completions(task, completions, examples) == [1.0] * 5


def test_reward_function_reads_the_forms_and_keeps_bare_answers():
    data = to_hf_dataset("mano10", prompts=True, count=8, seed=0)
    reward = reward_function("mano10")
    answers = list(data["answer"])
    columns = {"prompts": list(data["prompt"]), "example": list(data["example"])}
    assert reward(completions=answers, **columns) == [1.0] * 8
    tagged = [[{"role": "assistant", "content": f"<think>mod 23</think>\\boxed{{{a}}}"}]
              for a in answers]
    assert reward(completions=tagged, **columns) == [1.0] * 8
    wrong = [f"<think>{a}</think>{(int(a) + 1) % 23}" for a in answers]
    assert reward(completions=wrong, **columns) == [0.0] * 8


def test_score_completions_checks_its_arguments():
    task = synthset.get_task("mano10")
    ex = _examples(task, 1)[0]
    with pytest.raises(synthset.ConfigError, match="2 completions but 1 examples"):
        score_completions(task, ["1", "2"], [ex])
    with pytest.raises(synthset.ConfigError, match="timeout must be a positive number"):
        score_completions(task, ["1"], [ex], timeout=0)
    assert score_completions(task, [ex["answer"], ex["answer"]], [None, ex], timeout=None) \
        == [0.0, 1.0]
    # what is no example scores 0.0; an example's own answer is trusted (it was verified when
    # the example was made), an empty one never
    assert score_completions(task, [ex["answer"]] * 2, ["junk", {"answer": ex["answer"]}]) \
        == [0.0, 1.0]
    assert score_completions(task, ["", "<answer> </answer>"], [{**ex, "answer": ""}] * 2) \
        == [0.0, 0.0]


def test_a_verifier_past_its_time_limit_scores_zero_in_any_thread(monkeypatch):
    """A check that runs past ``timeout`` scores 0.0, in the main thread (SIGALRM) and in the
    worker threads verl, OpenRLHF and the verifiers taskset score from (one watchdog thread
    serves them all); the calls after it are limited and scored as before."""
    from concurrent.futures import ThreadPoolExecutor

    task = synthset.get_task("mano10")
    ex = _examples(task, 1)[0]
    wrong = str((int(ex["answer"]) + 1) % 23)

    def stuck(text, example):
        if text == "stuck":
            while True:  # Python code: the limit interrupts it
                pass
        return 1.0 if text == example["answer"] else 0.0

    monkeypatch.setattr(task, "score_answer", stuck)
    calls = ["stuck", wrong, f"<answer>{ex['answer']}</answer>", "stuck"]
    want = [0.0, 0.0, 1.0, 0.0]
    assert score_completions(task, calls, [ex] * 4, timeout=0.05) == want
    with ThreadPoolExecutor(2) as pool:
        scored = [pool.submit(score_completions, task, calls, [ex] * 4, 0.05)
                  for _ in range(2)]
        assert [f.result() for f in scored] == [want, want]


def test_depo_rewards_read_the_example_of_a_record_with_its_prompt_made_when_read():
    import copy
    import json
    import pickle

    from synthset.export import record_json
    from synthset.rewards import examples_of

    task = synthset.get_task("depo", level=2)
    record = next(iter(task.iter_records(5, 1)))
    want = task.example_of(record)
    got = examples_of(task, [record_json(record)])[0]
    assert dict.get(got, "prompt") is None  # not decoded yet: the verifier never reads it
    assert task.score_answer(want["answer"], got) == 1.0
    assert dict.get(got, "prompt") is None
    assert "prompt" in got and len(got) == len(want)
    assert got["prompt"] == want["prompt"] and list(got) == list(want)
    again = examples_of(task, [record_json(record)])[0]
    assert json.dumps(again) == json.dumps(want) and {**again} == want == again
    assert type(pickle.loads(pickle.dumps(again))) is dict
    assert copy.deepcopy(examples_of(task, [record_json(record)])[0]) == want


@pytest.mark.parametrize("text", [
    '{"input_ids": [0, 5, 17], "meta": {"n": 3}}', '{"problem": "x+1", "answer": "2"}',
    '{"a": 123456789012345678901234567890}', '[-9223372036854775809, 9223372036854775807]',
    '[1.5, 2e3, 0.1]', '[NaN, Infinity]', '"\\ud800"', '{"a": 1, "a": 2}', '["é", "\\u00e9"]'])
def test_a_record_json_reads_as_the_export_reads_it(text):
    """orjson's fast path reads a record as the standard library's json does."""
    import json

    from synthset.export import record_from_json

    data = json.loads(text)
    want = (data["problem"], data["answer"]) \
        if isinstance(data, dict) and set(data) == {"problem", "answer"} else data
    got = record_from_json(text)
    assert repr(got) == repr(want) and type(got) is type(want)
