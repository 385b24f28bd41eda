"""The output formats, one table: a name in ``formats:`` -> the class that writes and reads it.

Every format has the same small interface, used by the engine's workers and merge step alike:

    encode(problem, answer)       one sample as the format stores it (in the worker's loop, so
    encode_row(row)               an unwritable sample is reported with its index and seed)
    write_shard(path, items, i0)  a shard's part file, from its encoded samples (i0: first index)
    count_rows(path)              how many samples a part file holds (to check it on resume)
    final_names(split, n)         the split's files, relative to the run folder
    merge(parts, save_dir, split, n, rows)   the parts, in index order, into the final files;
                                  each part must hold its ``rows[i]`` samples (DamagedPart)
    merge_checked(parts, save_dir, split, n, rows, digests)   the same, each part also hashing
                                  to ``digests[i]``, its marker's blake2b (PartChanged); returns
                                  each final file's size and blake2b, for the merged marker. A
                                  StreamFormat hashes as it copies (one read, one write); the
                                  others hash the parts before and the final files after
    read(save_dir, split)         the split read back, in index order

Every file is written through ``core.fs`` (a temporary name, renamed when complete; local or
fsspec). Adding a format is one module with its class and one line in FORMATS. The table names
classes as "module:Class" so that checking a format's name imports none of them.
"""

from __future__ import annotations

import hashlib
import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator

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


class PartChanged(DamagedPart):
    """A shard's part file does not hash to what its completion marker recorded: it changed
    since it was written (the shard is made again)."""

    def __init__(self, path):
        super().__init__(path, "does not hash to what its marker says (blake2b)")


def digest():
    """The hash of the run folder's records: blake2b, 128 bits (as ``engine.state``'s
    ``file_digest``, which markers are written with)."""
    return hashlib.blake2b(digest_size=16)


class HashingWriter:
    """A binary file being written that also takes the size and hash of what goes through it
    (the final files' records, without reading them back)."""

    def __init__(self, file):
        self.file = file
        self.hash = digest()
        self.size = 0

    def write(self, data) -> int:
        self.hash.update(data)
        self.size += len(data)
        return self.file.write(data)

    def record(self) -> tuple[int, str]:
        """``(size, blake2b hex)`` of what was written."""
        return self.size, self.hash.hexdigest()


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


def encoders(formats: list[Format]) -> tuple[Callable, Callable]:
    """``(pair, row)``: a (problem, answer) pair, and a task row, encoded in every one of
    ``formats`` by one call, as a tuple in their order (a worker's hot path: for the usual
    one or two formats, a call without a loop)."""
    return (each([f.encode for f in formats]), each([f.encode_row for f in formats]))


def each(functions: list[Callable]) -> Callable:
    """One function returning the tuple of every one of ``functions``' results."""
    if len(functions) == 1:
        (first,) = functions
        return lambda *args: (first(*args),)
    if len(functions) == 2:
        first, second = functions
        return lambda *args: (first(*args), second(*args))
    return lambda *args: tuple([f(*args) for f in functions])


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

    def merge_checked(self, parts: list, save_dir, split: str, num_samples: int,
                      rows: list[int] | None, digests: list[str | None]
                      ) -> dict[str, tuple[int, str]]:
        """``merge``, each part whose ``digests[i]`` is given first checked against it
        (PartChanged), before anything is written; returns ``{name: (size, blake2b)}`` of the
        final files, read back. For a format that cannot hash what its merge reads (Parquet:
        pyarrow reads the parts)."""
        for part, want in zip(parts, digests):
            if want is None:
                continue
            try:
                found = file_record(part)[1]
            except OSError as exc:
                raise unreadable(part, exc) from None
            if found != want:
                raise PartChanged(part)
        names = self.merge(parts, save_dir, split, num_samples, rows)
        return {name: file_record(as_path(save_dir) / name) for name in names}

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
        return list(self.merge_checked(parts, save_dir, split, num_samples, rows,
                                       [None] * len(parts)))

    def merge_checked(self, parts: list, save_dir, split: str, num_samples: int,
                      rows: list[int] | None, digests: list[str | None]
                      ) -> dict[str, tuple[int, str]]:
        """Copy the parts, in order, between the header and the footer. A part whose
        ``digests[i]`` (its marker's blake2b) is given is hashed as it is copied, and its
        rows counted (newlines; a pickle's items after the copy): a part that changed raises
        PartChanged, one of another row count DamagedPart, before the final file takes its
        name. Returns ``{name: (size, blake2b)}`` of the final file, hashed as written."""
        names = self.final_names(split)
        with atomic_open(as_path(save_dir) / names[0], "wb") as f:
            out = HashingWriter(f)
            out.write(self.header)
            for i, part in enumerate(parts):
                want = digests[i]
                seen = digest() if want is not None else None
                count = 0
                with as_path(part).open("rb") as src:
                    while block := src.read(_BUFFER):
                        if self.lines:  # count the rows as they are copied
                            count += block.count(b"\n")
                        if seen is not None:
                            seen.update(block)
                        out.write(block)
                if seen is not None and seen.hexdigest() != want:
                    raise PartChanged(part)
                if rows is not None:
                    if not self.lines:
                        count = counted_rows(self, part)
                    if count != rows[i]:
                        raise rows_differ(part, count, rows[i])
            out.write(self.footer)
        return {names[0]: out.record()}


def file_record(path) -> tuple[int, str]:
    """``(size, blake2b hex)`` of a file, read in 16 MiB blocks."""
    h, size = digest(), 0
    with as_path(path).open("rb") as f:
        while block := f.read(_BUFFER):
            size += len(block)
            h.update(block)
    return size, h.hexdigest()


def counted_rows(fmt: Format, part) -> int:
    """``fmt.count_rows(part)``, an unreadable part being a DamagedPart."""
    try:
        return fmt.count_rows(part)
    except Exception as exc:
        raise unreadable(part, exc) from None
