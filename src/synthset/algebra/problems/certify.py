"""Certificates the verifiers check before re-deriving an answer: exact division, coprimality
and irreducibility of polynomials as term dicts (``algebra.terms``), by one-variable images.

Each test returns True only when it has proved its property; False means "not proved" (the
verifier then re-derives the answer as before), never "false". So a verdict reached through
them is the one the full re-derivation gives.

- ``quotient(a, g)``: ``a / g`` when ``g`` divides ``a`` exactly (division by leading terms in
  lex order), else None.
- ``coprime(u, v)``: no common factor of positive degree. For each variable ``x`` in which both
  have positive degree, the other variables are set to numbers at which ``u``'s leading
  coefficient in ``x`` does not vanish; a common factor ``h`` with ``x`` in it would then keep
  its degree in ``x`` and divide both images, so images with a constant gcd rule out every
  such ``h``. A factor free of every variable is a constant. Where no point clears variable
  ``x`` (over a small GF(p) every point's images can share a root while ``u`` and ``v`` are
  coprime), a pseudo-remainder sequence in ``x`` over the other variables decides it: its
  last nonzero remainder has degree 0 in ``x`` exactly when no common factor holds ``x``.
- ``irreducible(f)``: over QQ, ZZ (with content 1) or GF(p) in one variable. With a main
  variable ``x`` two of whose coefficients (polynomials in the other variables) are coprime
  (so no factor is free of ``x``: it would divide both) and an image of the same degree in
  ``x`` that is irreducible, no splitting of ``f`` into two factors of positive degree in
  ``x`` exists (both would keep their degree in the image). One-variable images are
  irreducible at degree 1, at degree 2 when the discriminant is not a square, at degree 3
  without a rational root, otherwise when SymPy's
  factorisation of the image (small: one variable) finds one factor.

Images are taken at a few fixed points, the same for every sample: which points are tried
changes how often a proof is found, never its verdict.
"""

from __future__ import annotations

from fractions import Fraction

# Values tried for the variables set to numbers, in order (GF(p): taken mod p).
POINTS = (1, 2, 3, 5, 4, 6)
# The most candidate rational roots a degree 2 or 3 image is searched for (else SymPy's
# factorisation decides it).
MAX_CANDIDATES = 400


# -- exact division ---------------------------------------------------------------------------
def quotient(a: dict, g: dict, kind: str, p: int = 0) -> dict | None:
    """``a / g`` over GF(p) (``kind`` "GF"), QQ or ZZ (integer quotient) when ``g`` divides
    ``a``, else None (division by leading terms in lex order)."""
    if not g:
        return None
    lead = max(g)
    lc = g[lead]
    gf = kind == "GF"
    inv = pow(lc, -1, p) if gf else None
    rest = dict(a)
    out = {}
    others = [(m, c) for m, c in g.items() if m != lead]
    if len(lead) == 2:  # the same steps, the exponents of two variables written out
        return _quotient2(rest, lead, lc, inv, others, kind, p)
    while rest:
        m = max(rest)
        shift = tuple([x - y for x, y in zip(m, lead)])
        if min(shift) < 0:
            return None
        c = rest.pop(m)
        if gf:
            q = c * inv % p
        elif kind == "ZZ":
            q, r = divmod(c, lc)
            if r:
                return None
        else:
            q = Fraction(c) / lc
        out[shift] = q
        for mg, cg in others:
            key = tuple([x + y for x, y in zip(shift, mg)])
            v = rest.get(key, 0) - q * cg
            if gf:
                v %= p
            if v:
                rest[key] = v
            else:
                rest.pop(key, None)
    return out


def _quotient2(rest: dict, lead: tuple, lc, inv, others: list, kind: str, p: int):
    """``quotient``'s loop for two variables."""
    gf = kind == "GF"
    l0, l1 = lead
    out = {}
    get = rest.get
    while rest:
        m = max(rest)
        s0, s1 = m[0] - l0, m[1] - l1
        if s0 < 0 or s1 < 0:
            return None
        c = rest.pop(m)
        if gf:
            q = c * inv % p
        elif kind == "ZZ":
            q, r = divmod(c, lc)
            if r:
                return None
        else:
            q = Fraction(c) / lc
        out[(s0, s1)] = q
        for (g0, g1), cg in others:
            key = (s0 + g0, s1 + g1)
            v = get(key, 0) - q * cg
            if gf:
                v %= p
            if v:
                rest[key] = v
            else:
                rest.pop(key, None)
    return out


