"""What every problem shares: its backend and ring, statistics, string helpers, and the task
contract (prompt/answer text, the verifier as a scorer, levels).

A problem's record is CALT's ``(problem, answer)`` pair; its example's ``prompt`` and ``answer``
are their ``*_raw.txt`` strings (list items joined with `` | ``, inner lists with `` || ``), and
``meta`` keeps the nested strings the verifier reads.
"""

from __future__ import annotations

import dataclasses
import functools
import random
import re
from abc import abstractmethod
from types import MappingProxyType
from dataclasses import dataclass
from fractions import Fraction

from synthset.algebra.backends import BACKENDS, get_backend
from synthset.algebra.fields import parse_field, parse_order, parse_symbols
from synthset.algebra.parse import _cast as cast_coefficient
from synthset.algebra.parse import parse_terms
from synthset.algebra.sampling import PolynomialSampler
from synthset.core.nested import read_like
from synthset.core.task import PairTask, check_fields, check_level


# _poly_stats of what holds no polynomial object (a string, a number, lists of them)
_NO_POLYNOMIALS = MappingProxyType({"num_polynomials": 0, "total_degree": 0, "num_terms": 0,
                                    "max_coeff_size": 0})


@dataclass
class Problem(PairTask):
    """Base of the problems: ``backend`` names the algebra engine; subclasses add parameters
    (dataclass fields, checked against their declared types by ``check_fields``),
    ``generate(rng)``, and ``check(problem, answer)`` on the written strings, independent of
    the backend that made them. ``LEVELS`` maps 1..10 to fields. A subclass's
    ``__post_init__`` calls ``super().__post_init__()`` first."""

    backend: str = "sympy"

    kind = "algebra"
    LEVELS = {}  # level -> fields
    # The backends the problem runs on; empty: it uses none (any backend name is accepted).
    BACKENDS = ()
    # What ``stored_statistics`` gives for every stored sample when ``statistics`` is this
    # class's: one object, never changed (the check reads its values once).
    STORED_STATISTICS = MappingProxyType({"problem": _NO_POLYNOMIALS,
                                          "answer": _NO_POLYNOMIALS})

    def __post_init__(self):
        # Types first: a later check (or a worker's generate) then sees the declared types.
        check_fields(self)

    @abstractmethod
    def generate(self, rng: random.Random):
        ...

    @abstractmethod
    def check(self, problem, answer) -> bool:
        ...

    # -- the contract ----------------------------------------------------------------------
    def sample(self, rng: random.Random):
        return self.generate(rng)

    def verifies(self, problem, answer) -> bool:
        return self.check(problem, answer)

    def buckets(self, example: dict) -> dict[str, int]:
        """How many items the problem lists and how many terms its answer has."""
        problem, answer = example["meta"]["problem"], example["meta"]["answer"]
        leaves = [x for item in (answer if isinstance(answer, list) else [answer])
                  for x in (item if isinstance(item, list) else [item])]
        return {"problem_items": len(problem) if isinstance(problem, list) else 1,
                "answer_terms": sum(1 + leaf.count(" + ") + leaf.count(" - ")
                                    for leaf in leaves)}

    def _score(self, text: str, example: dict) -> float:
        """The answer read back in the shape of the reference (`` | `` and `` || `` between
        items, spaces around them optional) and judged by ``check`` on the problem."""
        return float(self.accepts(example["meta"]["problem"],
                                  read_like(text, example["meta"]["answer"])))

    def accepts(self, problem, answer) -> bool:
        """Whether ``answer`` is a right answer to ``problem`` (``check``, unless several
        spellings of the answer are right)."""
        return self.check(problem, answer)

    def level_config(self, level: int) -> dict:
        return dict(self.LEVELS[check_level(level)]) if self.LEVELS else {}

    def config_fields(self) -> list[dict]:
        docs = _field_docs(type(self))
        return [{"name": f.name, "default": f.default, "value": getattr(self, f.name),
                 "doc": docs.get(f.name, "")}
                for f in dataclasses.fields(self) if f.name != "backend"]

    def backends(self) -> list[str]:
        return list(self.BACKENDS)

    def load_backend(self) -> None:
        """Import the backend's library now, or raise the error naming its extra: a problem
        built to sample fails here, in one line, not at each sample in a worker (made
        without it, the problem can still be described: ``synthset tasks``)."""
        if self.BACKENDS:
            get_backend(self.backend)

    def statistics(self, problem, answer) -> dict:
        eng = get_backend(self.backend)
        return {"problem": _poly_stats(eng, problem), "answer": _poly_stats(eng, answer)}

    def stored_statistics(self, problem, answer) -> dict:
        """``statistics`` of a stored sample (strings, or lists of them: what ``synthset
        check`` reads). Strings hold no polynomial object, so ``statistics`` above counts
        none in them: its result is known without the backend."""
        if type(self).statistics is not Problem.statistics:
            return self.statistics(problem, answer)
        return self.STORED_STATISTICS


