"""CALT's ``calt.dataset.sagemath.utils.polynomial_sampler``: the Sage sampler that draws from
Sage's random state (``synthset/algebra/sage_sampler.py``) and CALT's coefficient-size
helpers for Sage polynomials and matrices."""

from synthset.algebra.sage_sampler import PolynomialSampler


def compute_max_coefficient(poly):
    """The largest coefficient size of a Sage polynomial: the largest absolute value over RR,
    the largest absolute numerator or denominator over QQ and ZZ, the largest representative
    in [0, p) over GF(p); 0 for the zero polynomial."""
    coeffs = poly.coefficients()
    if not coeffs:
        return 0
    base = poly.base_ring()
    if base.is_finite():
        return max(c.lift() for c in coeffs)
    if not base.is_exact():  # RR
        return max(abs(c) for c in coeffs)
    return max(max(abs(c.numerator()), abs(c.denominator())) for c in coeffs)


def compute_matrix_max_coefficient(M):
    """``compute_max_coefficient`` over every entry of a Sage matrix of polynomials."""
    return max(compute_max_coefficient(p) for p in M.list())


__all__ = ["PolynomialSampler", "compute_matrix_max_coefficient", "compute_max_coefficient"]
