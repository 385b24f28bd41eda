"""Problems and answers as CALT writes them: strings, lists of strings, at most two levels.

``to_strings`` turns what a generator returns into that shape exactly as CALT 1.5.0 does
(``str()`` of every leaf; SymPy ``PolyElement`` printed with ``^`` for ``**`` and `` mod p``
dropped). ``text_field`` joins it for ``*_raw.txt`` (`` | `` inside a list, `` || `` between
inner lists) and ``json_field`` encodes it byte-for-byte as ``json.dumps(..., ensure_ascii=False)``
does. Unlike CALT, nesting deeper than two levels is an error instead of a silently
stringified inner list. Imports no algebra library: PolyElement is recognised by its class.

Which leaves the joined text can hold. A leaf (a string: the problem or answer itself, or an
item of its lists) always stands between joins, and every join — `` # ``, `` || ``, `` | `` —
begins and ends with a space. So a leaf is *writable* when, with a space put on each side of it,
it holds none of the separators (``writable``): it does not contain `` # ``, `` | `` or
`` || ``, does not begin with ``# ``, ``| ``, ``|| `` nor end with `` #``, `` |``, `` ||``, and
is not ``#``, ``|`` or ``||``. Then a separator occurs in the line exactly where a join put it,
and any reader that splits on them — `` # `` once, then `` || ``, then `` | `` (``split_text``),
or on every `` # `` — gives back the leaves, empty ones and spaces included: two samples of the
same shape never write the same line. (The shape itself is CALT's to lose: ``"a"``, ``["a"]``
and ``[["a"]]`` all write ``a``, ``[]`` and ``[""]`` the empty text.) Any other leaf would, next
to some join, make a separator no join put there (``("x #", "5")`` and ``("x", "# 5")`` would
both write ``x # # 5``): it is a FormatError, a sample error under ``on_error``.
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
    """``str(obj)``, refusing what would print differently in another run: a memory address,
    or a set (its order follows its items' hashes, and a string's hash changes from one Python
    process to the next), bare or inside a tuple, list or dict."""
    found = _unordered(obj)
    if found is not None:
        what = type(found).__name__ if found is obj else \
            f"{type(obj).__name__} holding a {type(found).__name__}"
        raise FormatError(f"a {what} prints its items in the order of their hashes, which for "
                          "strings changes from one Python process to the next, so the "
                          "dataset's bytes could change from run to run: return a sorted list "
                          "instead")
    text = str(obj)
    if text.startswith("<") and _ADDRESS.match(text):
        raise FormatError(f"a {type(obj).__name__} prints as {text!r}, a memory address that "
                          "changes from run to run: return strings, numbers or objects with a "
                          "__str__ of their own")
    return text


def _unordered(obj, seen: set | None = None):
    """The first set or frozenset ``obj`` is or holds (through tuples, lists and dicts, each
    looked into once: ``seen`` holds their ids), else None."""
    if isinstance(obj, (set, frozenset)):
        return obj
    if not isinstance(obj, (tuple, list, dict)):
        return None
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return None
    seen.add(id(obj))
    for item in (*obj, *obj.values()) if isinstance(obj, dict) else obj:
        found = _unordered(item, seen)
        if found is not None:
            return found
    return None


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


# The leaf types whose ``str()`` is their written text (a ``str`` is itself): the items of a
# list are converted in one comprehension that calls ``_item`` only for the others.
_PLAIN = frozenset((str, int, float))


def to_strings(obj):
    """CALT's conversion of a generator's problem or answer to strings (<= 2 levels).

    Raises FormatError when a list holds a list that holds a list.
    """
    kind = type(obj)
    if kind is not list:
        return str(obj) if kind in _PLAIN else leaf_str(obj)
    return [str(item) if type(item) in _PLAIN else _item(item) for item in obj]


def _item(item):
    """``to_strings`` of a list's item that is not a plain leaf: an inner list, or a leaf
    with a printer of its own."""
    if type(item) is not list:
        return leaf_str(item)
    inner = []
    for sub in item:
        if type(sub) is list:
            raise FormatError(
                "lists deeper than two levels are not supported (CALT's limit); "
                f"found a list inside {item!r}"
            )
        inner.append(leaf_str(sub))
    return inner


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
    for item in obj:
        if type(item) is list:
            return _nested_field(obj)[0]
    return INNER_SEP.join(obj)


def json_field(obj) -> str:
    """``json.dumps(obj, ensure_ascii=False)`` for a string or <= 2-level list of strings."""
    if type(obj) is str:
        return encode_basestring(obj)
    try:  # a flat list: encode_basestring refuses a list item (TypeError)
        return "[" + ", ".join(map(encode_basestring, obj)) + "]"
    except TypeError:
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
                          "the sample across lines of the text file (save_text: false writes "
                          "none)")


# The separators of the text form, and of one field (Parquet's problem or answer column).
LINE_SEPARATORS = (" # ", OUTER_SEP, INNER_SEP)
FIELD_SEPARATORS = (OUTER_SEP, INNER_SEP)


def writable(leaf: str, separators=LINE_SEPARATORS) -> bool:
    """Whether ``leaf`` can stand between joins: a space on each side of it (what a join puts
    there) makes none of ``separators``. See the module docstring."""
    padded = f" {leaf} "
    for sep in separators:
        if sep in padded:
            return False
    return True


def split_text(text: str) -> list[list[str]]:
    """A joined field read back: its `` || `` parts, each split on `` | `` (CALT's nesting
    without the shape: ``"a"``, ``["a"]`` and ``[["a"]]`` all read back as ``[["a"]]``)."""
    return [part.split(INNER_SEP) for part in text.split(OUTER_SEP)]


def split_line(line: str) -> tuple[list[list[str]], list[list[str]]]:
    """A line of ``*_raw.txt`` (without its newline) read back: ``split_text`` of the problem
    and of the answer, split on the first `` # ``."""
    problem, answer = line.split(" # ", 1)
    return split_text(problem), split_text(answer)


