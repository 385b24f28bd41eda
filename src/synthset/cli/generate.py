"""``synthset generate CONFIG [key=value ...]``: load, override, run (DatasetPipeline checks)."""

from __future__ import annotations

from pathlib import Path

from synthset.core.errors import ConfigError
from synthset.dataset.pipeline import DatasetPipeline


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
    block = cfg.get("dataset", cfg)
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


def generate(config_path: str, overrides: list[str]) -> dict:
    """Run the data.yaml's dataset block; its keys are checked by ``driver/options.py``."""
    block = load_dataset_block(config_path, overrides)
    pipeline = DatasetPipeline.from_config(block, config_dir=Path(config_path).parent)
    return pipeline.run()
