"""``synthset generate CONFIG [key=value ...]``: load, override, run (DatasetPipeline checks)."""

from __future__ import annotations

from pathlib import Path

from synthset.core.errors import ConfigError
from synthset.dataset.pipeline import DatasetPipeline
from synthset.driver.options import RunOptions


def load_dataset_block(config_path: str, overrides: list[str]) -> dict:
    """The ``dataset`` block of a YAML file with dotlist overrides applied, as a plain dict.

    ``key=value`` and ``dataset.key=value`` both address the block; ``task=NAME
    task.level=3 task.N=12`` select the task as every command does (``task_config``).
    """
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    path = Path(config_path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        cfg = OmegaConf.load(path)
    except Exception as exc:  # yaml.YAMLError and friends: report, no traceback
        raise ConfigError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(cfg, type(OmegaConf.create({}))):
        raise ConfigError(f"{path} must hold a mapping with a 'dataset' block")
    block = _without_the_files_generator(_block(path, cfg), overrides)
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"override {item!r} must look like key=value")
        key = item.split("=", 1)[0]
        if key.startswith("dataset."):
            item = item[len("dataset."):]
            key = key[len("dataset."):]
        if key.startswith("task."):  # the task spec's words: task.level=3 task.N=12
            item = "task_config." + item[len("task."):]
        try:
            block = OmegaConf.merge(block, OmegaConf.from_dotlist([item]))
        except OmegaConfBaseException as exc:
            raise ConfigError(f"override {item!r} is not accepted: {exc}") from None
    try:
        return OmegaConf.to_container(block, resolve=True)
    except OmegaConfBaseException as exc:
        raise ConfigError(f"{path}: {exc}") from None


# What the file says makes its samples: an override naming another maker replaces all of it.
_TASK_KEYS = ("task", "task_config")
_GENERATOR_KEYS = ("instance_generator", "problem_generator", "statistics_calculator", "check")


def _without_the_files_generator(block, overrides: list[str]):
    """``task=NAME`` on a file that names a generator (or ``instance_generator=`` on one that
    names a task) picks what makes the samples: the file's own maker and its settings go."""
    named = {key.removeprefix("dataset.") for key, _, value in
             (item.partition("=") for item in overrides) if value not in ("", "null", "~")}
    drop = ()
    if "task" in named:
        drop = _GENERATOR_KEYS + ("task_config",)
    elif named & {"instance_generator", "problem_generator"}:
        drop = _TASK_KEYS
    for key in drop:
        block.pop(key, None)
    return block


def _block(path: Path, cfg):
    """The file's ``dataset:`` block; the whole file when its keys are run options (a file
    written flat). A file whose keys are none of them names them: it is not a run's config."""
    if "dataset" in cfg:
        block = cfg.dataset
        if not isinstance(block, type(cfg)):
            raise ConfigError(f"{path}: 'dataset:' must be a mapping of run options "
                              f"(save_dir, task, ...), got {block!r}")
        return block
    if not any(key in RunOptions.declared() for key in cfg):
        keys = f"its top-level keys: {', '.join(map(str, cfg))}" if cfg else "it is empty"
        raise ConfigError(f"{path} has no 'dataset:' block ({keys}); a data.yaml holds the "
                          "run's options under 'dataset:'")
    return cfg


def generate(config_path: str, overrides: list[str]) -> dict:
    """Run the data.yaml's dataset block; its keys are checked by ``driver/options.py``."""
    block = load_dataset_block(config_path, overrides)
    pipeline = DatasetPipeline.from_config(block, config_dir=Path(config_path).parent)
    return pipeline.run()
