"""GCD: the problem is ``(f*g, f*h)``; the answer their normalised gcd (monic over a field,
positive leading coefficient over ZZ)."""

from __future__ import annotations

from dataclasses import dataclass

from synthset.algebra import terms as T
from synthset.algebra.backends import get_backend
from synthset.algebra.problems.base import PolyProblem, poly_levels, poly_terms, sympy_poly


@dataclass
class PolyGCD(PolyProblem):
    """GCD: (f*g, f*h); answer their normalised gcd."""

    LEVELS = {lv: {**cfg, "max_degree": max(1, cfg["max_degree"] - 1)}
              for lv, cfg in poly_levels().items()}

    def generate(self, rng):
        f, g, h = self.sampler(rng).sample(3)
        a, b = f * g, f * h
        eng = get_backend(self.backend)
        gcd = T.normalize(dict(eng.terms(eng.gcd(a, b))), self._field, self._order)
        return [a, b], self.ring().from_dict(gcd)

    def accepts(self, problem, answer) -> bool:
        """The scorer's check: the same property as ``check``, with the gcd computed by the
        problem's backend from the written strings (FLINT's is ~50x SymPy's dense one).
        ``check`` stays SymPy's, independent of every backend's sparse rings."""
        fld = self._field
        g = self.terms_of(answer)
        if g != T.normalize(g, fld, self._order) or len(problem) != 2:
            return False
        ring = self.ring()
        eng = ring.backend
        a, b = (ring.from_dict(self.terms_of(p)) for p in problem)
        return T.normalize(dict(eng.terms(eng.gcd(a, b))), fld, self._order) == g

    def check(self, problem, answer) -> bool:
        fld, sym = self._field, self._symbols
        a, b = (sympy_poly(self.terms_of(p), sym, fld) for p in problem)
        g = self.terms_of(answer)
        if g != T.normalize(g, fld, self._order):
            return False
        expected = poly_terms(a.gcd(b), fld)
        return T.normalize(expected, fld, self._order) == g
