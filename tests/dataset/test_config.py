"""The option declaration: every face reads it, so a bad value gets the same one-line error
everywhere, and only the options that change bytes reach the fingerprint."""

import json
import pickle
from dataclasses import MISSING, fields

import pytest
import yaml

from synthset import ConfigError, ResumeError
from synthset.cli.main import main
from synthset.dataset import DatasetGenerator, DatasetPipeline
from synthset.dataset import generator as generator_module
from synthset.dataset import pipeline as pipeline_module
from synthset.driver.options import OPTIONS, RunOptions
from synthset.driver.job import JobOptions, SampleJob
from synthset.engine.plan import Shard
from tests import gens
from tests.conftest import make_run

BLOCK = {"save_dir": "unused", "num_train_samples": 6, "num_test_samples": 2, "batch_size": 5,
         "n_jobs": 1, "root_seed": 42, "verbose": False}


def test_every_option_is_declared_with_its_reason():
    assert set(OPTIONS) == {f.name for f in fields(RunOptions)}
    for key, declared in OPTIONS.items():
        assert declared.why, key
        assert declared.choices or (declared.accepts and declared.valid), key
    assert {k for k, d in OPTIONS.items() if d.fingerprint} == {"root_seed", "formats",
                                                                 "on_error", "timeout", "dedup"}
    assert {k for k, d in OPTIONS.items() if d.required} == {
        "save_dir", "num_train_samples", "num_test_samples", "batch_size", "n_jobs", "root_seed"}


@pytest.mark.parametrize("key, value, message", [
    ("n_jobs", 0, "n_jobs must be -1 (all cores) or a positive integer, got 0"),
    ("batch_size", 0, "batch_size must be a positive integer, got 0"),
    ("on_error", "ignore", "on_error must be one of 'raise', 'skip', got 'ignore'"),
    ("timeout", -1, "timeout must be a positive number of seconds up to 1,000,000, or null, got -1"),
    ("save_text", "yes", "save_text must be true or false, got 'yes'"),
    ("formats", ["csv"], "formats must be one of 'text', 'json', 'parquet', 'pickle', got 'csv'"),
    ("shard_size", 0, "shard_size must be a positive integer or null, got 0"),
    ("dedup", "inner", "dedup must be off, splits or all, got 'inner'"),
])
def test_one_message_per_option_on_every_face(tmp_path, key, value, message):
    seen = []
    attempts = [
        lambda: DatasetPipeline(gens.integer_sum, **{**BLOCK, key: value}),
        lambda: DatasetPipeline.from_config({**BLOCK, key: value},
                                            instance_generator=gens.integer_sum),
    ]
    if key == "n_jobs":  # DatasetGenerator takes it in its constructor
        attempts.append(lambda: DatasetGenerator(n_jobs=value))
    else:
        attempts.append(lambda: make_run(tmp_path, gens.integer_sum, **{key: value}))
    for attempt in attempts:
        with pytest.raises(ConfigError) as info:
            attempt()
        seen.append(str(info.value))
    assert seen == [message] * len(attempts)


def test_unknown_argument_and_key_name_the_closest():
    with pytest.raises(ConfigError, match="unknown DatasetPipeline key 'n_job' "
                                          r"\(did you mean 'n_jobs'\?\)"):
        DatasetPipeline(gens.integer_sum, n_job=2)
    with pytest.raises(ConfigError, match=r"unknown DatasetGenerator.run key 'timeuot' "
                                          r"\(did you mean 'timeout'\?\)"):
        DatasetGenerator(verbose=False).run({"train": 1}, gens.integer_sum, timeuot=3)
    with pytest.raises(ConfigError, match="missing required key.*root_seed"):
        DatasetPipeline.from_config({k: v for k, v in BLOCK.items() if k != "root_seed"})


def test_calt_positional_arguments_and_attributes(tmp_path):
    pipeline = DatasetPipeline(gens.integer_sum, None, str(tmp_path), True, False, 6, 2, 5, 1)
    assert (pipeline.save_json, pipeline.num_train_samples, pipeline.n_jobs) == (False, 6, 1)
    assert pipeline.backend == "sympy" and pipeline.formats == ("text",)


def test_rules_between_options():
    with pytest.raises(ConfigError, match="either task or instance_generator"):
        RunOptions(task="poly_sum", instance_generator=gens.integer_sum)
    with pytest.raises(ConfigError, match="task_config is given without task"):
        RunOptions(instance_generator=gens.integer_sum, task_config={"k": 2})
    with pytest.raises(ConfigError, match="check is a verifier .* task 'poly_sum' has its own"):
        RunOptions(task="poly_sum", check="tests.dataset.test_config:sum_check")
    with pytest.raises(ConfigError, match="nothing to write"):
        RunOptions(instance_generator=gens.integer_sum, save_text=False, save_json=False)
    with pytest.raises(ConfigError, match="both 0: nothing to make"):
        DatasetPipeline(gens.integer_sum, num_train_samples=0, num_test_samples=0)


