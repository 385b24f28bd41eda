"""PolynomialSampler: CALT's draws, the promised distributions, backends, clear errors."""

import math
import random
from collections import Counter

import pytest

from synthset import ConfigError
from synthset.algebra.fields import parse_field
from synthset.algebra.sampling import (SinglePolynomialSampler, coeff_spec, draw_source,
                                       draw_terms, monomials_of_degree)
from synthset.dataset.sympy import PolynomialSampler as SympySampler
from tests import calt_gens
from tests.conftest import make_run, read_outputs

flint = pytest.importorskip("flint")
from synthset.dataset.flint import PolynomialSampler as FlintSampler  # noqa: E402


@pytest.mark.parametrize("name", ["sampled_product_gf7", "sampled_qq_fixed", "sampled_zz_dense",
                                  "sampled_matrix"])
def test_same_draws_as_calt_sampler_byte_for_byte(tmp_path, golden, name):
    # The golden files were written by calt-x's own PolynomialSampler under random.seed(seed).
    make_run(tmp_path, getattr(calt_gens, name))
    assert read_outputs(tmp_path) == read_outputs(golden / name)


@pytest.mark.parametrize("field", ["GF(7)", "QQ", "ZZ", "GF(32003)"])
@pytest.mark.parametrize("order", ["lex", "grlex", "grevlex"])
def test_sympy_and_flint_print_the_same_polynomial(field, order):
    for seed in range(60):
        strings = []
        for cls in (SympySampler, FlintSampler):
            s = cls(symbols="x, y, z", field_str=field, order=order, max_num_terms=6,
                    max_degree=4, rng=random.Random(seed))
            strings.append(s.backend.to_str(s.sample(1)[0]))
        assert strings[0] == strings[1]


def test_sympy_and_sage_make_the_same_polynomial():
    # The backend-independent sampler on Sage (the sagemath face draws from Sage's own state).
    pytest.importorskip("sage.all__sagemath_singular")
    from functools import partial

    from synthset.algebra.sampling import PolynomialSampler

    SageSampler = partial(PolynomialSampler, backend="sagemath")
    for seed in range(40):
        got = []
        for cls in (SympySampler, SageSampler):
            s = cls(symbols="x, y", field_str="GF(7)", order="grevlex", rng=random.Random(seed))
            got.append(sorted(s.backend.terms(s.sample(1)[0])))
        assert got[0] == got[1]


def test_degree_and_terms_are_as_asked_when_strict():
    s = SympySampler(symbols="x, y", field_str="GF(5)", max_degree=4, min_degree=2,
                     max_num_terms=4, rng=random.Random(1))
    for p in s.sample(200):
        assert 2 <= s.total_degree(p) <= 4
        assert 1 <= len(p.terms()) <= 4


def _chi2_ok(counts: Counter, categories: list, n: int) -> bool:
    expected = n / len(categories)
    chi2 = sum((counts.get(c, 0) - expected) ** 2 / expected for c in categories)
    dof = len(categories) - 1
    return chi2 < dof + 4 * math.sqrt(2 * dof) + 10  # ~5 sigma: fails only when biased


def test_degree_sampling_uniform_is_uniform_over_degrees():
    s = SympySampler(symbols="x, y", field_str="GF(7)", max_degree=5, min_degree=1,
                     max_num_terms=3, rng=random.Random(2))
    degrees = Counter(s.total_degree(p) for p in s.sample(3000))
    assert _chi2_ok(degrees, [1, 2, 3, 4, 5], 3000)


def test_term_sampling_uniform_is_uniform_over_counts():
    s = SympySampler(symbols="x, y", field_str="GF(7)", max_degree=4, degree_sampling="fixed",
                     max_num_terms=6, rng=random.Random(3))
    counts = Counter(len(p.terms()) for p in s.sample(3000))
    assert _chi2_ok(counts, [1, 2, 3, 4, 5, 6], 3000)


def test_monomials_uniform_up_to_degree_and_by_class():
    source = draw_source(random.Random(4))
    coeff = coeff_spec(parse_field("GF(7)"), False)
    n, d, trials = 2, 3, 6000
    every = [m for k in range(d + 1) for m in monomials_of_degree(k, n)]  # 10 monomials
    uniform = Counter(next(iter(draw_terms(source, n, d, 1, False, coeff)))
                      for _ in range(trials))
    assert _chi2_ok(uniform, every, trials)
    by_class = Counter(sum(next(iter(draw_terms(source, n, d, 1, True, coeff))))
                       for _ in range(trials))
    assert _chi2_ok(by_class, list(range(d + 1)), trials)  # degree first, uniform


def test_monomials_of_degree_order_and_count():
    assert monomials_of_degree(2, 3) == [(2, 0, 0), (1, 1, 0), (1, 0, 1), (0, 2, 0), (0, 1, 1),
                                         (0, 0, 2)]
    assert len(monomials_of_degree(5, 4)) == math.comb(8, 3)


def test_coefficients_in_range_and_nonzero():
    single = SinglePolynomialSampler(random.Random(5))
    draws = [single.random_coeff("ZZ", non_zero=True, min=-2, max=2) for _ in range(500)]
    assert set(draws) == {-2, -1, 1, 2}
    qq = [single.random_coeff("QQ", num_bound=3) for _ in range(500)]
    assert all(abs(q.numerator) <= 3 and q.denominator <= 3 for q in qq)
    gf = {single.random_coeff("GF(5)") for _ in range(300)}
    assert gf == {0, 1, 2, 3, 4}


