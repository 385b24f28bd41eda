from fractions import Fraction

import pytest

from synthset.algebra.fields import parse_field
from synthset.algebra.parse import parse_terms


def test_reads_the_canonical_notation():
    qq = parse_field("QQ")
    assert parse_terms("-3/2*x^2*y + x - 4", ("x", "y"), qq) == {
        (2, 1): Fraction(-3, 2), (1, 0): 1, (0, 0): -4}
    assert parse_terms("x**3 - 3*x*y", ("x", "y"), parse_field("GF(7)")) == {(3, 0): 1,
                                                                           (1, 1): 4}
    assert parse_terms("-x - 3", ("x",), parse_field("GF(7)")) == {(1,): 6, (0,): 4}  # Sage


@pytest.mark.parametrize("text, message", [
    ("x + (y)", "cannot read"), ("x + z", "unknown variable 'z'"), ("2 3", "unexpected '3'"),
    ("x^", "expected an exponent"), ("", "empty"), ("__import__('os')", "cannot read"),
    ("1.5*x", "decimal '1.5' in a polynomial over ZZ"),
])
def test_refuses_anything_else(text, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        parse_terms(text, ("x", "y"), parse_field("ZZ"))
