"""Sums and products of random polynomials, and CALT's cumulative polynomial addition."""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

from synthset.algebra import terms as T
from synthset.algebra.problems.base import PolyProblem, poly_levels


@dataclass
class PolySum(PolyProblem):
    """``k`` random polynomials; answer their sum."""

    k: int = 2  # how many polynomials

    def generate(self, rng):
        polys = self.sampler(rng).sample(self.k)
        return polys, reduce(lambda a, b: a + b, polys)

    def check(self, problem, answer) -> bool:
        f = self._field
        total = reduce(lambda a, b: _add(a, b, f), (self.terms_of(p) for p in problem), {})
        return total == self.terms_of(answer)


@dataclass
class PolyProduct(PolyProblem):
    """``k`` random polynomials; answer their product."""

    k: int = 2  # how many polynomials

    def generate(self, rng):
        polys = self.sampler(rng).sample(self.k)
        return polys, reduce(lambda a, b: a * b, polys)

    def check(self, problem, answer) -> bool:
        f = self._field
        polys = [self.terms_of(p) for p in problem]
        # from the first factor (already reduced, no zero: what a product by 1 gives)
        prod = reduce(lambda a, b: _mul(a, b, f), polys[1:], polys[0]) if polys \
            else T.one(len(self._symbols))
        return prod == self.terms_of(answer)


@dataclass
class PolyAddition(PolyProblem):
    """CALT's polynomial addition: polynomials; answer their cumulative sums."""

    symbols: str = "x0, x1, x2"
    field: str = "ZZ"
    min_count: int = 3  # the problem has min_count..max_count polynomials
    max_count: int = 6

    LEVELS = poly_levels(("x0", "x1", "x2"))

    def generate(self, rng):
        polys = self.sampler(rng).sample(rng.randint(self.min_count, self.max_count))
        sums, total = [], None
        for p in polys:
            total = p if total is None else total + p
            sums.append(total)
        return polys, sums

    def check(self, problem, answer) -> bool:
        f, total = self._field, {}
        if len(problem) != len(answer):
            return False
        for p, s in zip(problem, answer):
            total = _add(total, self.terms_of(p), f)
            if total != self.terms_of(s):
                return False
        return True


def _add(a: dict, b: dict, field) -> dict:
    """``terms.add``, with GF(p)'s reduction written out (over ZZ and QQ nothing to reduce:
    the same dict)."""
    out = dict(a)
    get = out.get
    if field.kind == "GF":
        p = field.p
        for m, c in b.items():
            out[m] = (get(m, 0) + c) % p
    elif field.kind in ("ZZ", "QQ"):
        for m, c in b.items():
            out[m] = get(m, 0) + c
    else:
        return T.add(a, b, field)
    return {m: c for m, c in out.items() if c != 0}


def _mul(a: dict, b: dict, field) -> dict:
    """``terms.mul``, with the exponents of two or three variables added without ``zip``
    and GF(p)'s reduction written out (the same dict; over ZZ and QQ nothing to reduce)."""
    n = len(next(iter(a))) if a else 0
    if field.kind not in ("GF", "ZZ", "QQ") or n not in (2, 3) or not b \
            or len(next(iter(b))) != n:
        return T.mul(a, b, field)
    out: dict = {}
    get = out.get
    if n == 2:
        for (a0, a1), ca in a.items():
            for (b0, b1), cb in b.items():
                m = (a0 + b0, a1 + b1)
                out[m] = get(m, 0) + ca * cb
    else:
        for (a0, a1, a2), ca in a.items():
            for (b0, b1, b2), cb in b.items():
                m = (a0 + b0, a1 + b1, a2 + b2)
                out[m] = get(m, 0) + ca * cb
    if field.kind != "GF":
        return {m: c for m, c in out.items() if c != 0}
    p = field.p
    return {m: c for m, c in ((m, c % p) for m, c in out.items()) if c != 0}
