"""``{split}_raw.txt``: CALT's text format, one ``problem # answer`` line per sample.

Lists are joined with `` | `` and `` || `` (``core.nested``); a task row is written as its
``text``, or its ``input_ids`` joined by spaces. A line break inside a sample would split it
across lines, and a leaf that would put a separator where no join is (``x #`` before `` # ``:
``core.nested.writable``) would let two samples write the same line: both are refused, a
sample error under ``on_error``.
"""

from __future__ import annotations

from collections.abc import Iterator

from synthset.core.fs import as_path
from synthset.core.nested import check_line, text_line
from synthset.io.formats import StreamFormat


# str() of the token ids rows have held, looked up: a row's ids, joined, are most of what a
# token task's line costs. Only for a list of ints (bool and other int-like types, whose str()
# differs from the int's, take str()); it holds at most _MAX_IDS ids.
_ID_TEXT: dict[int, str] = {}
_MAX_IDS = 1 << 16
_INT = frozenset((int,))


class Text(StreamFormat):
    name = "text"
    shard_ext = "txt"
    suffix = "_raw.txt"

    encode = staticmethod(text_line)

    @staticmethod
    def encode_row(row: dict) -> str:
        if "text" in row:
            text = row["text"]
        else:
            ids = row["input_ids"]
            if type(ids) is list and _INT.issuperset(map(type, ids)):
                try:  # token ids, each written as str() does: digits, a line break in none
                    return " ".join(map(_ID_TEXT.__getitem__, ids)) + "\n"
                except KeyError:  # an id not in the table yet: it learns the row's ids
                    if len(_ID_TEXT) < _MAX_IDS:
                        _ID_TEXT.update((i, str(i)) for i in ids)
                    return " ".join(map(str, ids)) + "\n"
            text = " ".join(map(str, ids))
        check_line(text, "a row's text")
        return text + "\n"

    def read(self, save_dir, split: str) -> Iterator[str]:
        """The lines of the split, without their newlines (the text form is not parsed back:
        ``json`` keeps the nesting)."""
        with (as_path(save_dir) / self.final_names(split)[0]).open("rb") as f:
            for line in f:
                yield line.decode("utf-8").rstrip("\n")
