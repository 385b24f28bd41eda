"""The sagemath face's PolynomialSampler (CALT's Sage draws): what the golden files rest on,
and its errors. Byte parity with calt-x itself: tests/dataset/test_calt_parity.py."""

import pickle
import random

import pytest

from synthset import ConfigError
from synthset.algebra import sage_sampler
from synthset.dataset.sagemath import PolynomialSampler

sage = pytest.importorskip("sage.all__sagemath_singular")
from sage.misc.randstate import current_randstate, set_random_seed  # noqa: E402


@pytest.mark.parametrize("order", ["lex", "deglex", "degrevlex"])
def test_term_order_sort_is_singular_s(order):
    # The coefficients are drawn in the order of the polynomial's terms: the Python sort must
    # list monomials as Singular does.
    R = sage.PolynomialRing(sage.QQ, "a, b, c, d", order=order)
    sort = sage_sampler._term_sort(R)
    rng = random.Random(order)
    for _ in range(200):
        monomials = list({tuple(rng.randint(0, 3) for _ in range(4))
                          for _ in range(rng.randint(1, 12))})
        assert sort(monomials) == [tuple(e) for e in R(dict.fromkeys(monomials, 1)).exponents()]


def test_monomial_tables_are_sage_s():
    from sage.combinat.integer_vector import IntegerVectors

    R = sage.PolynomialRing(sage.ZZ, "x, y, z")
    counts, total, flat, by_rank, vectors = sage_sampler._tables(3, 4)
    assert counts == R._precomp_counts(3, 4)[0] and total == R._precomp_counts(3, 4)[1]
    for d in range(5):
        assert list(by_rank[d]) == [R._to_monomial(i, 3, d) for i in range(counts[d])]
        assert list(vectors[d]) == [tuple(v) for v in IntegerVectors(d, 3)]


@pytest.mark.parametrize("degree_sampling, term_sampling, terms, degree", [
    ("uniform", "uniform", 3, 3), ("fixed", "fixed", None, 2), ("uniform", "fixed", 20, 3),
    ("fixed", "uniform", 2, 0)])
def test_monomials_are_random_element_s(degree_sampling, term_sampling, terms, degree):
    # The same monomials as ZZ[...].random_element, from the same state, leaving it the same.
    R = sage.PolynomialRing(sage.ZZ, "x, y, z", order="degrevlex")
    choose = degree_sampling == "uniform"
    total = R._precomp_counts(3, degree)[1]
    for seed in range(30):
        k = min(terms or total, total) if degree else 1
        set_random_seed(seed)
        want = sorted(tuple(e) for e in R.random_element(degree=degree, terms=k,
                                                         choose_degree=choose, x=1, y=2)
                      .exponents())
        after = current_randstate().c_random()
        set_random_seed(seed)
        got = sage_sampler._random_monomials(sage.ZZ.random_element, 3, degree, k, choose)
        assert sorted(got) == want and current_randstate().c_random() == after


def test_same_seed_same_polynomials_and_pickles():
    s = PolynomialSampler(symbols="x, y", field_str="QQ", order="grevlex", max_num_terms=4)
    set_random_seed(5)
    first = s.sample(3)
    again = pickle.loads(pickle.dumps(s))
    set_random_seed(5)
    assert again.sample(3) == first
    assert first[0].parent() is s.get_ring() and str(s.get_ring().term_order()) == \
        "Degree reverse lexicographic term order"


def test_a_matrix_is_a_sage_matrix():
    s = PolynomialSampler(symbols="x, y", field_str="GF(5)", max_num_terms=2, max_degree=2)
    set_random_seed(1)
    M = s.sample(1, size=(2, 3), matrix_type="unimodular_upper_triangular")[0]
    assert M.dimensions() == (2, 3) and M[0, 0] == 1 and M[1, 0] == 0 and M[1, 1] == 1


def test_max_coefficient_helpers():
    from synthset.dataset.sagemath.utils.polynomial_sampler import (
        compute_matrix_max_coefficient, compute_max_coefficient)

    R = sage.PolynomialRing(sage.QQ, "x, y")
    x, y = R.gens()
    assert compute_max_coefficient(sage.QQ((-7, 3)) * x + 2 * y) == 7
    assert compute_max_coefficient(R.zero()) == 0
    F = sage.PolynomialRing(sage.GF(7), "x, y")
    assert compute_max_coefficient(F("3*x - y")) == 6
    assert compute_matrix_max_coefficient(sage.matrix(R, 1, 2, [x, 5 * y])) == 5


@pytest.mark.parametrize("kwargs, message", [
    ({"rng": random.Random(0)}, "rng: the Sage sampler draws from Sage's random state"),
    ({"degree_sampling": "Uniform"}, "degree_sampling must be one of 'uniform', 'fixed'"),
    ({"min_degree": 4, "max_degree": 2}, r"min_degree \(4\) > max_degree \(2\)"),
    ({"field_str": "GF(8)"}, "8 is not prime"),
    ({"field_str": "CC"}, "field 'CC' is not supported"),
    ({"max_num_terms": 0}, "max_num_terms must be a positive integer or None"),
    # over ZZ (and RR) only: calt-x reads max_coeff there and nowhere else (below)
    ({"field_str": "ZZ", "max_coeff": 0}, "max_coeff must be a positive integer or None"),
    ({"ring": "R"}, "give either ring or symbols and field_str, not both"),
])
def test_impossible_settings_are_one_line_errors(kwargs, message):
    base = {"symbols": "x, y", "field_str": "QQ"}
    with pytest.raises(ConfigError, match=message):
        PolynomialSampler(**{**base, **kwargs})


def test_max_coeff_is_not_checked_where_calt_x_does_not_read_it():
    # CALT's Groebner GF(7) experiment config says max_coeff: 0 ("not used for finite
    # fields"); calt-x takes it over QQ and GF(p), and so does the face. synthset's own sampler
    # (synthset.algebra.sage_sampler) still refuses it.
    for field in ("QQ", "GF(7)"):
        assert PolynomialSampler(symbols="x, y", field_str=field, max_coeff=0).max_coeff == 0
        with pytest.raises(ConfigError, match="max_coeff must be a positive integer or None"):
            sage_sampler.PolynomialSampler(symbols="x, y", field_str=field, max_coeff=0)


def test_an_unsupported_ring_is_named():
    s = PolynomialSampler(ring=sage.PolynomialRing(sage.RealField(100), "x, y"), order=None)
    with pytest.raises(ConfigError, match="unsupported coefficient ring Real Field with 100"):
        s.sample(1)
