"""The registry is the one list of tasks: every entry's class is reachable as
``synthset.tasks.<Class>``, and every count of tasks the docs state is the registry's.

A task added to the registry is covered here with no test edits; a doc that states a count
and is not updated with it fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import synthset.tasks
from synthset.tasks.registry import REGISTRY, class_names, task_class

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", list(REGISTRY))
def test_every_registered_class_is_an_attribute_of_synthset_tasks(name):
    cls_name = REGISTRY[name].target.rpartition(":")[2]
    assert getattr(synthset.tasks, cls_name) is task_class(name)
    assert cls_name in synthset.tasks.__all__ and cls_name in dir(synthset.tasks)


def test_one_class_name_is_one_class():
    # synthset.tasks.<Class> can only name one class: two targets must not share a name.
    targets = {spec.target for spec in REGISTRY.values()}
    assert len({t.rpartition(":")[2] for t in targets}) == len(targets)
    assert set(class_names()) == {t.rpartition(":")[2] for t in targets}


def test_an_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'PolyGcd'"):
        synthset.tasks.PolyGcd  # noqa: B018


# -- counts stated in prose ------------------------------------------------------------------

def counts() -> dict[str, int]:
    """What a doc may count, as the registry counts it."""
    return {
        "algebra": sum(e.kind == "algebra" for e in REGISTRY.values()),
        "reasoning": sum(e.kind == "reasoning" and not e.preset for e in REGISTRY.values()),
        "presets": sum(bool(e.preset) for e in REGISTRY.values()),
        "all": len(REGISTRY),
    }


UNITS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
         "fourteen fifteen sixteen seventeen eighteen nineteen").split()
TENS = dict(zip("twenty thirty forty fifty sixty seventy eighty ninety".split(),
                range(20, 100, 10)))
NUMBER = r"(\d+|[a-z]+(?:-[a-z]+)?)"
# The phrases that state a count of tasks, and what they count (words may wrap across lines).
PHRASES = {
    r"(?:algebra|ready|computer[- ]algebra)\s+problems|problem\s+families": "algebra",
    r"reasoning\s+tasks": "reasoning",
    r"presets": "presets",
    # not a bare "N tasks": prose counts tasks of a table, of a run, ... too
    r"(?:built-in|registered)\s+tasks|task\s+names|names:": "all",
}
STATED = re.compile(rf"\b{NUMBER}\s+({'|'.join(f'(?:{p})' for p in PHRASES)})",
                    re.IGNORECASE)


def _number(word: str) -> int | None:
    word = word.lower()
    if word.isdigit():
        return int(word)
    if word in UNITS:
        return UNITS.index(word)
    tens, _, unit = word.partition("-")
    if tens in TENS and (not unit or unit in UNITS[1:10]):
        return TENS[tens] + (UNITS.index(unit) if unit else 0)
    return None


def stated_counts(text: str) -> list[tuple[int, str, int, str]]:
    """``(line, what, number, phrase)`` of every count of tasks ``text`` states."""
    out = []
    for m in STATED.finditer(text):
        number = _number(m.group(1))
        if number is None:  # "the reasoning tasks", "ready problems": no count
            continue
        phrase = " ".join(m.group(2).split())
        what = next(w for p, w in PHRASES.items() if re.fullmatch(p, phrase, re.IGNORECASE))
        out.append((text.count("\n", 0, m.start()) + 1, what, number, m.group(0)))
    return out


def test_stated_counts_are_read():
    # The reader the next test relies on: it finds each kind of count, in digits and words,
    # across a line break, and nothing in text without one.
    text = ("synthset.list_tasks()  # 27 names: 12 algebra problems, 5 reasoning tasks,\n"
            "#  10 presets; twelve ready problems, Twenty-seven built-in\ntasks, seventeen "
            "problem families\nthe reasoning tasks, 300 problems, 1000 names; two tasks")
    assert [(line, what, n) for line, what, n, _ in stated_counts(text)] == [
        (1, "all", 27), (1, "algebra", 12), (1, "reasoning", 5), (2, "presets", 10),
        (2, "algebra", 12), (2, "all", 27), (3, "algebra", 17)]


def _prose() -> list[Path]:
    files = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    files += sorted((ROOT / "src" / "synthset").rglob("*.py"))  # help texts and docstrings
    return [f for f in files if f.is_file()]


def test_every_count_of_tasks_in_the_docs_is_the_registrys():
    expected = counts()
    wrong = [f"{path.relative_to(ROOT)}:{line}: {phrase!r}, but the registry has "
             f"{expected[what]}"
             for path in _prose()
             for line, what, number, phrase in stated_counts(path.read_text(encoding="utf-8"))
             if number != expected[what]]
    assert not wrong, "\n".join(wrong)
