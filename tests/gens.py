"""Generators the tests run (module-level, so process executors can import them).

The same functions ran under calt-x 1.5.0 to make the golden files in tests/golden/
(bench/calt_parity.py; see tests/golden/README.md).
"""

import os
import random
import time

os.environ.setdefault("SYMPY_GROUND_TYPES", "python")  # CALT-compatible GF(p) printing


def integer_sum(seed):
    rng = random.Random(seed)
    problem = [rng.randint(-1000, 1000) for _ in range(5)]
    return problem, sum(problem)


def integer_sum_stats(problem, answer):
    return {"problem": {"num_terms": len(problem), "max_abs": max(abs(x) for x in problem)},
            "answer": {"abs": abs(answer)}}


def poly_product_gf7(seed):
    """Product of two random polynomials in GF(7)[x, y] (SymPy PolyElement)."""
    from sympy import GF
    from sympy.polys.rings import ring

    rng = random.Random(seed)
    R, x, y = ring("x,y", GF(7), order="grevlex")

    def rand_poly():
        p = R(0)
        for _ in range(rng.randint(1, 4)):
            p += rng.randint(1, 6) * x ** rng.randint(0, 3) * y ** rng.randint(0, 3)
        return p if p != 0 else R(1)

    f, g = rand_poly(), rand_poly()
    return [f, g], f * g


def poly_product_qq(seed):
    from sympy import QQ
    from sympy.polys.rings import ring

    rng = random.Random(seed)
    R, x, y = ring("x,y", QQ, order="lex")
    f = sum((QQ(rng.randint(-9, 9), rng.randint(1, 5)) * x ** rng.randint(0, 3)
             * y ** rng.randint(0, 2) for _ in range(3)), R(0))
    g = x + QQ(rng.randint(-5, 5), 3) * y + 1
    return [[f, g], [g]], [f * g]


def nested(seed):
    """Mixed two-level nesting and non-ASCII text, as CALT's writer documents them."""
    rng = random.Random(seed)
    k = rng.randint(1, 3)
    problem = [[str(rng.randint(0, 9)) for _ in range(k)], "é" * rng.randint(0, 2), "x\"y\\z"]
    answer = [str(rng.random())] if seed % 2 else "∑ " + str(k)
    return problem, answer


def deep(seed):
    return [[["too", "deep"]]], "x"


def fails_on_multiples_of_7(seed):
    if seed % 7 == 0:
        raise ZeroDivisionError("seed is a multiple of 7")
    return integer_sum(seed)


def exits_on_multiples_of_7(seed):
    if seed % 7 == 0:
        import sys

        sys.exit(3)
    return integer_sum(seed)


def surrogate_on_multiples_of_7(seed):
    if seed % 7 == 0:
        return ["\ud800"], "1"
    return integer_sum(seed)


def always_fails(seed):
    raise RuntimeError("broken generator")


def slow_when_even(seed):
    if seed % 2 == 0:
        time.sleep(5)
    return integer_sum(seed)


def not_a_pair(seed):
    return 42


def bad_stats(problem, answer):
    return {"problem": {"size": "big"}}


def slow_sum(seed):
    time.sleep(0.0003)
    return integer_sum(seed)


def dies_in_workers(seed):
    """Kills the process it runs in when that is a pool worker (the driver survives)."""
    import multiprocessing

    if multiprocessing.parent_process() is not None and seed % 5 == 0:
        os._exit(3)
    return integer_sum(seed)


class _NoStr:
    pass


class _BadStr:
    def __str__(self):
        raise RuntimeError("__str__ failed")


# Samples that cannot be written as one unambiguous line of *_raw.txt: every third seed.
AMBIGUOUS = {
    "carriage return": "a\rb",
    "line separator": "a\u2028b",
    "paragraph separator": "a\u2029b",
    "form feed": "a\x0cb",
    "text separator": "x # y",
    "list separator": "x | y",
    "memory address": _NoStr(),
    "failing __str__": _BadStr(),
}


def ambiguous(kind):
    def gen(seed):
        rng = random.Random(seed)
        value = rng.randint(0, 99)
        if value % 3 == 0:
            return [str(value), AMBIGUOUS[kind]], value
        return [str(value)], value
    return gen


def held(seed):
    """integer_sum, but waits while the file named by $SYNTHSET_TEST_HOLD exists: a test keeps
    a run open (and its folder locked) until it removes the file."""
    hold = os.environ.get("SYNTHSET_TEST_HOLD")
    while hold and os.path.exists(hold):
        time.sleep(0.005)
    return integer_sum(seed)


def few_sums(seed):
    """a + b for a, b in 0..9: 100 distinct problems, so splits of a few hundred samples
    share many (dedup tests)."""
    rng = random.Random(seed)
    a, b = rng.randint(0, 9), rng.randint(0, 9)
    return f"{a} + {b}", str(a + b)


def tiny_domain(seed):
    """Only three distinct problems."""
    a = random.Random(seed).randint(0, 2)
    return str(a), str(a)


def some_sums(seed):
    """a + b for a, b in 0..49: 2,500 distinct problems."""
    rng = random.Random(seed)
    a, b = rng.randint(0, 49), rng.randint(0, 49)
    return f"{a} + {b}", str(a + b)


def slow_some_sums(seed):
    time.sleep(0.0003)
    return some_sums(seed)


def hash_seeded(seed):
    """Seeded from hash() of a string: the same samples within one process, other ones in a
    process with another hash seed (hash randomisation)."""
    rng = random.Random(hash(str(seed)))
    problem = [rng.randint(-1000, 1000) for _ in range(3)]
    return problem, sum(problem)


def records_calls(seed):
    """integer_sum, appending "pid hash('synthset')" to the file $SYNTHSET_TEST_CALLS names (when
    set) at every call: which processes made samples, with which hash seed."""
    calls = os.environ.get("SYNTHSET_TEST_CALLS")
    if calls:
        with open(calls, "a") as f:
            f.write(f"{os.getpid()} {hash('synthset')}\n")
    return integer_sum(seed)


def interrupts_on_multiples_of_7(seed):
    """Raises KeyboardInterrupt itself (no signal) on seeds divisible by 7."""
    if seed % 7 == 0:
        raise KeyboardInterrupt("the generator's own")
    return integer_sum(seed)


def sends_itself_sigint(seed):
    """A real Ctrl-C: on seeds divisible by 7 the process gets SIGINT (``raise_signal`` runs
    the handler before it returns)."""
    if seed % 7 == 0:
        import signal

        signal.raise_signal(signal.SIGINT)
        raise AssertionError("SIGINT did not interrupt the generator")
    return integer_sum(seed)