def _field_docs(cls) -> dict[str, str]:
    """Trailing ``# comments`` on a problem's field lines, as their docs."""
    import inspect

    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        try:
            source = inspect.getsource(klass)
        except (OSError, TypeError):
            continue
        for m in re.finditer(r"^\s+(\w+): [^=\n]+=[^#\n]*#\s*(.+)$", source, re.M):
            docs[m.group(1)] = m.group(2).strip()
    return docs


def poly_levels(names=("x", "y", "z"), **fixed) -> dict[int, dict]:
    """Levels of a polynomial problem: more variables, higher degree, more terms and larger
    coefficients (ZZ/RR: max |c|; QQ: numerator and denominator bound; GF(p): unchanged)."""
    table = [(1, 1, 2, 3), (1, 2, 3, 5), (2, 2, 3, 5), (2, 3, 4, 10), (2, 3, 5, 10),
             (2, 4, 6, 20), (3, 4, 6, 20), (3, 5, 8, 50), (3, 6, 10, 100), (3, 7, 12, 100)]
    return {lv: {"symbols": ", ".join(names[:v]), "max_degree": d, "max_num_terms": t,
                 "coeff_bound": c, **fixed}
            for lv, (v, d, t, c) in enumerate(table, 1)}


@dataclass
class PolyProblem(Problem):
    """A problem over one polynomial ring (the sampler's settings are its fields)."""

    symbols: str = "x, y"  # the ring's variables, e.g. "x, y, z"
    field: str = "GF(7)"  # QQ, ZZ, RR or GF(p)
    order: str = "grevlex"  # lex, grlex/deglex or grevlex/degrevlex
    max_degree: int = 3  # total degree of each sampled polynomial at most
    max_num_terms: int = 5  # terms of each sampled polynomial at most
    min_degree: int = 0  # total degree at least
    coeff_bound: int | None = None  # |coefficients| (ZZ, RR) or num/den bound (QQ); None: 10

    LEVELS = poly_levels()
    BACKENDS = BACKENDS

    def __post_init__(self):
        super().__post_init__()
        self._field = parse_field(self.field)
        self._symbols = parse_symbols(self.symbols)
        self._order = parse_order(self.order)
        self.sampler(random.Random(0))  # check the sampler settings now, not in a worker

    def sampler(self, rng, **overrides):
        """A sampler with this problem's settings (and ``overrides``) drawing from ``rng``;
        made once per settings and reused, only its random source changes."""
        key = tuple(sorted(overrides.items()))
        cache = self.__dict__.setdefault("_samplers", {})
        sampler = cache.get(key)
        if sampler is None:
            settings = dict(symbols=self._symbols, field_str=self._field, order=self._order,
                            max_degree=self.max_degree, max_num_terms=self.max_num_terms,
                            min_degree=self.min_degree)
            if self.coeff_bound is not None:
                settings["num_bound" if self._field.kind == "QQ" else "max_coeff"] = \
                    self.coeff_bound
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
        """A written polynomial as a term dict (the verifiers' input): read by
        ``read_canonical`` when it is in the notation the backends write, else by
        ``parse_terms`` (the same dict, or its error)."""
        terms = read_canonical(text, self._symbols, self._field)
        return parse_terms(text, self._symbols, self._field) if terms is None else terms



_SIGNS = re.compile(r"\s*([-+])\s*")
_TERMS: dict = {}  # symbols -> {a term's text, without its sign: (exponents, coefficient)}
_CACHED_TERMS = 65536  # texts kept per ring
_MONOMIALS: dict = {}  # symbols -> {a term's text after its integer: (factor, exponents)}
_CACHED = 4096  # texts kept per ring