def test_matrices_density_and_unimodular():
    s = SympySampler(symbols="x", field_str="GF(7)", max_degree=2, rng=random.Random(6))
    (M,) = s.sample(1, size=(3, 3), matrix_type="unimodular_upper_triangular")
    assert [s.backend.to_str(M[i, i]) for i in range(3)] == ["1", "1", "1"]
    assert all(M[i, j] == 0 for i in range(3) for j in range(i))
    zeros = sum(p == 0 for m in s.sample(50, size=(2, 2), density=0.3) for p in m.flat)
    assert 100 < zeros < 180  # ~70% of 200 entries zeroed


@pytest.mark.parametrize("kwargs, message", [
    ({"field_str": "GF(1)"}, "must be a prime > 1, got 1"),
    ({"field_str": "GF(8)"}, "8 is not prime"),
    ({"field_str": "CC"}, "field 'CC' is not supported"),
    ({"min_degree": 4, "max_degree": 2}, "min_degree (4) > max_degree (2)"),
    ({"term_sampling": "fixed", "max_num_terms": 20, "max_degree": 2},
     "asks for 20 terms but there are only 6 monomials"),
    ({"field_str": "ZZ", "max_coeff": 0}, "non-zero ZZ coefficients cannot come from [0, 0]"),
    ({"degree_sampling": "random"}, "degree_sampling must be one of 'uniform', 'fixed'"),
    ({"order": "revlex"}, "order must be one of"),
    ({"field_str": "QQ", "num_bound": 0}, "num_bound must be > 0"),
])
def test_impossible_settings_fail_at_construction(kwargs, message):
    settings = {"symbols": "x, y", "field_str": "GF(7)", **kwargs}
    with pytest.raises(ConfigError) as info:
        SympySampler(**settings)
    assert message in str(info.value)


def test_rr_is_refused_on_flint():
    with pytest.raises(ConfigError, match="field RR is not available on backend 'flint'"):
        FlintSampler(symbols="x", field_str="RR")


def test_samplers_pickle_for_process_workers():
    import pickle

    s = FlintSampler(symbols="x, y", field_str="QQ", rng=random.Random(7))
    s.sample(1)
    again = pickle.loads(pickle.dumps(s))
    assert again.backend.name == "flint" and again.sample(1)


def test_sage_sampler_accepts_a_sage_ring():
    sage = pytest.importorskip("sage.all__sagemath_singular")
    from synthset.algebra.sampling import PolynomialSampler

    R = sage.PolynomialRing(sage.GF(5), 2, ["a", "b"], order="lex")
    s = PolynomialSampler(ring=R, max_degree=3, backend="sagemath", rng=random.Random(8))
    (p,) = s.sample(1)
    assert p.parent() is R and s.get_ring() is R
    assert s.field_str == "GF(5)" and s.order == "lex"


def test_random_element_on_a_sympy_ring():
    from sympy import QQ
    from sympy.polys.rings import ring

    R, x, y = ring("x, y", QQ, "grlex")
    p = SinglePolynomialSampler(random.Random(9)).random_element(R, degree=3, terms=4)
    assert p.ring == R and len(p.terms()) <= 4


class _OtherRandom(random.Random):
    """Draws exactly as random.Random, but through its own _randbelow: the sampler then draws
    through its randint instead of from getrandbits directly."""

    def _randbelow(self, n):
        return random.Random._randbelow_with_getrandbits(self, n)


@pytest.mark.parametrize("field", ["QQ", "ZZ", "GF(7)", "GF(32003)"])
@pytest.mark.parametrize("degree_sampling", ["uniform", "fixed"])
@pytest.mark.parametrize("term_sampling", ["uniform", "fixed"])
def test_getrandbits_draws_equal_randint_draws(field, degree_sampling, term_sampling):
    # max_num_terms 3 / 20 / None reach the sparse (set) and the dense (remove / pop) branches,
    # max_degree 0 the constant case; nonzero_instance False allows zero coefficients.
    for terms, degree in ((3, 5), (20, 3), (None, 2), (1, 0)):
        for strict in (True, False):
            made = []
            for rng_class in (random.Random, _OtherRandom):
                s = FlintSampler(symbols="x, y, z", field_str=field, max_num_terms=terms,
                                 max_degree=degree, degree_sampling=degree_sampling,
                                 term_sampling=term_sampling, nonzero_instance=strict,
                                 strictly_conditioned=strict)
                out = []
                for seed in range(25):
                    s.rng = rng_class(seed)
                    out.append([s.backend.to_str(p) for p in s.sample(2)])
                    out.append(s.rng.getrandbits(32))  # the same number of draws was taken
                made.append(out)
            assert made[0] == made[1]


@pytest.mark.parametrize("field", ["QQ", "ZZ", "RR", "GF(2)", "GF(32003)"])
def test_single_sampler_draws_equal_through_randint(field):
    # random_element and random_coeff draw the same from getrandbits as through randint;
    # 2 variables, degree 4: 15 monomials, so 3 and 5 (the default) terms are drawn as a set,
    # 12 by removal.
    ring = SympySampler(symbols="x, y", field_str=field).ring()
    made = []
    for rng_class in (random.Random, _OtherRandom):
        out = []
        for seed in range(40):
            single = SinglePolynomialSampler(rng_class(seed))
            for terms in (3, 12, None):
                for choose_degree in (False, True):
                    p = single.random_element(ring, degree=4, terms=terms,
                                              choose_degree=choose_degree,
                                              non_zero_coeff=seed % 2 == 0)
                    out.append(sorted(ring.backend.terms(p)))
            out.append(single.random_coeff(field, non_zero=True))
            out.append(single.rng.getrandbits(32))  # the same number of draws was taken
        made.append(out)
    assert made[0] == made[1]
