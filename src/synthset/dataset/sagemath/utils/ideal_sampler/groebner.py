"""CALT's ``calt.dataset.sagemath.utils.ideal_sampler.groebner``: reduced Groebner bases in
shape position (Kera et al., "Learning to Compute Groebner Bases", NeurIPS 2024), draw for
draw as calt-x 1.5.0's ``GroebnerBasisSampler``.

With z the ring's last variable, ``[x_0 + g_1(z), ..., x_{n-2} + g_{n-1}(z), h(z)]`` is a
reduced lex Groebner basis whenever h is monic and every g_i has degree below deg h. calt-x
draws h with its Sage ``PolynomialSampler`` over ``F[z]`` (a univariate ring, lex) and makes it
monic, then the g_i as an (n - 1) x 1 matrix from a second sampler of degree < deg h (each
entry followed by its density draw, ``RR.random_element(0, 1)``). This does the same with
synthset's port of that sampler (``synthset/algebra/sage_sampler.py``), so every draw is taken
from Sage's random state in the same order.
"""

from synthset.algebra.sage_sampler import PolynomialSampler, sage_names


class GroebnerBasisSampler:
    """Reduced Groebner bases in lex shape position over ``ring`` (calt-x 1.5.0's, draw for
    draw; seed Sage with ``set_random_seed``).

    Args:
        ring: a Sage multivariate polynomial ring; the shape is taken in its variable order.
        max_degree, min_degree: the range of deg h (min_degree is raised to 1).
        max_num_terms, max_coeff, num_bound, degree_sampling, term_sampling,
        strictly_conditioned: for the samplers of h and the g_i (``PolynomialSampler``).
    """

    def __init__(self, ring, max_degree: int = 5, min_degree: int = 1,
                 max_num_terms: int | None = None, max_coeff: int | None = None,
                 num_bound: int | None = None, degree_sampling: str = "uniform",
                 term_sampling: str = "uniform", strictly_conditioned: bool = True):
        self.ring = ring
        self.max_degree, self.min_degree = max_degree, max(1, min_degree)
        self.max_num_terms, self.max_coeff, self.num_bound = max_num_terms, max_coeff, num_bound
        self.degree_sampling, self.term_sampling = degree_sampling, term_sampling
        self.strictly_conditioned = strictly_conditioned

    def _univariate(self, ring, max_degree: int, min_degree: int) -> PolynomialSampler:
        return PolynomialSampler(
            ring=ring, max_degree=max_degree, min_degree=min_degree,
            max_num_terms=self.max_num_terms, max_coeff=self.max_coeff, num_bound=self.num_bound,
            degree_sampling=self.degree_sampling, term_sampling=self.term_sampling,
            strictly_conditioned=self.strictly_conditioned, nonzero_instance=True)

    def _sample_one(self) -> list:
        R = self.ring
        x = R.gens()
        z_ring = sage_names()["PolynomialRing"](R.base_ring(), names=[str(x[-1])], order="lex")
        h = self._univariate(z_ring, self.max_degree, self.min_degree).sample(1)[0]
        h = h / h.lc()
        if len(x) == 1:
            return [R(h)]
        g = self._univariate(z_ring, max(0, int(h.degree()) - 1), 0)
        tails = g.sample(1, size=(len(x) - 1, 1))[0].list()
        return [xi + R(t) for xi, t in zip(x, tails)] + [R(h)]

    def sample(self, num_samples: int = 1) -> list:
        """``num_samples`` bases, each a list of elements of ``ring``."""
        return [self._sample_one() for _ in range(num_samples)]
