"""Hydra-style config composition with OmegaConf alone (no hydra-core needed to run).

A config folder holds ``config.yaml`` with a ``defaults:`` list naming a file per group
(``- task: depo1`` reads ``task/depo1.yaml`` under the key ``task``). Overrides follow
Hydra's syntax: ``group=option`` picks another file, ``a.b=value`` sets a key that exists, and
``+a.b=value`` adds one. A key that does not exist, or an option that has no file, is a
ConfigError naming the valid ones.

A *task group* (``task_groups``) takes any task name (``task_names``, a function the caller
passes: core knows no tasks) as an option too (an option without a file of its own becomes
``{name: option, level: null}``), and any field directly under it (``task.N=12``): the task
checks the field's name when it is built, with its own "did you mean". A name with a ``/``
(``rg/chain_sum``: a task library's dataset) is taken as it is and judged when the task is
built. So every command accepts every task under the same words.

A *path group* (``path_groups``) also takes a folder as its option (``model=PATH``): the node
becomes ``{type: checkpoint, name_or_path: PATH}`` for the command to read.

Older spellings are read with a one-line note on stderr: ``renamed`` maps an old key (or key
prefix) to its new one (``train.max_steps`` -> ``train.steps``, ``dataset`` -> ``task``), and
``GROUP.config.FIELD`` of a task group is ``GROUP.FIELD``. An error about such a key names it as
it was written. With ``notes`` (a list) the ``(old, new)`` pairs are collected there instead of
printed, for a command to print once its config is checked: a config that fails is one line.

Imports ``core`` only (OmegaConf).
"""

from __future__ import annotations

import sys
from pathlib import Path

from synthset.core.errors import ConfigError, bad_choice, unknown_key

_MISSING = "__missing__"


def compose(config_dir: Path, overrides: list[str], task_groups: tuple[str, ...] = (),
            renamed: dict[str, str] | None = None, path_groups: tuple[str, ...] = (),
            notes: list | None = None, task_names=None):
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
    folders = {}  # path group -> the folder given as its option
    found: dict[str, str] = {}  # old spelling -> new, in the order written
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"override {item!r} must look like key=value")
        written, value = item.split("=", 1)
        key = _new_spelling(written, renamed or {}, task_groups, found)
        if key.startswith("+") and (config_dir / key[1:]).is_dir():
            options = sorted(p.stem for p in (config_dir / key[1:]).glob("*.yaml"))
            if value not in options:
                raise bad_choice(written[1:], value, options)
            extra_groups.append((key[1:], value))
        elif key in groups:
            options = _options(config_dir / key, task_names if key in task_groups else None)
            if value in options:
                groups[key] = value
                folders.pop(key, None)
            elif key in task_groups and "/" in value:  # a task library's: LIB/NAME
                groups[key] = value  # its name is judged when the task is built
                folders.pop(key, None)
            elif key in path_groups and Path(value).is_dir():
                folders[key] = value
            elif key in path_groups:
                raise ConfigError(f"{written} must be one of {', '.join(map(repr, options))} "
                                  f"or a checkpoint folder, got {value!r} (no such folder)")
            else:
                raise bad_choice(written, value, options)
        else:
            plain.append((key, value, written))
    cfg = OmegaConf.create({})
    for group, option in groups.items():
        path = config_dir / group / f"{option}.yaml"
        if group in folders:
            node = {"type": "checkpoint", "name_or_path": folders[group]}
        elif path.exists():
            node = OmegaConf.load(path)
        else:
            node = {"name": option, "level": None}
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
    free.update(task_groups)  # a task's fields: the task checks their names
    for key, value, written in plain:
        add = key.startswith("+")
        key = key.lstrip("+")
        parent, _, _leaf = key.rpartition(".")
        if not add and parent not in free and OmegaConf.select(
                cfg, key, default=_MISSING) == _MISSING:
            node = OmegaConf.select(cfg, parent) if parent else cfg
            valid = list(node.keys()) if hasattr(node, "keys") else []
            raise unknown_key(written.lstrip("+"), [f"{parent + '.' if parent else ''}{k}"
                                                    for k in valid] or list(groups),
                              where="override")
        OmegaConf.update(cfg, key, OmegaConf.from_dotlist([f"v={value}"]).v, force_add=True)
    for old, new in found.items():
        if notes is None:
            note(f"{old} is now written {new}")
        else:
            notes.append((old, new))
    return cfg


def _new_spelling(key: str, renamed: dict[str, str], task_groups, found: dict) -> str:
    """``key`` as it is written now; an older spelling is recorded in ``found``."""
    plus, bare = ("+", key[1:]) if key.startswith("+") else ("", key)
    new = bare
    for old, now in renamed.items():
        if new == old or new.startswith(old + "."):
            new = now + new[len(old):]
            break
    for group in task_groups:
        if new.startswith(f"{group}.config."):
            new = f"{group}.{new[len(group) + len('.config.'):]}"
    if new != bare:
        found[bare] = new
    return plus + new


def note(text: str) -> None:
    """A one-line note on stderr: an old spelling still read, an optional file skipped."""
    print(f"synthset: note: {text}", file=sys.stderr)


def _options(folder: Path, task_names=None) -> list[str]:
    options = {p.stem for p in folder.glob("*.yaml")}
    if task_names is not None:
        options.update(task_names())
    return sorted(options)


def _empty_mappings(node, prefix: str = "") -> set[str]:
    out = set()
    if isinstance(node, dict):
        if not node and prefix:
            out.add(prefix)
        for k, v in node.items():
            out |= _empty_mappings(v, f"{prefix}.{k}" if prefix else str(k))
    return out
