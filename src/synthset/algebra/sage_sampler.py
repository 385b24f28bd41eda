"""CALT's SageMath ``PolynomialSampler``: random polynomials drawn from Sage's random state.

calt-x 1.5.0's Sage sampler takes every draw from Sage's global random state — the one
``sage.misc.randstate.set_random_seed(seed)`` seeds: the degree and the number of terms from
``sage.misc.prandom.randint``, the monomials from ``ZZ[x...].random_element`` (which draws
``ZZ.random_element`` indices, then one ``ZZ.random_element(1, 2)`` per monomial for a
coefficient it throws away), univariate exponents from ``sage.misc.prandom.sample``, the
coefficients from ``randint`` in the order of the polynomial's terms (descending in the
ring's term order; ascending degree for a univariate ring) and a sign or a density draw from
``RR.random_element(0, 1)``. This class makes the same calls, in the same order, on the same
state, so a generator that seeds Sage and samples writes the same bytes under calt-x and
synthset (``tests/golden/sage_*``). It is what ``synthset.dataset.sagemath`` exports.

It is faster than calt-x's for the same draws: rings, monomial tables and Sage's bound
methods are made once (calt-x builds a polynomial ring over ZZ and a random polynomial for
every attempt), monomials come from tables instead of ``combination.from_rank``, and a
polynomial is built only once it is accepted. Sage itself is imported when the first sampler
is made, not when this module is.

synthset's own problems use the backend-independent sampler (``algebra/sampling.py``), whose
draws are plain Python numbers from a ``random.Random``; see docs/design.md.
"""

from __future__ import annotations

import math

from synthset.algebra.backends.sagemath import load_sage
from synthset.algebra.fields import parse_field, parse_symbols
from synthset.algebra.sampling import (
    check_sampling_options,
    monomials_by_rank,
    monomials_of_degree,
)
from synthset.core.errors import ConfigError, bad_choice
from synthset.core.rand import fast_randint

# Sage's names of the orders CALT's users pass (Sage itself knows no "grevlex"/"grlex").
ORDER_ALIASES = {"grevlex": "degrevlex", "grlex": "deglex"}

_SAGE = None  # the names this module takes from Sage, loaded by the first sampler
_TABLES: dict = {}  # (n, degree) -> monomial tables (see _tables)
_RINGS: dict = {}  # (field_str, symbols, order) -> Sage ring


def sage_names():
    """The Sage objects the sampler calls (imported on first use; a missing Sage names the
    extra to install)."""
    global _SAGE
    if _SAGE is None:
        sage = load_sage()
        from sage.misc.randstate import current_randstate

        _SAGE = {"sage": sage, "ZZ": sage.ZZ, "QQ": sage.QQ, "RR": sage.RR, "GF": sage.GF,
                 "PolynomialRing": sage.PolynomialRing, "matrix": sage.matrix,
                 "current_randstate": current_randstate, "half": sage.RR(0.5)}
    return _SAGE


def _tables(n: int, degree: int) -> tuple:
    """Monomial tables for n >= 2 variables up to ``degree``, in Sage's numbering:
    ``counts[d]`` monomials of degree d; all of them by overall index (degree by degree, each
    by its rank, as ``_random_monomial_upto_degree_uniform`` counts them); each degree's by
    rank (``_to_monomial``); and each degree's in ``IntegerVectors(d, n)`` order (the lists
    ``random_element`` pops from)."""
    key = (n, degree)
    found = _TABLES.get(key)
    if found is None:
        by_rank = [monomials_by_rank(n, d) for d in range(degree + 1)]
        counts = [len(t) for t in by_rank]
        flat = tuple(m for t in by_rank for m in t)
        vectors = tuple(tuple(monomials_of_degree(d, n)) for d in range(degree + 1))
        found = _TABLES[key] = (counts, len(flat), flat, by_rank, vectors)
    return found


def _term_sort(R):
    """A function sorting exponent tuples as the terms of a polynomial of ``R`` come out
    (descending in its term order), or None when only Singular can tell (other orders)."""
    name = R.term_order().name()
    if name == "lex":
        return lambda ms: sorted(ms, reverse=True)
    if name == "deglex":
        return lambda ms: sorted(ms, key=lambda m: (sum(m), m), reverse=True)
    if name == "degrevlex":
        return lambda ms: sorted(ms, key=lambda m: (sum(m), tuple(-e for e in reversed(m))),
                                 reverse=True)
    return None


