"""Groebner bases by the backward method (Kera et al., NeurIPS 2024, "Learning to compute
Groebner bases"): sample the answer first, then hide it.

The answer G is a reduced Groebner basis in shape position for lex (x_1 > ... > x_n):
``x_i - g_i(x_n)`` for i < n and a monic ``h(x_n)``, deg g_i < deg h. The problem F = A G, with
A = L U a random product of a lower and an upper unitriangular polynomial matrix, generates the
same ideal (A is invertible over the ring) — no Buchberger run per sample.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

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
        drawn = coeff_drawer(fld, rng, non_zero=True, **draw._coeff_options())
        # QQ's drawer gives an unreduced (numerator, denominator) pair: the term arithmetic
        # below needs the number.
        coeff = (lambda: Fraction(*drawn())) if fld.kind == "QQ" else drawn
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
        """The answer, made monic, is the reduced lex basis SymPy's Buchberger computes from
        the problem; first its certificate (``_certified``: a shape basis that the problem's
        polynomials reduce to zero by, through a division matrix of constant determinant),
        which proves it without Buchberger. Where that proves nothing, SymPy decides, so the
        verdict is the same."""
        import sympy

        fld, sym = self._field, self._symbols
        try:
            if _certified([self.terms_of(p) for p in problem],
                          [self.terms_of(g) for g in answer], fld, len(sym)):
                return True
        except Exception:  # not proved: the full check below says what is wrong
            pass
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


# The orders in which the division tries the basis's polynomials (by leading variable, last
# first), each tried until a division matrix of constant determinant is found.
_ORDERS = {2: [(1, 0), (0, 1)],
           3: [(2, 1, 0), (2, 0, 1)]}


def _certified(F: list, answer: list, fld, n: int) -> bool:
    """Whether ``answer`` provably is the reduced lex Groebner basis of the ideal of ``F``
    (term dicts over GF(p) or QQ, ``n`` variables). False: not proved.

    Made monic, the answer must be in shape position: ``x_i - g_i(x_n)`` (i < n) and a
    monic ``h(x_n)`` of degree d >= 1, each ``g_i`` of degree < d. Such a set is a reduced lex
    Groebner basis of its ideal (pairwise coprime leading monomials: every S-polynomial
    reduces to zero; no tail divisible by a leading monomial), and that basis is unique
    to the ideal. Both ideals are then the same when each ``f`` of ``F`` divides to
    remainder 0 (``f`` in the answer's ideal: the division of a Groebner basis decides
    membership) with quotients ``Q`` (F = Q G) of constant nonzero determinant: ``Q`` is
    then invertible over the polynomials, ``G = Q^-1 F`` lies in the ideal of ``F``.
    Divisions that try the basis's polynomials in other orders give other ``Q``; none of
    constant determinant proves nothing (the full check decides)."""
    if fld.kind not in ("GF", "QQ") or n not in _ORDERS or len(F) != n or len(answer) != n:
        return False
    G = _shape(answer, fld, n)
    if G is None:
        return False
    for order in _ORDERS[n]:
        Q = []
        for f in F:
            q = _quotients(f, G, order, fld)
            if q is None:
                return False
            Q.append(q)
        det = _det(Q, fld)
        if len(det) == 1 and not any(next(iter(det))):
            return True
    return False


def _shape(answer: list, fld, n: int):
    """The answer made monic and ordered by leading variable when it is in shape position
    (see ``_certified``), else None."""
    G: list = [None] * n
    d = None
    for terms in answer:
        g = T.normalize(terms, fld, "lex")
        if not g:
            return None
        lead = max(g)
        if any(lead[:-1]):
            i = next(k for k, e in enumerate(lead) if e)
            if lead[i] != 1 or any(lead[i + 1:]):
                return None
        else:
            i = n - 1
            if lead[-1] < 1:
                return None
            d = lead[-1]
        if G[i] is not None:
            return None
        G[i] = g
    if d is None:
        return None
    for g in G:
        lead = max(g)
        if any(any(m[:-1]) or m[-1] >= d for m in g if m != lead):
            return None
    return G


def _quotients(f: dict, G: list, order: tuple, fld) -> list | None:
    """The quotients of dividing ``f`` by the shape basis ``G`` (``_shape``'s: ``G[i]``
    leads with ``x_i``, the last with ``x_n^d``, every tail a power of ``x_n``; lex; each term
    by the first of ``order``'s polynomials whose leading monomial divides it), or None when
    a remainder is left (``f`` is then not in the ideal of the Groebner basis ``G``)."""
    gf = fld.kind == "GF"
    p = fld.p if gf else 0
    n = len(G)
    d = max(G[-1])[-1]
    tails = [[(m[-1], c) for m, c in g.items() if m != lead] for g, lead in
             zip(G, [max(g) for g in G])]
    rest = dict(f)
    q: list = [{} for _ in G]
    while rest:
        m = max(rest)
        for i in order:
            if m[i] >= (d if i == n - 1 else 1):
                break
        else:
            return None
        c = rest.pop(m)
        s = list(m)
        s[i] -= d if i == n - 1 else 1
        s = tuple(s)
        q[i][s] = c
        head, last = s[:-1], s[-1]
        for e, cg in tails[i]:
            key = head + (last + e,)
            v = rest.get(key, 0) - c * cg
            if gf:
                v %= p
            if v:
                rest[key] = v
            else:
                rest.pop(key, None)
    return q


def _det(Q: list, fld) -> dict:
    """The determinant of a 2 x 2 or 3 x 3 matrix of term dicts (the sum over the
    permutations of the products of entries, added up in one dict)."""
    out: dict = {}
    get = out.get
    n = len(Q)
    perms = (((0, 1), 1), ((1, 0), -1)) if n == 2 else (
        ((0, 1, 2), 1), ((1, 2, 0), 1), ((2, 0, 1), 1),
        ((0, 2, 1), -1), ((1, 0, 2), -1), ((2, 1, 0), -1))
    for cols, sign in perms:
        prod = {(0,) * len(next(iter(Q[0][cols[0]]), ())): sign} if Q[0][cols[0]] else {}
        for row, col in enumerate(cols):
            entry = Q[row][col]
            if not entry or not prod:
                prod = {}
                break
            nxt: dict = {}
            for ma, ca in prod.items():
                for mb, cb in entry.items():
                    m = tuple([a + b for a, b in zip(ma, mb)])
                    nxt[m] = nxt.get(m, 0) + ca * cb
            prod = nxt
        for m, c in prod.items():
            out[m] = get(m, 0) + c
    if fld.kind == "GF":
        return {m: c % fld.p for m, c in out.items() if c % fld.p}
    return {m: c for m, c in out.items() if c}
