"""GCD: the problem is ``(f*g, f*h)``; the answer their normalised gcd (monic over a field,
positive leading coefficient over ZZ)."""

from __future__ import annotations

from dataclasses import dataclass

from synthset.algebra import terms as T
from synthset.algebra.backends import get_backend
from synthset.algebra.problems.base import PolyProblem, poly_levels, poly_terms, sympy_poly
from synthset.algebra.problems.certify import coprime, quotient


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
        """The answer, normalised, is the gcd SymPy computes, independent of every backend;
        first its certificate: the answer divides both polynomials and the cofactors are
        coprime (``certify``: by one-variable images), which proves it without SymPy's gcd.
        Where the certificate proves nothing, SymPy decides, so the verdict is the same."""
        fld, sym = self._field, self._symbols
        if fld.kind == "RR" or type(problem) is not list or len(problem) != 2:
            a, b = (sympy_poly(self.terms_of(p), sym, fld) for p in problem)
            g = self.terms_of(answer)
        else:  # the same reads, in the same order (their errors first)
            ta, tb = self.terms_of(problem[0]), self.terms_of(problem[1])
            g = self.terms_of(answer)
            if g != T.normalize(g, fld, self._order):
                return False
            if _certified(ta, tb, g, fld):
                return True
            a, b = sympy_poly(ta, sym, fld), sympy_poly(tb, sym, fld)
        if g != T.normalize(g, fld, self._order):
            return False
        expected = poly_terms(a.gcd(b), fld)
        return T.normalize(expected, fld, self._order) == g


def _certified(a: dict, b: dict, g: dict, fld) -> bool:
    """Whether ``g`` provably is a gcd of ``a`` and ``b`` (all nonzero): it divides both and
    the cofactors are coprime (over ZZ, their contents too). False: not proved."""
    from math import gcd

    if not (a and b and g):
        return False
    kind, p = fld.kind, fld.p if fld.kind == "GF" else 0
    if len(g) == 1 and g.get((0,) * len(next(iter(g)))) == 1:
        u, v = a, b  # the answer 1
    else:
        u = quotient(a, g, kind, p)
        v = quotient(b, g, kind, p) if u is not None else None
        if v is None:
            return False
    if kind == "ZZ" and gcd(gcd(*u.values()), gcd(*v.values())) != 1:
        return False
    return coprime(u, v, kind, p)
