"""Random polynomials (CALT's ``PolynomialSampler`` and ``SinglePolynomialSampler``).

Written once for every backend: the draws (degree, number of terms, monomials, coefficients)
are plain Python numbers taken from one random source, and the backend only assembles the
polynomial. With the default source — the ``random`` module itself, as CALT's sampler uses it —
a generator that calls ``random.seed(seed)`` and then samples gets, draw for draw, the polynomial
calt-x 1.5.0 makes. Pass ``rng=random.Random(seed)`` to keep the global state out of it.

Differences from CALT, on purpose: impossible settings are errors at construction (not after
``max_attempts``), ``GF(p)`` needs a prime p, and ``nonzero_coeff`` is honoured (CALT 1.5.0
ties non-zero coefficients to ``nonzero_instance``; here either asks for them).
"""

from __future__ import annotations

import functools
import math
import random as _random
from fractions import Fraction

from synthset.algebra.backends import backend_class, get_backend
from synthset.algebra.backends.base import Ring
from synthset.algebra.fields import Field, parse_field, parse_order, parse_symbols
from synthset.core.errors import ConfigError, bad_choice
from synthset.core.rand import below, fast_randint, randbelow

SAMPLING = ("uniform", "fixed")


# -- monomials -------------------------------------------------------------------------------
def combination_from_rank(r: int, n: int, k: int) -> tuple[int, ...]:
    """The k-subset of range(n) of rank r in lexicographic order."""
    out, x = [], 0
    for i in range(k):
        while math.comb(n - x - 1, k - i - 1) <= r:
            r -= math.comb(n - x - 1, k - i - 1)
            x += 1
        out.append(x)
        x += 1
    return tuple(out)


def monomial_of_rank(i: int, n: int, d: int) -> tuple[int, ...]:
    """The i-th monomial of degree d in n variables (stars and bars, lexicographic ranks)."""
    bars = combination_from_rank(i, n + d - 1, n - 1)
    if not bars:
        return (d,)
    exps = [bars[0]]
    exps.extend(bars[j + 1] - bars[j] - 1 for j in range(n - 2))
    exps.append(n + d - 2 - bars[-1])
    return tuple(exps)


@functools.lru_cache(maxsize=256)
def monomials_by_rank(n: int, d: int) -> tuple[tuple[int, ...], ...]:
    """All monomials of degree d in n variables, indexed by ``monomial_of_rank``'s rank."""
    return tuple(monomial_of_rank(i, n, d) for i in range(math.comb(n + d - 1, d)))


def monomials_of_degree(d: int, n: int) -> list[tuple[int, ...]]:
    """Every exponent vector of degree d in n variables, lexicographically descending."""
    if n == 1:
        return [(d,)]
    return [(first, *rest) for first in range(d, -1, -1)
            for rest in monomials_of_degree(d - first, n - 1)]


# -- coefficients ----------------------------------------------------------------------------
def coeff_range(field: Field, non_zero: bool, min=None, max=None, num_bound=None):
    """The range coefficients of ``field`` are drawn from, checked: ``[low, high]`` for ZZ and
    RR (default [-10, 10]), the numerator's ``[-num_bound, num_bound]`` for QQ (default 10;
    denominators in [1, num_bound]), ``[0, p - 1]`` for GF(p). Impossible requests (min > max,
    a non-zero value from {0}) are errors here."""
    if field.kind in ("ZZ", "RR"):
        a = -10 if min is None else min
        b = 10 if max is None else max
        if a > b:
            raise ConfigError(f"coefficient range is empty: min={a} > max={b}")
        if non_zero and a == 0 and b == 0:
            raise ConfigError(f"non-zero {field.kind} coefficients cannot come from [0, 0]: "
                              "raise max_coeff")
        return a, b
    if field.kind == "QQ":
        nb = 10 if num_bound is None else num_bound
        if nb <= 0:
            raise ConfigError(f"num_bound must be > 0, got {nb}")
        return -nb, nb
    return 0, field.p - 1


def coeff_spec(field: Field, non_zero: bool, min=None, max=None, num_bound=None) -> tuple:
    """How ``draw_terms`` draws coefficients of ``field``: (kind, low, high, non_zero), with
    ``coeff_range``'s checked range."""
    return (field.kind, *coeff_range(field, non_zero, min, max, num_bound), non_zero)


