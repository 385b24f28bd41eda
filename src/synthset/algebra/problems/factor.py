"""Polynomial factorisation (CALT's integer and rational examples; GF(p) on flint/sagemath).

The problem is the expanded product of ``k`` random polynomials; the answer lists the constant
(when it is not 1) and then every irreducible factor, repeated by multiplicity, normalised
(monic over a field, positive leading coefficient over ZZ) and sorted by (degree, string).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

from synthset.algebra import terms as T
from synthset.algebra.problems.arithmetic import _mul
from synthset.algebra.problems.base import PolyProblem, poly_terms, sympy_poly
from synthset.algebra.problems.certify import irreducible
from synthset.core.errors import ConfigError


@dataclass
class PolyFactor(PolyProblem):
    """Factorisation: a product of random polynomials; answer its irreducible factors."""

    field: str = "ZZ"
    k: int = 2  # the problem is the product of k random polynomials
    min_degree: int = 1

    LEVELS = {lv: {"symbols": ", ".join("xyz"[:v]), "max_degree": d, "max_num_terms": t,
                   "coeff_bound": c}
              for lv, (v, d, t, c) in enumerate(
                  [(1, 1, 2, 3), (1, 2, 2, 5), (1, 2, 3, 5), (2, 1, 2, 5), (2, 2, 3, 5),
                   (2, 2, 3, 10), (2, 3, 4, 10), (3, 2, 3, 10), (3, 3, 4, 20),
                   (3, 3, 5, 20)], 1)}

    def __post_init__(self):
        super().__post_init__()
        if self._field.kind == "RR":
            raise ConfigError("poly_factor needs field ZZ, QQ or GF(p), not RR")
        if self._field.kind == "GF" and len(self._symbols) > 1 and self.backend == "sympy":
            raise ConfigError("SymPy cannot factor multivariate polynomials over GF(p): use "
                              "backend 'flint' or 'sagemath'")

    def generate(self, rng):
        polys = self.sampler(rng).sample(self.k)
        product = reduce(lambda a, b: a * b, polys)
        return product, self._answer(product)

    def _answer(self, product) -> list[str]:
        """The constant (unless 1), then the normalised factors by degree and text, each as
        often as its multiplicity (the same strings on every backend)."""
        ring = self.ring()
        eng = ring.backend
        constant, parts = eng.factor_parts(product, ring)
        written = sorted((degree, eng.to_str(f)) for degree, f, e in parts for _ in range(e))
        return ([] if constant == 1 else [str(constant)]) + [text for _, text in written]

    def check(self, problem, answer, strict: bool = True) -> bool:
        """The answer multiplies back to the problem and its factors are the irreducible ones
        (with ``strict``: each normalised, as written by ``generate``; without: any associate,
        the constant adjusted, in any order)."""
        fld, sym = self._field, self._symbols
        target = self.terms_of(problem)
        n = len(sym)
        parts = [self.terms_of(part) for part in (answer if isinstance(answer, list)
                                                   else [answer])]
        product = parts[0] if parts else T.one(n)  # (reduced, no zero: a product by 1)
        for part in parts[1:]:
            product = _mul(product, part, fld)
        if product != target:
            return False
        factors = [f for f in parts if T.total_degree(f) > 0]
        normalized = [T.normalize(f, fld, self._order) for f in factors]
        if strict and normalized != factors:
            return False
        factors = normalized
        if fld.kind == "GF" and n > 1:  # SymPy cannot factor these: count the factors only
            return all(T.total_degree(f) > 0 for f in factors)
        # Factors multiplying back to a nonzero problem, each provably irreducible
        # (``certify``: by one-variable images) are its factorisation (unique up to the
        # units the normalisation removes); where that is not proved, SymPy factors.
        if target and fld.kind != "RR" and all(
                irreducible(f, fld.kind, fld.p or 0) for f in factors):
            return True
        _, expected = sympy_poly(target, sym, fld).factor_list()
        want = sorted(sorted(T.normalize(poly_terms(f, fld), fld, self._order).items())
                      for f, e in expected for _ in range(e))
        return want == sorted(sorted(f.items()) for f in factors)

    def accepts(self, problem, answer) -> bool:
        """The scorer's check: the factors multiply back to the problem (in plain term
        dicts) and, normalised, are the irreducible factors the problem's backend finds (any
        order, any associate). ``check`` stays SymPy's, independent of the backends."""
        fld, n = self._field, len(self._symbols)
        parts = answer if isinstance(answer, list) else [answer]
        product = T.one(n)
        factors = []
        for part in parts:
            terms = self.terms_of(part)
            product = T.mul(product, terms, fld)
            if T.total_degree(terms) > 0:
                factors.append(sorted(T.normalize(terms, fld, self._order).items()))
        target = self.terms_of(problem)
        if product != target:
            return False
        ring = self.ring()
        eng = ring.backend
        _, found = eng.factor_parts(ring.from_dict(target), ring)
        want = sorted(sorted(T.normalize(dict(eng.terms(f)), fld, self._order).items())
                      for _, f, e in found for _ in range(e))
        return want == sorted(factors)
