"""What every algebra backend provides: rings, polynomials from exact terms, and back.

Coefficients cross the boundary as plain Python values — ``int`` (ZZ, and GF(p) in [0, p)),
``fractions.Fraction`` (QQ; ``from_dict`` also takes an unreduced ``(num, den)`` pair, as the
samplers draw them) and ``float`` (RR) — so samplers, problems and verifiers are written once
and every backend builds the same polynomial from the same draws.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from fractions import Fraction

from synthset.algebra import terms as T
from synthset.algebra.fields import Field
from synthset.core.errors import ConfigError


class Ring:
    """A polynomial ring as a backend holds it: ``native`` is the library's own object."""

    def __init__(self, backend, symbols: tuple[str, ...], field: Field, order: str, native):
        self.backend, self.symbols, self.field, self.order = backend, symbols, field, order
        self.native = native

    @property
    def ngens(self) -> int:
        return len(self.symbols)

    def gens(self) -> list:
        return self.backend.gens(self)

    def from_dict(self, terms: dict) -> object:
        return self.backend.from_dict(self, terms)

    def zero(self):
        return self.backend.from_dict(self, {})

    def one(self):
        return self.backend.from_dict(self, {(0,) * self.ngens: 1})

    def __reduce__(self):  # rings travel to workers as their description, rebuilt there
        return (_rebuild, (type(self.backend), self.symbols, self.field, self.order))

    def __repr__(self) -> str:
        return f"Ring({self.backend.name}, {', '.join(self.symbols)}, {self.field}, {self.order})"


def _rebuild(backend_class, symbols, field, order):
    # The class travels by reference (its module imports its library in the worker).
    return backend_class.shared().ring(symbols, field, order)


class Backend(ABC):
    """The adapter interface; subclasses implement the methods that raise here."""

    name = "base"
    supports_rr = True

    @classmethod
    def shared(cls) -> Backend:
        """The one instance of this backend in this process (its rings are cached on it)."""
        if "_shared" not in cls.__dict__:
            cls._shared = cls()
        return cls._shared

    def ring(self, symbols, field: Field, order: str) -> Ring:
        """The ring (made once per description and backend, then reused)."""
        key = (tuple(symbols), field, order)
        cache = self.__dict__.setdefault("_rings", {})
        if key not in cache:
            if field.kind == "RR" and not self.supports_rr:
                raise ConfigError(f"field RR is not available on backend {self.name!r}; use "
                                  "backend 'sympy' or 'sagemath'")
            cache[key] = Ring(self, key[0], field, order, self._native_ring(symbols, field, order))
        return cache[key]

    @abstractmethod
    def _native_ring(self, symbols, field, order):
        ...

    @abstractmethod
    def gens(self, ring: Ring) -> list:
        ...

    @abstractmethod
    def from_dict(self, ring: Ring, terms: dict):
        ...

    @abstractmethod
    def terms(self, poly) -> list[tuple[tuple[int, ...], object]]:
        """(monomial, coefficient) pairs in the ring's order, coefficients as Python values."""
        ...

    @abstractmethod
    def to_str(self, poly) -> str:
        """The canonical string (CALT's: ``^`` for powers, GF(p) coefficients in [0, p))."""
        ...

    # -- algebra the problems need (a backend without one says so) ------------------------
    def gcd(self, a, b):
        return a.gcd(b)

    def factor(self, poly) -> tuple[object, list[tuple[object, int]]]:
        """(constant, [(factor, multiplicity), ...]) as the library returns them."""
        raise ConfigError(f"factorisation is not available on backend {self.name!r}")

    def factor_parts(self, poly, ring: Ring) -> tuple[object, list[tuple[int, object, int]]]:
        """The factorisation written canonically: (constant as a Python value, [(total degree,
        factor made monic / with a positive leading coefficient over ZZ, multiplicity)]), with
        constant factors and the factors' leading coefficients folded into the constant."""
        const, factors = self.factor(poly)
        zero = (0,) * ring.ngens
        constant = dict(self.terms(ring.one() * const)).get(zero, 0)
        parts = []
        for f, e in factors:
            degree, _ = self.degree_and_terms(f)
            if degree == 0:  # a constant "factor" (Sage and FLINT put content there)
                constant = constant * dict(self.terms(f)).get(zero, 0) ** e
                continue
            normal, lc = self.normalize(f, ring)
            constant = constant * lc ** e
            parts.append((degree, normal, e))
        if ring.field.kind == "GF":
            constant %= ring.field.p
        return constant, parts

    def groebner(self, polys: list, ring: Ring) -> list:
        """The reduced Groebner basis of the ideal ``polys`` generate."""
        raise ConfigError(f"Groebner bases are not available on backend {self.name!r}; use "
                          "backend 'sympy' or 'sagemath'")

    def reduce(self, poly, basis: list):
        """The normal form of ``poly`` modulo a Groebner basis."""
        raise ConfigError(f"reduction modulo a Groebner basis is not available on backend "
                          f"{self.name!r}; use backend 'sympy' or 'sagemath'")

    # -- shared helpers built on the primitives --------------------------------------------
    def total_degree(self, poly) -> int:
        monoms = [m for m, _ in self.terms(poly)]
        return max((sum(m) for m in monoms), default=0)

    def degree_and_terms(self, poly) -> tuple[int, int]:
        """(total degree, number of terms); 0 for the zero polynomial's degree."""
        monoms = [m for m, _ in self.terms(poly)]
        return max((sum(m) for m in monoms), default=0), len(monoms)

    def normalize(self, poly, ring: Ring):
        """(poly made monic over a field / with a positive leading coefficient over ZZ, the
        leading coefficient it had, as a Python value)."""
        f = dict(self.terms(poly))
        lt = T.leading(f, ring.order)
        if lt is None:
            return poly, 0
        return ring.from_dict(T.normalize(f, ring.field, ring.order)), (
            (-1 if lt[1] < 0 else 1) if ring.field.kind == "ZZ" else lt[1])

    def num_terms(self, poly) -> int:
        return len(self.terms(poly))

    def is_zero(self, poly) -> bool:
        return not self.terms(poly)

    def max_coeff_size(self, poly) -> int:
        """Largest absolute numerator or denominator among the coefficients (0 for zero)."""
        best = 0
        for _, c in self.terms(poly):
            if isinstance(c, Fraction):
                best = max(best, abs(c.numerator), c.denominator)
            elif isinstance(c, float):
                best = max(best, abs(c))
            else:
                best = max(best, abs(c))
        return best
