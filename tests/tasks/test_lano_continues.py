"""Lano's reward decision — a prompt's prefix parsed once into its stacks, each completion
parsed alone from them — says what the parse of the whole sentence says, on right answers
and on wrong ones (a token changed, dropped or inserted, another example's answer, cut short
or run on); and the cut's stacks are exactly those a left-to-right recognizer holds after the
prefix, its leads the first terminals of every string those stacks derive."""

import random

import pytest

import synthset.tasks as T
from synthset.tasks.grammars import GRAMMARS
from synthset.tasks.lano import LEAD, _grammar, _parser


def _answers(s, cut, other, rng):
    """Right and wrong completions of the prefix ``s[:cut]``."""
    right = s[cut:]
    out = [right, other, right[:-1], right[:1], right + [1], other[:len(right)]]
    out += [damaged(right, rng) for _ in range(6)]
    return [w for w in out if w]


def damaged(w, rng):
    """A copy of ``w`` with one terminal changed, dropped or inserted."""
    w = list(w)
    p = rng.randrange(len(w))
    op = rng.randrange(3)
    if op == 0:
        w[p] = 1 + w[p] % 3
    elif op == 1:
        del w[p]
    else:
        w.insert(p, rng.choice([1, 2, 3]))
    return w


@pytest.mark.parametrize("grammar, count", [("cfg3f", 6), ("cfg3j", 3), ("cfg3k", 3)])
def test_completions_are_judged_as_the_whole_parse_judges_them(grammar, count):
    task = T.get("lano", grammar=grammar)
    g, whole = _grammar(grammar), _parser(grammar)
    rng = random.Random(3)
    rows = list(task.iter_examples(11, count + 1))
    rejected = 0
    for row, before in zip(rows[1:], rows):
        cut = task.split_point(row)
        s, prefix = row["input_ids"][1:], tuple(row["input_ids"][1:cut])
        other = before["input_ids"][task.split_point(before):]
        for k, answer in enumerate(_answers(s, cut - 1, other, rng)):
            got = g.continues(prefix, tuple(answer))
            assert got == whole(prefix + tuple(answer)), (grammar, k, answer)
            assert task.score_answer(" ".join(map(str, answer)), row) == float(got)
            assert got or k  # the right answer is one
            rejected += not got
        assert prefix in g._cuts  # judged through its cut
    assert rejected >= 6 * count


def _recognizer_stacks(grammar, prefix):
    """The stacks (top last) a left-to-right recognizer holds after ``prefix``."""
    root, rules = GRAMMARS[grammar]
    states = {(root,)}
    for token in prefix:
        ready, todo = set(), list(states)
        while todo:  # expand every top until it is a terminal
            stack = todo.pop()
            if stack[-1] in rules:
                todo += [stack[:-1] + tuple(reversed(rhs)) for rhs in rules[stack[-1]]]
            else:
                ready.add(stack)
        states = {st[:-1] for st in ready if st[-1] == token} - {()}
    return states


def _heads(grammar, stacks, k):
    """The first ``k`` terminals (the whole string when shorter) of every string ``stacks``
    derive, as bytes."""
    root, rules = GRAMMARS[grammar]
    out, todo = set(), [(stack, b"") for stack in stacks]
    while todo:
        stack, read = todo.pop()
        if len(read) == k or not stack:
            out.add(read)
        elif stack[-1] in rules:
            todo += [(stack[:-1] + tuple(reversed(rhs)), read) for rhs in rules[stack[-1]]]
        else:
            todo.append((stack[:-1], read + bytes([stack[-1]])))
    return out


def _flatten(nodes, k):
    """The stacks (top last) of node ``k`` of a cut."""
    out = set()
    for below, path, _ in nodes[k]:
        rest = tuple(reversed([sym for sym, _, _ in path]))
        for top in ([()] if below < 0 else _flatten(nodes, below)):
            out.add(rest + top)
    return out


def test_the_cut_holds_the_stacks_of_a_left_to_right_recognizer():
    task = T.get("lano", grammar="cfg3f")
    g = _grammar("cfg3f")
    for row in task.iter_examples(5, 3):
        s = tuple(row["input_ids"][1:])
        for p in (1, 7, 30):
            nodes = g._cut(s[:p])
            stacks = _recognizer_stacks("cfg3f", s[:p])
            assert _flatten(nodes, len(nodes) - 1) == stacks
            assert g._leads(nodes) == _heads("cfg3f", stacks, LEAD)
        assert g._cut((1, 1, 1, 1, 1, 1, 1, 1)) == ()  # no sentence starts with it
