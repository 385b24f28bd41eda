"""The backends' own ``max_coeff_size`` gives the base method's value (the one the statistics
always held: |c|, max(|numerator|, denominator) over QQ, the residue in [0, p) over GF(p), a
float over RR; 0 for the zero polynomial) for every field, and the same statistics files."""

import json
import random

import pytest

from synthset.algebra.backends.base import Backend
from synthset.algebra.backends.flint import FlintBackend
from synthset.algebra.backends.sympy import SympyBackend
from synthset.algebra.fields import parse_field
from synthset.algebra.problems.reduction import DegenerateIdeal
from synthset.tasks.registry import REGISTRY, get_task

FIELDS = {"flint": ["ZZ", "QQ", "GF(7)", "GF(2305843009213693951)",
                    "GF(18446744073709551629)"],  # nmod below 2^63, fmpz_mod above
          "sympy": ["ZZ", "QQ", "GF(7)", "GF(18446744073709551629)", "RR"]}
BACKENDS = {"flint": FlintBackend, "sympy": SympyBackend}


def _coefficient(rng, kind):
    """Small, negative and large values (up to 2^200), as a backend's ``from_dict`` takes."""
    size = rng.choice([3, 100, 2**64, 2**200])
    num = rng.randint(-size, size)
    if kind == "QQ":
        return num, rng.randint(1, rng.choice([1, 7, 2**70]))
    if kind == "RR":
        return rng.choice([num, num * 1e-300, num * 1e250, rng.uniform(-1, 1)])
    return num


def _polynomials(backend, field, rng, n=300):
    """Zero, constant, one-term and many-term polynomials, and products (where FLINT's QQ
    polynomials share one content), in three variables."""
    ring = backend.ring(("x", "y", "z"), parse_field(field), "degrevlex")
    kind = ring.field.kind
    polys = [ring.zero(), ring.one(), ring.from_dict({(0, 0, 0): _coefficient(rng, kind)})]
    while len(polys) < n:
        terms = {tuple(rng.randint(0, 3) for _ in range(3)): _coefficient(rng, kind)
                 for _ in range(rng.choice([0, 1, 2, 5, 12]))}
        poly = ring.from_dict(terms)
        polys.append(poly * ring.from_dict(terms) if rng.random() < 0.3 else poly)
    return polys


@pytest.mark.parametrize("name, field", [(b, f) for b, fields in FIELDS.items() for f in fields])
def test_native_max_coeff_size_is_the_base_methods_value(name, field):
    backend = BACKENDS[name].shared()
    polys = _polynomials(backend, field, random.Random(f"{name} {field}"))
    assert any(backend.is_zero(p) for p in polys)
    for poly in polys:
        native, reference = backend.max_coeff_size(poly), Backend.max_coeff_size(backend, poly)
        assert (native, type(native)) == (reference, type(reference)), backend.to_str(poly)


def test_sympy_rr_value_is_a_float_and_zero_an_int():
    backend = SympyBackend.shared()
    ring = backend.ring(("x", "y"), parse_field("RR"), "lex")
    assert backend.max_coeff_size(ring.from_dict({(1, 0): -2.5, (0, 0): 1.0})) == 2.5
    assert backend.max_coeff_size(ring.zero()) == 0
    assert type(backend.max_coeff_size(ring.zero())) is int


@pytest.mark.parametrize("name, backend", [(n, b) for n, e in REGISTRY.items()
                                           if e.kind == "algebra" for b in ("sympy", "flint")
                                           if b in get_task(n).backends()])
def test_statistics_identical_to_the_base_methods(monkeypatch, name, backend):
    problem = get_task(name, backend=backend)
    samples = []
    for seed in range(30):
        try:
            samples.append(problem.sample(random.Random(seed)))
        except DegenerateIdeal:  # a seed poly_reduction cannot use, as a run skips it
            pass
    native = [json.dumps(problem.statistics(p, a)) for p, a in samples]
    monkeypatch.setattr(BACKENDS[backend], "max_coeff_size", Backend.max_coeff_size)
    assert [json.dumps(problem.statistics(p, a)) for p, a in samples] == native
    assert len(samples) >= 20
