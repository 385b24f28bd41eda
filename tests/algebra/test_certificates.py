"""The verifiers that first check a certificate (gcd: division and coprime cofactors; factor:
irreducible factors; eigenvector: a bound on the top eigenvalue) give the verdicts of the
full re-derivation, on right answers and on answers broken on purpose; and the certificate
does decide the right ones."""

import random

import pytest

import synthset.algebra.problems.eigenvector as eigenvector_module
import synthset.algebra.problems.factor as factor_module
import synthset.algebra.problems.gcd as gcd_module
from synthset.algebra import terms as T
from synthset.core.nested import to_strings
from synthset.tasks.registry import get_task


def _verdict(task, problem, answer):
    try:
        return bool(task.check(problem, answer))
    except Exception as exc:  # the class and the message are the verdict
        return f"{type(exc).__name__}: {exc}"


def _verdicts(monkeypatch, module, name, cases, task):
    """The verdicts with the certificate, and without it (``name`` proves nothing)."""
    fast = [_verdict(task, p, a) for p, a in cases]
    with monkeypatch.context() as m:
        m.setattr(module, name, lambda *args, **kwargs: False)
        full = [_verdict(task, p, a) for p, a in cases]
    return fast, full


def _write(terms: dict, names) -> str:
    """A term dict as text the verifiers read (coefficients ints or Fractions)."""
    if not terms:
        return "0"
    out = []
    for mono, c in sorted(terms.items(), reverse=True):
        powers = [n if e == 1 else f"{n}^{e}" for n, e in zip(names, mono) if e]
        sign = "-" if c < 0 else "+"
        body = "*".join(([str(abs(c))] if abs(c) != 1 or not powers else []) + powers)
        out.append(f"{sign} {body}")
    text = " ".join(out)
    return text[2:] if text.startswith("+ ") else "-" + text[2:]


@pytest.mark.parametrize("config", [{}, {"field": "QQ"}, {"field": "ZZ"},
                                    {"field": "GF(5)", "symbols": "x, y, z"}])
def test_gcd_certificate_gives_the_full_checks_verdicts(monkeypatch, config):
    task = get_task("poly_gcd", **config)
    names = task._symbols
    cases = []
    for seed in range(40):
        problem, answer = map(to_strings, task(seed))
        g = task.terms_of(answer)
        x = {tuple(int(i == 0) for i in range(len(names))): 1}
        cases += [(problem, answer), (problem, answer + " + 1"), (problem, "1"),
                  (problem, _write(T.mul(g, x, task._field), names)),
                  (problem, _write(T.scale(g, 2, task._field), names)),
                  ([problem[0], problem[0]], answer)]
    fast, full = _verdicts(monkeypatch, gcd_module, "_certified", cases, task)
    assert fast == full
    proved = sum(gcd_module._certified(*(task.terms_of(s) for s in (*p, a)), task._field)
                 for p, a in cases[::6])
    assert proved >= 30 and full[::6] == [True] * 40


@pytest.mark.parametrize("config", [{}, {"field": "QQ", "symbols": "x"},
                                    {"field": "GF(7)", "symbols": "x"},
                                    {"symbols": "x, y, z", "k": 3, "max_degree": 2}])
def test_factor_certificate_gives_the_full_checks_verdicts(monkeypatch, config):
    task = get_task("poly_factor", **config)
    names, fld = task._symbols, task._field
    cases = []
    for seed in range(25):
        problem, answer = map(to_strings, task(seed))
        cases.append((problem, answer))
        factors = [a for a in answer if T.total_degree(task.terms_of(a)) > 0]
        rest = [a for a in answer if a not in factors]
        if len(factors) >= 2:  # two factors written as their product: still the problem
            merged = T.mul(task.terms_of(factors[0]), task.terms_of(factors[1]), fld)
            cases.append((problem, rest + [_write(merged, names)] + factors[2:]))
        if factors:  # a factor times 2, the constant halved: not primitive over ZZ
            doubled = _write(T.scale(task.terms_of(factors[0]), 2, fld), names)
            cases.append((problem, [*rest, doubled, *factors[1:]]))
            cases.append((problem, answer + [factors[0]]))
    fast, full = _verdicts(monkeypatch, factor_module, "irreducible", cases, task)
    assert fast == full
    assert full.count(True) >= 25 and full.count(False) >= 25


