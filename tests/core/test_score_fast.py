"""``score_answer`` takes a task's own answer at once and judges every other text with the
verifier: checked on every registered task (a new one is covered with no test edits, or fails
``test_every_family_has_another_spelling`` until it says how its right answers may be spelled).
"""

from __future__ import annotations

import random
import re

import pytest

import synthset
from synthset.core.nested import text_field
from synthset.tasks.user import UserTask

SMALL = {"capo": {"N": 300}}
COUNT = 30
# Families whose verifier accepts no other spelling of a right answer than the ones
# ``same_answer`` already takes (Capo compares the text with whitespace collapsed and case
# ignored), or whose other right answers cannot be written from an example alone (another
# grammatical ending of a Lano sentence).
ONE_SPELLING = {"capo", "lano"}


def _task(name):
    return synthset.get_task(name, **SMALL.get(name, {}))


def _examples(task, count=COUNT, seed=0):
    rng = random.Random(seed)
    return [task.generate_example(rng) for _ in range(count)]


def _spy(task, monkeypatch, fail=False):
    """Count the verifier's calls on ``task`` (with ``fail``, each call raises: a text the fast
    path missed would score 0.0)."""
    calls = []
    verifier = task._score

    def spy(text, example):
        calls.append(text)
        if fail:
            raise AssertionError("the verifier was called")
        return verifier(text, example)

    monkeypatch.setattr(task, "_score", spy)
    return calls


def _leaf(text: str) -> str:
    """An algebra answer's item spelled another way, the same value: a leading zero on an
    integer, a trailing zero on a decimal, ``0 + `` before a polynomial."""
    if re.fullmatch(r"-?\d+", text):
        return "-0" + text[1:] if text.startswith("-") else "0" + text
    if re.fullmatch(r"-?\d+\.\d+", text):
        return text + "0"
    return "0 + " + text


def _brevo(task, ex):
    """Another order of the ancestors where every parent still comes before its child (two
    neighbours swapped; a node may be a word of several tokens)."""
    _, parents, q = task._graph(ex)
    words = task._token_words([task.vocab.stoi[w] for w in ex["answer"].split()])
    *ancestors, query = [w if isinstance(w, tuple) else (w,) for w in words]
    for i in range(len(ancestors) - 1):
        swapped = ancestors[:i] + [ancestors[i + 1], ancestors[i]] + ancestors[i + 2:]
        if task.is_correct_answer(parents, q, task._token_words(
                [t for w in swapped for t in w]) + [q]):
            return " ".join(task.vocab.decode([t for w in [*swapped, query] for t in w]))
    return None


def _algebra(task, ex):
    answer = ex["meta"]["answer"]
    if isinstance(answer, str):
        return _leaf(answer)
    return text_field([[_leaf(x) for x in item] if isinstance(item, list) else _leaf(item)
                       for item in answer])


# family -> another right spelling of an example's answer (None: this example has none)
RESPELL = {
    "depo": lambda task, ex: ex["answer"].replace(" | ", "|") + "|",  # a trailing empty answer
    "mano": lambda task, ex: "0" + ex["answer"],
    "brevo": _brevo,
}


def _respell(task, ex):
    return (_algebra if task.kind == "algebra" else RESPELL[task.family])(task, ex)


NAMES = synthset.list_tasks()


@pytest.mark.parametrize("name", NAMES)
def test_the_stored_answer_scores_1_without_the_verifier(name, monkeypatch):
    task = _task(name)
    examples = _examples(task)
    calls = _spy(task, monkeypatch, fail=True)
    for ex in examples:
        for text in (ex["answer"], f"  {ex['answer']}\n"):
            assert task.score_answer(text, ex) == 1.0
    assert calls == []


@pytest.mark.parametrize("name", NAMES)
def test_the_verifier_still_accepts_the_stored_answer(name):
    # the fast path trusts the stored answer; the verifier itself must agree with it
    task = _task(name)
    for ex in _examples(task):
        assert task._score(ex["answer"], ex) == 1.0


def test_every_family_has_another_spelling():
    families = {_task(n).family for n in NAMES if _task(n).kind != "algebra"}
    assert families - ONE_SPELLING == set(RESPELL), "say how the new family's answers respell"