class PolynomialSampler:
    """Random polynomials, or matrices of them, drawn from Sage's random state (calt-x 1.5.0's
    ``calt.dataset.sagemath.PolynomialSampler``, draw for draw).

    Args:
        symbols: variable names, ``"x, y"`` (one name gives a univariate ring).
        field_str: ``QQ``, ``ZZ``, ``RR``, ``GF(p)`` or ``GFp`` with p prime.
        order: Sage's term order (``degrevlex``, ``deglex``, ``lex``, ...; ``grevlex`` and
            ``grlex`` are read as ``degrevlex`` and ``deglex``).
        ring: a Sage polynomial ring instead of symbols, field_str and order.
        max_num_terms: at most this many terms (None: every monomial of the degree).
        max_degree, min_degree: the total degree's range.
        degree_sampling: ``uniform`` (a degree in [min, max], each monomial's degree chosen
            first) or ``fixed`` (max_degree, monomials uniform up to it).
        term_sampling: ``uniform`` (number of terms in [1, max]) or ``fixed``.
        max_coeff: coefficient bound for ZZ and RR (10); num_bound: for QQ's numerator and
            denominator (10).
        strictly_conditioned: retry until the degree and number of terms are the drawn ones.
        nonzero_instance: never return the zero polynomial.
        nonzero_coeff: draw non-zero coefficients only (the default here, as in calt-x).
        max_attempts: retries per polynomial before RuntimeError.

    Seed Sage, not Python's ``random``: ``sage.misc.randstate.set_random_seed(seed)``.
    Impossible settings are ConfigErrors when the sampler is made (calt-x fails at the first
    draw, or later).
    """

    def __init__(self, symbols: str | None = None, field_str: str | None = None,
                 order="degrevlex", ring=None, max_num_terms: int | None = 10,
                 max_degree: int = 5, min_degree: int = 0, degree_sampling: str = "uniform",
                 term_sampling: str = "uniform", max_coeff: int | None = None,
                 num_bound: int | None = None, strictly_conditioned: bool = True,
                 nonzero_instance: bool = True, nonzero_coeff: bool = True,
                 max_attempts: int = 1000, **unknown) -> None:
        if "rng" in unknown:
            raise ConfigError(
                "rng: the Sage sampler draws from Sage's random state, as calt-x's does (seed "
                "it with sage.misc.randstate.set_random_seed(seed)); for draws from a "
                "random.Random use synthset.algebra.sampling.PolynomialSampler(backend="
                "'sagemath', rng=...)")
        if unknown:
            raise TypeError(f"PolynomialSampler() got an unexpected keyword argument "
                            f"{next(iter(unknown))!r}")
        if ring is not None:
            if symbols is not None or field_str is not None:
                raise ConfigError("give either ring or symbols and field_str, not both")
            self.ring, self.symbols, self.field_str, self.order = ring, None, None, None
        else:
            if symbols is None or field_str is None or order is None:
                raise ConfigError("give symbols, field_str and order (or ring=)")
            parse_symbols(symbols)  # a clear error for a bad name, before Sage's
            parse_field(field_str)  # QQ, ZZ, RR or GF(p) with p prime
            self.ring, self.symbols, self.field_str = None, symbols, field_str
            self.order = ORDER_ALIASES.get(order, order) if isinstance(order, str) else order
        self.max_num_terms, self.max_degree, self.min_degree = (max_num_terms, max_degree,
                                                                min_degree)
        self.degree_sampling, self.term_sampling = degree_sampling, term_sampling
        self.max_coeff, self.num_bound = max_coeff, num_bound
        self.strictly_conditioned, self.nonzero_instance = strictly_conditioned, nonzero_instance
        self.nonzero_coeff, self.max_attempts = nonzero_coeff, max_attempts
        self._check()
        self._plan = None  # built with the ring, on first use (see _prepare)

    def _check(self) -> None:
        check_sampling_options(self)
        for key in ("max_coeff", "num_bound"):
            value = getattr(self, key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                      or value < 1):
                raise ConfigError(f"{key} must be a positive integer or None, got {value!r}")

    def __getstate__(self):  # Sage's rings pickle; the cached plan is rebuilt in the worker
        state = dict(self.__dict__)
        state["_plan"] = None
        return state

    # -- CALT's API --------------------------------------------------------------------------
    def get_field(self):
        """The Sage base ring: QQ, RR, ZZ or GF(p)."""
        if self.ring is not None:
            return self.ring.base_ring()
        S = sage_names()
        field = parse_field(self.field_str)
        return S["GF"](field.p) if field.kind == "GF" else S[field.kind]

    def get_ring(self):
        """The Sage polynomial ring (``ring``, or made from symbols, field_str and order)."""
        if self.ring is not None:
            return self.ring
        key = (self.field_str, str(self.symbols), str(self.order))
        R = _RINGS.get(key)
        if R is None:
            symbols = self.symbols
            if isinstance(symbols, str) and ":" in symbols:  # "x0:3", as the other faces
                symbols = ", ".join(parse_symbols(symbols))
            try:
                R = sage_names()["PolynomialRing"](self.get_field(), symbols, order=self.order)
            except (ValueError, TypeError) as exc:
                raise ConfigError(f"cannot make a polynomial ring with symbols={self.symbols!r}, "
                                  f"field_str={self.field_str!r}, order={self.order!r}: "
                                  f"{exc}") from None
            _RINGS[key] = R
        return R

    def sample(self, num_samples: int = 1, size: tuple[int, int] | None = None,
               density: float = 1.0, matrix_type: str | None = None) -> list:
        """``num_samples`` polynomials, or Sage matrices of them when ``size=(rows, cols)``:
        each entry is kept when ``RR.random_element(0, 1) < density``, and
        ``matrix_type="unimodular_upper_triangular"`` puts 1 on the diagonal and 0 below."""
        if size is not None:
            return [self._sample_matrix(size, density, matrix_type) for _ in range(num_samples)]
        return [self._sample_polynomial() for _ in range(num_samples)]

    # -- the draws ---------------------------------------------------------------------------
    def _prepare(self) -> tuple:
        """What every polynomial needs, worked out once: the ring, its number of variables,
        whether it is univariate, the coefficient kind, how terms are ordered."""
        S = sage_names()
        R = self.get_ring()
        F = R.base_ring()
        if F == S["QQ"]:
            kind = "QQ"
        elif F == S["RR"]:
            kind = "RR"
        elif F == S["ZZ"]:
            kind = "ZZ"
        elif F.characteristic() > 0 and F.is_prime_field():
            kind = "GF"
        else:
            raise ConfigError(f"unsupported coefficient ring {F}: use QQ, ZZ, RR or GF(p) with "
                              "p prime")
        n = int(R.ngens())
        univariate = n == 1
        # calt-x draws the coefficients in the order of the dict of a polynomial of R built by
        # adding the drawn terms: a univariate ring lists them by ascending degree; a
        # one-variable ring made by PolynomialRing(F, 1, ...) is multivariate: descending
        # when Singular holds it, in the order drawn when it is Sage's generic one (RR).
        ascending = univariate and not hasattr(R, "term_order")
        if univariate and not ascending and type(R.gen(0)).__name__ == "MPolynomial_polydict":
            ascending = None  # as drawn
        order = None if univariate else _term_sort(R)
        self._plan = (R, n, univariate, ascending, kind, order, F)
        return self._plan

    def _sample_polynomial(self):
        plan = self._plan or self._prepare()
        R, n, univariate, ascending, kind, order, F = plan
        S = _SAGE
        rs = S["current_randstate"]()
        randint = None  # Sage's python_random().randint, fetched at calt-x's first use of it
        if self.degree_sampling == "uniform":
            randint = fast_randint(rs.python_random())
            degree = randint(self.min_degree, self.max_degree)
        else:
            degree = self.max_degree
        possible = math.comb(degree + n, degree)
        max_terms = possible if self.max_num_terms is None else min(self.max_num_terms, possible)
        if self.term_sampling == "uniform":
            if randint is None:
                randint = fast_randint(rs.python_random())
            num_terms = randint(1, max_terms)
        else:
            num_terms = max_terms
        zz_draw = S["ZZ"].random_element
        rr_draw = S["RR"].random_element
        half = S["half"]
        choose_degree = self.degree_sampling == "uniform"
        nonzero = self.nonzero_coeff
        terms = None
        for attempt in range(self.max_attempts):
            if univariate:  # sage.misc.prandom.sample
                degrees = rs.python_random().sample(list(range(degree + 1)), num_terms)
                monomials = degrees if ascending is None else sorted(degrees,
                                                                     reverse=not ascending)
                if not ascending:
                    monomials = [(d,) for d in monomials]
            else:
                monomials = _random_monomials(zz_draw, n, degree, num_terms, choose_degree)
                monomials = order(monomials) if order is not None else [
                    tuple(e) for e in R(dict.fromkeys(monomials, 1)).exponents()]
            terms, randint = _coefficients(kind, monomials, randint, rs, rr_draw, half, nonzero,
                                           self.max_coeff, self.num_bound, F)
            # The polynomial's degree and number of terms, read off the draws (a zero
            # coefficient drops its term; the zero polynomial has degree -1, as in Sage).
            kept = [m for m, c in terms.items() if (c[0] if kind == "QQ" else c)]
            if not kept and self.nonzero_instance:
                continue
            if univariate:
                tdeg = max((m if ascending else m[0] for m in kept), default=-1)
            else:
                tdeg = max((sum(m) for m in kept), default=-1)
            if tdeg < self.min_degree:
                continue
            if not self.strictly_conditioned:
                break
            if tdeg == degree and len(kept) == num_terms:
                break
            if attempt == self.max_attempts - 1:
                raise RuntimeError(f"Failed to generate polynomial satisfying conditions after "
                                   f"{self.max_attempts} attempts")
        # calt-x returns the last polynomial drawn when every attempt was skipped
        return R(_field_values(kind, terms, F))

    def _sample_matrix(self, size, density: float = 1.0, matrix_type: str | None = None):
        if matrix_type not in (None, "unimodular_upper_triangular"):
            raise bad_choice("matrix_type", matrix_type, ["unimodular_upper_triangular"])
        S = sage_names()
        rows, cols = size
        R = self.get_ring()
        rr_draw = S["RR"].random_element
        entries = []
        for _ in range(rows * cols):
            p = self._sample_polynomial()
            if rr_draw(0, 1) >= density:
                p = R.zero()
            entries.append(p)
        M = S["matrix"](R, rows, cols, entries)
        if matrix_type == "unimodular_upper_triangular":
            for i in range(rows):
                for j in range(min(i + 1, cols)):
                    M[i, j] = 1 if i == j else 0
        return M


