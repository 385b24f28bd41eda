"""What every problem shares: its backend and ring, statistics, and string helpers."""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from dataclasses import dataclass

from synthset.algebra.backends import get_backend
from synthset.algebra.fields import parse_field, parse_order, parse_symbols
from synthset.algebra.parse import parse_terms


@dataclass
class Problem(ABC):
    """Base of the problems: ``backend`` names the algebra engine; subclasses add parameters,
    ``generate(rng)``, and ``check(problem, answer)`` on the written strings."""

    backend: str = "sympy"

    name = "problem"

    def __call__(self, seed: int):
        return self.generate(random.Random(seed))

    @abstractmethod
    def generate(self, rng: random.Random):
        ...

    @abstractmethod
    def check(self, problem, answer) -> bool:
        ...

    def statistics(self, problem, answer) -> dict:
        return {"problem": self._stats(problem), "answer": self._stats(answer)}

    def _stats(self, obj) -> dict:
        polys = list(_flatten(obj))
        eng = get_backend(self.backend)
        return {
            "num_polynomials": len(polys),
            "total_degree": max((eng.total_degree(p) for p in polys), default=0),
            "num_terms": sum(eng.num_terms(p) for p in polys),
            "max_coeff_size": max((eng.max_coeff_size(p) for p in polys), default=0),
        }


@dataclass
class PolyProblem(Problem):
    """A problem over one polynomial ring (the sampler's settings are its fields)."""

    symbols: str = "x, y"
    field: str = "GF(7)"
    order: str = "grevlex"
    max_degree: int = 3
    max_num_terms: int = 5
    min_degree: int = 0

    def __post_init__(self):
        self._field = parse_field(self.field)
        self._symbols = parse_symbols(self.symbols)
        self._order = parse_order(self.order)
        self.sampler(random.Random(0))  # check the sampler settings now, not in a worker

    def sampler(self, rng, **overrides):
        """A sampler with this problem's settings (and ``overrides``) drawing from ``rng``;
        made once per settings and reused, only its random source changes."""
        from synthset.algebra.sampling import PolynomialSampler

        key = tuple(sorted(overrides.items()))
        cache = self.__dict__.setdefault("_samplers", {})
        sampler = cache.get(key)
        if sampler is None:
            settings = dict(symbols=self._symbols, field_str=self._field, order=self._order,
                            max_degree=self.max_degree, max_num_terms=self.max_num_terms,
                            min_degree=self.min_degree)
            settings.update(overrides)
            sampler = cache[key] = PolynomialSampler(**settings, backend=self.backend, rng=rng)
        sampler.rng = rng
        return sampler

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_samplers", None)  # rebuilt in the worker
        return state

    def ring(self):
        return get_backend(self.backend).ring(self._symbols, self._field, self._order)

    def terms_of(self, text: str) -> dict:
        """A written polynomial as a term dict (the verifiers' input)."""
        return parse_terms(text, self._symbols, self._field)

    def terms_native(self, poly) -> dict:
        return dict(get_backend(self.backend).terms(poly))


def _flatten(obj):
    if isinstance(obj, (list, tuple)):
        for item in obj:
            yield from _flatten(item)
    elif hasattr(obj, "tolist") and not isinstance(obj, (int, float, str)):
        yield from _flatten(obj.tolist())
    elif not isinstance(obj, (int, float, str)):
        yield obj


def sympy_poly(terms: dict, symbols, field):
    """A term dict as a dense ``sympy.Poly`` — the verifiers' second opinion, computed on a
    different representation than the backends' sparse rings."""
    import sympy

    gens = sympy.symbols(list(symbols))
    if field.kind == "GF":
        domain = sympy.GF(field.p)
    else:
        domain = {"QQ": sympy.QQ, "ZZ": sympy.ZZ, "RR": sympy.RR}[field.kind]
    data = {m: (sympy.Rational(c.numerator, c.denominator) if hasattr(c, "denominator")
                and not isinstance(c, int) else c) for m, c in terms.items()}
    return sympy.Poly.from_dict(data or {(0,) * len(gens): 0}, *gens, domain=domain)


def poly_terms(poly, field) -> dict:
    """A ``sympy.Poly``'s terms as a term dict (GF coefficients in [0, p))."""
    from fractions import Fraction

    out = {}
    for m, c in poly.terms():
        if field.kind == "GF":
            v = int(c) % field.p
        elif field.kind == "QQ":
            v = Fraction(int(c.numerator), int(c.denominator))
        else:
            v = int(c)
        if v != 0:
            out[tuple(m)] = v
    return out
