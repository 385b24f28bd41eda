"""CALT's ``calt.dataset.sagemath.utils.ideal_sampler.border``: border bases of
zero-dimensional ideals (Kera et al., NeurIPS 2025), draw for draw as calt-x 1.5.0's
``BorderBasisSampler``.

A random order ideal O (a divisor-closed set of monomials) is grown by splitting a staircase
at random points; its border B holds the products x_i * o outside O. At |O| random points P at
which the monomials of O are linearly independent, the kernel of ``[B(P) | O(P)]`` gives the
border basis of the ideal of P. calt-x takes these draws from three generators, and so does
this port, call for call: the degree bounds and split points from NumPy's global state
(``np.random.randint``), the shuffles of the pending staircase pieces and the choice of a
partition from Python's global ``random`` (``random.shuffle``, ``random.choice``), the points
from Sage's (``MatrixSpace.random_element``). A CALT generator seeds all three
(``random.seed``, ``np.random.seed``, ``set_random_seed``). NumPy and Sage are imported by the
first sample, not by this module.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

from synthset.algebra.sage_sampler import sage_names
from synthset.core.errors import ConfigError


def _grevlex(e) -> tuple:
    """The sort key calt-x orders exponent tuples by (higher degree first)."""
    return (-sum(e), *reversed(e))


def border(order_ideal) -> list:
    """The border of an order ideal (a list of monomials of one ring): the products x * o of a
    variable and a member that are not members, sorted, each once."""
    members = set(order_ideal)
    return sorted({x * o for x in order_ideal[0].args() for o in order_ideal
                   if x * o not in members})


def subs(F, P):
    """The matrix of the values of the polynomials ``F`` (columns) at the rows of the point
    matrix ``P`` (rows), over the points' field."""
    values = [f(*p) for p, f in itertools.product(P, F)]
    return sage_names()["sage"].MatrixSpace(P[0, 0].base_ring(), P.nrows(), len(F))(values)


def is_regular(M) -> bool:
    """Whether ``M`` has full rank."""
    return M.rank() == min(M.ncols(), M.nrows())


def keyword_for_numbound(field, bound) -> dict:
    """``{"num_bound": bound}`` over QQ (for ``random_element``), else no keywords."""
    return {"num_bound": bound} if field == sage_names()["QQ"] else {}


@dataclass
class Segment:
    """The axis-parallel box spanned by ``endpoints``: corners ``lb`` and ``ub`` (NumPy int
    arrays), dimension ``n``."""

    endpoints: list

    def __post_init__(self):
        import numpy as np

        self.lb = np.array(np.minimum.reduce(self.endpoints), dtype=int)
        self.ub = np.array(np.maximum.reduce(self.endpoints), dtype=int)
        self.n = len(self.lb)

    def __hash__(self):
        return hash((tuple(self.lb), tuple(self.ub)))


@dataclass
class NeighborSegments:
    """One segment per axis meeting at ``intersecting_point``: a corner of the staircase that
    can still be split. ``max_point`` bounds the split point (axis i by the other segments'
    upper ends); ``valid`` says whether a split there can add monomials."""

    segments: list
    intersecting_point: object

    def __post_init__(self):
        import numpy as np

        self.n = self.segments[0].n
        ends = np.vstack([s.ub for s in self.segments]) + np.eye(self.n, dtype=int) * 100000
        self.max_point = np.min(ends, axis=0)
        gap = self.max_point - self.intersecting_point
        self.valid = bool(np.count_nonzero(gap) > 1 and np.any(gap > 1))

    def sampling(self):
        """A random split point between ``intersecting_point`` and ``max_point`` (one
        ``np.random.randint`` call over the axes where there is room)."""
        import numpy as np

        room = np.array(self.intersecting_point < self.max_point + 1)
        point = self.intersecting_point.copy()
        point[room] = np.random.randint(self.intersecting_point[room], self.max_point[room] + 1)
        return point

    def split_at(self, splitpoint) -> list:
        """The n corners a split at ``splitpoint`` leaves: corner i moves along axis i to the
        split point, with the segment from here to the split point as its i-th."""
        out = []
        for i in range(self.n):
            segments = []
            for j, segment in enumerate(self.segments):
                if i == j:
                    segments.append(Segment([self.intersecting_point.copy(), splitpoint.copy()]))
                else:
                    lb = segment.lb.copy()
                    lb[j] = splitpoint[j]
                    segments.append(Segment([lb, segment.ub.copy()]))
            corner = self.intersecting_point.copy()
            corner[i] = splitpoint[i]
            out.append(NeighborSegments(segments, corner))
        return out


