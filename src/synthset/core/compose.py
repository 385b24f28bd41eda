"""Hydra-style config composition with OmegaConf alone (no hydra-core needed to run).

A config folder holds ``config.yaml`` with a ``defaults:`` list naming a file per group
(``- dataset: depo`` reads ``dataset/depo.yaml`` under the key ``dataset``). Overrides follow
Hydra's syntax: ``group=option`` picks another file, ``a.b=value`` sets a key that exists, and
``+a.b=value`` adds one. A key that does not exist, or an option that has no file, is a
ConfigError naming the valid ones.

A *task group* (``task_groups``) takes any registered task name as an option too: an option
without a file of its own becomes ``{name: option, level: null, config: {}}``, so every
command accepts every task under the same name.
"""

from __future__ import annotations

from pathlib import Path

from synthset.core.errors import ConfigError, bad_choice, unknown_key


def compose(config_dir: Path, overrides: list[str], task_groups: tuple[str, ...] = ()):
    from omegaconf import OmegaConf

    config_dir = Path(config_dir)
    base = OmegaConf.load(config_dir / "config.yaml")
    defaults = OmegaConf.to_container(base.pop("defaults", [])) or []
    groups = {}
    for item in defaults:
        if isinstance(item, dict):
            groups.update(item)
    plain = []
    extra_groups = []  # +group=option: a group not in the defaults list (e.g. +preset=cpu_demo)
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"override {item!r} must look like key=value")
        key, value = item.split("=", 1)
        if key.startswith("+") and (config_dir / key[1:]).is_dir():
            options = sorted(p.stem for p in (config_dir / key[1:]).glob("*.yaml"))
            if value not in options:
                raise bad_choice(key[1:], value, options)
            extra_groups.append((key[1:], value))
        elif key in groups:
            options = _options(config_dir / key, key in task_groups)
            if value not in options:
                raise bad_choice(key, value, options)
            groups[key] = value
        else:
            plain.append((key, value))
    cfg = OmegaConf.create({})
    for group, option in groups.items():
        path = config_dir / group / f"{option}.yaml"
        node = OmegaConf.load(path) if path.exists() else {"name": option, "level": None,
                                                            "config": {}}
        cfg = OmegaConf.merge(cfg, {group: node})
    cfg = OmegaConf.merge(cfg, base)
    for group, option in extra_groups:  # after _self_, as Hydra appends them
        path = config_dir / group / f"{option}.yaml"
        node = OmegaConf.load(path)
        is_global = "@package _global_" in path.read_text().split("\n", 3)[0] + \
            path.read_text().split("\n", 3)[1]
        cfg = OmegaConf.merge(cfg, node if is_global else {group: node})
    OmegaConf.set_struct(cfg, False)
    free = _empty_mappings(OmegaConf.to_container(cfg))  # {} in a file: any key may go there
    for key, value in plain:
        add = key.startswith("+")
        key = key.lstrip("+")
        parent, _, _leaf = key.rpartition(".")
        if not add and parent not in free and OmegaConf.select(
                cfg, key, default="__missing__") == "__missing__":
            node = OmegaConf.select(cfg, parent) if parent else cfg
            valid = list(node.keys()) if hasattr(node, "keys") else []
            raise unknown_key(key, [f"{parent + '.' if parent else ''}{k}" for k in valid]
                              or list(groups), where="override")
        OmegaConf.update(cfg, key, OmegaConf.from_dotlist([f"v={value}"]).v, force_add=True)
    return cfg


def _options(folder: Path, tasks: bool) -> list[str]:
    options = {p.stem for p in folder.glob("*.yaml")}
    if tasks:
        from synthset.tasks.registry import list_tasks

        options.update(list_tasks())
    return sorted(options)


def _empty_mappings(node, prefix: str = "") -> set[str]:
    out = set()
    if isinstance(node, dict):
        if not node and prefix:
            out.add(prefix)
        for k, v in node.items():
            out |= _empty_mappings(v, f"{prefix}.{k}" if prefix else str(k))
    return out


def numbers(cfg, ints=(), floats=()) -> dict:
    """The config's numeric settings, checked: one ConfigError naming the key otherwise."""
    from omegaconf import OmegaConf

    out = {}
    for keys, kind in ((ints, int), (floats, float)):
        for key in keys:
            value = OmegaConf.select(cfg, key)
            ok = not isinstance(value, bool) and isinstance(value, (int, float) if kind is float
                                                             else int)
            if not ok:
                raise ConfigError(f"{key} must be {'a number' if kind is float else 'an integer'}"
                                  f", got {value!r}")
            out[key] = kind(value)
    return out
