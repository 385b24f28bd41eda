"""CALT's ``calt.dataset.sagemath.utils.polynomial_sampler``: the Sage sampler that draws from
Sage's random state (``synthset/algebra/sage_sampler.py``) and CALT's coefficient-size
helpers for Sage polynomials and matrices."""

from synthset.algebra.fields import parse_field
from synthset.algebra.sage_sampler import PolynomialSampler as _SageSampler


class PolynomialSampler(_SageSampler):
    """synthset's Sage sampler with calt-x's leniency: ``max_coeff`` is read over ZZ and RR
    only, so over QQ and GF(p) calt-x takes any value, 0 included (CALT's Groebner GF(7)
    experiment config says ``max_coeff: 0  # not used for finite fields``). Draws are the
    parent's."""

    def _check(self) -> None:
        given = self.max_coeff
        if given is not None and not self._reads_max_coeff():
            self.max_coeff = None  # checked as absent, kept as given
        try:
            super()._check()
        finally:
            self.max_coeff = given

    def _reads_max_coeff(self) -> bool:
        if self.field_str is not None:
            return parse_field(self.field_str).kind in ("ZZ", "RR")
        base = self.ring.base_ring()
        return not (base.is_finite() or base.is_field() and base.is_exact())


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