def test_eigenvector_bound_gives_the_full_checks_verdicts(monkeypatch):
    rng = random.Random(3)
    cases, tasks = [], [get_task("eigenvector", level=lv) for lv in (1, 5, 7, 10)]
    for task in tasks:
        for _ in range(60):
            problem, answer = map(to_strings, task(rng.getrandbits(64)))
            cases.append((task, problem, answer))
            broken = list(answer)
            i, kind = rng.randrange(len(broken)), rng.randrange(6)
            if kind == 0:  # one entry off by 1 to 20 units of its last digit
                broken[i] = f"{float(broken[i]) + rng.choice([1, -2, 5, 10, 20]) * 1e-4:.4f}"
            elif kind == 1:
                broken = [f"{-float(x):.4f}" for x in broken]
            elif kind == 2:
                broken = [f"{float(x) * 1.0006:.4f}" for x in broken]
            elif kind == 3:
                broken = broken[::-1]
            elif kind == 4:
                broken = ["0.0000"] * len(broken)
            else:
                broken[i] = "nan"
            cases.append((task, problem, broken))
    fast = [_verdict(t, p, a) for t, p, a in cases]
    with monkeypatch.context() as m:
        m.setattr(eigenvector_module, "_clearly_right", lambda *args: False)
        full = [_verdict(t, p, a) for t, p, a in cases]
    assert fast == full
    shown = sum(eigenvector_module._clearly_right(
        [[float(x) for x in row] for row in p], [float(x) for x in a], 1e-3)
        for _, p, a in cases[::2])
    assert shown >= 200 and full[::2] == [True] * 240


def test_written_out_sums_and_products_equal_the_terms_modules():
    from synthset.algebra.fields import parse_field
    from synthset.algebra.problems.arithmetic import _add, _mul

    rng = random.Random(0)
    for name in ("GF(7)", "GF(2)", "QQ", "ZZ"):
        field = parse_field(name)
        for n in (1, 2, 3):
            for _ in range(60):
                a, b = ({tuple(rng.randrange(4) for _ in range(n)): rng.randrange(1, 7)
                         for _ in range(rng.randrange(0, 7))} for _ in range(2))
                assert list(_add(a, b, field).items()) == list(T.add(a, b, field).items())
                assert list(_mul(a, b, field).items()) == list(T.mul(a, b, field).items())


def test_coprime_cofactors_that_share_a_root_at_every_point_of_a_small_field(monkeypatch):
    """GF(7): the cofactors x*y*(x - 1) and 6*x + 3*y^3 + 4 are coprime, but at each y in
    GF(7) the second's root is 0 or 1; the pseudo-remainder sequence proves it, and wrong
    answers stay wrong."""
    import synthset.algebra.problems.certify as certify

    task = get_task("poly_gcd")
    problem = ["x^2*y^2 + 5*x^2*y + 6*x*y^2 + 2*x*y", "3*y^4 + y^3 + 6*x*y + 2*x + 4*y + 6"]
    answers = ["y + 5", "1", "y + 4", "x*y + 5*x", "x + 6"]
    a, b, g = (task.terms_of(s) for s in (*problem, answers[0]))
    assert gcd_module._certified(a, b, g, task._field)
    fast, full = _verdicts(monkeypatch, gcd_module, "_certified",
                           [(problem, answer) for answer in answers], task)
    assert fast == full == [True, False, False, False, False]
    with monkeypatch.context() as m:  # without the sequence: not proved by the points alone
        m.setattr(certify, "_coprime_in", lambda *args: False)
        assert not gcd_module._certified(a, b, g, task._field)
    # a common factor (x + 1) is found in x and, rightly, not in y; over QQ as well
    fld = task._field
    h = {(1, 0): 1, (0, 0): 1}
    u, v = T.mul(h, {(1, 0): 1, (0, 1): 1}, fld), T.mul(h, {(1, 1): 1, (0, 0): 2}, fld)
    assert [certify._coprime_in(u, v, i, "GF", 7) for i in (0, 1)] == [False, True]
    u = {(2, 1): 1, (1, 1): 2, (1, 0): 1, (0, 0): 2}  # (x*y + 1)(x + 2)
    v = {(1, 2): 1, (1, 1): -3, (0, 1): 1, (0, 0): -3}  # (x*y + 1)(y - 3)
    assert [certify._coprime_in(u, v, i, "QQ", 0) for i in (0, 1)] == [False, False]


