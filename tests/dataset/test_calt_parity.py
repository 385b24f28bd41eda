"""Byte parity with calt-x 1.5.0 (golden files) and with ourselves across every way to run;
CALT's module tree, joblib backend names and return values."""

import importlib
import subprocess
import sys
from datetime import timedelta

import pytest

from synthset import ConfigError
from tests import calt_gens, gens
from tests.conftest import OUTPUT_FILES, make_run, read_outputs, strip_timing

GOLDEN_GENERATORS = ["integer_sum", "poly_product_gf7", "poly_product_qq", "nested"]


@pytest.mark.parametrize("name", GOLDEN_GENERATORS)
def test_outputs_are_byte_identical_to_calt(tmp_path, golden, name):
    make_run(tmp_path, getattr(gens, name))
    assert read_outputs(tmp_path) == read_outputs(golden / name)


@pytest.mark.parametrize("backend, n_jobs, batch_size", [
    ("serial", 1, 7),
    ("loky", 2, 25),
    ("loky", -1, 1000),
    ("multiprocessing", 2, 13),
])
def test_every_executor_and_batch_size_writes_the_same_bytes(tmp_path, golden, backend, n_jobs,
                                                            batch_size):
    make_run(tmp_path, gens.poly_product_gf7, backend=backend, n_jobs=n_jobs,
             batch_size=batch_size)
    assert read_outputs(tmp_path) == read_outputs(golden / "poly_product_gf7")


def test_stats_are_identical_except_timing_for_any_sharding(tmp_path):
    texts = []
    for i, (backend, n_jobs, batch) in enumerate([("serial", 1, 60), ("loky", 2, 7)]):
        folder = tmp_path / str(i)
        make_run(folder, gens.integer_sum, backend=backend, n_jobs=n_jobs, batch_size=batch,
                 statistics_calculator=gens.integer_sum_stats)
        texts.append(strip_timing((folder / "train_stats.yaml").read_text()))
    assert texts[0] == texts[1]
    assert "max_abs:" in texts[0] and "errors: 0" in texts[0]


def test_problem_generator_is_accepted_as_the_older_name(tmp_path, golden):
    from synthset.dataset import DatasetGenerator

    DatasetGenerator(backend="serial", verbose=False).run(
        dataset_sizes={"train": 60, "test": 17}, problem_generator=gens.integer_sum,
        save_dir=str(tmp_path), batch_size=25)
    assert read_outputs(tmp_path) == read_outputs(golden / "integer_sum")


def test_pipeline_from_config_matches_calt(tmp_path, golden):
    from omegaconf import OmegaConf

    from synthset.dataset import DatasetPipeline

    cfg = OmegaConf.create({"dataset": {
        "save_dir": str(tmp_path), "num_train_samples": 60, "num_test_samples": 17,
        "batch_size": 25, "n_jobs": 1, "root_seed": 42, "verbose": False}})
    DatasetPipeline.from_config(cfg.dataset, instance_generator=gens.integer_sum).run()
    assert read_outputs(tmp_path) == read_outputs(golden / "integer_sum")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [".synthset", *OUTPUT_FILES, "train_stats.yaml", "test_stats.yaml", "README.md",
         "croissant.json"])


def test_any_split_names(tmp_path):
    make_run(tmp_path, gens.integer_sum, sizes={"validation": 5, "dev-2": 3})
    assert len((tmp_path / "validation_raw.txt").read_text().splitlines()) == 5
    assert len((tmp_path / "dev-2_data.jsonl").read_text().splitlines()) == 3


def test_stats_yaml_layout(tmp_path):
    stats = make_run(tmp_path, gens.integer_sum, statistics_calculator=gens.integer_sum_stats)
    text = (tmp_path / "train_stats.yaml").read_text()
    assert list(stats["train"]) == ["total_time", "num_samples", "samples_per_second",
                                    "generation_time", "problem_stats", "answer_stats",
                                    "errors", "timeouts", "skipped"]
    assert "generation_time:\n    mean: " in text  # CALT's indent of 4
    assert stats["train"]["num_samples"] == 60
    assert stats["train"]["problem_stats"]["num_terms"] == {
        "mean": 5.0, "std": 0.0, "min": 5.0, "max": 5.0}


