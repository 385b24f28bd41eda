"""Groebner bases by the backward method (Kera et al., NeurIPS 2024, "Learning to compute
Groebner bases"): sample the answer first, then hide it.

The answer G is a reduced Groebner basis in shape position for lex (x_1 > ... > x_n):
``x_i - g_i(x_n)`` for i < n and a monic ``h(x_n)``, deg g_i < deg h. The problem F = A G, with
A = L U a random product of a lower and an upper unitriangular polynomial matrix, generates the
same ideal (A is invertible over the ring) — no Buchberger run per sample.
"""

from __future__ import annotations

from dataclasses import dataclass

from synthset.algebra import terms as T
from synthset.algebra.problems.base import (PolyProblem, element_terms, poly_terms, ring_element,
                                            sympy_poly, sympy_ring)
from synthset.algebra.sampling import coeff_drawer
from synthset.core.errors import ConfigError
from synthset.core.nested import read_like


@dataclass
class GroebnerBackward(PolyProblem):
    """Groebner basis (backward, Kera et al.): generators F; answer the reduced lex basis."""

    symbols: str = "x, y, z"
    field: str = "GF(7)"
    order: str = "lex"
    degree: int = 3  # deg h, the univariate generator
    LEVELS = {lv: {"symbols": ", ".join("xyz"[:v]), "degree": d, "max_degree": 2,
                   "max_num_terms": t}
              for lv, (v, d, t) in enumerate(
                  [(2, 1, 2), (2, 2, 2), (2, 2, 3), (2, 3, 3), (3, 2, 2), (3, 2, 3),
                   (3, 3, 3), (3, 3, 4), (3, 4, 4), (3, 5, 4)], 1)}
    transform_degree: int = 1  # degrees of the entries of L and U
    transform_terms: int = 2
    max_degree: int = 2
    max_num_terms: int = 3

    def __post_init__(self):
        super().__post_init__()
        if self._order != "lex":
            raise ConfigError("groebner: the shape-position answer is a lex basis; order must "
                              f"be 'lex', got {self.order!r}")
        if self._field.kind not in ("GF", "QQ"):
            raise ConfigError(f"groebner needs field GF(p) or QQ, got {self.field!r}")
        if self.degree < 1:
            raise ConfigError(f"degree must be >= 1, got {self.degree}")

    def generate(self, rng):
        n, fld = len(self._symbols), self._field
        draw = self.sampler(rng)  # coefficients only
        coeff = coeff_drawer(fld, rng, non_zero=True, **draw._coeff_options())
        last = [0] * n

        def univariate(deg, monic):
            out = {}
            for e in range(deg + 1):
                c = coeff() if rng.random() < 0.7 or e == deg else 0
                if c:
                    m = list(last)
                    m[-1] = e
                    out[tuple(m)] = c
            if monic:
                out[tuple([0] * (n - 1) + [deg])] = 1
            return out

        G = []
        for i in range(n - 1):
            g = univariate(rng.randint(0, self.degree - 1), monic=False)
            xi = {tuple(1 if j == i else 0 for j in range(n)): 1}
            G.append(T.add(xi, T.neg(g, fld), fld))
        G.append(univariate(self.degree, monic=True))
        entry = self.sampler(rng, max_degree=self.transform_degree,
                             max_num_terms=self.transform_terms, min_degree=0)
        ring = self.ring()
        eng = ring.backend

        def rand_entry():
            return dict(eng.terms(entry.sample(1)[0]))

        # U: unit upper triangular; L: unit lower triangular; F = L (U G).
        UG = []
        for i in range(n):
            row = dict(G[i])
            for j in range(i + 1, n):
                row = T.add(row, T.mul(rand_entry(), G[j], fld), fld)
            UG.append(row)
        F = []
        for i in range(n):
            row = dict(UG[i])
            for j in range(i):
                row = T.add(row, T.mul(rand_entry(), UG[j], fld), fld)
            F.append(row)
        return [ring.from_dict(f) for f in F], [ring.from_dict(g) for g in G]

    def _score(self, text: str, example: dict) -> float:
        """The reduced lex Groebner basis of an ideal is unique: the answer is right when its
        polynomials, made monic, are the reference basis's, in any order and spelling (the
        reference itself is checked against a fresh Buchberger run by ``check``)."""
        fld = self._field

        def basis(polys):
            return sorted(sorted(T.normalize(self.terms_of(p), fld, "lex").items())
                          for p in polys)

        got = read_like(text, example["meta"]["answer"])
        got = got if isinstance(got, list) else [got]
        return float(basis(got) == basis(example["meta"]["answer"]))

    def check(self, problem, answer) -> bool:
        import sympy

        fld, sym = self._field, self._symbols
        if fld.kind in ("GF", "QQ"):
            # What ``sympy.groebner`` runs (its Buchberger in its sparse ring), reached
            # without the expressions it converts from and to.
            from sympy.polys.groebnertools import groebner

            ring = sympy_ring(sym, fld, "lex")
            F = [ring_element(ring, self.terms_of(p), fld) for p in problem]
            basis = groebner([f for f in F if f], ring)
            got = sorted(sorted(T.normalize(element_terms(b, fld), fld, "lex").items())
                         for b in basis)
            return got == sorted(sorted(T.normalize(self.terms_of(g), fld, "lex").items())
                                 for g in answer)
        F = [sympy_poly(self.terms_of(p), sym, fld) for p in problem]
        basis = sympy.groebner([f.as_expr() for f in F], *F[0].gens, order="lex",
                               domain=F[0].domain)
        got = sorted(sorted(T.normalize(poly_terms(sympy.Poly(b, *F[0].gens,
                                                              domain=F[0].domain), fld),
                                        fld, "lex").items()) for b in basis.exprs)
        want = sorted(sorted(T.normalize(self.terms_of(g), fld, "lex").items()) for g in answer)
        return got == want