def coeff_drawer(field: Field, rng, non_zero: bool, min=None, max=None, num_bound=None):
    """A function drawing one coefficient of ``field``: an int (ZZ, GF), a float (RR), or for
    QQ an unreduced ``(numerator, denominator)`` pair, which every backend's ``from_dict``
    takes (making a Fraction per draw would cost more than FLINT's whole product).

    Ranges as ``coeff_range``; RR is uniform in its range.
    """
    spec = coeff_spec(field, non_zero, min, max, num_bound)
    source = draw_source(rng)
    # The one term of a random constant in no variables: the draws of a polynomial's
    # coefficient, made by the same code.
    return lambda: draw_terms(source, 0, 0, 1, False, spec)[()]


# -- single polynomials ----------------------------------------------------------------------
class SinglePolynomialSampler:
    """Random coefficients and random polynomials of a given degree and number of terms.

    Args:
        rng: the random source (a ``random.Random``); the ``random`` module when None.
    """

    def __init__(self, rng=None):
        self.rng = rng if rng is not None else _random

    def random_coeff(self, field, non_zero: bool = False, **kwargs):
        """One coefficient of ``field`` (``"QQ"``, a Field, or a ring's field); ``min``,
        ``max`` (ZZ, RR) and ``num_bound`` (QQ) as in CALT. A Python int, Fraction or float."""
        field = field.field if isinstance(field, Ring) else parse_field(field)
        value = coeff_drawer(field, self.rng, non_zero, **_coeff_kwargs(kwargs))()
        return Fraction(*value) if type(value) is tuple else value

    def random_element(self, R, degree: int = 2, terms: int | None = None,
                       choose_degree: bool = False, non_zero_coeff: bool = False, **kwargs):
        """A random polynomial of degree <= ``degree`` with ``terms`` distinct monomials
        (default 5, at most as many as there are).

        ``choose_degree=False``: monomials uniform over all monomials of degree <= ``degree``
        (higher degrees are likelier: there are more of them). ``choose_degree=True``: a degree
        uniform in [0, degree] first, then a monomial of that degree. Each monomial gets a
        coefficient from the ring's field (zero allowed unless ``non_zero_coeff``).
        """
        ring = as_ring(R)
        coeff = coeff_spec(ring.field, non_zero_coeff, **_coeff_kwargs(kwargs))
        terms = 5 if terms is None else terms
        return ring.from_dict(draw_terms(draw_source(self.rng), ring.ngens, degree, terms,
                                         choose_degree, coeff))


def draw_source(rng) -> tuple:
    """What ``draw_terms`` draws from: ``randbelow(rng)``'s ``(draw, key)`` and ``rng``'s
    ``uniform`` (RR coefficients)."""
    return (*randbelow(rng), getattr(rng, "uniform", None))


@functools.lru_cache(maxsize=256)
def _draw_tables(n: int, degree: int, key) -> tuple:
    """For ``draw_terms`` with ``randbelow``'s ``key``: per degree (monomials by rank, their
    count, its key); all monomials by overall rank, their count and its key;
    ``monomials_of_degree`` per degree (the order CALT removes monomials from)."""
    per_degree = tuple((t, len(t), key(len(t)))
                       for t in (monomials_by_rank(n, d) for d in range(degree + 1)))
    flat = tuple(m for t, _, _ in per_degree for m in t)
    lex = tuple(tuple(monomials_of_degree(d, n)) for d in range(degree + 1))
    return per_degree, flat, len(flat), key(len(flat)), lex


