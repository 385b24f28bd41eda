"""The output formats, one table: a name in ``formats:`` -> the class that writes and reads it.

Every format has the same small interface, used by the engine's workers and merge step alike:

    encode(problem, answer)       one sample as the format stores it (in the worker's loop, so
    encode_row(row)               an unwritable sample is reported with its index and seed)
    write_shard(path, items, i0)  a shard's part file, from its encoded samples (i0: first index)
    final_names(split, n)         the split's files, relative to the run folder
    merge(parts, save_dir, split, n)   the parts, in index order, into the final files
    read(save_dir, split)         the split read back, in index order

Every file is written through ``core.fs`` (a temporary name, renamed when complete; local or
fsspec). Adding a format is one module with its class and one line in FORMATS. The table names
classes as "module:Class" so that checking a format's name imports none of them.
"""

from __future__ import annotations

import importlib
import shutil
from abc import ABC, abstractmethod
from collections.abc import Iterator

from synthset.core.errors import bad_choice
from synthset.core.fs import as_path, atomic_open

FORMATS = {
    "text": "synthset.io.text:Text",
    "json": "synthset.io.jsonl:Jsonl",
    "parquet": "synthset.io.parquet:Parquet",
    "pickle": "synthset.io.pickle:Pickle",
}
# The names files and other tools use for the same formats.
ALIASES = {"txt": "text", "jsonl": "json", "pkl": "pickle"}

_BUFFER = 16 * 1024 * 1024  # copy size when parts are concatenated
_LOADED: dict[str, Format] = {}


def format_name(name) -> str:
    """The table name of a format written as ``name`` (an alias is accepted)."""
    name = ALIASES.get(name, name)
    if name not in FORMATS:
        raise bad_choice("formats", name, FORMATS)
    return name


def get_format(name: str) -> Format:
    name = format_name(name)
    if name not in _LOADED:
        module, _, cls = FORMATS[name].partition(":")
        _LOADED[name] = getattr(importlib.import_module(module), cls)()
    return _LOADED[name]


class Format(ABC):
    """One output format (see the module docstring for the interface)."""

    name = "format"
    shard_ext = "part"  # extension of a shard's part file in the run's state folder

    @abstractmethod
    def encode(self, problem, answer):
        """A (problem, answer) sample, already converted to CALT's strings."""

    @abstractmethod
    def encode_row(self, row: dict):
        """A task row (``input_ids``/``loss_mask``/``labels``/``meta``, or ``text``)."""

    @abstractmethod
    def write_shard(self, path, items: list, start: int) -> None: ...

    @abstractmethod
    def final_names(self, split: str, num_samples: int) -> list[str]: ...

    @abstractmethod
    def merge(self, parts: list, save_dir, split: str, num_samples: int) -> list[str]: ...

    @abstractmethod
    def read(self, save_dir, split: str) -> Iterator: ...


class StreamFormat(Format):
    """A format whose file is ``header``, the encoded samples one after another, ``footer``:
    a shard's part holds its samples only, and the parts concatenated in order, between the
    header and footer, are the final file (so its bytes do not depend on the sharding)."""

    suffix = ".part"  # the final file is f"{split}{suffix}"
    mode = "w"  # "w": items are str; "wb": items are bytes
    header = b""
    footer = b""

    def final_names(self, split: str, num_samples: int = 0) -> list[str]:
        return [f"{split}{self.suffix}"]

    def write_shard(self, path, items: list, start: int) -> None:
        with atomic_open(path, self.mode) as f:
            f.writelines(items)

    def merge(self, parts: list, save_dir, split: str, num_samples: int) -> list[str]:
        names = self.final_names(split)
        with atomic_open(as_path(save_dir) / names[0], "wb") as out:
            out.write(self.header)
            for part in parts:
                with as_path(part).open("rb") as src:
                    shutil.copyfileobj(src, out, _BUFFER)
            out.write(self.footer)
        return names
