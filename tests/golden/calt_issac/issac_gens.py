"""Generators that use what CALT's ISSAC 2026 experiment scripts rely on in the sagemath face,
written for synthset's tests: Sage Integers in a generator's state and samples, and the Sage
PolynomialSampler over GF(7) with ``max_coeff: 0`` (calt-x reads max_coeff over ZZ and RR
only) and either ``nonzero_coeff``. calt-x's sampler when this runs under calt-x (to make the
golden folders beside this file), the face's otherwise; same code, same seeds.
"""

try:  # calt-x's Sage sampler imports Sage now; synthset's when the first sampler is made
    from calt.dataset.sagemath.utils.polynomial_sampler import PolynomialSampler
except ImportError:
    from synthset.dataset.sagemath.utils.polynomial_sampler import PolynomialSampler


class PrimeProduct:
    """A product of 2-4 primes below ``bound`` -> its primes, largest first. The primes are a
    list of Sage Integers held by the generator; the samples are Sage Integers too."""

    def __init__(self, bound: int):
        from sage.all import prime_range

        self.bound = bound
        self.primes = list(prime_range(bound))

    def __call__(self, seed: int):
        from sage.misc.prandom import choice, randint
        from sage.misc.randstate import set_random_seed

        set_random_seed(seed)
        chosen = sorted((choice(self.primes) for _ in range(randint(2, 4))), reverse=True)
        product = chosen[0]
        for p in chosen[1:]:
            product *= p
        return product, chosen


prime_product = PrimeProduct(60)


def _gf7_pair(seed: int, **kwargs):
    from sage.misc.randstate import set_random_seed

    set_random_seed(seed)
    sampler = PolynomialSampler(symbols="a, b", field_str="GF7", order="lex", max_num_terms=4,
                                max_degree=3, min_degree=1, max_coeff=0, **kwargs)
    f, g = sampler.sample(num_samples=2)
    return [f, g], f - g


def gf7_max_coeff_zero(seed: int):
    """Two polynomials of GF(7)[a, b] -> their difference; nonzero_coeff as the sampler's
    default."""
    return _gf7_pair(seed)


def gf7_zero_coeffs_allowed(seed: int):
    """The same with ``nonzero_coeff=False``: coefficients drawn from all of GF(7)."""
    return _gf7_pair(seed, nonzero_coeff=False)
