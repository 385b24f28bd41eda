"""A failing, slow or unsendable generator: one clear error, or counted replacements."""

import pytest

from synthset import ConfigError, GenerationError
from synthset.core.seeding import derive_seed
from synthset.engine.plan import plan_shards
from synthset.engine.state import RunState
from tests import gens
from tests.conftest import make_run


def _first_failing_index(split="train"):
    return next(i for i in range(1000) if derive_seed(42, split, i) % 7 == 0)


@pytest.mark.parametrize("backend, n_jobs", [("serial", 1), ("loky", 2)])
def test_raise_names_split_index_seed_and_cause(tmp_path, backend, n_jobs):
    index = _first_failing_index()
    with pytest.raises(GenerationError) as info:
        make_run(tmp_path, gens.fails_on_multiples_of_7, backend=backend, n_jobs=n_jobs,
                 sizes={"train": 200})
    err = info.value
    assert (err.split, err.seed % 7) == ("train", 0)
    assert err.seed == derive_seed(42, "train", err.index)
    if backend == "serial":
        assert err.index == index
    message = str(err)
    assert f"sample {err.index} of split 'train' (seed {err.seed})" in message
    assert "ZeroDivisionError: seed is a multiple of 7" in message
    assert "fails_on_multiples_of_7" in message  # where in the user's code
    # No final file and no completion marker for the failed shard.
    assert not (tmp_path / "train_raw.txt").exists()
    failed = [s for s in plan_shards({"train": 200}, 25) if s.start <= err.index < s.stop][0]
    assert not RunState(tmp_path).is_done(failed)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_sys_exit_in_a_generator_is_a_sample_error(tmp_path, n_jobs):
    """sys.exit() in a generator is that sample's failure: named under on_error: raise, replaced
    and counted under skip — never a silent stop with nothing written."""
    with pytest.raises(GenerationError) as info:
        make_run(tmp_path / "r", gens.exits_on_multiples_of_7, n_jobs=n_jobs,
                 backend="serial" if n_jobs == 1 else "loky", sizes={"train": 200})
    assert "the generator called sys.exit(3)" in str(info.value)
    assert info.value.seed == derive_seed(42, "train", info.value.index)
    stats = make_run(tmp_path / "s", gens.exits_on_multiples_of_7, on_error="skip",
                     n_jobs=n_jobs, backend="serial" if n_jobs == 1 else "loky",
                     sizes={"train": 300})
    failures = sum(derive_seed(42, "train", i) % 7 == 0 for i in range(300))
    assert stats["train"]["skipped"] >= failures > 0
    assert len((tmp_path / "s" / "train_raw.txt").read_bytes().splitlines()) == 300


@pytest.mark.parametrize("formats", [{}, {"save_text": False},
                                     {"save_text": False, "save_json": False,
                                      "formats": ["parquet"]}])
def test_a_lone_surrogate_is_a_sample_error_in_every_format(tmp_path, formats):
    with pytest.raises(GenerationError, match="contains a lone surrogate"):
        make_run(tmp_path / "r", gens.surrogate_on_multiples_of_7, sizes={"train": 100},
                 **formats)
    stats = make_run(tmp_path / "s", gens.surrogate_on_multiples_of_7, on_error="skip",
                     sizes={"train": 100}, **formats)
    assert stats["train"]["skipped"] >= sum(derive_seed(42, "train", i) % 7 == 0
                                            for i in range(100)) > 0


def test_skip_replaces_deterministically_and_counts(tmp_path):
    stats = make_run(tmp_path / "a", gens.fails_on_multiples_of_7, on_error="skip",
                     sizes={"train": 300})
    make_run(tmp_path / "b", gens.fails_on_multiples_of_7, on_error="skip", backend="loky",
             n_jobs=2, batch_size=11, sizes={"train": 300})
    a = (tmp_path / "a" / "train_raw.txt").read_bytes()
    assert a == (tmp_path / "b" / "train_raw.txt").read_bytes()
    failures = sum(derive_seed(42, "train", i) % 7 == 0 for i in range(300))
    assert failures > 0
    assert stats["train"]["errors"] >= failures and stats["train"]["skipped"] >= failures
    assert stats["train"]["num_samples"] == 300 and len(a.splitlines()) == 300
    index = _first_failing_index()
    line = a.splitlines()[index].decode()
    assert line != "{} | {} | {} | {} | {} # {}".format(
        *gens.integer_sum(derive_seed(42, "train", index))[0],
        sum(gens.integer_sum(derive_seed(42, "train", index))[0]))