class BorderBasisSampler:
    """Border bases of zero-dimensional ideals of ``ring`` (calt-x 1.5.0's, draw for draw: seed
    ``random``, ``np.random`` and Sage). ``sample(num_samples, degree_bounds)`` gives the
    bases; ``random_border_basis`` one basis with its border, order ideal and points."""

    def __init__(self, ring):
        self.ring = ring
        self.n = ring.ngens()

    # -- the order ideal ---------------------------------------------------------------------
    def hypercube_points(self, u, v, exclude_max: bool = True) -> list:
        """The integer points of the box with corners ``u`` and ``v`` (as tuples, the last
        coordinate fastest), without its upper corner when ``exclude_max``."""
        import numpy as np

        lo, hi = np.minimum(u, v), np.maximum(u, v)
        top = tuple(int(b) for b in hi)
        points = itertools.product(*(range(int(a), int(b) + 1) for a, b in zip(lo, hi)))
        return [p for p in points if not (exclude_max and p == top)]

    def span_order_ideal(self, neighbor_segments: list) -> list:
        """The points of the boxes from each corner's ``intersecting_point`` to its
        ``max_point``."""
        return [p for ns in neighbor_segments
                for p in self.hypercube_points(ns.intersecting_point, ns.max_point,
                                               exclude_max=False)]

    def sample_order_ideal(self, degree_bounds, max_iters: int = 100) -> list:
        """A random order ideal within ``degree_bounds`` (exponent tuples, higher degree
        first): the axes up to their bounds, and the boxes of up to ``max_iters - 1`` random
        splits of the staircase."""
        import numpy as np

        n = self.n
        origin = np.zeros(n, dtype=int)
        axes = []
        for i in range(n):
            end = np.array(degree_bounds)
            end[i] = 0
            axes.append(Segment([origin, end]))
        pending = [NeighborSegments(axes, origin)]
        split = []
        members = [p for i in range(n) for p in self.hypercube_points(
            origin, np.eye(n, dtype=int)[i] * degree_bounds[i], exclude_max=False)]
        for _ in range(max_iters - 1):
            if not pending:
                break
            corner = pending.pop()
            point = corner.sampling()
            pending.extend(ns for ns in corner.split_at(point) if ns.valid)
            corner.max_point = point
            split.append(corner)
            random.shuffle(pending)
        return sorted(set(members + self.span_order_ideal(split)), key=_grevlex)

    def random_order_ideal(self, degree_bounds, total_degree_bound=None,
                           degree_lower_bounds=None) -> list:
        """``sample_order_ideal`` within random bounds: per variable in
        [degree_lower_bounds, degree_bounds], or, with ``total_degree_bound``, a random
        partition of a random total in [1, total_degree_bound] spread over the variables."""
        import numpy as np

        if total_degree_bound is None:
            low = 0 if degree_lower_bounds is None else degree_lower_bounds
            bounds = np.random.randint(low, np.array(degree_bounds) + 1)
        else:
            total = np.random.randint(1, total_degree_bound + 1)
            parts = list(sage_names()["sage"].Partitions(total, max_length=self.n,
                                                         max_part=max(degree_bounds)))
            bounds = list(random.choice(parts))
            bounds += [0] * (self.n - len(bounds))
            random.shuffle(bounds)
        return self.sample_order_ideal(bounds)

    # -- the basis ---------------------------------------------------------------------------
    def compute_border_basis(self, B, O, P):  # noqa: E741 - the paper's names
        """``(kernel basis of [B(P) | O(P)], True)``, or ``(None, False)`` when the order
        ideal's monomials are dependent at the points ``P``."""
        R = self.ring
        OP = subs([R(o) for o in O], P)
        if not is_regular(OP):
            return None, False
        BP = subs([R(b) for b in B], P)
        return BP.augment(OP).transpose().kernel().basis(), True

    def random_border_basis(self, degree_bounds, max_sampling: int = 100,
                            total_degree_bound=None, degree_lower_bounds=None) -> dict:
        """One try: a random order ideal below ``degree_bounds`` (per variable, exclusive),
        its border, and up to ``max_sampling - 1`` draws of points. Returns ``{"basis",
        "order_coeff", "border", "order", "points", "success"}`` (basis [] on failure)."""
        import numpy as np

        if len(degree_bounds) != self.n:
            raise ConfigError(f"degree_bounds needs one bound per variable ({self.n}), got "
                              f"{list(degree_bounds)!r}")
        S = sage_names()["sage"]
        R = self.ring
        order = self.random_order_ideal(
            np.array(degree_bounds) - 1,
            total_degree_bound=None if total_degree_bound is None else total_degree_bound - 1,
            degree_lower_bounds=degree_lower_bounds)
        O = [R.monomial(*o) for o in order]  # noqa: E741
        B = [R.monomial(*e) for e in sorted((b.exponents()[0] for b in border(O)),
                                            key=_grevlex)]
        points = S.MatrixSpace(R.base_ring(), len(O), self.n)
        V, success, P = None, False, None
        for _ in range(max_sampling - 1):
            P = points.random_element(**keyword_for_numbound(R.base_ring(), 10))
            V, success = self.compute_border_basis(B, O, P)
            if success:
                break
        basis = [R(g) for g in (S.Matrix(B + O) * S.Matrix(V).T)[0]] if success else []
        return {"basis": basis, "order_coeff": V if success else None, "border": B,
                "order": O, "points": P, "success": success}

    def sample(self, num_samples: int, degree_bounds, total_degree_bound=None,
               max_sampling: int = 100) -> list:
        """``num_samples`` border bases (lists of ring elements), retrying failed tries."""
        out = []
        while len(out) < num_samples:
            found = self.random_border_basis(degree_bounds, max_sampling=max_sampling,
                                             total_degree_bound=total_degree_bound)
            if found["success"]:
                out.append(found["basis"])
        return out
