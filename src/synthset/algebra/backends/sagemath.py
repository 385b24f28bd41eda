"""The SageMath backend (extra ``sage``: the modular passagemath distributions).

Imports from ``sage.all__sagemath_singular`` (passagemath-singular; the extra, ~3.6 GB installed)
and falls back to ``sage.all`` where a full Sage is installed. Polynomials are Singular's
(``MPolynomial_libsingular``), which print GF(p) coefficients in the symmetric range
(``-3..3`` for GF(7)) — as CALT's Sage backend writes them; ``terms()`` still reports them in
[0, p).
"""

from __future__ import annotations

from fractions import Fraction

from synthset.algebra.backends.base import Backend, Ring
from synthset.core.deps import MissingDependency


def load_sage():
    try:
        import sage.all__sagemath_singular as sage
    except ImportError:
        try:
            import sage.all as sage
        except ImportError as exc:
            raise MissingDependency(
                "backend 'sagemath' needs SageMath, which is not installed: "
                "pip install 'synthset[sage]' (the passagemath wheels, ~3.6 GB)") from exc
    return sage


class SageBackend(Backend):
    name = "sagemath"

    def __init__(self):
        self.sage = load_sage()

    def domain(self, field):
        s = self.sage
        return {"QQ": s.QQ, "ZZ": s.ZZ, "RR": s.RR}.get(field.kind) or s.GF(field.p)

    def _native_ring(self, symbols, field, order):
        # The explicit count keeps one variable multivariate (a univariate ring has int keys).
        return self.sage.PolynomialRing(self.domain(field), len(symbols), list(symbols),
                                        order=order)

    def gens(self, ring: Ring) -> list:
        return list(ring.native.gens())

    def from_dict(self, ring: Ring, terms: dict):
        R = ring.native
        dom = R.base_ring()
        conv = {}
        for m, c in terms.items():
            if type(c) is tuple:
                c = Fraction(*c)
            conv[tuple(m)] = dom(c.numerator) / dom(c.denominator) \
                if isinstance(c, Fraction) else dom(c)
        return R(conv)

    def terms(self, poly):
        R = poly.parent()
        kind = _kind(R)
        out = []
        for c, mono in zip(poly.coefficients(), poly.monomials()):
            m = tuple(int(e) for e in mono.exponents()[0])
            if kind == "QQ":
                v = Fraction(int(c.numerator()), int(c.denominator()))
            elif kind == "RR":
                v = float(c)
            else:
                v = int(c)
            out.append((m, v))
        return out

    def factor(self, poly):
        fac = poly.factor()
        R = poly.parent()
        # Over ZZ the content comes factored into Integer primes: coerce them into the ring.
        return fac.unit(), [(R(f), int(e)) for f, e in fac]

    def groebner(self, polys, ring):
        return list(ring.native.ideal(list(polys)).groebner_basis())

    def reduce(self, poly, basis):
        return poly.reduce(list(basis))

    def to_str(self, poly) -> str:
        return str(poly)


def _kind(R) -> str:
    base = R.base_ring()
    if base.is_finite():
        return "GF"
    name = str(base)
    if name.startswith("Rational"):
        return "QQ"
    if name.startswith("Integer"):
        return "ZZ"
    return "RR"