_SIGNED: dict = {}  # (symbols, field kind, p) -> {a term's text with its sign: (exponents, coefficient)}


def read_canonical(text, symbols: tuple, field):
    """``parse_terms(text, symbols, field)`` for the notation the backends write — terms
    joined by `` + `` / `` - ``, each ``*``-joined integer or ``a/b`` coefficients and
    ``name`` or ``name^e`` powers — by string splits and a table of the terms already read,
    instead of a token list (a fraction of the cost); None for anything else (signs in a
    row, spaces inside a term, decimals, ``**``, unknown names...), which ``parse_terms`` then
    reads or refuses.

    First as the backends write it exactly: split at `` + `` and `` - `` (the term after a
    minus keeps it), every term looked up in C in a table of signed terms already read, with
    their coefficient in the field; a text whose terms are all found, none of them zero and
    no monomial twice, is their dict. Anything else is read term by term below."""
    if type(text) is not str:
        return None
    ring = symbols, field.kind, field.p  # (a Field's own hash is computed in Python)
    table = _SIGNED.get(ring)
    if table is None:
        table = _SIGNED[ring] = {}
    if " + -" not in text:  # (a sign the split below would take for a term's own)
        pieces = text.replace(" - ", " + -").split(" + ")
        got = list(map(table.get, pieces))
        if None in got:
            for at, piece in enumerate(pieces):
                if got[at] is None:
                    got[at] = _signed_term(piece, symbols, field, table)
        if False not in got:
            out = dict(got)
            if len(out) == len(got):
                return out
    return _read_terms(text, symbols, field)


def _signed_term(piece: str, symbols: tuple, field, table: dict):
    """``(exponents, coefficient)`` of one term's text with its sign (a leading ``-``), the
    coefficient as ``_read_terms`` leaves it in ``field``; False when it is not one term or
    its coefficient is 0 (``_read_terms`` decides then). Kept in ``table``."""
    negative = piece[:1] == "-"
    known = _TERMS.get(symbols)
    if known is None:
        known = _TERMS[symbols] = {}
        _MONOMIALS[symbols] = {}
    rest = piece[1:] if negative else piece
    got = known.get(rest)
    if got is None:
        got = _term(rest, symbols, _MONOMIALS[symbols])
        if len(known) < _CACHED_TERMS:
            known[rest] = got
    if got is not False:
        mono, c = got
        if negative:
            c = -c
        try:
            if field.kind == "GF":
                c = c % field.p if type(c) is int else cast_coefficient(c, field)
            elif field.kind != "ZZ" or type(c) is not int:
                c = cast_coefficient(c, field)
        except Exception:  # (what _read_terms says of it)
            c = 0
        got = (mono, c) if c != 0 else False
    if len(table) < _CACHED_TERMS:
        table[piece] = got
    return got


def _read_terms(text: str, symbols: tuple, field):
    """``read_canonical`` term by term: signs and the spaces around them split by a regular
    expression, the coefficients of a monomial written twice added."""
    known = _TERMS.get(symbols)
    if known is None:
        known = _TERMS[symbols] = {}
        _MONOMIALS[symbols] = {}
    monomials = _MONOMIALS[symbols]
    pieces = _SIGNS.split(text.strip())
    first = pieces[0]
    if not first and len(pieces) < 3:
        return None
    terms: dict = {}
    # pieces: [first term (empty before a leading sign), sign, term, sign, term, ...]
    for at in range(-1 if first else 1, len(pieces), 2):
        piece = first if at < 0 else pieces[at + 1]
        got = known.get(piece)
        if got is None:
            got = _term(piece, symbols, monomials)
            if len(known) < _CACHED_TERMS:
                known[piece] = got
        if got is False:
            return None
        mono, coeff = got
        if at >= 0 and pieces[at] == "-":
            coeff = -coeff
        if mono in terms:
            terms[mono] += coeff
        else:
            terms[mono] = coeff
    out = {}
    if field.kind == "GF":
        p = field.p
        for m, c in terms.items():
            c = c % p if type(c) is int else cast_coefficient(c, field)
            if c:
                out[m] = c
        return out
    if field.kind == "ZZ":  # an integer stays as it is
        for m, c in terms.items():
            if type(c) is not int:
                c = cast_coefficient(c, field)
            if c:
                out[m] = c
        return out
    for m, c in terms.items():
        c = cast_coefficient(c, field)
        if c != 0:
            out[m] = c
    return out


