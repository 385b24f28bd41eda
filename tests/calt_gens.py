"""Generators built on the PolynomialSampler — CALT's when this runs under calt-x (to make the
golden files in tests/golden/), synthset's otherwise. Same code, same seeds: the outputs must be
byte-identical.

The ``sage_*`` generators are written as CALT's Sage examples are: they seed Python's
``random`` and Sage's random state, sample with the sagemath face's PolynomialSampler (which
draws from Sage's state) and import what else they need from ``sage.all``. The ``sage_ideal_*``
ones sample bases of ideals and generating sets of them (the backward method) with the face's
ideal samplers and transforms; the border-basis sampler also draws from NumPy's global state,
so that one seeds NumPy too.
"""

import math
import os
import random

os.environ.setdefault("SYMPY_GROUND_TYPES", "python")

try:  # under calt-x, for the golden files
    from calt.dataset.sympy import PolynomialSampler
except ImportError:
    from synthset.dataset.sympy import PolynomialSampler

try:  # calt-x's Sage sampler imports Sage now; synthset's when the first sampler is made
    from calt.dataset.sagemath.utils.polynomial_sampler import \
        PolynomialSampler as SagePolynomialSampler
except ImportError:
    from synthset.dataset.sagemath.utils.polynomial_sampler import \
        PolynomialSampler as SagePolynomialSampler

try:  # the same for the ideal samplers and transforms
    from calt.dataset.sagemath.utils.ideal_invariant_transformer import (
        BorderIdealTransformer, GroebnerIdealTransformer)
    from calt.dataset.sagemath.utils.ideal_sampler import BorderBasisSampler, GroebnerBasisSampler
except ImportError:
    from synthset.dataset.sagemath.utils.ideal_invariant_transformer import (
        BorderIdealTransformer, GroebnerIdealTransformer)
    from synthset.dataset.sagemath.utils.ideal_sampler import (BorderBasisSampler,
                                                               GroebnerBasisSampler)


def sampled_product_gf7(seed):
    random.seed(seed)
    s = PolynomialSampler(symbols="x, y", field_str="GF(7)", order="grevlex", max_num_terms=5,
                          max_degree=4)
    f, g = s.sample(2)
    return [f, g], f * g


def sampled_qq_fixed(seed):
    random.seed(seed)
    s = PolynomialSampler(symbols="x, y, z", field_str="QQ", order="lex", max_num_terms=4,
                          max_degree=3, degree_sampling="fixed", term_sampling="fixed",
                          num_bound=5)
    return s.sample(3), "ok"


def sampled_zz_dense(seed):
    """Many terms for few monomials: the branches that remove monomials from the full list."""
    random.seed(seed)
    s = PolynomialSampler(symbols="x", field_str="ZZ", order="grevlex", max_num_terms=None,
                          max_degree=6, min_degree=2, max_coeff=3)
    t = PolynomialSampler(symbols="a, b", field_str="ZZ", order="grlex", max_num_terms=None,
                          max_degree=2, degree_sampling="fixed", strictly_conditioned=False)
    return [s.sample(1)[0], t.sample(1)[0]], "ok"


def sampled_matrix(seed):
    random.seed(seed)
    s = PolynomialSampler(symbols="x, y", field_str="GF(5)", order="grevlex", max_num_terms=3,
                          max_degree=2)
    M = s.sample(1, size=(2, 3), density=0.6)[0]
    return [[p for p in row] for row in M.tolist()], "ok"


# -- Sage (the sagemath face; golden files made with calt-x 1.5.0's Sage backend) -----------
SAGE_GENERATORS = ["sage_addition_zz", "sage_factor_zz", "sage_factor_qq", "sage_product_gf7",
                   "sage_reduction_gf31", "sage_matrix_dense", "sage_one_variable_rings"]


def _seed_sage(seed):
    from sage.misc.randstate import set_random_seed

    random.seed(seed)
    set_random_seed(seed)


