"""Every problem, on every backend that can serve it: generated through the engine, each sample
checked by the problem's own independent verifier; broken answers are caught."""

import json

import pytest

from synthset import ConfigError
from synthset.tasks.registry import REGISTRY, get_task
from synthset.dataset import DatasetPipeline

pytest.importorskip("flint")

BACKENDS = {
    "integer_sum": ["sympy"], "gf17_addition": ["sympy"], "integer_factorization": ["sympy"],
    "eigenvector": ["sympy"],
    "poly_sum": ["sympy", "flint", "sagemath"], "poly_product": ["sympy", "flint", "sagemath"],
    "poly_addition": ["sympy", "flint", "sagemath"], "poly_gcd": ["sympy", "flint", "sagemath"],
    "poly_factor": ["sympy", "flint", "sagemath"], "poly_reduction": ["sympy", "sagemath"],
    "groebner": ["sympy", "flint", "sagemath"],
    "unimodular_inverse": ["sympy", "flint", "sagemath"],
}
CASES = [(name, b) for name, backends in BACKENDS.items() for b in backends]


def _run(tmp_path, name, backend, task_config=None, n=40, **extra):
    if backend == "sagemath":
        pytest.importorskip("sage.all__sagemath_singular")
    cfg = {"save_dir": str(tmp_path), "num_train_samples": n, "num_test_samples": 5,
           "batch_size": 15, "n_jobs": 1, "root_seed": 42, "verbose": False,
           "backend": backend, "task": name, "task_config": task_config or {},
           "on_error": "skip" if name == "poly_reduction" else "raise", **extra}
    pipeline = DatasetPipeline.from_config(cfg)
    assert pipeline.run() is None  # as calt-x's; the statistics stay on the pipeline
    stats = pipeline.statistics
    rows = [json.loads(line) for line in (tmp_path / "train_data.jsonl").read_text().splitlines()]
    return stats, rows


def test_every_problem_is_covered():
    assert set(BACKENDS) == {n for n, e in REGISTRY.items() if e.kind == "algebra"}


@pytest.mark.parametrize("name, backend", CASES)
def test_every_sample_passes_its_verifier(tmp_path, name, backend):
    stats, rows = _run(tmp_path, name, backend)
    problem = get_task(name, backend=backend)
    assert len(rows) == 40
    assert all(problem.check(r["problem"], r["answer"]) for r in rows)
    assert "problem_stats" in stats["train"] and "answer_stats" in stats["train"]


@pytest.mark.parametrize("name", ["poly_sum", "poly_product", "poly_gcd", "poly_addition",
                                  "groebner", "unimodular_inverse", "poly_factor"])
def test_sympy_and_flint_write_identical_files(tmp_path, name):
    _run(tmp_path / "s", name, "sympy")
    _run(tmp_path / "f", name, "flint")
    for f in ("train_raw.txt", "test_data.jsonl"):
        assert (tmp_path / "s" / f).read_bytes() == (tmp_path / "f" / f).read_bytes(), f


@pytest.mark.parametrize("name", ["poly_product", "poly_gcd", "poly_factor", "groebner"])
def test_sympy_and_sagemath_give_the_same_answers(tmp_path, name):
    _, a = _run(tmp_path / "s", name, "sympy")
    _, b = _run(tmp_path / "g", name, "sagemath")
    problem = get_task(name)

    def canon(x):  # Sage prints GF(p) coefficients symmetrically: compare the polynomials
        return [canon(i) for i in x] if isinstance(x, list) else sorted(
            problem.terms_of(x).items()) if name != "poly_factor" or x[0] != "-" else x

    assert [canon(r["answer"]) for r in a] == [canon(r["answer"]) for r in b]


def _break(answer):
    if isinstance(answer, list):
        return [_break(answer[0])] + answer[1:] if answer else ["1"]
    return answer + " + 1" if not answer.lstrip("-").replace(".", "").isdigit() else str(
        float(answer) + 1) if "." in answer else str(int(answer) + 1)


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_a_broken_answer_is_rejected(name):
    backend = "flint" if name == "poly_factor" else "sympy"
    problem = get_task(name, backend=backend)
    from synthset.core.nested import to_strings

    rejected = 0
    for seed in range(20):
        try:
            p, a = problem(seed)
        except ValueError:  # a degenerate poly_reduction sample
            continue
        p, a = to_strings(p), to_strings(a)
        assert problem.check(p, a)
        rejected += not problem.check(p, _break(a))
    assert rejected >= 15


def test_reduction_skips_degenerate_ideals_through_the_engine(tmp_path):
    stats, rows = _run(tmp_path, "poly_reduction", "sympy", n=30)
    assert stats["train"]["skipped"] > 0 and stats["train"]["errors"] == stats["train"]["skipped"]
    assert len(rows) == 30


@pytest.mark.parametrize("params, message", [
    ({"k": 2, "size": 3}, "unknown task 'poly_product' key 'size'"),
    ({"field": "GF(9)"}, "9 is not prime"),
    ({"max_degree": -1}, "max_degree must be a non-negative integer"),
])
def test_bad_task_config(params, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        get_task("poly_product", **params)


def test_backend_limits_are_config_errors():
    with pytest.raises(ConfigError, match="SymPy cannot factor multivariate polynomials over"):
        get_task("poly_factor", field="GF(7)")
    with pytest.raises(ConfigError, match="python-flint lacks"):
        get_task("poly_reduction", backend="flint")
    with pytest.raises(ConfigError, match="task must be one of"):
        get_task("poly_division")


@pytest.mark.parametrize("field", ["QQ", "ZZ", "GF(7)", "GF(32003)"])
def test_flint_factor_parts_equal_the_generic_ones(field):
    # FLINT's own scalars (fmpq / fmpz / nmod) against the generic version, which goes
    # through Python values; content, negative leading coefficients and repeated factors.
    from synthset.algebra.backends.base import Backend

    problem = get_task("poly_factor", backend="flint", symbols="x, y", field=field, k=3,
                           max_degree=2, max_num_terms=3)
    ring = problem.ring()
    eng = ring.backend
    x, y = ring.gens()
    polys = [problem(seed)[0] for seed in range(60)]
    polys += [(-3 * x - 6 * y) ** 2 * (2 * x * y + 4), ring.one() * 5, -(x ** 3)]
    for poly in polys:
        fast = eng.factor_parts(poly, ring)
        generic = Backend.factor_parts(eng, poly, ring)
        assert fast[0] == generic[0] and type(fast[0]) is type(generic[0])
        assert [(d, eng.to_str(f), e) for d, f, e in fast[1]] == \
            [(d, eng.to_str(f), e) for d, f, e in generic[1]]


def test_is_prime_agrees_with_a_sieve_and_known_large_numbers():
    from synthset.algebra.fields import is_prime

    limit = 20_000
    sieve = [False, False] + [True] * (limit - 2)
    for p in range(2, int(limit ** 0.5) + 1):
        if sieve[p]:
            sieve[p * p::p] = [False] * len(range(p * p, limit, p))
    assert [n for n in range(limit) if is_prime(n)] == [n for n in range(limit) if sieve[n]]
    assert is_prime(32003) and is_prime(2 ** 61 - 1) and not is_prime(1849)  # 43**2
    assert not is_prime(3215031751)  # a strong pseudoprime to bases 2, 3, 5 and 7