def _random_monomials(zz_draw, n: int, degree: int, terms: int, choose_degree: bool) -> list:
    """The exponent tuples ``ZZ[x...].random_element(degree, terms, choose_degree, x=1, y=2)``
    picks, with the same ``ZZ.random_element`` draws (its coefficient draws included)."""
    counts, total, flat, by_rank, vectors = _tables(n, degree)
    terms = min(terms, total)
    if degree == 0:
        zz_draw(1, 2)  # the constant's coefficient
        return [(0,) * n]
    if terms < total / 2:
        chosen: set = set()
        if not choose_degree:
            # Sage draws an index below total - 1: the last monomial is never picked
            while len(chosen) < terms:
                chosen.add(flat[int(zz_draw(0, total - 1))])
        else:
            while len(chosen) < terms:
                d = int(zz_draw(0, degree + 1))
                chosen.add(by_rank[d][int(zz_draw(0, counts[d]))])
        monomials = list(chosen)
    elif not choose_degree:
        monomials = [m for t in vectors for m in t]
        for _ in range(total - terms):  # index below len - 1, as Sage draws it
            monomials.pop(int(zz_draw(0, len(monomials) - 1)))
    else:
        per_degree = [list(t) for t in vectors]
        monomials = []
        for _ in range(terms):
            d = int(zz_draw(0, len(per_degree)))
            monomials.append(per_degree[d].pop(int(zz_draw(0, len(per_degree[d])))))
            if not per_degree[d]:
                per_degree.pop(d)
    for _ in monomials:  # the coefficients random_element draws (all 1) and calt-x discards
        zz_draw(1, 2)
    return monomials


