"""Problems and answers as CALT writes them: strings, lists of strings, at most two levels.

``to_strings`` turns what a generator returns into that shape exactly as CALT 1.5.0 does
(``str()`` of every leaf; SymPy ``PolyElement`` printed with ``^`` for ``**`` and `` mod p``
dropped). ``text_field`` joins it for ``*_raw.txt`` (`` | `` inside a list, `` || `` between
inner lists) and ``json_field`` encodes it byte-for-byte as ``json.dumps(..., ensure_ascii=False)``
does. Unlike CALT, nesting deeper than two levels is an error instead of a silently
stringified inner list. Imports no algebra library: PolyElement is recognised by its class.
"""

from __future__ import annotations

import re
from json.encoder import encode_basestring  # the C encoder json.dumps(ensure_ascii=False) uses

from synthset.core.errors import FormatError

INNER_SEP = " | "
OUTER_SEP = " || "

_MOD = re.compile(r" mod \d+")
_OUTER = re.compile(r"\s*\|\|\s*")
_INNER = re.compile(r"\s*\|\s*")


def _poly_element_str(obj) -> str:
    return _MOD.sub("", str(obj)).replace("**", "^")


# object.__repr__'s form, which str() falls back to: a memory address, different in every run.
_ADDRESS = re.compile(r"^<.* at 0x[0-9A-Fa-f]+>$", re.S)


def _checked_str(obj) -> str:
    text = str(obj)
    if text.startswith("<") and _ADDRESS.match(text):
        raise FormatError(f"a {type(obj).__name__} prints as {text!r}, a memory address that "
                          "changes from run to run: return strings, numbers or objects with a "
                          "__str__ of their own")
    return text


def _is_sympy_poly_element(tp: type) -> bool:
    return any(
        c.__name__ == "PolyElement" and c.__module__ == "sympy.polys.rings" for c in tp.__mro__
    )


# type -> leaf printer; filled on first sight of each type, so the check runs once per type.
_LEAF: dict[type, object] = {str: None, int: str, float: str}


def leaf_str(obj) -> str:
    tp = type(obj)
    printer = _LEAF.get(tp, False)
    if printer is None:
        return obj
    if printer is False:
        printer = _LEAF[tp] = _poly_element_str if _is_sympy_poly_element(tp) else _checked_str
    return printer(obj)


def to_strings(obj):
    """CALT's conversion of a generator's problem or answer to strings (<= 2 levels).

    Raises FormatError when a list holds a list that holds a list.
    """
    if type(obj) is not list:
        return leaf_str(obj)
    out = []
    for item in obj:
        if type(item) is list:
            inner = []
            for sub in item:
                if type(sub) is list:
                    raise FormatError(
                        "lists deeper than two levels are not supported (CALT's limit); "
                        f"found a list inside {item!r}"
                    )
                inner.append(leaf_str(sub))
            out.append(inner)
        else:
            out.append(leaf_str(item))
    return out


def check_strings(obj) -> None:
    """Raise FormatError unless ``obj`` is a string or a (<= 2-level) list of strings."""
    if isinstance(obj, str):
        return
    if not isinstance(obj, list):
        raise FormatError(f"expected a string or a list of strings, got {type(obj).__name__}")
    for item in obj:
        if isinstance(item, list):
            for sub in item:
                if not isinstance(sub, str):
                    kind = "lists deeper than two levels are not supported" if isinstance(
                        sub, list) else f"non-string element {sub!r}"
                    raise FormatError(f"{kind} in {obj!r}")
        elif not isinstance(item, str):
            raise FormatError(f"non-string element {item!r} in {obj!r}")


def text_field(obj) -> str:
    """Join a converted problem or answer the way CALT's ``*_raw.txt`` does."""
    if type(obj) is str:
        return obj
    if any(type(item) is list for item in obj):
        return OUTER_SEP.join(
            INNER_SEP.join(item) if type(item) is list else item for item in obj
        )
    return INNER_SEP.join(obj)


