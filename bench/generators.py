"""The workloads of bench_engine.py, importable by synthset, calt-x and the bare loop alike."""

import random


def integer_sum(seed):
    """CALT's README demo: five random integers, answer their sum (~15 us a call here)."""
    rng = random.Random(seed)
    problem = [rng.randint(-1000, 1000) for _ in range(5)]
    return problem, sum(problem)


def poly_product_gf7(seed):
    """CPU-bound: the product of two random polynomials in GF(7)[x, y] (SymPy)."""
    from sympy import GF
    from sympy.polys.rings import ring

    rng = random.Random(seed)
    R, x, y = ring("x,y", GF(7), order="grevlex")

    def rand_poly():
        p = R(0)
        for _ in range(rng.randint(1, 10)):
            p += rng.randint(1, 6) * x ** rng.randint(0, 5) * y ** rng.randint(0, 5)
        return p if p != 0 else R(1)

    f, g = rand_poly(), rand_poly()
    return [f, g], f * g
