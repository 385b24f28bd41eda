"""Read polynomials back from their strings — a restricted parser, never ``eval``.

Accepts the canonical notation every backend writes: a sum of terms, each an optional sign, an
optional coefficient (``3``, ``3/2``, ``-1.25``, ``2.5e-3``) and ``*``-joined powers of the ring's
variables (``x^2``; ``**`` is accepted too). Anything else — parentheses, unknown names, stray
characters — is a ValueError naming the position. GF(p) coefficients may be in [0, p) or
symmetric (Sage's printing); they are reduced mod p.
"""

from __future__ import annotations

import re
from fractions import Fraction

from synthset.algebra.fields import Field

_TOKEN = re.compile(r"\s*(?:(?P<num>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?(?:/\d+)?)|(?P<name>[A-Za-z_]\w*)"
                    r"|(?P<op>\*\*|[-+*^]))")


def parse_terms(text: str, symbols: tuple[str, ...], field: Field) -> dict:
    """``{monomial: coefficient}`` of a polynomial string (coefficients as Python values)."""
    index = {name: i for i, name in enumerate(symbols)}
    n = len(symbols)
    tokens = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"cannot read {text!r} at position {pos}: {text[pos:pos + 10]!r}")
        kind = m.lastgroup
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    terms: dict = {}
    i = 0

    def expect_number():
        nonlocal i
        if i < len(tokens) and tokens[i][0] == "num":
            i += 1
            return tokens[i - 1][1]
        raise ValueError(f"expected an exponent in {text!r}")

    if not tokens:
        raise ValueError("empty polynomial string")
    while i < len(tokens):
        sign = 1
        while i < len(tokens) and tokens[i] in (("op", "+"), ("op", "-")):
            if tokens[i][1] == "-":
                sign = -sign
            i += 1
        coeff = 1  # an int until a fraction or a decimal appears (ZZ and GF stay in ints)
        exps = [0] * n
        seen_factor = False
        while i < len(tokens):
            kind, value = tokens[i]
            if kind == "num":
                coeff *= _number(value, field)
                i += 1
            elif kind == "name":
                if value not in index:
                    raise ValueError(f"unknown variable {value!r} in {text!r}; the ring has "
                                     f"{', '.join(symbols)}")
                i += 1
                power = 1
                if i < len(tokens) and tokens[i] in (("op", "^"), ("op", "**")):
                    i += 1
                    power = int(expect_number())
                exps[index[value]] += power
            else:
                raise ValueError(f"unexpected {value!r} in {text!r}")
            seen_factor = True
            if i < len(tokens) and tokens[i] == ("op", "*"):
                i += 1
                continue
            break
        if not seen_factor:
            raise ValueError(f"a term is missing in {text!r}")
        if i < len(tokens) and tokens[i][1] not in "+-":
            raise ValueError(f"unexpected {tokens[i][1]!r} in {text!r}")
        mono = tuple(exps)
        terms[mono] = terms.get(mono, 0) + sign * coeff
    out = {}
    for m, c in terms.items():
        c = _cast(c, field)
        if c != 0:
            out[m] = c
    return out


def _number(text: str, field: Field):
    if text.isdigit():
        return int(text)
    if "/" in text:
        num, den = text.split("/")
        return Fraction(int(num), int(den))
    if any(ch in text for ch in ".eE"):
        if field.kind != "RR":
            raise ValueError(f"decimal {text!r} in a polynomial over {field}")
        return Fraction(float(text))
    return Fraction(int(text))


def _cast(c, field: Field):
    if type(c) is int:
        if field.kind == "GF":
            return c % field.p
        if field.kind == "QQ":
            return Fraction(c)
        return float(c) if field.kind == "RR" else c
    if field.kind == "GF":
        if c.denominator != 1:
            return c.numerator * pow(c.denominator, -1, field.p) % field.p
        return c.numerator % field.p
    if field.kind == "ZZ":
        if c.denominator != 1:
            raise ValueError(f"non-integer coefficient {c} over ZZ")
        return c.numerator
    if field.kind == "RR":
        return float(c)
    return c
