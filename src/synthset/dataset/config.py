"""The ``dataset`` block of a ``data.yaml``: accepted keys, defaults and checks.

CALT's keys (seeds 000/001) plus synthset's. Every key is checked here, once, with an error
naming the key and what it accepts; an unknown key names the closest valid one.
"""

from __future__ import annotations

from collections.abc import Mapping

from synthset.core.errors import ConfigError, bad_choice, unknown_key

REQUIRED = ("save_dir", "num_train_samples", "num_test_samples", "batch_size", "n_jobs",
            "root_seed")
DEFAULTS = {
    "save_text": True,
    "save_json": True,
    "verbose": True,
    "backend": "sympy",  # CALT defaults to sagemath, which fails without Sage
    "executor": "loky",
    "address": None,
    "on_error": "raise",
    "timeout": None,
    "formats": [],
    "resume": True,
    "shard_size": None,
    "instance_generator": None,
    "problem_generator": None,
    "statistics_calculator": None,
    "task": None,  # a built-in task by name (see `synthset tasks`), instead of a generator
    "task_config": {},  # that task's parameters
}
KEYS = REQUIRED + tuple(DEFAULTS)
BACKENDS = ("sympy", "sagemath", "flint")


def to_plain(config) -> dict:
    """A DictConfig (resolved) or any mapping as a plain dict."""
    if type(config).__name__ == "DictConfig":
        from omegaconf import OmegaConf

        config = OmegaConf.to_container(config, resolve=True)
    if not isinstance(config, Mapping):
        raise ConfigError(f"the dataset config must be a mapping, got {type(config).__name__}")
    return dict(config)


def _int(cfg, key, minimum):
    value = cfg[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{key} must be an integer >= {minimum}, got {value!r}")


def _bool(cfg, key):
    if not isinstance(cfg[key], bool):
        raise ConfigError(f"{key} must be true or false, got {cfg[key]!r}")


def check_dataset_config(config) -> dict:
    """Validate a ``dataset`` block; returns it as a plain dict with defaults filled in."""
    cfg = to_plain(config)
    for key in cfg:
        if key not in KEYS:
            raise unknown_key(str(key), KEYS, where="dataset")
    missing = [k for k in REQUIRED if k not in cfg]
    if missing:
        raise ConfigError(f"the dataset config is missing required key(s): {', '.join(missing)}")
    cfg = {**DEFAULTS, **cfg}
    if not isinstance(cfg["save_dir"], str) or not cfg["save_dir"]:
        raise ConfigError(f"save_dir must be a folder path, got {cfg['save_dir']!r}")
    _int(cfg, "num_train_samples", 0)
    _int(cfg, "num_test_samples", 0)
    if cfg["num_train_samples"] + cfg["num_test_samples"] == 0:
        raise ConfigError("num_train_samples and num_test_samples are both 0: nothing to make")
    _int(cfg, "batch_size", 1)
    if cfg["n_jobs"] != -1:
        _int(cfg, "n_jobs", 1)
    if isinstance(cfg["root_seed"], bool) or not isinstance(cfg["root_seed"], int):
        raise ConfigError(f"root_seed must be an integer, got {cfg['root_seed']!r}")
    for key in ("save_text", "save_json", "verbose", "resume"):
        _bool(cfg, key)
    if cfg["backend"] not in BACKENDS:
        raise bad_choice("backend", cfg["backend"], BACKENDS)
    if cfg["shard_size"] is not None:
        _int(cfg, "shard_size", 1)
    if cfg["task"] is not None and not isinstance(cfg["task"], str):
        raise ConfigError(f"task must be a task name, got {cfg['task']!r}")
    if not isinstance(cfg["task_config"], Mapping):
        raise ConfigError(f"task_config must be a mapping of the task's parameters, got "
                          f"{cfg['task_config']!r}")
    if cfg["task"] and (cfg["instance_generator"] or cfg["problem_generator"]):
        raise ConfigError("give either task or instance_generator, not both")
    formats = cfg["formats"]
    if isinstance(formats, str):
        formats = cfg["formats"] = [formats]
    if not isinstance(formats, list):
        raise ConfigError(f"formats must be a list such as [parquet, pickle], got {formats!r}")
    return cfg
