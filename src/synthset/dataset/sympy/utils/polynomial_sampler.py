"""CALT's ``calt.dataset.sympy.utils.polynomial_sampler``: the SymPy-backend sampler (CALT's
draws from Python's ``random`` module, or ``rng=``) and CALT's coefficient-size helpers."""

from synthset.algebra.sampling import PolynomialSampler as _Base


class PolynomialSampler(_Base):
    __doc__ = _Base.__doc__
    backend_name = "sympy"


def compute_max_coefficient(poly) -> float:
    """The largest coefficient size of a SymPy polynomial, as a float (as calt-x returns it):
    the largest absolute value over RR, the largest absolute numerator or denominator over
    QQ and ZZ, the largest representative in [0, p) over GF(p); 0 for the zero polynomial."""
    coeffs = poly.coeffs()
    if not coeffs or poly.is_zero:
        return 0
    domain = poly.ring.domain
    if domain.is_RR:
        return max(abs(float(c)) for c in coeffs)
    if domain.is_FiniteField:
        return max(float(int(domain.to_int(c)) % int(domain.mod)) for c in coeffs)
    return max(max(abs(float(domain.numer(c))), abs(float(domain.denom(c)))) for c in coeffs)


def compute_matrix_max_coefficient(M) -> float:
    """``compute_max_coefficient`` over every entry of a matrix (rows of polynomials)."""
    return max(compute_max_coefficient(p) for row in M for p in row)


__all__ = ["PolynomialSampler", "compute_matrix_max_coefficient", "compute_max_coefficient"]
