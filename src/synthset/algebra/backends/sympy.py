"""The SymPy backend: ``sympy.polys.rings`` (sparse PolyElement), CALT's own representation."""

from __future__ import annotations

import re
from fractions import Fraction
from operator import attrgetter

from synthset.algebra.backends.base import Backend, Ring
from synthset.algebra.fields import Field
from synthset.core.deps import require
from synthset.core.errors import ConfigError

_SYMPY_ORDERS = {"lex": "lex", "deglex": "grlex", "degrevlex": "grevlex"}
_MOD = re.compile(r" mod \d+")
_NUM, _DEN = attrgetter("numerator"), attrgetter("denominator")


class SympyBackend(Backend):
    name = "sympy"

    def __init__(self):
        self.sympy = require("sympy", "sympy", "backend 'sympy'")
        from sympy.polys.rings import ring

        self._ring = ring

    def domain(self, field: Field):
        s = self.sympy
        return {"QQ": s.QQ, "ZZ": s.ZZ, "RR": s.RR}.get(field.kind) or s.GF(field.p)

    def _native_ring(self, symbols, field, order):
        R, *_gens = self._ring(",".join(symbols), self.domain(field), _SYMPY_ORDERS[order])
        return R

    def gens(self, ring: Ring) -> list:
        return list(ring.native.gens)

    def from_dict(self, ring: Ring, terms: dict):
        R = ring.native
        dom = R.domain
        kind = ring.field.kind
        if kind == "QQ":
            conv = {m: dom(*c) if type(c) is tuple else dom(c.numerator, c.denominator)
                    if isinstance(c, Fraction) else dom(c) for m, c in terms.items()}
        else:
            conv = {m: dom(c) for m, c in terms.items()}
        return R.from_dict(conv)

    def terms(self, poly):
        dom = poly.ring.domain
        kind = _kind(dom)
        p = int(dom.mod) if kind == "GF" else None
        return [(tuple(m), _value(kind, c, p)) for m, c in poly.terms()]

    def degree_and_terms(self, poly):  # a PolyElement is a dict {monomial: coefficient}
        return max(map(sum, poly), default=0), len(poly)

    def max_coeff_size(self, poly):
        """The base method's value read from the PolyElement's own coefficients, with no
        term list (the same for every ground type: Python, gmpy2 or FLINT numbers)."""
        if not poly:
            return 0
        values = poly.values()
        dom = poly.ring.domain
        kind = _kind(dom)
        if kind == "QQ":
            return int(max(max(map(abs, map(_NUM, values))), max(map(_DEN, values))))
        if kind == "GF":  # int() of an element may be its symmetric residue
            p = int(dom.mod)
            return max([c % p for c in map(int, values)])
        if kind == "RR":  # folded from 0 as the base method does: a NaN is passed over
            return max([0, *map(abs, map(float, values))])
        return int(max(map(abs, values)))

    def factor(self, poly):
        if poly.ring.domain.is_FiniteField and poly.ring.ngens > 1:
            raise ConfigError("SymPy cannot factor multivariate polynomials over GF(p): use "
                              "backend 'flint' or 'sagemath'")
        return poly.factor_list()

    def groebner(self, polys, ring):
        from sympy.polys.groebnertools import groebner

        return groebner(list(polys), ring.native)

    def reduce(self, poly, basis):
        return poly.rem(list(basis))

    def to_str(self, poly) -> str:
        return _MOD.sub("", str(poly)).replace("**", "^")


def _value(kind: str, c, p: int | None):
    """A SymPy domain element as a plain Python value."""
    if kind == "QQ":
        return Fraction(int(c.numerator), int(c.denominator))
    if kind == "RR":
        return float(c)
    if kind == "GF":
        return int(c) % p
    return int(c)


def _kind(domain) -> str:
    if domain.is_FiniteField:
        return "GF"
    if domain.is_QQ:
        return "QQ"
    if domain.is_ZZ:
        return "ZZ"
    return "RR"