def sage_addition_zz(seed):
    """CALT's polynomial addition: 3-6 polynomials of ZZ[x0, x1, x2] -> their cumulative sums."""
    _seed_sage(seed)
    length = random.randint(3, 6)
    sampler = SagePolynomialSampler(symbols="x0, x1, x2", field_str="ZZ", order="grevlex",
                                    max_num_terms=3, max_degree=3, min_degree=1)
    polys = sampler.sample(length)
    return polys, [sum(polys[:i]) for i in range(1, len(polys) + 1)]


def sage_factor_zz(seed):
    """CALT's integer factorisation: a product of three polynomials of ZZ[x] -> its factors."""
    from sage.all import factor, set_random_seed  # from sage.all, as CALT's example

    set_random_seed(seed)
    sampler = SagePolynomialSampler(symbols="x", field_str="ZZ", order="grevlex",
                                    max_num_terms=4, max_degree=4, min_degree=1)
    p = math.prod(sampler.sample(num_samples=3))
    return p, factor(p)


def sage_factor_qq(seed):
    """A product of two polynomials of QQ[x, y] (lex) -> its factorisation."""
    _seed_sage(seed)
    sampler = SagePolynomialSampler(symbols="x, y", field_str="QQ", order="lex",
                                    max_num_terms=3, max_degree=2, min_degree=1, num_bound=5)
    f, g = sampler.sample(2)
    return [f, g], (f * g).factor()


def sage_product_gf7(seed):
    """f * g in GF(7)[x, y, z]: fixed degree and terms, zero coefficients allowed, not strict."""
    _seed_sage(seed)
    sampler = SagePolynomialSampler(symbols="x, y, z", field_str="GF(7)", order="deglex",
                                    max_num_terms=4, max_degree=3, degree_sampling="fixed",
                                    term_sampling="fixed", nonzero_coeff=False,
                                    strictly_conditioned=False)
    f, g = sampler.sample(2)
    return [f, g], f * g


def sage_reduction_gf31(seed):
    """[f, g1, g2] -> the normal form of f modulo a Groebner basis of (g1, g2), GF(31)."""
    _seed_sage(seed)
    sampler = SagePolynomialSampler(symbols="x, y, z", field_str="GF(31)", order="grevlex",
                                    max_num_terms=3, max_degree=2, min_degree=1)
    g1, g2 = sampler.sample(2)
    f = SagePolynomialSampler(ring=sampler.get_ring(), order=None, max_num_terms=6,
                              max_degree=4, min_degree=3).sample(1)[0]
    basis = sampler.get_ring().ideal([g1, g2]).groebner_basis()
    return [f, g1, g2], f.reduce(basis)


def sage_matrix_dense(seed):
    """The other branches: every monomial (both dense ways), RR, a univariate QQ ring, a
    one-variable ring given as ring=, a unimodular matrix with density < 1."""
    from sage.all import GF, PolynomialRing

    _seed_sage(seed)
    dense = SagePolynomialSampler(symbols="a, b", field_str="ZZ", order="grevlex",
                                  max_num_terms=None, max_degree=2, degree_sampling="fixed",
                                  max_coeff=3)
    graded = SagePolynomialSampler(symbols="a, b", field_str="GF(5)", order="lex",
                                   max_num_terms=None, max_degree=3, min_degree=2)
    real = SagePolynomialSampler(symbols="u, v", field_str="RR", order="grevlex",
                                 max_num_terms=2, max_degree=2, max_coeff=2)
    univariate = SagePolynomialSampler(symbols="t", field_str="QQ", order="grevlex",
                                       max_num_terms=3, max_degree=5, nonzero_coeff=False,
                                       strictly_conditioned=False, num_bound=3)
    one_var = SagePolynomialSampler(ring=PolynomialRing(GF(5), 1, "s"), order=None,
                                    max_num_terms=3, max_degree=4)
    M = SagePolynomialSampler(symbols="x, y", field_str="GF(5)", order="grevlex",
                              max_num_terms=2, max_degree=2).sample(
        1, size=(3, 3), density=0.6, matrix_type="unimodular_upper_triangular")[0]
    polys = [dense.sample(1)[0], graded.sample(1)[0], real.sample(1)[0],
             univariate.sample(1)[0], one_var.sample(1)[0]]
    return polys, [[str(e) for e in row] for row in M.rows()]


