"""Files of a run folder — a local path or an fsspec URL — and atomic writes.

Nothing is ever left half-written under a final name (docs/design.md, invariant 3): a file is
written under a temporary name and renamed (locally ``os.replace``; on an fsspec filesystem
``mv``, which on object stores is a server-side copy of the complete object) when complete. The
temporary name carries the pid so two processes never write the same temporary file.

``as_path`` gives a ``pathlib.Path`` for local folders (and ``file://``) and a ``RemotePath``
— the few ``Path`` methods synthset uses, over fsspec — for any other URL (``s3://``,
``gs://``, ``memory://``...; fsspec and its filesystem's package must be installed).
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from synthset.core.deps import require

TMP_SUFFIX = ".tmp"


class RemotePath:
    """A path on an fsspec filesystem with the subset of the ``pathlib.Path`` API synthset
    uses (join, parent, name, mkdir, exists, read/open, unlink, rglob)."""

    def __init__(self, fs, path: str):
        self.fs, self.path = fs, path.rstrip("/") or "/"

    @classmethod
    def from_url(cls, url: str) -> RemotePath:
        fsspec = require("fsspec", "remote", f"save_dir {url!r}")
        fs, path = fsspec.core.url_to_fs(url)
        return cls(fs, path)

    def __truediv__(self, other) -> RemotePath:
        return RemotePath(self.fs, posixpath.join(self.path, str(other)))

    def __str__(self) -> str:
        return self.fs.unstrip_protocol(self.path)

    def __repr__(self) -> str:
        return f"RemotePath({str(self)!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, RemotePath) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))

    @property
    def name(self) -> str:
        return posixpath.basename(self.path)

    @property
    def parent(self) -> RemotePath:
        return RemotePath(self.fs, posixpath.dirname(self.path))

    def with_name(self, name: str) -> RemotePath:
        return self.parent / name

    def mkdir(self, parents: bool = False, exist_ok: bool = False) -> None:
        self.fs.makedirs(self.path, exist_ok=True)

    def exists(self) -> bool:
        return self.fs.exists(self.path)

    def is_dir(self) -> bool:
        return self.fs.isdir(self.path)

    def is_file(self) -> bool:
        return self.fs.isfile(self.path)

    def read_bytes(self) -> bytes:
        try:
            return self.fs.cat_file(self.path)
        except FileNotFoundError:
            raise FileNotFoundError(2, "No such file", str(self)) from None

    def read_text(self, encoding: str = "utf-8") -> str:
        return self.read_bytes().decode(encoding)

    def open(self, mode: str = "r", **kwargs):
        return self.fs.open(self.path, mode, **kwargs)

    def unlink(self, missing_ok: bool = False) -> None:
        try:
            self.fs.rm_file(self.path)
        except FileNotFoundError:
            if not missing_ok:
                raise

    def rglob(self, pattern: str) -> list[RemotePath]:
        return [RemotePath(self.fs, p) for p in self.fs.glob(f"{self.path}/**/{pattern}")]

    def iterdir(self) -> list[RemotePath]:
        return [RemotePath(self.fs, p) for p in self.fs.ls(self.path, detail=False)]


def as_path(location) -> Path | RemotePath:
    """A local ``Path`` (plain paths and ``file://``) or a ``RemotePath`` (other URLs)."""
    if isinstance(location, (Path, RemotePath)):
        return location
    text = str(location)
    if text.startswith("file://"):
        return Path(text[len("file://"):])
    if "://" in text:
        return RemotePath.from_url(text)
    return Path(text)


def replace(src, dst) -> None:
    if isinstance(src, RemotePath):
        src.fs.mv(src.path, dst.path)
    else:
        os.replace(src, dst)


def rmtree(path) -> None:
    """Remove a folder and everything in it; nothing when it does not exist."""
    if isinstance(path, RemotePath):
        if path.exists():
            path.fs.rm(path.path, recursive=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


def tmp_path(path):
    """``.NAME.PID.tmp`` beside ``path``: hidden, so that no loader's glob (``data/*``,
    ``*.parquet``) ever picks up a file that is still being written."""
    return path.with_name(f".{path.name}.{os.getpid()}{TMP_SUFFIX}")


class AtomicFile:
    """A file written under a temporary name that takes its final name on ``commit``.

    For writers that keep a file open across calls (``DatasetWriter.open``, the nanoGPT split
    writer); ``atomic_open`` is the same thing as a ``with`` block. ``abort`` removes the
    temporary file and leaves the final name as it was.
    """

    def __init__(self, path, mode: str = "w"):
        self.path = as_path(path)
        self.tmp = tmp_path(self.path)
        kwargs = {} if "b" in mode else {"encoding": "utf-8", "newline": "\n"}
        self.file: IO = self.tmp.open(mode, **kwargs)
        self.write = self.file.write
        self.writelines = self.file.writelines

    def commit(self) -> None:
        self.file.close()
        replace(self.tmp, self.path)

    def abort(self) -> None:
        self.file.close()
        with contextlib.suppress(FileNotFoundError):
            self.tmp.unlink()


@contextlib.contextmanager
def atomic_open(path, mode: str = "w") -> Iterator[IO]:
    """Open ``path`` for writing through a temporary file that replaces it on success.

    On an exception the temporary file is removed and ``path`` is left as it was.
    """
    f = AtomicFile(path, mode)
    try:
        yield f.file
        f.commit()
    except OSError as exc:
        f.abort()
        if exc.filename is None and exc.errno:  # a failed write: say which file it was
            raise OSError(exc.errno, exc.strerror or str(exc), str(f.path)) from None
        raise
    except BaseException:
        f.abort()
        raise


def atomic_write_text(path, text: str) -> None:
    with atomic_open(path, "w") as f:
        f.write(text)


def remove_stale_tmp(folder) -> int:
    """Delete the temporary files (``.NAME.PID.tmp``) a killed process left below ``folder``;
    returns how many."""
    removed = 0
    folder = as_path(folder)
    if folder.is_dir():
        for p in folder.rglob(f".*{TMP_SUFFIX}"):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
                removed += 1
    return removed
