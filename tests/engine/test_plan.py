"""Planning limits: shard counts a driver can hold, worker counts a machine can run."""

import pytest

from synthset import ConfigError
from synthset.cli.main import main
from synthset.engine.plan import MAX_SHARDS, plan_shards
from tests import gens
from tests.conftest import make_run, read_outputs


def test_an_impossible_sample_count_is_refused_before_anything_is_made(tmp_path):
    with pytest.raises(ConfigError, match=r"100,000,000,000,000,000,000 samples in shards of "
                                          r"10,000 make .* shards, more than the 1,000,000 one "
                                          r"run can track: set shard_size"):
        make_run(tmp_path / "run", gens.integer_sum, sizes={"train": 10**20}, batch_size=10**5)
    assert not (tmp_path / "run").exists()
    with pytest.raises(ConfigError, match="more than the 1,000,000"):
        plan_shards({"train": MAX_SHARDS + 1}, 1)


def test_a_large_count_with_large_shards_is_planned(tmp_path):
    shards = plan_shards({"train": 10**12}, 10**7)
    assert len(shards) == 10**5 and shards[-1].stop == 10**12


def test_many_more_jobs_than_cores_warns_and_finishes(
        tmp_path, golden, capsys):
    make_run(tmp_path, gens.integer_sum, backend="loky", n_jobs=1000)  # 3 + 1 shards
    assert "n_jobs=1000 is more than 4 times the" in capsys.readouterr().err
    assert read_outputs(tmp_path) == read_outputs(golden / "integer_sum")


def test_n_jobs_below_minus_one_names_what_is_accepted(tmp_path, capsys):
    config = tmp_path / "data.yaml"
    config.write_text("dataset: {save_dir: %s, num_train_samples: 5, num_test_samples: 0, "
                      "batch_size: 5, n_jobs: 1, root_seed: 1, "
                      "instance_generator: 'tests.gens:integer_sum'}\n" % (tmp_path / "run"))
    assert main(["generate", str(config), "n_jobs=-2"]) == 2
    assert "n_jobs must be -1 (all cores) or a positive integer, got -2" in \
        capsys.readouterr().err