def _term(piece: str, symbols: tuple, monomials: dict):
    """``(exponents, coefficient)`` of one term's text without its sign: an integer, then
    ``_monomial``'s product (looked up in ``monomials`` first); False when it is not one."""
    head, star, rest = piece.partition("*")
    if not piece or (star and not rest):
        return False
    if head.isdecimal():
        coeff = int(head)
    else:
        coeff, rest = 1, piece
    got = monomials.get(rest)
    if got is None:
        got = _monomial(rest, symbols)
        if len(monomials) < _CACHED:
            monomials[rest] = got
    if got is False:
        return False
    factor, mono = got
    return mono, coeff * factor if factor != 1 else coeff


def _monomial(text: str, symbols: tuple):
    """``(coefficient, exponents)`` of a ``*``-joined product of integers, ``a/b`` and
    powers ``name`` / ``name^e`` (the empty text: a term that is its integer alone); False
    when ``text`` is not one."""
    exps = [0] * len(symbols)
    coeff = 1
    if not text:
        return coeff, tuple(exps)
    for factor in text.split("*"):
        if factor.isdecimal():
            coeff *= int(factor)
            continue
        name, hat, power = factor.partition("^")
        if name not in symbols:
            num, slash, den = factor.partition("/")
            if slash and num.isdecimal() and den.isdecimal() and int(den):
                coeff *= Fraction(int(num), int(den))
                continue
            return False
        if hat and not power.isdecimal():
            return False
        exps[symbols.index(name)] += int(power) if hat else 1
    return coeff, tuple(exps)


def _poly_stats(eng, obj) -> dict:
    """Its polynomials' count, highest total degree, terms and largest coefficient. On a
    run's path: the degree and terms come from the backend's native count
    (``degree_and_terms``), the coefficients are read once (``max_coeff_size``)."""
    polys = _polys(obj, [])
    degree = terms = 0
    for poly in polys:
        d, n = eng.degree_and_terms(poly)
        if d > degree:
            degree = d
        terms += n
    return {"num_polynomials": len(polys), "total_degree": degree, "num_terms": terms,
            "max_coeff_size": max(map(eng.max_coeff_size, polys), default=0)}


def _polys(obj, out: list) -> list:
    """``out`` with the polynomials of ``obj`` appended in order: through lists, tuples and
    arrays (``tolist``); numbers and strings are not polynomials."""
    if isinstance(obj, (list, tuple)):
        for item in obj:
            _polys(item, out)
    elif isinstance(obj, (int, float, str)):
        pass
    elif hasattr(obj, "tolist"):
        _polys(obj.tolist(), out)
    else:
        out.append(obj)
    return out


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


def sympy_ring(symbols: tuple, field, order: str):
    """SymPy's sparse polynomial ring over ``field`` (GF(p) or QQ) in ``order`` (SymPy's name:
    lex, grlex, grevlex): the ring ``sympy.groebner`` computes in, built without the
    expressions it is otherwise reached through."""
    return _sympy_ring(tuple(symbols), field.kind, field.p if field.kind == "GF" else 0, order)


@functools.lru_cache(maxsize=64)
def _sympy_ring(symbols: tuple, kind: str, p: int, order: str):
    import sympy
    from sympy.polys.rings import PolyRing

    domain = sympy.GF(p) if kind == "GF" else sympy.QQ
    return PolyRing(sympy.symbols(list(symbols)), domain, order)


def ring_element(ring, terms: dict, field):
    """A term dict as an element of ``sympy_ring``."""
    if field.kind == "QQ":
        QQ = ring.domain
        terms = {m: QQ(c.numerator, c.denominator) if isinstance(c, Fraction) else QQ(c)
                 for m, c in terms.items()}
    return ring.from_dict(dict(terms))


def element_terms(element, field) -> dict:
    """An element of ``sympy_ring`` as a term dict (``poly_terms``'s values)."""
    out = {}
    for m, c in element.items():
        if field.kind == "GF":
            v = int(c) % field.p
        else:
            v = Fraction(int(c.numerator), int(c.denominator))
        if v != 0:
            out[tuple(m)] = v
    return out


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
