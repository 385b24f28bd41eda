"""Polynomials as plain ``{monomial: coefficient}`` dicts: the arithmetic verifiers use.

Independent of every backend on purpose — a verifier that re-derived an answer with the library
that made it would check nothing. Coefficients are ints (ZZ; GF(p) in [0, p)), Fractions (QQ).
"""

from __future__ import annotations

from fractions import Fraction

from synthset.algebra.fields import Field


def _norm(c, field: Field):
    return c % field.p if field.kind == "GF" else c


def add(a: dict, b: dict, field: Field) -> dict:
    out = dict(a)
    for m, c in b.items():
        out[m] = _norm(out.get(m, 0) + c, field)
    return {m: c for m, c in out.items() if c != 0}


def neg(a: dict, field: Field) -> dict:
    return {m: _norm(-c, field) for m, c in a.items()}


def mul(a: dict, b: dict, field: Field) -> dict:
    out: dict = {}
    for ma, ca in a.items():
        for mb, cb in b.items():
            m = tuple(x + y for x, y in zip(ma, mb))
            out[m] = out.get(m, 0) + ca * cb
    return {m: c for m, c in ((m, _norm(c, field)) for m, c in out.items()) if c != 0}


def scale(a: dict, k, field: Field) -> dict:
    return {m: c for m, c in ((m, _norm(c * k, field)) for m, c in a.items()) if c != 0}


def one(n: int) -> dict:
    return {(0,) * n: 1}


def total_degree(a: dict) -> int:
    return max((sum(m) for m in a), default=0)


def inverse(c, field: Field):
    if field.kind == "GF":
        return pow(c, -1, field.p)
    return Fraction(1) / Fraction(c)


def order_key(order: str):
    """Sort key of monomials for a term order (``lex``, ``deglex``, ``degrevlex``); the
    largest monomial is the leading one."""
    if order == "lex":
        return lambda m: m
    if order == "deglex":
        return lambda m: (sum(m), m)
    return lambda m: (sum(m), tuple(-e for e in reversed(m)))


def leading(a: dict, order: str):
    """(monomial, coefficient) of the leading term; None for zero."""
    if not a:
        return None
    m = max(a, key=order_key(order))
    return m, a[m]


def normalize(a: dict, field: Field, order: str) -> dict:
    """Monic over a field (QQ, GF(p), RR); leading coefficient positive over ZZ."""
    lt = leading(a, order)
    if lt is None:
        return {}
    c = lt[1]
    if field.kind == "ZZ":
        return neg(a, field) if c < 0 else dict(a)
    return scale(a, inverse(c, field), field)
