"""Byte parity with calt-x 1.5.0 (golden files) and with ourselves across every way to run."""

import pytest

from tests import gens
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
        [".synthset", *OUTPUT_FILES, "train_stats.yaml", "test_stats.yaml"])


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