@pytest.mark.parametrize("name", [n for n in NAMES if _task(n).family not in ONE_SPELLING])
def test_another_right_spelling_is_judged_by_the_verifier(name, monkeypatch):
    task = _task(name)
    calls = _spy(task, monkeypatch)
    respelled = 0
    for ex in _examples(task, seed=1):
        text = _respell(task, ex)
        if text is None:
            continue
        respelled += 1
        assert text.split() != ex["answer"].split()
        before = len(calls)
        assert task.score_answer(text, ex) == 1.0, (ex["answer"], text)
        assert calls[before:] == [text]
    assert respelled >= 3


@pytest.mark.parametrize("name", NAMES)
def test_a_text_other_than_the_stored_one_is_the_verifiers_to_judge(name, monkeypatch):
    # the verifier reads the problem, not the stored text: with the stored text replaced, the
    # right answer still scores 1.0, through the verifier
    task = _task(name)
    calls = _spy(task, monkeypatch)
    for ex in _examples(task, count=10):
        moved = {**ex, "answer": "?"}
        if task.family in ("groebner", "poly_reduction"):  # these compare with meta's answer
            moved = ex
            text = _algebra(task, ex)
        else:
            text = ex["answer"]
        assert task.score_answer(text, moved) == 1.0
    assert len(calls) == 10


@pytest.mark.parametrize("name", NAMES)
def test_wrong_answers_go_to_the_verifier_and_score_0(name, monkeypatch):
    task = _task(name)
    examples = _examples(task, count=60, seed=2)
    calls = _spy(task, monkeypatch)
    pairs = [(a, b["answer"]) for a, b in zip(examples, examples[1:])
             if a["answer"].split() != b["answer"].split()]
    scores = [task.score_answer(text, ex) for ex, text in pairs]
    assert len(calls) == len(pairs) >= 20
    # Depo scores the fraction of answer tokens right: another example's answer shares some
    assert sum(s == 0.0 if task.family != "depo" else s < 1.0 for s in scores) \
        >= 0.9 * len(pairs)


def test_integer_factorization_scores_like_its_check():
    task = synthset.get_task("integer_factorization", level=10)
    for ex in _examples(task, count=200, seed=3):
        problem, primes = ex["meta"]["problem"], ex["meta"]["answer"]
        for answer in (primes, primes[::-1], primes[:-1], [str(int(primes[0]) ** 2)],
                       [*primes[:-2], str(int(primes[-2]) * int(primes[-1]))], ["1", *primes],
                       [primes[0], *primes]):
            assert task._score(" | ".join(answer), ex) == float(task.check(problem, answer))
            assert task._score("|".join(answer), ex) == float(task.check(problem, answer))


# -- a user's generator: its ``check`` (data.yaml's ``check:``) and rewards --------------------

def _pairs(seed):
    rng = random.Random(seed)
    xs = [rng.randint(0, 9) for _ in range(3)]
    return xs, sum(xs)


def test_a_users_check_is_skipped_for_the_stored_answer_and_asked_otherwise():
    from synthset.export import record_json
    from synthset.rewards import reward_function

    asked = []

    def check(problem, answer):
        asked.append(answer)
        return sum(map(int, problem)) == int(answer)

    task = UserTask(_pairs, check=check)
    examples = _examples(task, count=5)
    assert [task.score_answer(ex["answer"], ex) for ex in examples] == [1.0] * 5
    assert asked == []
    assert task.score_answer("0" + examples[0]["answer"], examples[0]) == 1.0
    assert asked == ["0" + examples[0]["answer"]]
    # the example column of a prompt dataset: each record as JSON
    columns = [record_json((ex["meta"]["problem"], ex["meta"]["answer"])) for ex in examples]
    answers = [ex["answer"] for ex in examples]
    reward = reward_function(task)  # with its time limit, armed only around a check
    asked.clear()
    assert reward(completions=answers, example=columns) == [1.0] * 5 and asked == []
    assert reward(completions=["-1"] * 5, example=columns) == [0.0] * 5 and len(asked) == 5


def test_a_users_check_reads_the_spaces_inside_an_answer():
    # the answer "a  b" (two spaces): "a b" is not the stored text to a check that reads spaces
    task = UserTask(lambda seed: ("p", "a  b"), check=lambda problem, answer: answer == "a  b")
    ex = _examples(task, count=1)[0]
    assert task.score_answer(" a  b ", ex) == 1.0
    assert task.score_answer("a b", ex) == 0.0
    plain = UserTask(lambda seed: ("p", "a  b"))  # no check: whitespace collapsed
    assert plain.score_answer("a b", ex) == 1.0
