"""One task spec: which built-in task, at which level, with which fields, on which backend.

The same words select a task everywhere:

    synthset train   task=depo task.level=3 task.N=12
    synthset inspect task=depo task.level=3 task.N=12
    synthset export nanogpt depo --count 1000 task.level=3 task.N=12
    data.yaml        task: depo  task_config: {level: 3, N: 12}
    Python           get_task("depo", level=3, N=12)

``TaskSpec`` is parsed once from any of them and written once into manifests and export
metadata (``record()``): its fields are kept in sorted order, so two specs that differ only in
the order their fields were written are the same spec, build the same task and give the run
the same identity. Older spellings (``task.config.N``, ``dataset=NAME``) are read with a
one-line note naming the new one.

Imports only ``core`` and the registry (which imports a task's module only when it is built).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from synthset.core.compose import note
from synthset.core.errors import ConfigError
from synthset.core.task import check_level
from synthset.tasks.registry import get_task

# Keys of a task node that are not fields of the task.
SPEC_KEYS = ("name", "level", "backend")


def plain_value(key: str, text: str):
    """A command-line value read as plain YAML (``12``, ``true``, ``x, y``); one line
    naming ``key`` when it is not."""
    import yaml

    try:
        return yaml.safe_load(text) if text else None
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{key}: {text!r} is not a plain YAML value ({problem})") from None


@dataclass(frozen=True)
class TaskSpec:
    """A built-in task by name, its level (1..10 or None), its fields and its backend.

    Args:
        name: a name of ``synthset tasks`` (checked when the task is built).
        level: 1..10, or None for the task's own defaults.
        fields: field overrides (``N=12``); kept in sorted order.
        backend: an algebra problem's engine (None: sympy); reasoning tasks ignore it.
    """

    name: str
    level: int | None = None
    fields: tuple = field(default=())  # sorted (key, value) pairs
    backend: str | None = None

    @classmethod
    def of(cls, name: str, level=None, backend: str | None = None, **fields) -> TaskSpec:
        if not isinstance(name, str) or not name:
            raise ConfigError(f"task must be the name of a built-in task (`synthset tasks` "
                              f"lists them), got {name!r}")
        if "level" in fields:  # task_config may carry the level (data.yaml)
            if level is not None and fields["level"] != level:
                raise ConfigError(f"task {name!r}: level given twice ({level!r} and "
                                  f"{fields['level']!r})")
            level = fields.pop("level")
        if backend is not None and not isinstance(backend, str):
            raise ConfigError(f"task.backend must be sympy, flint or sagemath, got {backend!r}")
        return cls(name, check_level(level), tuple(sorted(fields.items())), backend)

    @classmethod
    def from_node(cls, node: Mapping, where: str = "task") -> TaskSpec:
        """From a config node: ``{name, level, backend, FIELD: value, ...}`` (the fields beside
        the name); an old ``config: {...}`` sub-mapping is read with a note."""
        node = dict(node)
        fields = {k: v for k, v in node.items() if k not in SPEC_KEYS and k != "config"}
        old = node.get("config")
        if old:
            if not isinstance(old, Mapping):
                raise ConfigError(f"{where}.config must be a mapping of fields, got {old!r}")
            first = next(iter(old))
            note(f"{where}.config.{first}=... is now written {where}.{first}=...")
            fields = {**dict(old), **fields}
        return cls.of(node.get("name"), node.get("level"), node.get("backend"), **fields)

    @classmethod
    def from_items(cls, name: str, items, prefix: str = "task.", **base) -> TaskSpec:
        """From command-line items ``task.level=3 task.N=12`` (``prefix`` first; values read
        as plain YAML, no tags: nothing is constructed) over ``base`` keywords."""
        fields = dict(base)
        for item in items:
            key, sep, value = item.partition("=")
            field_name = key[len(prefix):] if key.startswith(prefix) else ""
            if not sep or not field_name.isidentifier():
                raise ConfigError(f"{item!r} must look like {prefix}FIELD=value (e.g. "
                                  f"{prefix}level=3 {prefix}N=12)")
            fields[field_name] = plain_value(key, value)
        return cls.of(name, fields.pop("level", None), fields.pop("backend", None), **fields)

    @classmethod
    def from_record(cls, record: Mapping) -> TaskSpec:
        """From what a manifest or an export's metadata records (``record()``)."""
        config = dict(record.get("config") or {})
        return cls.of(record["name"], config.pop("level", None), record.get("backend"),
                      **config)

    @property
    def config(self) -> dict:
        """The fields as a dict (sorted), with the level when one is set: data.yaml's
        ``task_config``."""
        out = dict(self.fields)
        if self.level is not None:
            out["level"] = self.level
        return dict(sorted(out.items()))

    def record(self) -> dict:
        """What manifests and export metadata store: ``{"name", "config", "backend"}``."""
        return {"name": self.name, "config": self.config, "backend": self.backend or "sympy"}

    def build(self):
        """The task object (``get_task``)."""
        return get_task(self.name, level=self.level, backend=self.backend, **dict(self.fields))

    def __str__(self) -> str:
        parts = [f"task={self.name}"]
        if self.level is not None:
            parts.append(f"task.level={self.level}")
        parts += [f"task.{k}={v}" for k, v in self.fields]
        return " ".join(parts)