def test_skip_gives_up_after_bounded_attempts(tmp_path):
    with pytest.raises(GenerationError, match="100 replacement seeds failed too"):
        make_run(tmp_path, gens.always_fails, on_error="skip", sizes={"train": 1})


@pytest.mark.parametrize("backend, n_jobs", [("serial", 1), ("loky", 2)])
def test_timeout_is_a_failure_with_its_cause(tmp_path, backend, n_jobs):
    with pytest.raises(GenerationError, match=r"timed out after 0.2 s"):
        make_run(tmp_path, gens.slow_when_even, timeout=0.2, backend=backend, n_jobs=n_jobs,
                 sizes={"train": 20})


def test_timeout_with_skip_finishes_and_counts(tmp_path):
    stats = make_run(tmp_path, gens.slow_when_even, timeout=0.05, on_error="skip",
                     sizes={"train": 12})
    assert stats["train"]["timeouts"] > 0
    assert stats["train"]["timeouts"] == stats["train"]["skipped"]
    assert len((tmp_path / "train_raw.txt").read_text().splitlines()) == 12


def test_unpicklable_generator_for_process_pool_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="module-level function"):
        make_run(tmp_path, lambda seed: ([1], 1), backend="multiprocessing", n_jobs=2)


def test_lambda_runs_on_loky_which_pickles_by_value(tmp_path):
    make_run(tmp_path, lambda seed: ([seed % 10], seed % 10), backend="loky", n_jobs=2)
    assert len((tmp_path / "train_raw.txt").read_text().splitlines()) == 60


def test_generator_not_returning_a_pair(tmp_path):
    with pytest.raises(GenerationError, match=r"must return a \(problem, answer\) pair"):
        make_run(tmp_path, gens.not_a_pair)


def test_bad_statistics_and_deep_nesting_name_the_sample(tmp_path):
    with pytest.raises(GenerationError, match=r"sample 0 of split 'train'.*problem.size"):
        make_run(tmp_path / "a", gens.integer_sum, statistics_calculator=gens.bad_stats)
    with pytest.raises(GenerationError, match=r"sample 0 of split 'train'.*two levels"):
        make_run(tmp_path / "b", gens.deep)


