"""CALT's eigenvector example: the top eigenvector of a 3x3 symmetric positive semi-definite
integer matrix, written with ``decimals`` digits (unit length, first non-zero entry positive)."""

from __future__ import annotations

from dataclasses import dataclass

from synthset.algebra.problems.base import Problem


@dataclass
class Eigenvector(Problem):
    """CALT's eigenvector: a 3x3 symmetric PSD matrix; answer its top unit eigenvector."""

    size: int = 3  # the matrix is B^T B for a size x size integer matrix B
    bound: int = 3  # entries of B in [-bound, bound]
    decimals: int = 4  # digits of the answer's entries

    LEVELS = {lv: {"size": n, "bound": b} for lv, (n, b) in enumerate(
        [(2, 1), (2, 2), (2, 3), (3, 2), (3, 3), (3, 5), (4, 3), (4, 5), (5, 5), (6, 9)], 1)}

    def generate(self, rng):
        import numpy as np

        while True:
            B = np.array([[rng.randint(-self.bound, self.bound) for _ in range(self.size)]
                          for _ in range(self.size)])
            A = B.T @ B  # symmetric PSD, integer entries
            w, V = np.linalg.eigh(A.astype(float))
            if self.size == 1 or w[-1] - w[-2] > 1e-6:  # a simple top eigenvalue: well defined
                break
        v = V[:, -1]
        v = v * (1 if v[np.flatnonzero(np.abs(v) > 1e-12)[0]] > 0 else -1)
        problem = [[str(int(x)) for x in row] for row in A]
        answer = [f"{x:.{self.decimals}f}" for x in v]
        return problem, answer

    def check(self, problem, answer) -> bool:
        import numpy as np

        A = np.array([[float(x) for x in row] for row in problem])
        v = np.array([float(x) for x in answer])
        lam = float(v @ A @ v) / float(v @ v)
        top = float(np.linalg.eigvalsh(A)[-1])
        tol = 10 ** (-self.decimals) * 10 * max(1.0, top)
        first = v[np.flatnonzero(np.abs(v) > 0)[0]]
        return (abs(np.linalg.norm(v) - 1) < 10 ** (-self.decimals) * 10 and first > 0
                and abs(lam - top) < tol and np.linalg.norm(A @ v - lam * v) < tol)

    def statistics(self, problem, answer):
        return {"problem": {"max_abs": max(abs(int(x)) for row in problem for x in row)},
                "answer": {"length": len(answer)}}
