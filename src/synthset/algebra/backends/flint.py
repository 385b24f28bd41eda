"""The FLINT backend (extra ``flint``): python-flint's ``fmpz_mpoly``, ``fmpq_mpoly`` and
``nmod_mpoly`` — products, GCDs and factorisations in C, 5-140x SymPy's here."""

from __future__ import annotations

from fractions import Fraction
from operator import attrgetter

from synthset.algebra.backends.base import Backend, Ring
from synthset.core.deps import require

_P, _Q = attrgetter("p"), attrgetter("q")  # an fmpq's numerator and denominator, read in C


class FlintBackend(Backend):
    name = "flint"
    supports_rr = False

    def __init__(self):
        self.flint = require("flint", "flint", "backend 'flint'")
        self._fmpq: dict = {}  # (numerator, denominator) -> fmpq: samplers draw few distinct

    def _rational(self, c):
        """An fmpq for a coefficient: a sampler's (num, den) pair, a Fraction or an int."""
        if type(c) is tuple:
            value = self._fmpq.get(c)
            if value is None:
                value = self.flint.fmpq(*c)
                if len(self._fmpq) < 65536:
                    self._fmpq[c] = value
            return value
        if isinstance(c, Fraction):
            return self.flint.fmpq(c.numerator, c.denominator)
        return c

    def _native_ring(self, symbols, field, order):
        f = self.flint
        names = tuple(symbols)
        if field.kind == "ZZ":
            return f.fmpz_mpoly_ctx.get(names, ordering=order)
        if field.kind == "QQ":
            return f.fmpq_mpoly_ctx.get(names, ordering=order)
        if field.p < 2**63:
            return f.nmod_mpoly_ctx.get(names, modulus=field.p, ordering=order)
        return f.fmpz_mod_mpoly_ctx.get(names, modulus=field.p, ordering=order)

    def gens(self, ring: Ring) -> list:
        return list(ring.native.gens())

    def from_dict(self, ring: Ring, terms: dict):
        if ring.field.kind == "QQ":
            rational = self._rational
            terms = {m: rational(c) for m, c in terms.items()}
        return ring.native.from_dict(terms)  # FLINT reduces GF(p) coefficients mod p itself

    def terms(self, poly):
        out = []
        for m, c in poly.terms():
            out.append((tuple(int(e) for e in m),
                        Fraction(int(c.p), int(c.q)) if hasattr(c, "q") else int(c)))
        return out

    def degree_and_terms(self, poly):
        n = len(poly)
        return (int(poly.total_degree()) if n else 0), n

    def max_coeff_size(self, poly) -> int:
        """The base method's value read from FLINT's own coefficients, with no term list:
        |c| over ZZ and GF(p) (FLINT keeps residues in [0, p)), max(|p|, q) over QQ."""
        coeffs = poly.coeffs()
        if not coeffs:
            return 0
        if type(poly) is self.flint.fmpq_mpoly:
            return int(max(max(map(abs, map(_P, coeffs))), max(map(_Q, coeffs))))
        return int(max(map(abs, coeffs)))

    def normalize(self, poly, ring):
        if not len(poly):
            return poly, 0
        lc = poly.leading_coefficient()
        if ring.field.kind == "ZZ":
            return (-poly, -1) if lc < 0 else (poly, 1)
        value = Fraction(int(lc.p), int(lc.q)) if ring.field.kind == "QQ" else int(lc)
        return poly * (1 / lc if ring.field.kind == "QQ" else pow(int(lc), -1, ring.field.p)), \
            value

    def factor(self, poly):
        return poly.factor()

    def factor_parts(self, poly, ring):
        """As the base method, in FLINT's own scalars (fmpz / fmpq / nmod) until the end:
        converting every coefficient to a Python value cost more than the factorisation."""
        kind = ring.field.kind
        constant, factors = poly.factor()
        parts = []
        for f, e in factors:
            e = int(e)
            degree = int(f.total_degree()) if len(f) else 0
            lc = f.leading_coefficient()
            if degree == 0:
                constant *= lc ** e
                continue
            if kind == "ZZ":
                if lc < 0:
                    f, constant = -f, constant * (-1) ** e
            elif lc != 1:
                f, constant = f * (1 / lc if kind == "QQ" else lc ** -1), constant * lc ** e
            parts.append((degree, f, e))
        if kind == "QQ":
            return Fraction(int(constant.p), int(constant.q)), parts
        return int(constant) % ring.field.p if kind == "GF" else int(constant), parts

    def to_str(self, poly) -> str:
        return str(poly)
