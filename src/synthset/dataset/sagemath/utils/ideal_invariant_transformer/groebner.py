"""CALT's ``calt.dataset.sagemath.utils.ideal_invariant_transformer.groebner``: the Bruhat
transform of a Groebner basis (Kera et al., NeurIPS 2024), draw for draw as calt-x 1.5.0's
``GroebnerIdealTransformer``.

For G as an n x 1 column, ``F = U * P * A * G`` with m in [n, max_size] drawn by Sage's
``randint``, A (m x n) and U (m x m) polynomial matrices from calt-x's Sage
``PolynomialSampler`` with 1 on the diagonal and 0 above it (random below, so A's extra rows
stay random), and P a random m x m permutation matrix (``Permutations(m).random_element()``);
over QQ, ZZ and RR the whole draw is repeated (up to ``max_iter`` times) while a coefficient of
F exceeds ``coeff_bound``. The matrices come from synthset's port of that sampler
(``synthset/algebra/sage_sampler.py``), so every draw is taken from Sage's random state in the
same order, and the products are taken in calt-x's order.
"""

from synthset.algebra.sage_sampler import PolynomialSampler, sage_names
from synthset.dataset.sagemath.utils.polynomial_sampler import compute_max_coefficient


def random_permutation_matrix(m: int):
    """A random m x m permutation matrix (Sage's, from ``Permutations(m).random_element()``)."""
    S = sage_names()["sage"]
    return S.matrix(S.Permutation(S.Permutations(list(range(1, m + 1))).random_element()))


def _max_coefficient(M):
    """The largest coefficient size over the entries of a polynomial matrix (0 if none)."""
    return max((compute_max_coefficient(p) for p in M.list() if p != 0), default=0)


def _entry_sampler(ring, max_degree, min_degree, max_num_terms, max_coeff, num_bound,
                  degree_sampling, term_sampling, strictly_conditioned) -> PolynomialSampler:
    """The sampler of a transform's matrix entries (never the zero polynomial)."""
    return PolynomialSampler(
        ring=ring, max_degree=max_degree, min_degree=min_degree, max_num_terms=max_num_terms,
        max_coeff=max_coeff, num_bound=num_bound, degree_sampling=degree_sampling,
        term_sampling=term_sampling, strictly_conditioned=strictly_conditioned,
        nonzero_instance=True)


def _unimodular(sampler, rows: int, cols: int, density: float):
    """A random rows x cols matrix with 1 on the diagonal and 0 above it."""
    M = sampler.sample(1, size=(rows, cols), density=density)[0]
    for i in range(rows):
        for j in range(i, cols):
            M[i, j] = 1 if i == j else 0
    return M


class _Transformer:
    """What both transforms share: draw generators F of the ideal of G until their
    coefficients are within ``coeff_bound`` (always, over a finite field), at most
    ``max_iter`` times; ``_generators`` draws one F (each transform's own draws)."""

    def transform(self, G: list) -> list:
        """A generating set of the ideal of ``G`` (a list of ring elements)."""
        S = sage_names()["sage"]
        n = len(G)
        column = S.matrix(self.ring, n, 1, list(G))
        finite = self.ring.base_ring().is_finite()
        F = None
        for _ in range(self.max_iter):
            F = self._generators(S, n, column)
            if finite or _max_coefficient(F) <= self.coeff_bound:
                break
        return F.list()


class GroebnerIdealTransformer(_Transformer):
    """``transform(G)``: a generating set ``U * P * A * G`` of the ideal of G (calt-x 1.5.0's,
    draw for draw; seed Sage with ``set_random_seed``).

    Args:
        ring: the Sage polynomial ring of G.
        max_size: at most this many generators (at least len(G)).
        max_degree, min_degree, max_num_terms, max_coeff, num_bound, degree_sampling,
        term_sampling, strictly_conditioned: for the matrices' entries (``PolynomialSampler``).
        density: the chance an entry below the diagonal is kept (non-zero).
        coeff_bound, max_iter: over QQ, ZZ and RR, redraw while a coefficient of F is above
            coeff_bound, at most max_iter times in all.
    """

    def __init__(self, ring, max_size: int, max_degree: int = 1, min_degree: int = 1,
                 max_num_terms: int | None = None, max_coeff: int | None = None,
                 num_bound: int | None = None, degree_sampling: str = "uniform",
                 term_sampling: str = "uniform", strictly_conditioned: bool = True,
                 density: float = 1.0, coeff_bound: int = 100, max_iter: int = 100):
        self.ring, self.max_size, self.density = ring, max_size, density
        self.coeff_bound, self.max_iter = coeff_bound, max_iter
        self._sampler = _entry_sampler(ring, max_degree, min_degree, max_num_terms, max_coeff,
                                      num_bound, degree_sampling, term_sampling,
                                      strictly_conditioned)

    def _generators(self, S, n: int, column):
        m = S.randint(0, self.max_size - n) + n
        A = _unimodular(self._sampler, m, n, self.density)
        U = _unimodular(self._sampler, m, m, self.density)
        return U * random_permutation_matrix(m) * A * column
