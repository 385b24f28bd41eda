"""Property tests (Hypothesis): random problems and answers — strings with separators, spaces,
``#``, ``|``, unicode, empty strings; lists of them; lists of lists (CALT's two levels) — are
either written by every format and read back as they were, or refused as a sample error
(FormatError). No two different samples ever get the same stored line.

The text form (and a Parquet column, which holds the same joined text) keeps the leaves, in
order, and where the joins are, not the shape: ``"a"``, ``["a"]`` and ``[["a"]]`` all write
``a``. So "the same sample" there is ``read_back(value)`` (what ``split_text`` gives), and two
accepted samples with the same stored text must have the same ``read_back`` — and, when they
have the same shape, be equal.

Deterministic (derandomize, no example database): CI runs the same examples every time.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from synthset.core.errors import FormatError  # noqa: E402
from synthset.core.nested import text_field, text_line  # noqa: E402
from synthset.io.formats import get_format  # noqa: E402

# Pieces leaves are made of: the separators whole and cut at every place, spaces, plain and
# non-ASCII text. Line breaks and a lone surrogate are rarer (no text line can hold them).
PLAIN = ["", " ", "a", "1", "x^2", "é", "∑", "\t", '"', "\\"]
PIECES = PLAIN + ["  ", "#", "|", "||", " # ", " | ", " || ", "# ", " #", "| ", " |", "|| ",
                  " ||"]
RARE = ["\n", "\r", "\u2028", "\x85", "\ud800"]

_pieces = st.lists(st.sampled_from(PIECES), max_size=3).map("".join)
_plain = st.lists(st.sampled_from(PLAIN), max_size=3).map("".join)
leaves = st.one_of(
    _pieces, _pieces,
    _plain.flatmap(lambda x: st.sampled_from([x, f"{x}#", f"#{x}", f"{x}|", f"|{x}",
                                              f"|{x}|", f"{x}#{x}", f"{x}||{x}"])),
    st.text(max_size=4),
    st.tuples(_pieces, st.sampled_from(RARE), _pieces).map("".join),
)
values = st.one_of(
    leaves,
    st.lists(leaves, max_size=3),
    st.lists(st.one_of(leaves, st.lists(leaves, max_size=3)), max_size=3),
)
samples = st.tuples(values, values)

FAST = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])
IO = settings(max_examples=60, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow])


# The reader and the rule, written out here (the test's own, not the library's): a line is
# split on its first ' # ', each side on ' || ', each part on ' | '; a leaf is writable when a
# space on each side of it (what the joins put there) makes no separator.
LINE_SEPARATORS = (" # ", " || ", " | ")
FIELD_SEPARATORS = (" || ", " | ")


def split_text(text: str) -> list[list[str]]:
    return [part.split(" | ") for part in text.split(" || ")]


def split_line(line: str):
    problem, answer = line.split(" # ", 1)
    return split_text(problem), split_text(answer)


def writable(leaf: str, separators=LINE_SEPARATORS) -> bool:
    return not any(sep in f" {leaf} " for sep in separators)


def unwritable_chars(text: str) -> bool:
    """A line break (one line would become two) or a lone surrogate (not UTF-8)."""
    return len(f"{text}x".splitlines()) != 1 or any("\ud800" <= c <= "\udfff" for c in text)


def read_back(value) -> list[list[str]]:
    """What the joined text of ``value`` splits back into (``split_text``)."""
    if type(value) is str:
        return [[value]]
    if not any(type(item) is list for item in value):
        return [list(value) if value else [""]]
    return [(item or [""]) if type(item) is list else [item] for item in value]


def shape(value):
    return "s" if type(value) is str else tuple(shape(item) for item in value)


def leaves_of(value):
    if type(value) is str:
        return [value]
    return [x for item in value for x in ([item] if type(item) is str else item)]


def readings(problem, answer):
    """Other samples the unchecked text of ``(problem, answer)`` could be read as: split on its
    first or last `` # ``, each side split as ``split_text`` does. (A sample with a separator at
    a leaf's edge and one of its readings are the pairs that used to share a line.)"""
    line = f"{text_field(problem)} # {text_field(answer)}"
    out = [split_line(line)]
    if " # " in line:
        p, a = line.rsplit(" # ", 1)
        out.append((split_text(p), split_text(a)))
    return out


def accepted(encode, sample):
    try:
        return encode(*sample)
    except FormatError:
        return None