def test_a_quadratic_image_is_irreducible_when_it_has_no_rational_root():
    from synthset.algebra.problems.certify import _irreducible_image, _no_rational_root

    for c0 in range(-6, 7):
        for c1 in range(-6, 7):
            for c2 in (-4, -1, 1, 2, 3, 6):
                if c0:
                    assert _irreducible_image([c0, c1, c2], "ZZ", 0) == \
                        _no_rational_root([c0, c1, c2]), (c0, c1, c2)


@pytest.mark.parametrize("config", [{}, {"level": 2}, {"field": "QQ", "symbols": "x, y"}])
def test_groebner_certificate_gives_the_full_checks_verdicts(monkeypatch, config):
    import synthset.algebra.problems.groebner as groebner_module

    task = get_task("groebner", **config)
    names, fld = task._symbols, task._field
    cases = []
    for seed in range(12):
        problem, answer = map(to_strings, task(seed))
        h = task.terms_of(answer[-1])
        z = {tuple(int(i == len(names) - 1) for i in range(len(names))): 1}
        cases += [(task, problem, answer), (task, problem, answer[::-1]),
                  (task, problem, answer[:-1]), (task, problem, answer + [answer[0]]),
                  (task, problem, answer[:-1] + [_write(T.mul(h, z, fld), names)]),
                  (task, problem, answer[:-1] + [_write(T.add(h, T.one(len(names)), fld),
                                                        names)])]
    # F = A G for the ideal of (x - 1/2, y + 3, (z - 1)(z + 1)) over QQ; the answer with
    # z - 1 in place of the last holds F in its ideal, but is a larger ideal: no division
    # of F by it has a constant determinant, and the full check says no
    rational = get_task("groebner", field="QQ")
    problem = ["x + y*z + 3*z - 1/2", "y + 3", "x*y - 1/2*y + z^2 - 1"]
    right = ["x - 1/2", "y + 3", "z^2 - 1"]
    cases += [(rational, problem, right), (rational, problem, ["x - 1/2", "y + 3", "z - 1"]),
              (rational, right, right), (rational, right, ["x - 1/2", "y + 3", "z + 1"])]
    fast = [_verdict(t, p, a) for t, p, a in cases]
    with monkeypatch.context() as m:
        m.setattr(groebner_module, "_certified", lambda *args: False)
        full = [_verdict(t, p, a) for t, p, a in cases]
    assert fast == full
    assert full[:72:6] == [True] * 12 and full[72:] == [True, False, True, False]
    assert full.count(False) >= 40
    proved = [groebner_module._certified([t.terms_of(s) for s in p], [t.terms_of(s) for s in a],
                                         t._field, len(t._symbols))
              for t, p, a in cases[:72:6] + cases[72:]]
    assert sum(proved[:12]) >= 6 and proved[12:] == [True, False, True, False]


def test_two_variable_quotients_equal_the_general_loop():
    """``quotient`` in two variables (exponents written out) gives what its general loop
    gives for the same polynomials with a third variable of exponent 0."""
    from synthset.algebra.fields import parse_field
    from synthset.algebra.problems.certify import quotient

    rng = random.Random(5)
    for name in ("GF(7)", "GF(2)", "QQ", "ZZ"):
        fld = parse_field(name)
        found = 0
        for _ in range(150):
            g, h = ({(rng.randrange(3), rng.randrange(3)): rng.randrange(1, 7)
                     for _ in range(rng.randrange(1, 4))} for _ in range(2))
            g, h = T.scale(g, 1, fld), T.scale(h, 1, fld)
            if not g or not h:
                continue
            a = T.mul(g, h, fld)
            if rng.random() < 0.3:
                a = T.add(a, {(0, 0): 1}, fld)
            got = quotient(a, g, fld.kind, fld.p or 0)
            wide = quotient({m + (0,): c for m, c in a.items()},
                            {m + (0,): c for m, c in g.items()}, fld.kind, fld.p or 0)
            assert got == (None if wide is None else {m[:2]: c for m, c in wide.items()})
            found += got is not None
        assert found >= 30
