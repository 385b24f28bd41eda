"""A token row's text line is its ids as ``str()`` writes them, joined by spaces, whatever the
ids: the line a worker's table of known ids makes is byte for byte the one ``str`` makes."""

import pytest

from synthset.core.errors import FormatError
from synthset.io.formats import get_format


class Shown(int):
    """An int that prints otherwise (a user's id type)."""

    def __str__(self):
        return f"id{int(self)}"


@pytest.mark.parametrize("ids", [
    [1, 2, 300], [], [-1, 0, 5], [10 ** 30, 7], [True, False, 2], [1.0, 2], [Shown(4), 4],
    (3, 4), [65_535, 65_536, 1 << 40],
])
def test_a_row_of_ids_writes_what_str_writes(ids):
    text = get_format("text")
    want = " ".join(map(str, ids)) + "\n"
    # twice: the first row teaches the table its ids, the second is written from it
    assert text.encode_row({"input_ids": ids}) == want
    assert text.encode_row({"input_ids": ids}) == want
    assert text.encode_row({"input_ids": list(ids), "meta": {}}) == want


def test_a_row_text_with_a_line_break_is_refused():
    with pytest.raises(FormatError, match="line break"):
        get_format("text").encode_row({"text": "a\nb"})
    assert get_format("text").encode_row({"text": "a b", "input_ids": [9]}) == "a b\n"
