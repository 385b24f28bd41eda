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
        """Unit length, first non-zero entry positive, the Rayleigh quotient the top
        eigenvalue and the residual small (each within 10 units of the last digit). A right
        answer is accepted by ``_clearly_right`` (no eigenvalue computed); anything it does
        not accept is decided by NumPy's eigenvalues below, so the verdict is the same."""
        import numpy as np

        rows = [[float(x) for x in row] for row in problem]
        vector = [float(x) for x in answer]
        if _clearly_right(rows, vector, 10 ** (-self.decimals) * 10):
            return True
        A = np.array(rows)
        v = np.array(vector)
        lam = float(v @ A @ v) / float(v @ v)
        top = float(np.linalg.eigvalsh(A)[-1])
        tol = 10 ** (-self.decimals) * 10 * max(1.0, top)
        first = v[np.flatnonzero(np.abs(v) > 0)[0]]
        return (abs(np.linalg.norm(v) - 1) < 10 ** (-self.decimals) * 10 and first > 0
                and abs(lam - top) < tol and np.linalg.norm(A @ v - lam * v) < tol)

    def statistics(self, problem, answer):
        return {"problem": {"max_abs": max(abs(int(x)) for row in problem for x in row)},
                "answer": {"length": len(answer)}}


# Relative margin by which the fast path's figures must clear the check's bounds: its sums
# (in another order than NumPy's) and NumPy's eigenvalues differ by ~1e-15 relative.
_MARGIN = 1e-6


def _clearly_right(A: list, v: list, eps: float) -> bool:
    """True when ``check`` surely holds for the matrix ``A`` and vector ``v`` (floats), with
    margins far above rounding (False: not shown; ``check`` then decides). The top eigenvalue
    is bounded without computing it: with ``lam`` the Rayleigh quotient (never above the top
    eigenvalue), ``top < lam + tol`` holds when ``(lam + tol) I - A`` is positive definite,
    shown by a Cholesky factorisation of it shifted down by far more than its rounding error
    (Rump's test). ``A`` is symmetric here: the quotient is then never above the top
    eigenvalue, and NumPy's ``eigvalsh`` reads the same matrix."""
    from math import fsum, sqrt

    n = len(v)
    if n == 0 or len(A) != n:
        return False
    for i, row in enumerate(A):  # square and symmetric (what the bound below needs)
        if len(row) != n:
            return False
        for j in range(i):
            if row[j] != A[j][i]:
                return False
    squares = fsum([x * x for x in v])
    if not abs(sqrt(squares) - 1) < eps * (1 - _MARGIN):
        return False
    for x in v:
        if x != 0:
            if not x > 0:
                return False
            break
    else:
        return False
    Av = [fsum([a * x for a, x in zip(row, v)]) for row in A]
    lam = fsum([x * y for x, y in zip(v, Av)]) / squares
    tol = eps * max(1.0, lam) * (1 - _MARGIN)  # at most the check's (its top >= lam)
    if not sqrt(fsum([(y - lam * x) ** 2 for x, y in zip(v, Av)])) < tol:
        return False
    size = fsum([abs(a) for row in A for a in row]) + abs(lam) + tol
    if not size * 1e-12 < tol * _MARGIN:  # rounding (~1e-15 of size) far below the margins
        return False
    t = lam + tol - 1e-9 * size
    # Cholesky of t I - A: every pivot positive (L's rows built in place)
    L = []
    for k in range(n):
        row_k = A[k]
        lk = []
        for j in range(k):
            lj = L[j]
            acc = -row_k[j]
            for m in range(j):
                acc -= lk[m] * lj[m]
            lk.append(acc / lj[j])
        pivot = t - row_k[k]
        for x in lk:
            pivot -= x * x
        if not pivot > 0:
            return False
        lk.append(sqrt(pivot))
        L.append(lk)
    return True
