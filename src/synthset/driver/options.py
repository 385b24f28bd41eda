"""Every option of a run, declared once: the keys of a data.yaml ``dataset`` block, which are
also the keyword arguments of DatasetPipeline and of ``DatasetGenerator.run``.

Each field of RunOptions carries its declaration: the default, what it accepts (the one error,
``{key} must be {accepts}, got {value!r}``, or the choices with a "did you mean"), whether it
changes the output bytes (``fingerprint``: the manifest records it and a resume must repeat it)
and why it exists. DatasetPipeline (arguments and ``from_config``), DatasetGenerator (its
constructor and ``run``), ``synthset generate`` and the manifest read these fields, and accept
every one of them (``arguments``, ``dataset_block``: no face keeps a list of its own); no other
code checks an option (``synthset check`` checks its executor and n_jobs through
``check_option``). Rules between options are checked once too, in ``RunOptions.__post_init__``.
An option declared later with ``fingerprint`` leaves older run folders resumable: their
manifests lack its key, which stands for its default (``RunOptions.fingerprint_defaults``).

Some options change the bytes through what they build and reach the manifest that way: the
sample counts as the run's ``sizes``, ``save_text``/``save_json`` inside ``formats``, the
generator keys (and ``task``, ``task_config``, ``backend``) as the generator's identity.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields

from synthset.core.errors import ConfigError, bad_choice, unknown_key
from synthset.core.identity import resolve_callable
from synthset.core.values import is_bool, is_int
from synthset.engine.executors import EXECUTORS, N_JOBS, valid_n_jobs
from synthset.io.formats import format_name

ALGEBRA_BACKENDS = ("sympy", "sagemath", "flint")
ON_ERROR = ("raise", "skip")


@dataclass(frozen=True)
class Option:
    """The declaration of one option (see the module docstring); its default is the field's."""

    why: str
    accepts: str = ""  # completes "{key} must be ..."; options with choices list those
    valid: Callable[[object], bool] | None = None
    choices: tuple = ()
    fingerprint: bool = False
    required: bool = False  # a data.yaml must give it (CALT's required keys)

    def check(self, key: str, value) -> None:
        if self.choices:
            if value not in self.choices:
                raise bad_choice(key, value, self.choices)
        elif not self.valid(value):
            raise ConfigError(f"{key} must be {self.accepts}, got {value!r}")


def option(default, why: str, **declaration):
    """A RunOptions field that carries its declaration."""
    return field(default=default, metadata={"option": Option(why, **declaration)})




def _callable_spec(value) -> bool:
    return value is None or callable(value) or (isinstance(value, str) and ":" in value)


def format_list(formats) -> list:
    """``formats`` as written (null, one name or a list) as a list of names."""
    if formats is None:
        return []
    return [formats] if isinstance(formats, str) else list(formats)


def _formats(value) -> bool:
    if not (value is None or isinstance(value, (str, list, tuple))):
        return False
    for name in format_list(value):
        format_name(name)  # an unknown name: its own error, naming the accepted formats
    return True


# The longest per-sample limit: the timers behind it (setitimer, thread waits) overflow past
# ~9e9 s; a million seconds is eleven days, longer than any sample is meant to take.
MAX_TIMEOUT = 1_000_000


def _seconds(value) -> bool:
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)
                             and 0 < value <= MAX_TIMEOUT)


def _license(value) -> bool:
    import re

    return value is None or (isinstance(value, str) and
                             re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.+\-]{0,63}", value) is not None)


CALLABLE = "written as 'module:function', or a callable"
TF = "true or false"


