"""CALT's polynomial reduction: the remainder of ``f`` modulo a Groebner basis of
``g1, ..., g_k``. The problem is ``[f, g1, ..., gk]``; the answer the normal form of f.

A sample whose ideal is the whole ring (basis {1}: every remainder is 0) raises, so that a run
with ``on_error: skip`` replaces it through the engine (counted in the stats), not in a private
retry loop.
"""

from __future__ import annotations

from dataclasses import dataclass

from synthset.algebra.backends import get_backend
from synthset.algebra.problems.base import (PolyProblem, element_terms, poly_terms, ring_element,
                                            sympy_poly, sympy_ring)
from synthset.core.errors import ConfigError


class DegenerateIdeal(ValueError):
    """The generators span the whole ring."""


@dataclass
class PolyReduction(PolyProblem):
    """CALT's reduction: [f, g1..gk]; answer f's normal form modulo their Groebner basis."""

    symbols: str = "x, y, z"
    num_generators: int = 2
    max_degree: int = 2
    max_num_terms: int = 3
    min_degree: int = 1  # a constant generator would make the ideal the whole ring

    BACKENDS = ("sympy", "sagemath")
    LEVELS = {lv: {"symbols": ", ".join("xyz"[:v]), "num_generators": g, "max_degree": d,
                   "max_num_terms": t}
              for lv, (v, g, d, t) in enumerate(
                  [(2, 1, 1, 2), (2, 1, 2, 2), (2, 2, 2, 2), (2, 2, 2, 3), (3, 1, 2, 3),
                   (3, 2, 2, 2), (3, 2, 2, 3), (3, 2, 3, 3), (3, 3, 2, 3), (3, 3, 3, 3)], 1)}

    def __post_init__(self):
        super().__post_init__()
        if self.backend == "flint":
            raise ConfigError("poly_reduction needs Groebner bases, which python-flint lacks: "
                              "use backend 'sympy' or 'sagemath'")

    def generate(self, rng):
        eng = get_backend(self.backend)
        sampler = self.sampler(rng)
        f, *gens = sampler.sample(1 + self.num_generators)
        basis = eng.groebner(gens, self.ring())
        if any(eng.total_degree(b) == 0 and not eng.is_zero(b) for b in basis):
            raise DegenerateIdeal("g1..gk generate the whole ring (Groebner basis {1})")
        return [f, *gens], eng.reduce(f, basis)

    def generate_example(self, rng) -> dict:
        """As ``generate``, drawing again from ``rng`` while the ideal is the whole ring (the
        engine instead lets ``on_error`` replace such a seed and counts it)."""
        for _ in range(100):
            try:
                return self.example_of(self.generate(rng))
            except DegenerateIdeal:
                continue
        raise DegenerateIdeal("100 draws in a row generated the whole ring")

    def _score(self, text: str, example: dict) -> float:
        """The normal form modulo a Groebner basis is unique: the answer is right when it is
        the reference remainder, in any spelling (the reference itself is checked against a
        fresh reduction by ``check``)."""
        return float(self.terms_of(text.strip()) == self.terms_of(example["meta"]["answer"]))

    def check(self, problem, answer) -> bool:
        import sympy

        fld, sym = self._field, self._symbols
        order = {"lex": "lex", "deglex": "grlex", "degrevlex": "grevlex"}[self._order]
        if fld.kind in ("GF", "QQ"):
            # What ``sympy.groebner`` and its ``reduce`` run over a field (Buchberger, then
            # the division in its sparse ring), reached without the expressions they
            # convert from and to.
            from sympy.polys.groebnertools import groebner

            ring = sympy_ring(sym, fld, order)
            f, *gens = (ring_element(ring, self.terms_of(p), fld) for p in problem)
            _, remainder = f.div(groebner([g for g in gens if g], ring))
            return element_terms(remainder, fld) == self.terms_of(answer)
        f, *gens = (sympy_poly(self.terms_of(p), sym, fld) for p in problem)
        basis = sympy.groebner([g.as_expr() for g in gens], *f.gens, order=order,
                               domain=f.domain)
        _, remainder = basis.reduce(f.as_expr())
        expected = poly_terms(sympy.Poly(remainder, *f.gens, domain=f.domain), fld)
        return expected == self.terms_of(answer)
