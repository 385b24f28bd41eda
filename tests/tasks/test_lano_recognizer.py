"""Lano's one-pass recognizer decides as the chart parse decides: on sentences and on wrong
ones (a token changed, dropped or inserted, cut short or run on, a prefix followed by another
sentence's rest, another sentence's rest alone), whole or as a prompt's prefix and a
completion, for the three grammars; and its decisions do not change when its tables start
over."""

import random

import pytest

import synthset.tasks as T
from synthset.tasks import lano
from synthset.tasks.grammars import GRAMMARS
from synthset.tasks.lano import _grammar, _Recognizer, _Threads
from tests.tasks.test_lano_continues import damaged


def _variants(s, other, rng):
    """A sentence and wrong ones made from it and another sentence."""
    cut = len(s) // 2
    out = [s, s[:-1], s[:cut], s + [1], s[:cut] + other[len(other) // 2:], other[cut:],
           s[:1], [s[0], 2, 3]]
    return out + [damaged(s, rng) for _ in range(8)]


@pytest.mark.parametrize("grammar, count", [("cfg3f", 12), ("cfg3j", 5), ("cfg3k", 4)])
def test_the_recognizer_decides_as_the_chart_parse(grammar, count):
    task = T.get("lano", grammar=grammar)
    g = _grammar(grammar)
    fresh = _Recognizer.of(*GRAMMARS[grammar])  # cold tables, beside the shared warm ones
    rng = random.Random(4)
    sentences = [task.sentence(random.Random(seed)) for seed in range(count + 1)]
    accepted = rejected = 0
    for s, other in zip(sentences[1:], sentences):
        for k, w in enumerate(_variants(s, other, rng)):
            want = g.chart_parses(tuple(w))
            assert g.parses(tuple(w)) == want == fresh.parses(w), (grammar, k, w)
            assert want or k, "a sentence is accepted"
            accepted += want
            rejected += not want
            for p in (1, len(w) // 3, len(w) - 1):  # as a prompt's prefix and a completion
                if 0 < p < len(w):
                    state = fresh.state(w[:p])
                    assert type(state) is _Threads
                    assert state.accepts(bytes(w[p:])) == want, (grammar, k, p)
                    assert g.continues(tuple(w[:p]), tuple(w[p:])) == want
    assert accepted >= count and rejected >= 10 * count


def test_tokens_that_are_not_terminals():
    g = _grammar("cfg3f")
    s = T.get("lano", grammar="cfg3f").sentence(random.Random(0))
    assert g.parses(tuple(s))
    assert g.parses(tuple(True if t == 1 else t for t in s))  # True == 1, as the chart says
    assert g.parses(tuple(1.0 if t == 1 else t for t in s))  # not a byte: the chart decides
    for bad in (0, 4, 300, -1, "1", None):
        w = tuple(s[:5]) + (bad,) + tuple(s[6:])
        assert not g.parses(w) and not g.chart_parses(w)
        assert not g.continues(tuple(s[:5]), w[5:])
    assert not g.parses(()) and not _Recognizer.of(*GRAMMARS["cfg3f"]).parses(b"")


def test_tables_start_over_past_their_bound_and_decide_alike(monkeypatch):
    task = T.get("lano", grammar="cfg3f")
    g = _grammar("cfg3f")
    rec = _Recognizer.of(*GRAMMARS["cfg3f"])
    sentences = [task.sentence(random.Random(seed)) for seed in range(6)]
    kept = rec.state(sentences[0][:100])  # a prompt's state made before they start over
    monkeypatch.setattr(lano, "STATES", 50)
    tables = [rec.tables]
    for s in sentences[1:]:
        for w in (s, s[:-1] + [1 + s[-1] % 3]):
            assert rec.parses(w) == g.chart_parses(tuple(w))
        if rec.tables is not tables[-1]:
            tables.append(rec.tables)
    assert len(tables) >= 3  # they started over
    assert all(len(t.lower) + len(t.upper) < 50 + 4 * 250 for t in tables)
    assert kept.accepts(sentences[0][100:])  # its own tables are kept with it
    assert not kept.accepts(sentences[1][100:])


def test_a_grammar_that_is_not_layered_is_parsed_by_the_chart():
    rules = {10: [[1, 11], [2]], 11: [[1], [2, 3]]}  # 10 -> 2 skips a level
    g = lano._Grammar(10, rules)
    assert g.recognizer is None
    assert [g.parses(w) for w in [(2,), (1, 1), (1, 2, 3), (1,), (1, 2)]] \
        == [True, True, True, False, False]
    assert g.continues((1,), (2, 3)) and not g.continues((1,), (3,))


def test_texts_read_from_bytes_are_the_vocabularys_names():
    """A row's prompt and answer texts, looked up from its ids as bytes, are the names the
    vocabulary decodes; ids outside the vocabulary are named as the decoder names them."""
    task = T.get("lano", grammar="cfg3f")
    row = task.sample(random.Random(3))
    names = task.vocab.decode(row["input_ids"])
    cut = task.split_point(row)
    assert task.texts(row) == (" ".join(names[:cut]), " ".join(names[cut:]))
    odd = {**row, "input_ids": row["input_ids"][:-1] + [len(task.vocab.itos)]}
    assert task.texts(odd)[1].endswith(f"<unk:{len(task.vocab.itos)}>")


def _old_validate_row(task, example):
    """Lano's row check as written before its fast path (the reference)."""
    from synthset.tasks.base import check, check_labels

    check_labels(example)
    ids = example["input_ids"]
    check(ids[0] == task.vocab["<bos>"], "the row does not start with <bos>")
    check(all(1 <= t <= 3 for t in ids[1:]), "a token is not a terminal 1..3")
    check(all(m == 1 for m in example["loss_mask"]), "Lano trains on every token")
    check(task.parses(ids[1:]), f"the sentence is not in {task.config.grammar}")


def test_row_check_fast_path_gives_the_full_checks_verdict_and_message():
    task = T.get("lano", grammar="cfg3f")
    rng = random.Random(5)

    def outcome(fn, row):
        try:
            fn(row)
            return "ok"
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"

    seen = set()
    for seed in range(30):
        row = task.sample(random.Random(seed))
        n = len(row["input_ids"])
        variants = [row]
        for key, value in (("input_ids", 4), ("input_ids", 0), ("input_ids", 300),
                           ("input_ids", -1), ("input_ids", 2.0), ("input_ids", True),
                           ("labels", 2), ("labels", -100), ("loss_mask", 0),
                           ("loss_mask", 1.0), ("input_ids", "swap")):
            r = {k: (list(v) if isinstance(v, list) else v) for k, v in row.items()}
            at = rng.randrange(n)
            if value == "swap":
                j = rng.randrange(1, n)
                r["input_ids"][j] = 1 + r["input_ids"][j] % 3
                r["labels"] = list(r["input_ids"])
            else:
                r[key][at] = value
                if key == "input_ids" and rng.random() < 0.5:
                    r["labels"][at] = value
            variants.append(r)
        variants.append({**row, "input_ids": row["input_ids"][1:], "labels": row["labels"][1:],
                         "loss_mask": row["loss_mask"][1:]})
        for r in variants:
            want = outcome(lambda x: _old_validate_row(task, x), r)
            assert outcome(task.validate_row, r) == want, (seed, want)
            seen.add(want.split(":")[0] if want != "ok" else "ok")
    assert "ok" in seen and len(seen) >= 2