# -- CALT's Sage backend: golden files made by calt-x 1.5.0's Sage sampler -----------------
@pytest.mark.parametrize("name", calt_gens.SAGE_GENERATORS)
def test_sage_generators_write_calt_x_bytes(tmp_path, golden, name):
    # Sampled from Sage's random state by the sagemath face, draw for draw as calt-x does
    # (same passagemath version; tests/golden/README.md).
    make_run(tmp_path, getattr(calt_gens, name))
    assert read_outputs(tmp_path) == read_outputs(golden / name)


def test_sage_generators_write_calt_x_bytes_in_process_workers(tmp_path, golden):
    make_run(tmp_path, calt_gens.sage_addition_zz, backend="loky", n_jobs=2, batch_size=10)
    assert read_outputs(tmp_path) == read_outputs(golden / "sage_addition_zz")


def test_sage_all_provides_what_calt_examples_import():
    # The `sage` extra installs a real `sage.all` (passagemath-standard-no-symbolics).
    code = ("from sage.all import (GF, QQ, RR, ZZ, PolynomialRing, TermOrder, binomial, factor, "
            "matrix, prod, randint, set_random_seed)\n"
            "set_random_seed(0)\n"
            "R = PolynomialRing(QQ, 'x, y', order='degrevlex')\n"
            "x, y = R.gens()\n"
            "print(factor(x**2 - y**2), GF(7)(10), ZZ['t']('t^2 - 1').factor())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "(x - y) * (x + y) 3 (t - 1) * (t + 1)"


@pytest.mark.parametrize("name", calt_gens.IDEAL_GENERATORS)
def test_ideal_samplers_and_transforms_write_calt_x_bytes(tmp_path, golden, name):
    # calt-x's GroebnerBasisSampler, BorderBasisSampler and ideal transforms, draw for draw
    # (20 train and 10 test samples; tests/golden/README.md).
    make_run(tmp_path, getattr(calt_gens, name), sizes={"train": 20, "test": 10})
    assert read_outputs(tmp_path) == read_outputs(golden / name)


@pytest.mark.parametrize("backend", ["threading", "sequential", "loky", "multiprocessing"])
def test_joblib_backend_names_keep_their_calt_meaning(tmp_path, golden, backend):
    from synthset.dataset import DatasetGenerator

    gen = DatasetGenerator(backend=backend, n_jobs=2, verbose=False)
    assert gen.backend == backend
    assert gen.executor == {"threading": "serial", "sequential": "serial"}.get(backend, backend)
    gen.run(dataset_sizes={"train": 60, "test": 17}, instance_generator=gens.poly_product_gf7,
            save_dir=str(tmp_path), batch_size=25)
    assert read_outputs(tmp_path) == read_outputs(golden / "poly_product_gf7")


def test_unknown_generator_backend_names_the_accepted_ones():
    from synthset.dataset import DatasetGenerator

    with pytest.raises(ConfigError, match="backend must be one of .*'threading'.*did you mean "
                                          "'threading'"):
        DatasetGenerator(backend="threadng")


def test_pipeline_run_returns_what_calt_x_returns(tmp_path):
    from synthset.dataset import DatasetPipeline

    pipeline = DatasetPipeline(gens.integer_sum, None, str(tmp_path), True, True, 6, 2, 5, 1,
                               42, False)
    assert pipeline.statistics is None
    assert pipeline.run() is None  # calt-x 1.5.0's DatasetPipeline.run() returns None
    assert pipeline.statistics["train"]["num_samples"] == 6


# -- CALT's module tree ---------------------------------------------------------------------
# The public names of calt-x 1.5.0's calt.dataset tree: for each module, its __all__ plus the
# names defined at its top level without a leading underscore (read from calt-x's sources in
# the peer venv, bench/.peers/calt; `make peers`).
CALT_DATASET_TREE = {
    "calt.dataset": ["DatasetPipeline", "get_backend_classes"],
    "calt.dataset.backends": ["BACKENDS", "BackendSpec", "get_backend_classes"],
    "calt.dataset.pipeline": ["DatasetPipeline"],
    "calt.dataset.sagemath": ["BaseStatisticsCalculator", "DatasetGenerator", "DatasetWriter",
                              "PolynomialSampler"],
    "calt.dataset.sagemath.dataset_generator": [
        "DatasetGenerator", "ProblemOrAnswer", "StatisticsDict", "StringProblemOrAnswer",
        "logger", "setup_logging"],
    "calt.dataset.sagemath.utils": ["PolynomialSampler"],
    "calt.dataset.sagemath.utils.ideal_invariant_transformer": [
        "BorderIdealTransformer", "GroebnerIdealTransformer"],
    "calt.dataset.sagemath.utils.ideal_invariant_transformer.border": ["BorderIdealTransformer"],
    "calt.dataset.sagemath.utils.ideal_invariant_transformer.groebner": [
        "GroebnerIdealTransformer", "random_permutation_matrix"],
    "calt.dataset.sagemath.utils.ideal_sampler": ["BorderBasisSampler", "GroebnerBasisSampler"],
    "calt.dataset.sagemath.utils.ideal_sampler.border": [
        "BorderBasisSampler", "NeighborSegments", "Segment", "border", "is_regular",
        "keyword_for_numbound", "subs"],
    "calt.dataset.sagemath.utils.ideal_sampler.groebner": ["GroebnerBasisSampler"],
    "calt.dataset.sagemath.utils.polynomial_sampler": [
        "PolynomialSampler", "compute_matrix_max_coefficient", "compute_max_coefficient"],
    "calt.dataset.sympy": ["BaseStatisticsCalculator", "DatasetGenerator", "DatasetWriter",
                           "PolynomialSampler"],
    "calt.dataset.sympy.dataset_generator": [
        "DatasetGenerator", "ProblemOrAnswer", "StatisticsDict", "StringProblemOrAnswer",
        "logger", "setup_logging"],
    "calt.dataset.sympy.utils": ["PolynomialSampler", "SinglePolynomialSampler"],
    "calt.dataset.sympy.utils.polynomial_sampler": [
        "PolynomialSampler", "compute_matrix_max_coefficient", "compute_max_coefficient"],
    "calt.dataset.sympy.utils.single_polynomial_sampler": ["SinglePolynomialSampler"],
    "calt.dataset.utils": ["BaseStatisticsCalculator", "DatasetWriter", "IncrementalStatistics",
                           "MemoryEfficientStatisticsCalculator"],
    "calt.dataset.utils.dataset_writer": [
        "DatasetWriter", "StatisticsDict", "StringProblemOrAnswer", "StringSample",
        "StringSampleList", "TimedeltaDumper", "timedelta_representer"],
    "calt.dataset.utils.statistics_calculator": [
        "BaseStatisticsCalculator", "IncrementalStatistics", "MemoryEfficientStatisticsCalculator"],
}


def _calt_names():
    return [(module, name) for module, names in CALT_DATASET_TREE.items() for name in names]


@pytest.mark.parametrize("module, name", _calt_names())
def test_every_calt_dataset_name_imports_from_synthset(module, name):
    ours = importlib.import_module("synthset" + module[len("calt"):])
    assert getattr(ours, name) is not None


def test_the_ideal_modules_are_calt_x_s_kinds_of_objects_and_load_no_sage():
    # Classes, dataclasses and functions where calt-x has them; Sage (and NumPy) are imported
    # by the first sample, not by the import.
    code = ("import dataclasses, inspect, sys\n"
            "import synthset.dataset.sagemath\n"
            "before = set(sys.modules)\n"
            "from synthset.dataset.sagemath.utils import ideal_invariant_transformer as t\n"
            "from synthset.dataset.sagemath.utils import ideal_sampler as s\n"
            "from synthset.dataset.sagemath.utils.ideal_invariant_transformer import groebner\n"
            "from synthset.dataset.sagemath.utils.ideal_sampler import border\n"
            "assert all(inspect.isclass(c) for c in (s.GroebnerBasisSampler, "
            "s.BorderBasisSampler, t.GroebnerIdealTransformer, t.BorderIdealTransformer))\n"
            "assert dataclasses.is_dataclass(border.Segment)\n"
            "assert dataclasses.is_dataclass(border.NeighborSegments)\n"
            "assert all(inspect.isfunction(f) for f in (border.border, border.subs, "
            "border.is_regular, border.keyword_for_numbound, groebner.random_permutation_matrix))\n"
            "new = {m.split('.')[0] for m in set(sys.modules) - before}\n"
            "print(sorted(new & {'sage', 'numpy'}), 'sage' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[] False"


def test_calt_paths_are_synthset_s_own_objects():
    from synthset.algebra import sage_sampler, sampling
    from synthset.core import stats
    from synthset.dataset import generator, pipeline, writer

    def at(path):
        module, name = path.rsplit(".", 1)
        return getattr(importlib.import_module("synthset.dataset" + module), name)

    same = {
        generator.DatasetGenerator: [".sagemath.DatasetGenerator", ".sympy.DatasetGenerator",
                                     ".sagemath.dataset_generator.DatasetGenerator",
                                     ".sympy.dataset_generator.DatasetGenerator"],
        writer.DatasetWriter: [".sagemath.DatasetWriter", ".sympy.DatasetWriter",
                               ".utils.DatasetWriter", ".utils.dataset_writer.DatasetWriter"],
        stats.BaseStatisticsCalculator: [".sagemath.BaseStatisticsCalculator",
                                         ".sympy.BaseStatisticsCalculator",
                                         ".utils.BaseStatisticsCalculator",
                                         ".utils.statistics_calculator.BaseStatisticsCalculator"],
        stats.MemoryEfficientStatisticsCalculator: [
            ".utils.MemoryEfficientStatisticsCalculator",
            ".utils.statistics_calculator.MemoryEfficientStatisticsCalculator"],
        stats.IncrementalStatistics: [".utils.statistics_calculator.IncrementalStatistics"],
        sampling.SinglePolynomialSampler: [
            ".sympy.utils.SinglePolynomialSampler",
            ".sympy.utils.single_polynomial_sampler.SinglePolynomialSampler"],
        pipeline.DatasetPipeline: [".DatasetPipeline", ".pipeline.DatasetPipeline"],
    }
    for obj, paths in same.items():
        for path in paths:
            assert at(path) is obj, path
    from synthset.dataset.sympy.utils.polynomial_sampler import PolynomialSampler

    assert at(".sympy.PolynomialSampler") is at(".sympy.utils.PolynomialSampler") \
        is PolynomialSampler and issubclass(PolynomialSampler, sampling.PolynomialSampler)
    # The Sage face's sampler is synthset's, taking calt-x's unused max_coeff over QQ and GF(p)
    assert at(".sagemath.PolynomialSampler") is at(".sagemath.utils.PolynomialSampler") \
        is at(".sagemath.utils.polynomial_sampler.PolynomialSampler") \
        and issubclass(at(".sagemath.PolynomialSampler"), sage_sampler.PolynomialSampler)


def test_get_backend_classes():
    from synthset.dataset import DatasetGenerator, DatasetWriter, get_backend_classes

    for name in ("sagemath", "sympy", "flint"):
        assert get_backend_classes(name) == (DatasetGenerator, DatasetWriter)
    with pytest.raises(ConfigError, match="backend must be one of 'sagemath', 'sympy', 'flint', "
                                          "got 'sage'"):
        get_backend_classes("sage")


def test_base_statistics_calculator_is_a_statistics_calculator(tmp_path):
    from synthset.dataset.sagemath import BaseStatisticsCalculator

    class Sizes(BaseStatisticsCalculator):
        def __call__(self, problem, answer):
            return {"problem": {"n": len(problem)}, "answer": {"abs": abs(answer)}}

    with pytest.raises(TypeError):
        BaseStatisticsCalculator()
    stats = make_run(tmp_path, gens.integer_sum, statistics_calculator=Sizes())
    assert stats["train"]["problem_stats"]["n"]["mean"] == 5.0


def test_timedelta_dumper_writes_seconds():
    import yaml

    from synthset.dataset.utils.dataset_writer import TimedeltaDumper

    assert yaml.dump({"t": timedelta(seconds=1.5)}, Dumper=TimedeltaDumper) == "t: 1.5\n"


def test_sympy_max_coefficient_helpers_return_what_calt_x_returns():
    # calt-x 1.5.0 returns these (floats, 0 for zero) for the same polynomials.
    from sympy import GF, QQ, RR, ZZ
    from sympy.polys.rings import ring

    from synthset.dataset.sympy.utils.polynomial_sampler import (
        compute_matrix_max_coefficient, compute_max_coefficient)

    R, x, y = ring("x,y", QQ)
    assert compute_max_coefficient(QQ(-7, 3) * x + 2 * y) == 7.0
    assert compute_max_coefficient(R(0)) == 0
    assert compute_matrix_max_coefficient([[x, QQ(1, 8) * y]]) == 8.0
    _, x, y = ring("x,y", ZZ)
    assert compute_max_coefficient(-9 * x + 2 * y) == 9.0
    _, x, y = ring("x,y", RR)
    assert compute_max_coefficient(RR(-2.5) * x + y) == 2.5
    _, x, y = ring("x,y", GF(7))
    assert compute_max_coefficient(3 * x - y) == 6.0  # calt-x raises over GF(p)