def _coefficients(kind: str, monomials, randint, rs, rr_draw, half, nonzero: bool,
                  max_coeff, num_bound, F) -> tuple[dict, object]:
    """``({monomial: coefficient}, randint)`` with calt-x's coefficient draws, in the terms'
    order: ints for ZZ and GF(p), ``(numerator, denominator)`` for QQ, RealNumbers for RR.

    ``randint`` is None until Sage's ``python_random()`` has been asked for in this sample:
    it is then fetched exactly where calt-x first calls ``randint`` (making it draws from the
    same state, so the moment matters).
    """
    out = {}
    if kind == "RR":
        c = 10 if max_coeff is None else max_coeff
        for m in monomials:
            value = rr_draw(min=-c, max=c)
            while nonzero and value == 0:
                value = rr_draw(min=-c, max=c)
            out[m] = value
        return out, randint
    if kind == "QQ":
        bound = 10 if num_bound is None else num_bound
        low, high, span = -bound, bound, (1, bound, -bound, -1)
    elif kind == "ZZ":
        c = 10 if max_coeff is None else max_coeff
        low, high, span = -c, c, (1, c, -c, -1)
    else:  # GF(p): [1, p - 1] or [0, p - 1]
        p = int(F.characteristic())
        low, high, span = 0, p - 1, None
    for m in monomials:
        if nonzero and span is not None:  # the sign first, from RR
            positive = rr_draw(0, 1) < half
            if randint is None:
                randint = fast_randint(rs.python_random())
            value = randint(span[0], span[1]) if positive else randint(span[2], span[3])
        else:
            if randint is None:
                randint = fast_randint(rs.python_random())
            value = randint(1 if nonzero else low, high)
        out[m] = (value, randint(1, bound)) if kind == "QQ" else value
    return out, randint


def _field_values(kind: str, terms: dict, F) -> dict:
    """The drawn coefficients as elements the ring takes (QQ pairs become rationals)."""
    if kind == "QQ":
        return {m: F((num, den)) for m, (num, den) in terms.items()}
    return terms