@pytest.mark.parametrize("kwargs, message", [
    ({"on_error": "ignore"}, "on_error must be one of 'raise', 'skip', got 'ignore'"),
    ({"timeout": 0}, "timeout must be a positive number"),
    ({"batch_size": 0}, "batch_size must be a positive integer, got 0"),
    ({"sizes": {"train": 0}}, "positive integer, got 0 for train"),
    ({"sizes": {"../x": 3}}, "split name '../x' is not accepted"),
    ({"formats": ["csv"]}, "formats must be one of 'text', 'json', 'parquet', 'pickle'"),
])
def test_bad_arguments(tmp_path, kwargs, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make_run(tmp_path, gens.integer_sum, **kwargs)


def test_bad_generator_constructor_arguments():
    from synthset.dataset import DatasetGenerator

    with pytest.raises(ConfigError, match="n_jobs must be -1"):
        DatasetGenerator(n_jobs=0)
    with pytest.raises(ConfigError, match="backend must be one of.*did you mean 'dask'"):
        DatasetGenerator(backend="dusk")
    with pytest.raises(ConfigError, match="instance_generator must be provided"):
        DatasetGenerator(verbose=False).run({"train": 1})


def test_save_dir_urls(tmp_path, golden):
    from tests.conftest import read_outputs

    make_run(f"file://{tmp_path}", gens.integer_sum)
    assert read_outputs(tmp_path) == read_outputs(golden / "integer_sum")


def test_fsspec_save_dir_gives_the_same_bytes_and_resumes():
    fsspec = pytest.importorskip("fsspec")
    from synthset.cli.status import status
    from tests.conftest import GOLDEN, OUTPUT_FILES

    url = "memory://synthset-test/run"
    fs = fsspec.filesystem("memory")
    if fs.exists("/synthset-test"):
        fs.rm("/synthset-test", recursive=True)
    make_run(url, gens.integer_sum, formats=["parquet"])
    for name in OUTPUT_FILES:
        assert fs.cat_file(f"/synthset-test/run/{name}") == (GOLDEN / "integer_sum" /
                                                           name).read_bytes()
    assert fs.exists("/synthset-test/run/data/train-00000-of-00001.parquet")
    assert "the run is complete" in status(url)
    with pytest.raises(Exception, match="root_seed: 42 -> 7"):
        from synthset.dataset import DatasetGenerator

        DatasetGenerator(backend="serial", verbose=False, root_seed=7).run(
            {"train": 60, "test": 17}, gens.integer_sum, save_dir=url, batch_size=25)
    with pytest.raises(ConfigError, match="memory:// filesystem lives in one process"):
        make_run("memory://synthset-test/other", gens.integer_sum, backend="loky", n_jobs=2)


@pytest.mark.parametrize("kind", sorted(gens.AMBIGUOUS))
def test_values_a_text_line_cannot_hold_are_sample_errors(tmp_path, kind):
    gen = gens.ambiguous(kind)
    with pytest.raises(GenerationError, match=r"sample \d+ of split 'train' \(seed \d+\)"):
        make_run(tmp_path / "raise", gen)
    assert not (tmp_path / "raise" / "train_raw.txt").exists()
    stats = make_run(tmp_path / "skip", gen, on_error="skip")
    lines = (tmp_path / "skip" / "train_raw.txt").read_text(encoding="utf-8").split("\n")
    assert len(lines) == 61 and lines[-1] == ""  # 60 samples, one line each, nothing split
    assert all(line.count(" # ") == 1 for line in lines[:-1])
    assert stats["train"]["skipped"] == stats["train"]["errors"] > 0


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_a_keyboard_interrupt_the_generator_raises_is_a_sample_error(tmp_path, n_jobs,
                                                                     python_sigint):
    """A KeyboardInterrupt raised by the generator's own code (no Ctrl-C) is that sample's
    failure, named with split, index and seed — not "interrupted, run again to resume", which
    would fail the same way."""
    backend = "serial" if n_jobs == 1 else "loky"

    def run(*args, **kwargs):  # a KeyboardInterrupt that escapes would stop pytest itself
        try:
            return make_run(*args, **kwargs)
        except KeyboardInterrupt as exc:
            raise AssertionError(f"the run stopped as for a Ctrl-C ({exc!r})") from None

    with pytest.raises(GenerationError) as info:
        run(tmp_path / "r", gens.interrupts_on_multiples_of_7, n_jobs=n_jobs, backend=backend,
            sizes={"train": 200})
    err = info.value
    assert err.split == "train" and err.seed == derive_seed(42, "train", err.index)
    assert err.seed % 7 == 0
    if n_jobs == 1:
        assert err.index == _first_failing_index()
    assert "the generator raised KeyboardInterrupt itself, with no Ctrl-C" in str(err)
    assert "the generator's own" in str(err) and "interrupts_on_multiples_of_7" in str(err)
    stats = run(tmp_path / "s", gens.interrupts_on_multiples_of_7, on_error="skip",
                n_jobs=n_jobs, backend=backend, sizes={"train": 300})
    failures = sum(derive_seed(42, "train", i) % 7 == 0 for i in range(300))
    assert stats["train"]["errors"] >= failures > 0
    assert len((tmp_path / "s" / "train_raw.txt").read_bytes().splitlines()) == 300


def test_a_real_ctrl_c_still_stops_the_run(tmp_path, python_sigint):
    """SIGINT while the generator runs (in this process) stops the run to be resumed, even
    under on_error: skip; the handler is Python's own again afterwards."""
    import signal

    with pytest.raises(KeyboardInterrupt):
        make_run(tmp_path, gens.sends_itself_sigint, on_error="skip", sizes={"train": 200})
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert not (tmp_path / "train_raw.txt").exists()