def draw_terms(source, n: int, degree: int, terms: int, choose_degree: bool,
               coeff: tuple) -> dict:
    """The ``{monomial: coefficient}`` of a random polynomial in n variables, in CALT's order
    of draws: ``terms`` distinct monomials of degree <= ``degree`` (as many as there are at
    most; ``choose_degree`` as in ``SinglePolynomialSampler.random_element``), then a
    coefficient for each (``coeff`` is ``coeff_spec``'s).

    ``source`` is ``draw_source(rng)``. Every integer in [0, m) is ``randbelow``'s loop,
    written out: with ``random.Random`` it is then CPython's ``randint`` without its call
    layers (the sampler's hot path), with any other generator one ``randint`` call; so one
    function draws for every generator, and CALT's order of draws is written once.
    """
    if terms < 0:
        raise ConfigError("terms must be >= 0")
    if degree < 0:
        raise ConfigError("degree must be >= 0")
    if terms == 0:
        return {}
    draw, key, uniform = source
    if degree == 0:
        monoms = [(0,) * n]
    else:
        per_degree, flat, total, k_total, lex = _draw_tables(n, degree, key)
        terms = min(terms, total)
        if terms < total / 2:
            # A set, filled in draw order: its iteration order (deterministic for tuples of
            # ints) pairs monomials with coefficients exactly as CALT's sampler does.
            chosen: set = set()
            add = chosen.add
            if choose_degree:
                nd = degree + 1
                kd = key(nd)
                while len(chosen) < terms:
                    d = draw(kd)
                    while d >= nd:
                        d = draw(kd)
                    table, size, k = per_degree[d]
                    i = draw(k)
                    while i >= size:
                        i = draw(k)
                    add(table[i])
            else:
                while len(chosen) < terms:
                    i = draw(k_total)
                    while i >= total:
                        i = draw(k_total)
                    add(flat[i])
            monoms = chosen
        elif not choose_degree:
            monoms = [m for t in lex for m in t]
            for _ in range(total - terms):
                monoms.pop(below(draw, key, len(monoms)))
        else:
            by_degree = [list(t) for t in lex]
            monoms = []
            for _ in range(terms):
                d = below(draw, key, len(by_degree))
                monoms.append(by_degree[d].pop(below(draw, key, len(by_degree[d]))))
                if not by_degree[d]:
                    by_degree.pop(d)
    kind, lo, hi, non_zero = coeff
    out = {}
    if kind == "RR":
        for m in monoms:
            value = float(uniform(lo, hi))
            while non_zero and not value:
                value = float(uniform(lo, hi))
            out[m] = value
        return out
    span = hi - lo + 1
    k = key(span)
    if kind == "QQ":
        # (numerator, denominator), the denominator from [1, num_bound] (num_bound is hi);
        # both drawn again while a non-zero numerator is asked for and it is 0
        den_k = key(hi)
        for m in monoms:
            while True:
                r = draw(k)
                while r >= span:
                    r = draw(k)
                q = draw(den_k)
                while q >= hi:
                    q = draw(den_k)
                if r + lo or not non_zero:
                    break
            out[m] = (r + lo, q + 1)
    else:
        for m in monoms:
            while True:
                r = draw(k)
                while r >= span:
                    r = draw(k)
                if r + lo or not non_zero:
                    break
            out[m] = r + lo
    return out


def _coeff_kwargs(kwargs: dict) -> dict:
    unknown = set(kwargs) - {"min", "max", "num_bound"}
    if unknown:
        raise ConfigError(f"unknown coefficient option(s) {sorted(unknown)}; accepted: "
                          "min, max (ZZ, RR), num_bound (QQ)")
    return kwargs


_NATIVE: dict = {}  # id(native ring) -> Ring, for rings handed out by get_ring()


def as_ring(R) -> Ring:
    """A synthset Ring for ``R``: ours, one a sampler handed out, or a library's own ring
    (a Sage ``PolynomialRing``, a SymPy ``PolyRing``), described by its variables, field and
    order."""
    if isinstance(R, Ring):
        return R
    ring = _NATIVE.get(id(R))
    if ring is not None and ring.native is R:
        return ring
    if hasattr(R, "variable_names") and hasattr(R, "term_order"):  # Sage
        backend, names = "sagemath", tuple(R.variable_names())
        base, order = R.base_ring(), R.term_order().name()
        field = f"GF({base.characteristic()})" if base.is_finite() else \
            {"Rational Field": "QQ", "Integer Ring": "ZZ"}.get(str(base), "RR")
    elif hasattr(R, "symbols") and hasattr(R, "domain"):  # SymPy PolyRing
        backend, names = "sympy", tuple(str(s) for s in R.symbols)
        dom, order = R.domain, str(R.order.alias)
        field = f"GF({int(dom.mod)})" if dom.is_FiniteField else \
            "QQ" if dom.is_QQ else "ZZ" if dom.is_ZZ else "RR"
    else:
        raise ConfigError(f"cannot use {type(R).__name__} as a ring: pass a sampler's "
                          "get_ring(), a Sage PolynomialRing or a SymPy PolyRing")
    ring = get_backend(backend).ring(names, parse_field(field), parse_order(order))
    _NATIVE[id(ring.native)] = ring
    return ring


def check_sampling_options(sampler) -> None:
    """The checks every polynomial sampler makes when it is made (this one and the Sage face's):
    the sampling modes, the degrees and attempts as integers, min <= max degree, and
    ``max_num_terms`` a positive integer or None."""
    for key in ("degree_sampling", "term_sampling"):
        if getattr(sampler, key) not in SAMPLING:
            raise bad_choice(key, getattr(sampler, key), SAMPLING)
    for key in ("max_degree", "min_degree", "max_attempts"):
        value = getattr(sampler, key)
        if isinstance(value, bool) or not isinstance(value, int) or value < (
                1 if key == "max_attempts" else 0):
            raise ConfigError(f"{key} must be a non-negative integer, got {value!r}")
    if sampler.min_degree > sampler.max_degree:
        raise ConfigError(f"min_degree ({sampler.min_degree}) > max_degree "
                          f"({sampler.max_degree})")
    terms = sampler.max_num_terms
    if terms is not None and (isinstance(terms, bool) or not isinstance(terms, int)
                              or terms < 1):
        raise ConfigError(f"max_num_terms must be a positive integer or None, got {terms!r}")