@dataclass(frozen=True)
class RunOptions:
    """The options of one run, checked when made; see the module docstring."""

    save_dir: str = option(
        ".", "the run folder: final files, and .synthset/ to resume", required=True,
        accepts="a folder path or URL (null: the current folder)",
        valid=lambda v: v is None or isinstance(v, (str, os.PathLike)) and str(v) != "")
    num_train_samples: int = option(
        0, "samples of split train (CALT's pipeline makes train and test)", required=True,
        accepts="an integer >= 0", valid=is_int(0))
    num_test_samples: int = option(
        0, "samples of split test", required=True, accepts="an integer >= 0", valid=is_int(0))
    batch_size: int = option(
        100_000, "CALT's batch: the most samples a worker holds at once", required=True,
        accepts="a positive integer", valid=is_int(1))
    n_jobs: int = option(
        -1, "how many workers make shards at once", required=True,
        accepts=N_JOBS, valid=valid_n_jobs)
    root_seed: int = option(
        42, "every sample's seed derives from it, its split and its index", required=True,
        accepts="an integer", valid=is_int(), fingerprint=True)
    save_text: bool = option(True, "write {split}_raw.txt (CALT)", accepts=TF, valid=is_bool)
    save_json: bool = option(True, "write {split}_data.jsonl (CALT)", accepts=TF, valid=is_bool)
    formats: tuple = option(
        (), "formats beyond save_text/save_json; holds all the run's formats once made",
        accepts="a list such as [parquet, pickle]", valid=_formats, fingerprint=True)
    verbose: bool = option(True, "progress bars and a summary on stderr", accepts=TF,
                           valid=is_bool)
    backend: str = option(
        "sympy", "the algebra engine of a built-in task (CALT defaults to sagemath, which "
        "fails without Sage)", choices=ALGEBRA_BACKENDS)
    executor: str = option("loky", "where shards run", choices=EXECUTORS)
    address: str | None = option(
        None, "the Ray or Dask cluster to join (null: start one)",
        accepts="a cluster address or null", valid=lambda v: v is None or isinstance(v, str))
    on_error: str = option(
        "raise", "a failing sample stops the run, or is replaced by another seed and counted",
        choices=ON_ERROR, fingerprint=True)
    timeout: float | None = option(
        None, "a sample taking longer is a failure", accepts="a positive number of seconds "
        f"up to {MAX_TIMEOUT:,}, or null", valid=_seconds, fingerprint=True)
    verify_determinism: int = option(
        16, "how many samples, spread over the splits, are made again at the end of a split and "
        "compared with what was written (0: none)", accepts="an integer >= 0", valid=is_int(0))
    resume: bool = option(
        True, "keep the finished shards of the same run (false: start again)", accepts=TF,
        valid=is_bool)
    shard_size: int | None = option(
        None, "samples per shard, the unit of work and of resume (null: ~32 shards per "
        "worker); a resume keeps the first run's", accepts="a positive integer or null",
        valid=is_int(1, none=True))
    instance_generator: object = option(
        None, "the user's seed -> (problem, answer)", accepts=CALLABLE, valid=_callable_spec)
    problem_generator: object = option(
        None, "instance_generator's older name in CALT's documents", accepts=CALLABLE,
        valid=_callable_spec)
    statistics_calculator: object = option(
        None, "(problem, answer) -> the numbers its split's stats YAML summarises",
        accepts=CALLABLE, valid=_callable_spec)
    check: object = option(
        None, "the user's verifier, check(problem, answer) -> bool (a built-in task has its "
        "own)", accepts=CALLABLE, valid=_callable_spec)
    task: str | None = option(
        None, "a built-in task instead of a generator", accepts="a task name (see `synthset "
        "tasks`)", valid=lambda v: v is None or isinstance(v, str))
    task_config: Mapping | None = option(
        None, "the built-in task's parameters", accepts="a mapping of the task's parameters",
        valid=lambda v: v is None or isinstance(v, Mapping))
    dedup: str = option(
        "off", "splits: the splits are made disjoint by dedup key (a sample whose key an "
        "earlier split holds is replaced from a derived seed); all: also no two samples of a "
        "split share a key; off: CALT's behaviour",
        accepts="off, splits or all", valid=lambda v: v in (None, False, "off", "splits", "all"),
        fingerprint=True)
    license: str | None = option(
        None, "the license the run's dataset card (README.md) names; not in the fingerprint",
        accepts="a license identifier such as apache-2.0, mit or cc-by-4.0 (letters, digits, "
        "'.', '-', '+'), or null", valid=_license)

    def __post_init__(self) -> None:
        for key, declared in self.declared().items():
            declared.check(key, getattr(self, key))
        formats = format_list(self.formats) + ["text"] * self.save_text + ["json"] * self.save_json
        object.__setattr__(self, "formats", tuple(sorted({format_name(f) for f in formats})))
        object.__setattr__(self, "save_dir", "." if self.save_dir is None else str(self.save_dir))
        object.__setattr__(self, "dedup", "off" if self.dedup in (None, False) else self.dedup)
        self._check_together()

    def _check_together(self) -> None:
        """The rules between options."""
        given, older = self.instance_generator, self.problem_generator
        if given is not None and older is not None and given is not older:
            raise ConfigError("pass instance_generator or problem_generator (older name), "
                              "not both")
        if self.task and (given is not None or older is not None):
            raise ConfigError("give either task or instance_generator, not both")
        if not self.task and given is None and older is None:
            raise ConfigError("instance_generator must be provided (or problem_generator, its "
                              "older name, or task: NAME): the dataset names no generator")
        if self.task_config and not self.task:
            raise ConfigError("task_config is given without task: name the built-in task it "
                              "configures")
        if self.task and self.check is not None:
            raise ConfigError(f"check is a verifier for a user's instance_generator; task "
                              f"{self.task!r} has its own: remove check")
        if not self.formats:
            raise ConfigError("nothing to write: save_text, save_json and formats are all off")
        if self.save_dir.startswith("memory://") and self.executor != "serial" \
                and self.n_jobs != 1:
            raise ConfigError(f"save_dir {self.save_dir!r}: a memory:// filesystem lives in one "
                              "process, so workers could not share it; use executor=serial or "
                              "n_jobs=1, or a shared filesystem")

    @classmethod
    def declared(cls) -> dict[str, Option]:
        """Every option, by key: the fields of the class (a subclass may declare more)."""
        return {f.name: f.metadata["option"] for f in fields(cls)}

    @property
    def generator_key(self) -> str:
        """Which key names the user's generator (CALT's two names for it)."""
        return "problem_generator" if self.problem_generator is not None \
            and self.instance_generator is None else "instance_generator"

    def resolved(self, key: str, search_dirs=(".",)):
        """The callable option ``key`` names; a "module:function" is imported from
        ``search_dirs`` (the config file's folder, the current folder)."""
        value = getattr(self, key)
        return resolve_callable(value, key, search_dirs) if isinstance(value, str) else value

    def split_sizes(self) -> dict[str, int]:
        """CALT's pipeline splits: train and test, those with samples."""
        if self.num_train_samples + self.num_test_samples == 0:
            raise ConfigError("num_train_samples and num_test_samples are both 0: nothing to "
                              "make")
        return {split: n for split, n in (("train", self.num_train_samples),
                                          ("test", self.num_test_samples)) if n > 0}

    def fingerprinted(self) -> dict:
        """The options that change the output bytes, by value (what the manifest records)."""
        values = {key: getattr(self, key) for key, declared in self.declared().items()
                  if declared.fingerprint}
        # Left out at its default, as runs recorded it before fingerprint_defaults existed:
        # the fingerprints of their folders, and of new runs of the same config, stay as they
        # were. (Options declared since are recorded whatever their value.)
        if values["dedup"] == "off":
            del values["dedup"]
        return values

    @classmethod
    def fingerprint_defaults(cls) -> dict:
        """The declared default of every fingerprinted option: the value a manifest written
        before the option was declared stands for (``engine.state.RunState.open``), so that
        declaring one does not make every existing run folder refuse to resume."""
        return {f.name: f.default for f in fields(cls) if f.metadata["option"].fingerprint}