def _either(texts) -> str:
    texts = [repr(t) for t in texts]
    return f"{', '.join(texts[:-1])} or {texts[-1]}"


def _refuse(leaf: str, separators, where: str):
    """The FormatError for a leaf that is not ``writable``: which separator, and how."""
    padded = f" {leaf} "
    sep = next(sep for sep in separators if sep in padded)
    mark = sep.strip()
    if sep in leaf:
        how = f"contains the separator {sep!r}"
    elif leaf == mark:
        how = f"is {mark!r}, which makes the separator {sep!r} with the joins' spaces"
    elif padded.startswith(sep):
        how = f"begins with {sep[1:]!r}, which makes the separator {sep!r} after a join's space"
    else:
        how = f"ends with {sep[:-1]!r}, which makes the separator {sep!r} before a join's space"
    return FormatError(
        f"{leaf[:80]!r} {how}: {where} could not be split back into the same problem and "
        f"answer (a problem, an answer or an item of their lists may not contain "
        f"{_either(separators)}, begin with {_either(s[1:] for s in separators)}, end with "
        f"{_either(s[:-1] for s in separators)}, or be {_either(s.strip() for s in separators)})")


def _nested_field(obj) -> tuple[str, int]:
    """``_field`` of a list that holds a list (a plain loop: 3x faster than generators)."""
    parts = []
    bars = 2 * len(obj) - 2
    for item in obj:
        if type(item) is list:
            if item:
                bars += len(item) - 1
            parts.append(INNER_SEP.join(item))
        else:
            parts.append(item)
    return OUTER_SEP.join(parts), bars


def _field(obj) -> tuple[str, int]:
    """``text_field(obj)`` and how many ``|`` characters its joins add (none of the leaves')."""
    if type(obj) is str:
        return obj, 0
    try:  # a flat list: join refuses a list item (TypeError)
        return INNER_SEP.join(obj), len(obj) - 1 if obj else 0
    except TypeError:
        return _nested_field(obj)


def field_text(obj, where: str = "its joined text") -> str:
    """``text_field(obj)``, refusing a leaf that is not ``writable`` between `` | `` and
    `` || `` joins (a Parquet problem or answer column): the text splits back into the leaves
    (``split_text``). Hot path as ``text_line``'s."""
    if type(obj) is str:
        if "|" in obj and not writable(obj, FIELD_SEPARATORS):
            raise _refuse(obj, FIELD_SEPARATORS, where)
        return obj
    text, bars = _field(obj)
    if text.count("|") != bars:
        for leaf in _leaves(obj):
            if not writable(leaf, FIELD_SEPARATORS):
                raise _refuse(leaf, FIELD_SEPARATORS, where)
    return text


def text_line(problem, answer) -> str:
    """One line of ``*_raw.txt``, with its newline. A leaf that is not ``writable`` (a
    separator inside it, or made at its edge with a join's space) or a line break would make
    the line impossible to read back: refused.

    Hot path: the separators' characters are counted on the whole line (one ``#`` is ours;
    the ``|`` the joins add are known from the shape). When the counts are the joins', no leaf
    holds a ``#`` or ``|``, so every leaf is writable; the leaves are searched only when a
    count is off."""
    p, p_bars = _field(problem)
    a, a_bars = _field(answer)
    line = f"{p} # {a}"
    if line.count("#") != 1 or line.count("|") != p_bars + a_bars:
        for leaf in (*_leaves(problem), *_leaves(answer)):
            padded = f" {leaf} "  # writable(leaf), inlined
            if " # " in padded or " | " in padded or " || " in padded:
                raise _refuse(leaf, LINE_SEPARATORS, "its line of the text file")
    if not line.isprintable() and _BREAK.search(line):  # every break is unprintable
        check_line(line, "a problem or answer")
    return line + "\n"


def json_line(problem, answer) -> str:
    """One line of ``*_data.jsonl``, with its newline (CALT's exact bytes)."""
    line = f'{{"problem": {json_field(problem)}, "answer": {json_field(answer)}}}\n'
    if not line.isascii():
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
