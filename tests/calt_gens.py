"""Generators built on the PolynomialSampler — CALT's when this runs under calt-x (to make the
golden files in tests/golden/), synthset's otherwise. Same code, same seeds: the outputs must be
byte-identical."""

import os
import random

os.environ.setdefault("SYMPY_GROUND_TYPES", "python")

try:  # under calt-x, for the golden files
    from calt.dataset.sympy import PolynomialSampler
except ImportError:
    from synthset.dataset.sympy import PolynomialSampler


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
