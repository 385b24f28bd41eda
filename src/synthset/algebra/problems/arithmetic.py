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
        total = reduce(lambda a, b: T.add(a, b, f), (self.terms_of(p) for p in problem), {})
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
        prod = reduce(lambda a, b: T.mul(a, b, f), (self.terms_of(p) for p in problem),
                      T.one(len(self._symbols)))
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
            total = T.add(total, self.terms_of(p), f)
            if total != self.terms_of(s):
                return False
        return True
