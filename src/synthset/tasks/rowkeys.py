"""Dedup keys and fast row checks from the tokens a row holds (Depo, Brevo, Mano, Lano).

A key hashes the row's own ids, never a decoded or re-derived form, so that it costs a few
percent of making the row; only an edge list (a set, drawn in a random order) is put in a
canonical order first, by ``re`` and ``sorted`` on the row read as text (both run in C).

``labels_hold`` is the check of a row's loss mask and labels done by C-level iteration: a
task's verifier calls it first and, only when it fails, the checks that say which position is
wrong (``tasks.base.check_labels``).
"""

from __future__ import annotations

import hashlib
import re
import sys
from array import array
from functools import lru_cache
from itertools import compress

IGNORE = -100  # tasks.base.IGNORE (this module imports nothing of the tasks)

_UTF32 = "utf-32-le" if sys.byteorder == "little" else "utf-32-be"


def row_text(ids) -> str:
    """Token ids as text, one character a token."""
    try:
        return bytes(ids).decode("latin-1")  # every id below 256: the fastest way
    except ValueError:
        return array("I", ids).tobytes().decode(_UTF32, "surrogatepass")


def text_digest(text: str) -> str:
    """The 128-bit hex key of a ``row_text``."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _char(token: int) -> str:
    return f"\\U{token:08x}"


def char_class(first: int, last: int) -> str:
    """A regular expression's class of the tokens ``first .. last`` of a ``row_text``."""
    return f"[{_char(first)}-{_char(last)}]"


@lru_cache(maxsize=None)
def edge_patterns(first: int, end: int, last: int) -> tuple[re.Pattern, re.Pattern]:
    """How a ``row_text`` spells an edge list: one edge ``parent child`` (two words, each of
    pieces ``first .. end - 1`` then one end-of-word piece ``end .. last``: words are
    prefix-free; with ``end == first`` every piece is a word), and a token that is no piece
    (the list's end)."""
    inner = f"[{_char(first)}-{_char(end - 1)}]*" if end > first else ""
    word = f"{inner}[{_char(end)}-{_char(last)}]"
    return re.compile(word + word), re.compile(f"[^{_char(first)}-{_char(last)}]")


def sorted_edges(text: str, start: int, patterns: tuple[re.Pattern, re.Pattern]) -> str:
    """``text`` with the edge list that starts at ``start`` sorted: the same text for the same
    edges in any order. (A list that is not whole edges is left as it is.)"""
    edge, other = patterns
    found = other.search(text, start)
    stop = found.start() if found else len(text)
    edges = "".join(sorted(edge.findall(text, start, stop)))
    if len(edges) != stop - start:
        return text
    return text[:start] + edges + text[stop:]


def labels_hold(ids, mask, labels) -> bool:
    """Whether ``tasks.base.check_labels`` passes: the three lists have one length, every mask
    value is 0 or 1, labels are the ids where the mask is 1 and IGNORE elsewhere."""
    # By counts (list.count runs in C): every mask value equals 0 or 1; the trained labels
    # are the trained ids, none of them IGNORE; then IGNORE appears in labels exactly as
    # often as the mask holds 0 iff every untrained label is IGNORE.
    size = len(ids)
    if not size == len(mask) == len(labels):
        return False
    zeros = mask.count(0)
    if zeros + mask.count(1) != size:
        return False
    trained = list(compress(labels, mask))
    return (trained == list(compress(ids, mask)) and IGNORE not in trained
            and labels.count(IGNORE) == zeros)
