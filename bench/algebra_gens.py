"""The product workload of bench_algebra.py, on calt-x's sampler when run under calt-x and on
synthset's otherwise (same code, same draws: see tests/calt_gens.py)."""

import random

try:
    from calt.dataset.sympy import PolynomialSampler
except ImportError:
    from synthset.dataset.sympy import PolynomialSampler


def product(field):
    def gen(seed):
        random.seed(seed)
        s = PolynomialSampler(symbols="x, y", field_str=field, order="grevlex",
                              max_num_terms=10, max_degree=5)
        f, g = s.sample(2)
        return [f, g], f * g
    return gen