def test_formats_are_one_sorted_set_whatever_their_spelling():
    a = RunOptions(instance_generator=gens.integer_sum, formats=["pkl", "parquet"])
    b = RunOptions(instance_generator=gens.integer_sum, save_text=False, save_json=False,
                   formats=["text", "jsonl", "pickle", "parquet", "txt"])
    assert a.formats == b.formats == ("json", "parquet", "pickle", "text")


def test_only_byte_changing_options_are_fingerprinted(tmp_path):
    make_run(tmp_path, gens.integer_sum, batch_size=25)
    before = json.loads((tmp_path / ".synthset" / "manifest.json").read_text())
    assert set(before["config"]) == {"sizes", "instance_generator", "statistics_calculator",
                                     "root_seed", "formats", "on_error", "timeout"}
    # Spelled another way, with other batch size and shard size: the same run, resumed.
    make_run(tmp_path, gens.integer_sum, batch_size=7, save_text=False, formats=["txt"],
             shard_size=9)
    with pytest.raises(ResumeError, match=r"on_error: 'raise' -> 'skip'"):
        make_run(tmp_path, gens.integer_sum, on_error="skip")


def sum_check(problem, answer) -> bool:
    """A user's verifier of gens.integer_sum, on the strings a run writes."""
    return sum(int(x) for x in problem) == int(answer)


def test_check_is_resolved_and_recorded_for_a_user_generator(tmp_path):
    cfg = {**BLOCK, "save_dir": str(tmp_path / "a"), "instance_generator": "tests.gens:integer_sum",
           "check": "tests.dataset.test_config:sum_check"}
    pipeline = DatasetPipeline.from_config(cfg)
    assert pipeline.check is sum_check
    pipeline.run()
    DatasetPipeline.from_config({**cfg, "save_dir": str(tmp_path / "b"), "check": None}).run()
    a, b = (json.loads((tmp_path / x / ".synthset" / "manifest.json").read_text())
            for x in "ab")
    assert a["task"] == {"check": "tests.dataset.test_config:sum_check"} and "task" not in b
    assert a["fingerprint"] == b["fingerprint"]  # a verifier does not change the bytes
    rows = [json.loads(line) for line in (tmp_path / "a" / "train_data.jsonl").open()]
    assert all(pipeline.check(r["problem"], r["answer"]) for r in rows)
    with pytest.raises(ConfigError, match="check: module 'tests.gens' has no 'nope'"):
        DatasetPipeline.from_config({**cfg, "check": "tests.gens:nope"})


def test_a_built_in_task_is_recorded_with_its_backend(tmp_path):
    cfg = {**BLOCK, "save_dir": str(tmp_path), "task": "integer_sum",
           "task_config": {"count": 3}}
    pipeline = DatasetPipeline.from_config(cfg)
    assert pipeline.check is None and pipeline.task == "integer_sum"
    pipeline.run()
    manifest = json.loads((tmp_path / ".synthset" / "manifest.json").read_text())
    assert manifest["task"] == {"name": "integer_sum", "config": {"count": 3},
                                "backend": "sympy"}


# -- every face takes every option ----------------------------------------------------------
DEFAULTS = {f.name: f.default for f in fields(RunOptions)}
# DatasetGenerator's constructor, with values the calls below do not give: an option given to
# run() must win over it for that run.
CONSTRUCTOR = {"executor": "multiprocessing", "n_jobs": 2, "verbose": True, "root_seed": 7}


def _captured(monkeypatch, module) -> list:
    """The RunSpecs ``module`` hands to execute (nothing is generated)."""
    specs = []
    monkeypatch.setattr(module, "execute", lambda spec: specs.append(spec) or {})
    return specs


def _pipeline(block, key, tmp_path, monkeypatch):
    specs = _captured(monkeypatch, pipeline_module)
    DatasetPipeline(**block).run()
    return specs


def _from_config(block, key, tmp_path, monkeypatch):
    specs = _captured(monkeypatch, pipeline_module)
    DatasetPipeline.from_config(block).run()
    return specs


def _generator_run(block, key, tmp_path, monkeypatch):
    specs = _captured(monkeypatch, generator_module)
    DatasetGenerator(backend=CONSTRUCTOR["executor"], n_jobs=CONSTRUCTOR["n_jobs"],
                     verbose=CONSTRUCTOR["verbose"], root_seed=CONSTRUCTOR["root_seed"]
                     ).run(**block)
    return specs


def _generate_command(block, key, tmp_path, monkeypatch):
    """``synthset generate data.yaml KEY=VALUE``: the option given as an override only."""
    specs = _captured(monkeypatch, pipeline_module)
    config = tmp_path / "data.yaml"
    config.write_text(yaml.safe_dump({"dataset": {k: v for k, v in block.items() if k != key}}))
    assert main(["generate", str(config), f"{key}={json.dumps(block[key])}"]) == 0
    return specs


FACES = {"DatasetPipeline": _pipeline, "DatasetPipeline.from_config": _from_config,
         "DatasetGenerator.run": _generator_run, "synthset generate": _generate_command}


