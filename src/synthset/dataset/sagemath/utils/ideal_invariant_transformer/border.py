"""CALT's ``calt.dataset.sagemath.utils.ideal_invariant_transformer.border``: the transform of
a border basis (Kera et al., NeurIPS 2025), draw for draw as calt-x 1.5.0's
``BorderIdealTransformer``.

For G as an n x 1 column, ``F = A * G`` with m in [n + 1, max(max_size, n) + 1] drawn by
Sage's ``randint`` and A a random m x n polynomial matrix from calt-x's Sage
``PolynomialSampler`` (with ``identity_block``, the n x n identity over m - n random rows, so F
holds G). The ideal is kept exactly when A's entries are constants (``max_degree=0``) or with
``identity_block``, generically otherwise. The redraw rule over QQ, ZZ and RR is the Groebner
transform's; the entries come from synthset's port of the sampler, from Sage's random state.
"""

from synthset.dataset.sagemath.utils.ideal_invariant_transformer.groebner import (
    _entry_sampler,
    _Transformer,
)


class BorderIdealTransformer(_Transformer):
    """``transform(G)``: a generating set ``A * G`` of (generically) the ideal of G (calt-x
    1.5.0's, draw for draw; seed Sage with ``set_random_seed``).

    Args:
        ring: the Sage polynomial ring of G.
        max_size: F has between len(G) + 1 and max(max_size, len(G)) + 1 generators.
        identity_block: the first len(G) rows of A are the identity (F contains G).
        max_degree, min_degree, max_num_terms, max_coeff, num_bound, degree_sampling,
        term_sampling, strictly_conditioned: for A's entries (``PolynomialSampler``).
        density, coeff_bound, max_iter: as for ``GroebnerIdealTransformer``.
    """

    def __init__(self, ring, max_size: int, identity_block: bool = False, max_degree: int = 1,
                 min_degree: int = 0, max_num_terms: int | None = None,
                 max_coeff: int | None = None, num_bound: int | None = None,
                 degree_sampling: str = "uniform", term_sampling: str = "uniform",
                 strictly_conditioned: bool = True, density: float = 1.0,
                 coeff_bound: int = 100, max_iter: int = 100):
        self.ring, self.max_size, self.identity_block = ring, max_size, identity_block
        self.density, self.coeff_bound, self.max_iter = density, coeff_bound, max_iter
        self._sampler = _entry_sampler(ring, max_degree, min_degree, max_num_terms, max_coeff,
                                      num_bound, degree_sampling, term_sampling,
                                      strictly_conditioned)

    def _generators(self, S, n: int, column):
        m = S.randint(0, max(0, self.max_size - n)) + n + 1
        if self.identity_block:
            rows = self._sampler.sample(1, size=(m - n, n), density=self.density)[0]
            A = S.identity_matrix(self.ring, n).stack(rows)
        else:
            A = self._sampler.sample(1, size=(m, n), density=self.density)[0]
        return A * column