# -- the sampler -----------------------------------------------------------------------------
class PolynomialSampler:
    """Random polynomials (or matrices of them) with a degree and term budget (CALT's API).

    Args:
        symbols: variable names, ``"x, y"`` or ``"x0:3"``.
        field_str: ``QQ``, ``ZZ``, ``RR`` or ``GF(p)``.
        order: ``lex``, ``grlex``/``deglex`` or ``grevlex``/``degrevlex``.
        max_num_terms: at most this many terms (None: as many as there are monomials).
        max_degree, min_degree: the total degree's range.
        degree_sampling: ``uniform`` (degree uniform in [min, max], each monomial's degree
            chosen first) or ``fixed`` (degree = max_degree, monomials uniform up to it).
        term_sampling: ``uniform`` (number of terms uniform in [1, max]) or ``fixed``.
        max_coeff: coefficient bound for ZZ and RR (default 10); num_bound: for QQ (10).
        strictly_conditioned: retry until the degree and number of terms are exactly the drawn
            ones (else accept the first polynomial of degree >= min_degree).
        nonzero_instance: never return the zero polynomial (and draw non-zero coefficients,
            as CALT does); nonzero_coeff: draw non-zero coefficients only.
        max_attempts: retries per polynomial before RuntimeError.
        backend: ``sympy``, ``flint`` or ``sagemath`` (the per-backend modules set it).
        rng: a ``random.Random``; the ``random`` module when None (CALT's behaviour).
        ring: an existing ring instead of symbols/field_str/order.
    """

    backend_name = "sympy"

    def __init__(self, symbols=None, field_str=None, order="grevlex",
                 max_num_terms: int | None = 10, max_degree: int = 5, min_degree: int = 0,
                 degree_sampling: str = "uniform", term_sampling: str = "uniform",
                 max_coeff: int | None = None, num_bound: int | None = None,
                 strictly_conditioned: bool = True, nonzero_instance: bool = True,
                 nonzero_coeff: bool = False, max_attempts: int = 1000, *,
                 backend: str | None = None, rng=None, ring=None) -> None:
        self._backend = backend_class(backend or self.backend_name)  # made at the first draw
        if ring is not None:
            ring = as_ring(ring)
            self.symbols, self.field, self.order = ring.symbols, ring.field, ring.order
        else:
            if symbols is None or field_str is None:
                raise ConfigError("give symbols and field_str (or ring=)")
            self.symbols = parse_symbols(symbols)
            self.field = parse_field(field_str)
            self.order = parse_order(order)
        self.field_str = str(self.field)
        self.max_num_terms, self.max_degree, self.min_degree = max_num_terms, max_degree, \
            min_degree
        self.degree_sampling, self.term_sampling = degree_sampling, term_sampling
        self.max_coeff, self.num_bound = max_coeff, num_bound
        self.strictly_conditioned, self.nonzero_instance = strictly_conditioned, nonzero_instance
        self.nonzero_coeff, self.max_attempts = nonzero_coeff, max_attempts
        self.rng = rng if rng is not None else _random
        self._check()
        self._ring = ring
        self._tools = None  # (rng, randint, draw_source(rng)) for that rng
        # Impossible coefficient ranges are errors now, not at the first draw.
        self._coeff = coeff_spec(self.field, self._non_zero_coeff, **self._coeff_options())

    def _check(self) -> None:
        check_sampling_options(self)
        n = len(self.symbols)
        if self.max_num_terms is not None:
            available = math.comb(self.max_degree + n, n)
            if self.term_sampling == "fixed" and self.max_num_terms > available:
                raise ConfigError(
                    f"term_sampling='fixed' asks for {self.max_num_terms} terms but there are "
                    f"only {available} monomials of degree <= {self.max_degree} in {n} "
                    "variable(s): lower max_num_terms or raise max_degree")
        if self.field.kind == "RR" and not self._backend.supports_rr:
            raise ConfigError(f"field RR is not available on backend {self._backend.name!r}")

    @property
    def backend(self):
        """The backend adapter, made (its library imported) when the sampler first needs it:
        a problem's settings are checked, and ``synthset tasks`` lists it, where its library
        is not installed."""
        if isinstance(self._backend, type):
            self._backend = self._backend.shared()
        return self._backend

    @property
    def _non_zero_coeff(self) -> bool:
        return self.nonzero_instance or self.nonzero_coeff

    def _coeff_options(self) -> dict:
        if self.field.kind == "QQ":
            return {"num_bound": 10 if self.num_bound is None else self.num_bound}
        if self.field.kind in ("ZZ", "RR"):
            c = 10 if self.max_coeff is None else self.max_coeff
            return {"min": -c, "max": c}
        return {}

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_ring"] = None  # rebuilt on first use in the worker
        state["_tools"] = None
        state["backend"] = state.pop("_backend").name  # the state pickles as it always has
        if state["rng"] is _random:
            state["rng"] = None
        return state

    def __setstate__(self, state):
        state["_backend"] = backend_class(state.pop("backend"))
        state["rng"] = state["rng"] if state["rng"] is not None else _random
        self.__dict__.update(state)

    # -- CALT's API ------------------------------------------------------------------------
    def ring(self) -> Ring:
        """This sampler's ring as synthset holds it (backend-independent helpers use it)."""
        if self._ring is None:
            self._ring = self.backend.ring(self.symbols, self.field, self.order)
            _NATIVE[id(self._ring.native)] = self._ring
        return self._ring

    def get_ring(self):
        """The backend's own ring object (SymPy PolyRing, FLINT context, Sage ring)."""
        return self.ring().native

    def get_field(self):
        """The backend's own coefficient domain (for sympy, e.g. ``GF(7)``)."""
        if self.backend.name == "sympy":
            return self.backend.domain(self.field)
        return self.field

    def total_degree(self, poly) -> int:
        return self.backend.total_degree(poly)

    def sample(self, num_samples: int = 1, size: tuple[int, int] | None = None,
               density: float = 1.0, matrix_type: str | None = None) -> list:
        """``num_samples`` polynomials, or matrices of them (numpy object arrays) when
        ``size=(rows, cols)`` is given; entries are kept with probability ``density`` and
        ``matrix_type="unimodular_upper_triangular"`` puts 1 on the diagonal and 0 below."""
        if size is None:
            return [self._sample_polynomial() for _ in range(num_samples)]
        if matrix_type not in (None, "unimodular_upper_triangular"):
            raise bad_choice("matrix_type", matrix_type, ["unimodular_upper_triangular"])
        if not 0.0 <= density <= 1.0:
            raise ConfigError(f"density must be in [0, 1], got {density!r}")
        return [self._sample_matrix(size, density, matrix_type) for _ in range(num_samples)]

    def _sample_polynomial(self):
        rng = self.rng
        if self._tools is None or self._tools[0] is not rng:
            self._tools = (rng, fast_randint(rng), draw_source(rng))
        _, randint, source = self._tools
        coeff = self._coeff
        ring = self.ring()
        n = ring.ngens
        degree = randint(self.min_degree, self.max_degree) \
            if self.degree_sampling == "uniform" else self.max_degree
        possible = math.comb(degree + n, degree)
        max_terms = possible if self.max_num_terms is None else min(self.max_num_terms, possible)
        num_terms = randint(1, max_terms) if self.term_sampling == "uniform" else max_terms
        choose_degree = self.degree_sampling == "uniform"
        backend = self.backend
        for attempt in range(self.max_attempts):
            poly = ring.from_dict(draw_terms(source, n, degree, num_terms, choose_degree,
                                             coeff))
            tdeg, count = backend.degree_and_terms(poly)
            if not count and self.nonzero_instance:
                continue
            if tdeg < self.min_degree:
                continue
            if not self.strictly_conditioned:
                return poly
            if tdeg == degree and count == num_terms:
                return poly
        raise RuntimeError(f"Failed to generate polynomial satisfying conditions after "
                           f"{self.max_attempts} attempts")

    def _sample_matrix(self, size, density, matrix_type):
        import numpy as np

        rows, cols = size
        ring = self.ring()
        entries = []
        for _ in range(rows * cols):
            p = self._sample_polynomial()
            if self.rng.random() >= density:
                p = ring.zero()
            entries.append(p)
        M = np.empty((rows, cols), dtype=object)
        for k, p in enumerate(entries):
            M[k // cols, k % cols] = p
        if matrix_type == "unimodular_upper_triangular":
            for i in range(rows):
                for j in range(min(i + 1, cols)):
                    M[i, j] = ring.one() if i == j else ring.zero()
        return M