@pytest.mark.parametrize("face", FACES)
@pytest.mark.parametrize("key", OPTIONS)
def test_every_face_takes_every_declared_option(tmp_path, monkeypatch, face, key):
    """Each option RunOptions declares, given (its value in BLOCK, else its declared default)
    to each face, reaches the run's options as RunOptions itself takes it."""
    block = {**BLOCK, "save_dir": str(tmp_path / "run"), "instance_generator": gens.integer_sum}
    if face == "synthset generate":  # a YAML names its generator
        block["instance_generator"] = "tests.gens:integer_sum"
    if face == "DatasetGenerator.run":  # what the constructor holds comes from there
        block = {k: v for k, v in block.items() if k not in CONSTRUCTOR}
    block[key] = block.get(key, DEFAULTS[key])
    assert block[key] is not MISSING, f"{key} has no default to give"
    specs = FACES[face](block, key, tmp_path, monkeypatch)
    expected = {**CONSTRUCTOR, **block} if face == "DatasetGenerator.run" else block
    spec, = specs
    assert spec.options == RunOptions(**expected)
    assert spec.sizes == {"train": 6, "test": 2}


def test_generator_run_takes_license_as_the_pipeline_does(tmp_path):
    make_run(tmp_path / "gen", gens.integer_sum, sizes={"train": 6, "test": 2}, batch_size=5,
             license="mit")
    DatasetPipeline(gens.integer_sum, **{**BLOCK, "save_dir": str(tmp_path / "pipe"),
                                        "license": "mit"}).run()
    for run in ("gen", "pipe"):
        assert (tmp_path / run / "README.md").read_text().startswith("---\nlicense: mit\n")
        assert json.loads((tmp_path / run / ".synthset" / "card.json").read_text())[
            "license"] == "mit"
    manifests = [json.loads((tmp_path / run / ".synthset" / "manifest.json").read_text())
                 for run in ("gen", "pipe")]
    assert manifests[0]["config"] == manifests[1]["config"]  # and not fingerprinted
    with pytest.raises(ConfigError, match="license must be a license identifier"):
        make_run(tmp_path / "bad", gens.integer_sum, license="MIT license")


def test_generator_run_sizes_from_dataset_sizes_or_the_pipelines_keys(tmp_path):
    with pytest.raises(ConfigError, match="give dataset_sizes or num_train_samples, not both"):
        DatasetGenerator(verbose=False).run({"train": 3}, gens.integer_sum,
                                            num_train_samples=3, save_dir=str(tmp_path))
    stats = DatasetGenerator(backend="serial", verbose=False).run(
        instance_generator=gens.integer_sum, save_dir=str(tmp_path / "a"),
        num_train_samples=6, num_test_samples=2, batch_size=5)
    DatasetPipeline(gens.integer_sum, **{**BLOCK, "save_dir": str(tmp_path / "b")}).run()
    assert {s: v["num_samples"] for s, v in stats.items()} == {"train": 6, "test": 2}
    for name in ("train_raw.txt", "test_data.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_generator_run_takes_a_built_in_task_and_its_check_as_the_pipeline_does(tmp_path):
    make_run(tmp_path / "task", None, task="integer_sum", task_config={"count": 3})
    manifest = json.loads((tmp_path / "task" / ".synthset" / "manifest.json").read_text())
    assert manifest["task"] == {"name": "integer_sum", "config": {"count": 3},
                                "backend": "sympy"}
    make_run(tmp_path / "check", gens.integer_sum, check="tests.dataset.test_config:sum_check")
    manifest = json.loads((tmp_path / "check" / ".synthset" / "manifest.json").read_text())
    assert manifest["task"] == {"check": "tests.dataset.test_config:sum_check"}


def test_synthset_check_refuses_executor_and_n_jobs_as_a_run_does():
    from synthset.quality.check import Options

    for options, key, value in ((Options(executor="spark"), "executor", "spark"),
                                (Options(n_jobs=0), "n_jobs", 0)):
        with pytest.raises(ConfigError) as check_error:
            options.validate()
        with pytest.raises(ConfigError) as run_error:
            RunOptions(instance_generator=gens.integer_sum, **{key: value})
        assert str(check_error.value) == str(run_error.value).replace(
            "executor must", "--executor must")


# -- a shard's job takes the run's options whole ----------------------------------------------
def test_a_shard_job_takes_the_options_by_name_and_travels_whole(tmp_path):
    assert {f.name for f in fields(JobOptions)} <= set(OPTIONS)  # each is the option of its name
    options = RunOptions(instance_generator=gens.integer_sum, save_dir=str(tmp_path),
                         root_seed=3, timeout=5.0, formats=["parquet"])
    job_options = JobOptions.of(options)
    assert (job_options.root_seed, job_options.timeout, job_options.formats) == \
        (3, 5.0, ("json", "parquet", "text"))
    with pytest.raises(TypeError):  # keyword-only: a new field never shifts the others
        SampleJob(gens.integer_sum, None, job_options)
    job = SampleJob(generator=gens.integer_sum, options=job_options, checks={"train": [4]})
    again = pickle.loads(pickle.dumps(job))  # what the process executors send
    assert again == job
    shard = Shard("train", 0, 0, 10)
    assert again.make(shard)[1] == job.make(shard)[1]
    assert again(shard)["checks"] == job(shard)["checks"]