def sage_one_variable_rings(seed):
    """One-variable rings made by PolynomialRing(F, 1, ...) over RR (Sage's generic
    multivariate polynomials: coefficients drawn in the order the degrees were), QQ and GF(7)
    (Singular's), and univariate RR."""
    from sage.all import GF, QQ, RR, PolynomialRing

    _seed_sage(seed)
    polys = []
    for ring in (PolynomialRing(RR, 1, "x"), PolynomialRing(QQ, 1, "x"),
                 PolynomialRing(GF(7), 1, "x")):
        sampler = SagePolynomialSampler(ring=ring, order=None, max_num_terms=4, max_degree=6,
                                        max_coeff=5, num_bound=5)
        polys += sampler.sample(2)
    univariate = SagePolynomialSampler(symbols="t", field_str="RR", order="grevlex",
                                       max_num_terms=3, max_degree=4, max_coeff=3)
    return polys, univariate.sample(1)[0]


# -- Ideal samplers and transforms (calt.dataset.sagemath.utils.ideal_*; golden files made with
# calt-x 1.5.0's Sage backend, 20 train and 10 test samples) --------------------------------
IDEAL_GENERATORS = ["sage_ideal_groebner_gf31", "sage_ideal_groebner_qq", "sage_ideal_border_qq"]


def sage_ideal_groebner_gf31(seed):
    """CALT's backward Groebner data: G in shape position in GF(31)[x, y, z] (lex) -> F = U P A G
    with sparse transforms."""
    from sage.all import GF, PolynomialRing

    _seed_sage(seed)
    R = PolynomialRing(GF(31), "x, y, z", order="lex")
    G = GroebnerBasisSampler(R, max_degree=3, max_num_terms=3).sample(1)[0]
    F = GroebnerIdealTransformer(R, max_size=4, max_num_terms=2, density=0.6).transform(G)
    return F, G


def sage_ideal_groebner_qq(seed):
    """Over QQ, with redraws while a coefficient of F is above the bound; and G alone over RR
    (fixed degree and terms, not strict) and in one variable over GF(7)."""
    from sage.all import GF, QQ, RR, PolynomialRing

    _seed_sage(seed)
    R = PolynomialRing(QQ, "x, y", order="lex")
    G = GroebnerBasisSampler(R, max_degree=3, min_degree=2, max_num_terms=2,
                             num_bound=3).sample(1)[0]
    F = GroebnerIdealTransformer(R, max_size=3, max_num_terms=2, num_bound=3, coeff_bound=50,
                                 max_iter=5).transform(G)
    real = GroebnerBasisSampler(PolynomialRing(RR, "u, v", order="lex"), max_degree=2,
                                max_coeff=3, degree_sampling="fixed", term_sampling="fixed",
                                strictly_conditioned=False).sample(1)[0]
    single = GroebnerBasisSampler(PolynomialRing(GF(7), 1, "t", order="lex"), max_degree=4,
                                  min_degree=0).sample(2)
    return F, [G, real, *single]


def sage_ideal_border_qq(seed):
    """CALT's backward border-basis data over QQ[x, y]: G -> F = A G (constant A); and a basis
    of bounded total degree -> F holding it (identity block). Draws from random, np.random and
    Sage, all seeded. (Over GF(p) the points' draws depend on the installed passagemath matrix
    backends: tests/golden/README.md.)"""
    import numpy as np
    from sage.all import QQ, PolynomialRing

    _seed_sage(seed)
    np.random.seed(seed % 2**32)
    R = PolynomialRing(QQ, "x, y", order="degrevlex")
    sampler = BorderBasisSampler(R)
    G = sampler.sample(1, degree_bounds=[3, 3])[0]
    F = BorderIdealTransformer(R, max_size=len(G) + 1, max_degree=0,
                               coeff_bound=10**9).transform(G)
    small = sampler.sample(1, degree_bounds=[3, 2], total_degree_bound=3, max_sampling=5)[0]
    kept = BorderIdealTransformer(R, max_size=2, identity_block=True, max_num_terms=2,
                                  density=0.5, coeff_bound=10**9).transform(small)
    return F, [G, kept]
