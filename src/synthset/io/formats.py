"""The output formats, one table: a name in ``formats:`` -> the class that writes and reads it.

Every format has the same small interface, used by the engine's workers and merge step alike:

    encode(problem, answer)       one sample as the format stores it (in the worker's loop, so
    encode_row(row)               an unwritable sample is reported with its index and seed)
    write_shard(path, items, i0)  a shard's part file, from its encoded samples (i0: first index)
    count_rows(path)              how many samples a part file holds (to check it on resume)
    final_names(split, n)         the split's files, relative to the run folder
    merge(parts, save_dir, split, n, rows)   the parts, in index order, into the final files;
                                  each part must hold its ``rows[i]`` samples (DamagedPart)
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

from synthset.core.errors import SynthsetError, bad_choice
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


class DamagedPart(SynthsetError):
    """A shard's part file cannot be merged: unreadable, or holding another number of samples
    than its shard. ``path`` names the part."""

    def __init__(self, path, detail: str):
        self.path = path
        super().__init__(f"{path} {detail}")


def rows_differ(path, found: int, expected: int) -> DamagedPart:
    return DamagedPart(path, f"holds {found} samples, its shard {expected}")


def unreadable(path, exc: Exception) -> DamagedPart:
    detail = " ".join(str(exc).split())  # one line
    return DamagedPart(path, f"is unreadable ({type(exc).__name__}: {detail})")


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
    def count_rows(self, path) -> int: ...

    @abstractmethod
    def final_names(self, split: str, num_samples: int) -> list[str]: ...

    @abstractmethod
    def merge(self, parts: list, save_dir, split: str, num_samples: int,
              rows: list[int] | None = None) -> list[str]: ...

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
    lines = True  # one sample a line: rows are counted as newlines

    def final_names(self, split: str, num_samples: int = 0) -> list[str]:
        return [f"{split}{self.suffix}"]

    def write_shard(self, path, items: list, start: int) -> None:
        with atomic_open(path, self.mode) as f:
            f.writelines(items)

    def count_rows(self, path) -> int:
        count = 0
        with as_path(path).open("rb") as f:
            while block := f.read(_BUFFER):
                count += block.count(b"\n")
        return count

    def merge(self, parts: list, save_dir, split: str, num_samples: int,
              rows: list[int] | None = None) -> list[str]:
        names = self.final_names(split)
        with atomic_open(as_path(save_dir) / names[0], "wb") as out:
            out.write(self.header)
            for i, part in enumerate(parts):
                with as_path(part).open("rb") as src:
                    if self.lines:  # count the rows as they are copied
                        count = 0
                        while block := src.read(_BUFFER):
                            count += block.count(b"\n")
                            out.write(block)
                    else:
                        count = counted_rows(self, part) if rows is not None else None
                        shutil.copyfileobj(src, out, _BUFFER)
                if rows is not None and count != rows[i]:
                    raise rows_differ(part, count, rows[i])
            out.write(self.footer)
        return names


def counted_rows(fmt: Format, part) -> int:
    """``fmt.count_rows(part)``, an unreadable part being a DamagedPart."""
    try:
        return fmt.count_rows(part)
    except Exception as exc:
        raise unreadable(part, exc) from None