def assert_injective(stored: dict):
    """``stored``: stored form -> the accepted samples that gave it."""
    for form, group in stored.items():
        first = group[0]
        for other in group[1:]:
            assert (read_back(other[0]), read_back(other[1])) == \
                (read_back(first[0]), read_back(first[1])), (form, first, other)
            if (shape(other[0]), shape(other[1])) == (shape(first[0]), shape(first[1])):
                assert other == first, (form, first, other)


def assert_other_readings_injective(encode, form, sample):
    """No other reading of ``sample``'s text that ``encode`` accepts is stored as ``form`` with
    another meaning."""
    stored: dict = {form: [sample]}
    for other in readings(*sample):
        other_form = accepted(encode, other)
        if other_form is not None:
            stored.setdefault(other_form, []).append(other)
    assert_injective(stored)


@FAST
@given(samples)
def test_a_text_line_reads_back_to_its_sample_or_is_refused(sample):
    problem, answer = sample
    line = accepted(text_line, sample)
    if line is None:  # refused: a leaf not writable, or a line break / lone surrogate
        joined = f"{text_field(problem)} # {text_field(answer)}"
        assert not all(writable(x) for x in leaves_of(problem) + leaves_of(answer)) or \
            unwritable_chars(joined)
        return
    assert all(writable(x) for x in leaves_of(problem) + leaves_of(answer))
    assert line.endswith("\n") and len(line.splitlines()) == 1
    body = line[:-1]
    assert split_line(body) == (read_back(problem), read_back(answer))
    assert body.count(" # ") == 1  # every reader finds the one join: split once, rsplit, split
    # Injective: no other reading of the same text is accepted with another meaning.
    assert_other_readings_injective(text_line, line, sample)


@FAST
@given(st.lists(samples, min_size=2, max_size=6))
def test_no_two_accepted_samples_share_a_text_line(batch):
    stored: dict[str, list] = {}
    for sample in batch:
        for candidate in (sample, *readings(*sample)):
            line = accepted(text_line, candidate)
            if line is not None:
                stored.setdefault(line, []).append(candidate)
    assert_injective(stored)


@FAST
@given(samples)
def test_a_parquet_column_reads_back_to_its_value_or_is_refused(sample):
    row = accepted(get_format("parquet").encode, sample)
    leaves = leaves_of(sample[0]) + leaves_of(sample[1])
    ok = all(writable(x, FIELD_SEPARATORS) for x in leaves)  # ' # ' is no join in a column
    if row is None:  # a column holds line breaks, but no lone surrogate (not UTF-8)
        assert not ok or any("\ud800" <= c <= "\udfff" for x in leaves for c in x)
        return
    assert ok
    assert (split_text(row[0]), split_text(row[1])) == tuple(map(read_back, sample))
    # the text line's other readings, as Parquet rows
    assert_other_readings_injective(get_format("parquet").encode, row, sample)


@IO
@given(st.lists(samples, min_size=1, max_size=5))
def test_every_format_writes_and_reads_back_or_refuses(batch):
    """Each format's ``encode`` (the worker's), ``write_shard``, ``merge`` and ``read``: what is
    accepted reads back (exactly in JSON and pickle; as ``read_back`` in text and Parquet)."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name in ("text", "json", "parquet", "pickle"):
            fmt = get_format(name)
            kept, items = [], []
            for sample in batch:
                item = accepted(fmt.encode, sample)
                if item is not None:
                    kept.append(sample)
                    items.append(item)
            if not items:
                continue
            part = tmp / f"{name}.part"
            fmt.write_shard(part, items, 0)
            fmt.merge([part], tmp, "train", len(items), [len(items)])
            got = list(fmt.read(tmp, "train"))
            assert len(got) == len(kept)
            if name in ("json", "pickle"):
                assert got == [tuple(s) for s in kept]
            elif name == "text":
                assert [split_line(line) for line in got] == \
                    [(read_back(p), read_back(a)) for p, a in kept]
                stored: dict[str, list] = {}
                for line, sample in zip(got, kept):
                    stored.setdefault(line, []).append(sample)
                assert_injective(stored)
            else:
                assert [(split_text(r["problem"]), split_text(r["answer"]), r["index"])
                        for r in got] == \
                    [(read_back(p), read_back(a), i) for i, (p, a) in enumerate(kept)]
