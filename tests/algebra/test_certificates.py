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