# -- one-variable images ----------------------------------------------------------------------
def _image(terms: dict, i: int, point: tuple, kind: str, p: int) -> list:
    """The coefficients (constant first) of ``terms`` with every variable but ``i`` set to
    ``point``'s values."""
    coeffs: dict = {}
    for m, c in terms.items():
        v = c
        for k, e in enumerate(m):
            if e and k != i:
                v *= point[k] ** e
        coeffs[m[i]] = coeffs.get(m[i], 0) + v
    top = max(coeffs)
    out = [coeffs.get(d, 0) for d in range(top + 1)]
    if kind == "GF":
        out = [c % p for c in out]
    return out


def _trim(c: list) -> list:
    while c and not c[-1]:
        c.pop()
    return c


def _constant_gcd(f: list, g: list, kind: str, p: int) -> bool:
    """Whether two one-variable polynomials (constant first, ``f`` nonzero) have a constant
    gcd (Euclid's algorithm over GF(p) or QQ)."""
    f, g = _trim(list(f)), _trim(list(g))
    if kind != "GF":
        f, g = [Fraction(c) for c in f], [Fraction(c) for c in g]
    while g:
        if len(g) == 1:
            return True  # a nonzero constant divides out: gcd 1
        inv = pow(g[-1], -1, p) if kind == "GF" else 1 / g[-1]
        while len(f) >= len(g):
            q = f[-1] * inv
            if kind == "GF":
                q %= p
            shift = len(f) - len(g)
            for j, c in enumerate(g):
                f[shift + j] -= q * c
                if kind == "GF":
                    f[shift + j] %= p
            _trim(f)
        f, g = g, f
    return len(f) == 1


def _degrees(terms: dict, n: int) -> list[int]:
    return [max(m[i] for m in terms) for i in range(n)]


def _points(n: int, kind: str, p: int):
    """The points tried: POINTS rotated, so that the variables get different values."""
    for j in range(len(POINTS)):
        point = tuple(POINTS[(j + k) % len(POINTS)] for k in range(n))
        yield tuple(v % p for v in point) if kind == "GF" else point


def coprime(u: dict, v: dict, kind: str, p: int = 0) -> bool:
    """True when ``u`` and ``v`` (nonzero) provably have no common factor of positive degree
    (see the module docstring); False: not proved."""
    if not u or not v:
        return False
    n = len(next(iter(u)))
    du, dv = _degrees(u, n), _degrees(v, n)
    for i in range(n):
        if not du[i] or not dv[i]:
            continue  # a common factor with variable i in it would be in both
        for point in _points(n, kind, p):
            image_u = _image(u, i, point, kind, p)
            if len(image_u) - 1 != du[i] or not image_u[-1]:
                continue  # u's leading coefficient in variable i vanishes there
            if _constant_gcd(image_u, _image(v, i, point, kind, p), kind, p):
                break
        else:
            if not _coprime_in(u, v, i, kind, p):
                return False
    return True


# The most terms a pseudo-remainder sequence may hold before it gives up (not proved).
MAX_PRS_TERMS = 2000


def _coprime_in(u: dict, v: dict, i: int, kind: str, p: int) -> bool:
    """True when ``u`` and ``v`` provably have no common factor with variable ``i`` in it:
    as polynomials in that variable over the others, their pseudo-remainder sequence (each
    remainder ``lc(b)^k a - q b``, a combination of the two with the same gcd over the
    field of fractions) ends with a remainder of degree 0 in it. False: not proved (a common
    factor, or a sequence larger than ``MAX_PRS_TERMS`` terms)."""
    gf = kind == "GF"

    def split(f: dict) -> dict:  # degree in variable i -> its coefficient (a term dict)
        out: dict = {}
        for m, c in f.items():
            out.setdefault(m[i], {})[m[:i] + (0,) + m[i + 1:]] = c
        return out

    def mul(a: dict, b: dict) -> dict:
        out: dict = {}
        for ma, ca in a.items():
            for mb, cb in b.items():
                m = tuple([x + y for x, y in zip(ma, mb)])
                out[m] = out.get(m, 0) + ca * cb
        return {m: c % p if gf else c for m, c in out.items() if (c % p if gf else c)}

    def sub(a: dict, b: dict) -> dict:
        out = dict(a)
        for m, c in b.items():
            d = out.get(m, 0) - c
            if gf:
                d %= p
            if d:
                out[m] = d
            else:
                out.pop(m, None)
        return out

    def prem(a: dict, b: dict) -> dict:
        db = max(b)
        lb = b[db]
        while a and max(a) >= db:
            da = max(a)
            la = a[da]
            out = {d: mul(lb, c) for d, c in a.items() if d != da}
            for d, c in b.items():
                if d != db:
                    k = d + da - db
                    out[k] = sub(out.get(k, {}), mul(la, c))
            a = {d: c for d, c in out.items() if c}
            if sum(len(c) for c in a.values()) > MAX_PRS_TERMS:
                return None
        return a

    a, b = split(u), split(v)
    if max(a) < max(b):
        a, b = b, a
    while b:
        if max(b) == 0:
            return True  # a nonzero remainder free of the variable: a unit over the fractions
        a, b = b, prem(a, b)
        if b is None:
            return False
    return max(a) == 0