OPTIONS: dict[str, Option] = RunOptions.declared()


def check_option(key: str, value, name: str | None = None) -> None:
    """Check one option on its own (for arguments taken before a run is made); ``name`` is
    what the error calls it, when not its key (a command-line flag)."""
    OPTIONS[key].check(name or key, value)


def to_plain(config) -> dict:
    """A DictConfig (resolved) or any mapping as a plain dict."""
    if type(config).__name__ == "DictConfig":
        from omegaconf import OmegaConf

        config = OmegaConf.to_container(config, resolve=True)
    if not isinstance(config, Mapping):
        raise ConfigError(f"the dataset config must be a mapping, got {type(config).__name__}")
    return dict(config)


def dataset_block(config, options: type[RunOptions] = RunOptions) -> dict:
    """A data.yaml ``dataset`` block as a plain dict, its keys checked against ``options``'
    declaration (values are checked when the options are made from it)."""
    block = to_plain(config)
    declared = options.declared()
    for key in block:
        if key not in declared:
            raise unknown_key(str(key), declared, where="dataset")
    missing = [key for key, option in declared.items() if option.required and key not in block]
    if missing:
        raise ConfigError(f"the dataset config is missing required key(s): {', '.join(missing)}")
    return block


def arguments(face: str, options: type[RunOptions], positional: tuple[str, ...], args: tuple,
              kwargs: dict) -> dict:
    """The options a CALT face was called with, by name: ``args`` in CALT's positional order,
    ``kwargs`` any option ``options`` declares (an unknown one gets a "did you mean")."""
    accepted = options.declared()
    if len(args) > len(positional):
        raise TypeError(f"{face}() takes at most {len(positional)} positional options "
                        f"({', '.join(positional)}), got {len(args)}")
    values = dict(zip(positional, args))
    for key in kwargs:
        if key in values:
            raise TypeError(f"{face}() got two values for {key!r}")
        if key not in accepted:
            raise unknown_key(key, accepted, where=f"{face}")
    return {**values, **kwargs}