def json_field(obj) -> str:
    """``json.dumps(obj, ensure_ascii=False)`` for a string or <= 2-level list of strings."""
    if type(obj) is str:
        return encode_basestring(obj)
    return "[" + ", ".join(
        json_field(item) if type(item) is list else encode_basestring(item) for item in obj
    ) + "]"


def _leaves(obj):
    if type(obj) is str:
        yield obj
        return
    for item in obj:
        if type(item) is str:
            yield item
        else:
            yield from item


# Every line boundary str.splitlines knows (one inside a sample would split its line), and lone
# surrogates (no UTF-8 file can hold them): one pass of one pattern over the line.
_BREAK = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def check_line(text: str, what: str) -> None:
    """Refuse a line break of any kind (``\\n``, ``\\r``, ``\\u2028``... every boundary
    ``str.splitlines`` knows): it would turn one line of a text file into two; and a lone
    surrogate, which cannot be written as UTF-8."""
    if _BREAK.search(text):
        check_utf8(text, what)
        raise FormatError(f"{what} contains a line break ({text[:60]!r}...), which would split "
                          "the sample across lines of the text file")


def _field(obj) -> tuple[str, int]:
    """``text_field(obj)`` and how many ``|`` characters its joins add (none of the leaves')."""
    if type(obj) is str:
        return obj, 0
    for item in obj:
        if type(item) is list:
            return text_field(obj), 2 * (len(obj) - 1) + sum(
                len(x) - 1 for x in obj if type(x) is list and x)
    return INNER_SEP.join(obj), len(obj) - 1 if obj else 0


def text_line(problem, answer) -> str:
    """One line of ``*_raw.txt``, with its newline. A separator (`` # ``, `` | ``) or a line
    break inside a problem or answer would make the line impossible to read back: refused.

    Hot path: the separators are counted on the whole line (one ``#`` is ours; the ``|``
    the joins add are known from the shape), and the leaves are searched only when a count
    is off."""
    p, p_bars = _field(problem)
    a, a_bars = _field(answer)
    line = f"{p} # {a}"
    if line.count("#") != 1 or line.count("|") != p_bars + a_bars:
        for leaf in (*_leaves(problem), *_leaves(answer)):
            if " # " in leaf or " | " in leaf:
                raise FormatError(f"{leaf[:80]!r} contains the separator ' # ' or ' | ' of "
                                  "the text file, which would make its line impossible to "
                                  "split back")
    if _BREAK.search(line):
        check_line(line, "a problem or answer")
    return line + "\n"


def json_line(problem, answer) -> str:
    """One line of ``*_data.jsonl``, with its newline (CALT's exact bytes)."""
    line = f'{{"problem": {json_field(problem)}, "answer": {json_field(answer)}}}\n'
    check_utf8(line)
    return line


def check_utf8(text: str, what: str = "a problem or answer") -> None:
    """Refuse a lone surrogate (``"\\ud800"``): no UTF-8 file can hold it, so the sample is
    an error of its own (``on_error``), not a crash when its shard is written. (ASCII text,
    most samples, is told apart in a few nanoseconds.)"""
    if not text.isascii() and _SURROGATE.search(text):
        raise FormatError(f"{what} contains a lone surrogate ({text[:60]!r}...), which no "
                          "UTF-8 file can hold")


def read_like(text: str, reference):
    """``text`` as a string, a list or a list of lists, like ``reference`` (CALT's nesting:
    `` || `` between the outer items, `` | `` inside them)."""
    text = text.strip()
    if not isinstance(reference, list):
        return text
    if not any(isinstance(item, list) for item in reference):
        return _INNER.split(text)
    return [_INNER.split(part) if (i < len(reference) and isinstance(reference[i], list))
            or "|" in part else part for i, part in enumerate(_OUTER.split(text))]