# -- irreducibility ---------------------------------------------------------------------------
def _content(terms: dict) -> int:
    from math import gcd

    out = 0
    for c in terms.values():
        out = gcd(out, c)
    return out


def _no_rational_root(f: list) -> bool | None:
    """For integer coefficients (constant first, degree 2 or 3, nonzero constant term):
    whether no rational root exists; None when there are too many candidates to try."""
    from math import isqrt

    def divisors(n: int) -> list[int]:
        n = abs(n)
        small = [d for d in range(1, isqrt(n) + 1) if n % d == 0]
        return small + [n // d for d in reversed(small) if d * d != n]

    tops, bottoms = divisors(f[0]), divisors(f[-1])
    if len(tops) * len(bottoms) > MAX_CANDIDATES:
        return None
    d = len(f) - 1
    for num in tops:
        for den in bottoms:
            for s in (num, -num):
                # f(s/den) * den^d, exactly
                if sum(c * s ** k * den ** (d - k) for k, c in enumerate(f)) == 0:
                    return False
    return True


def _irreducible_image(f: list, kind: str, p: int) -> bool:
    """Whether a one-variable polynomial (constant first, degree >= 1) is irreducible over QQ
    (``kind`` QQ or ZZ: the content does not matter there) or GF(p)."""
    d = len(f) - 1
    if d == 1:
        return True
    if kind == "GF":
        from sympy import ZZ
        from sympy.polys.galoistools import gf_irreducible_p

        return bool(gf_irreducible_p(list(reversed(f)), p, ZZ))
    if any(type(c) is not int for c in f):  # QQ: clear the denominators
        from math import lcm

        den = lcm(*(Fraction(c).denominator for c in f))
        f = [int(Fraction(c) * den) for c in f]
    if f[0] == 0:
        return False  # divisible by the variable
    if d == 2:  # a rational root exactly when the discriminant is a square
        from math import isqrt

        disc = f[1] * f[1] - 4 * f[0] * f[2]
        return disc < 0 or isqrt(disc) ** 2 != disc
    if d == 3:
        found = _no_rational_root(f)
        if found is not None:
            return found
    from sympy import ZZ
    from sympy.polys.factortools import dup_zz_factor

    _, factors = dup_zz_factor([ZZ(c) for c in reversed(f)], ZZ)
    return len(factors) == 1 and factors[0][1] == 1 and len(factors[0][0]) == d + 1


def _content_free(f: dict, i: int, kind: str, p: int) -> bool:
    """True when no factor of ``f`` of positive degree is free of variable ``i``: two of
    ``f``'s coefficients as a polynomial in variable ``i`` (polynomials in the others) are
    coprime, such a factor dividing every one of them (a constant coefficient is coprime to
    any). False: not proved."""
    coeffs: dict = {}
    for m, c in f.items():
        coeffs.setdefault(m[i], {})[m[:i] + (0,) + m[i + 1:]] = c
    polys = sorted(coeffs.values(), key=len)
    return any(coprime(polys[a], polys[b], kind, p)
               for a in range(min(len(polys), 3)) for b in range(a + 1, len(polys)))


def irreducible(f: dict, kind: str, p: int = 0) -> bool:
    """True when ``f`` (of positive degree) is provably irreducible (see the module
    docstring): over QQ; over ZZ with content 1; over GF(p) in one variable. False: not
    proved."""
    if not f:
        return False
    n = len(next(iter(f)))
    if kind == "GF" and n > 1:
        return False
    if kind == "ZZ" and abs(_content(f)) != 1:
        return False
    if sum(max(f, key=sum)) == 1:
        return True  # degree 1 (content 1 over ZZ)
    degrees = _degrees(f, n)
    for i in range(n):
        if not degrees[i]:
            continue
        if not _content_free(f, i, kind, p):
            continue
        if n == 1:
            return _irreducible_image(_image(f, 0, (0,), kind, p), kind, p)
        for point in _points(n, kind, p):
            image = _image(f, i, point, kind, p)
            if len(image) - 1 == degrees[i] and image[-1] \
                    and _irreducible_image(image, kind, p):
                return True
    return False
