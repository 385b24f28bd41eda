"""The inverse of a random unimodular upper-triangular polynomial matrix.

U = I - N with N strictly upper triangular (nilpotent), so U^-1 = I + N + ... + N^(n-1): the
inverse is exact and polynomial. Problem and answer are written row by row (``||`` between rows).
"""

from __future__ import annotations

from dataclasses import dataclass

from synthset.algebra import terms as T
from synthset.algebra.problems.base import PolyProblem


@dataclass
class UnimodularInverse(PolyProblem):
    """Inverse of a unimodular upper-triangular polynomial matrix."""

    size: int = 3  # the matrix is size x size
    density: float = 1.0  # the fraction of non-zero entries above the diagonal
    max_degree: int = 2
    max_num_terms: int = 3

    LEVELS = {lv: {"symbols": ", ".join("xyz"[:v]), "size": n, "max_degree": d,
                   "max_num_terms": t}
              for lv, (v, n, d, t) in enumerate(
                  [(1, 2, 1, 1), (1, 2, 1, 2), (1, 2, 2, 2), (2, 3, 1, 2), (2, 3, 2, 2),
                   (2, 3, 2, 3), (2, 3, 3, 3), (2, 4, 2, 3), (3, 4, 3, 3), (3, 4, 3, 4)], 1)}

    def generate(self, rng):
        n = self.size
        M = self.sampler(rng).sample(1, size=(n, n), density=self.density,
                                     matrix_type="unimodular_upper_triangular")[0]
        ring = self.ring()
        eng = ring.backend
        fld = self._field
        U = [[dict(eng.terms(M[i, j])) for j in range(n)] for i in range(n)]
        inv = _inverse_unitriangular(U, fld, ring.ngens)
        problem = [[M[i, j] for j in range(n)] for i in range(n)]
        return problem, [[ring.from_dict(inv[i][j]) for j in range(n)] for i in range(n)]

    def check(self, problem, answer) -> bool:
        fld, nv = self._field, len(self._symbols)
        A = [[self.terms_of(x) for x in row] for row in problem]
        B = [[self.terms_of(x) for x in row] for row in answer]
        n = len(A)
        for i in range(n):
            for j in range(n):
                acc = {}
                for k in range(n):
                    acc = T.add(acc, T.mul(A[i][k], B[k][j], fld), fld)
                if acc != (T.one(nv) if i == j else {}):
                    return False
        return True


def _inverse_unitriangular(U, fld, nv):
    n = len(U)
    N = [[T.neg(U[i][j], fld) if j > i else {} for j in range(n)] for i in range(n)]
    identity = [[T.one(nv) if i == j else {} for j in range(n)] for i in range(n)]
    total, power = identity, identity
    for _ in range(n - 1):
        power = [[_dot(power, N, i, j, fld) for j in range(n)] for i in range(n)]
        total = [[T.add(total[i][j], power[i][j], fld) for j in range(n)] for i in range(n)]
    return total


def _dot(A, B, i, j, fld):
    acc = {}
    for k in range(len(A)):
        if A[i][k] and B[k][j]:
            acc = T.add(acc, T.mul(A[i][k], B[k][j], fld), fld)
    return acc
