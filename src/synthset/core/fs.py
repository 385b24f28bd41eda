"""Files of a run folder — a local path or an fsspec URL — and atomic writes.

Nothing is ever left half-written under a final name (docs/design.md, invariant 3): a file is
written under a temporary name and renamed (locally ``os.replace``; on an fsspec filesystem
``mv``, which on object stores is a server-side copy of the complete object) when complete. The
temporary name (``.NAME.PID.tmp``) carries the pid so two processes never write the same
temporary file; ``remove_stale_tmp`` removes exactly those names, in the folders synthset
writes, after a kill.

A run folder may come from someone else: it is data, never an instruction. So no write goes
through a symbolic link inside a run folder (``check_no_link``, called by every helper here):
between the run folder and the file written, no folder may be a link, and the temporary file is
opened with ``O_NOFOLLOW``. The run folder of a path is the folder a ``RunLock`` of this process
holds (``hold_run_folder``), else the folder above its ``.synthset`` component (what a worker
writes); the run folder itself may be reached through links (``/tmp`` on macOS, a
``datasets -> /data/datasets``). Remote (fsspec) folders have no links.

``as_path`` gives a ``pathlib.Path`` for local folders (and ``file://``) and a ``RemotePath``
— the few ``Path`` methods synthset uses, over fsspec — for any other URL (``s3://``,
``gs://``, ``memory://``...; fsspec and its filesystem's package must be installed).
"""

from __future__ import annotations

import contextlib
import errno
import os
import posixpath
import re
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from synthset.core.deps import require
from synthset.core.errors import ConfigError

TMP_SUFFIX = ".tmp"
# A temporary name as ``tmp_path`` makes it, and nothing else.
TMP_NAME = re.compile(r"\..+\.[0-9]+" + re.escape(TMP_SUFFIX), re.DOTALL)
STATE_DIR = ".synthset"  # a run folder's state folder (engine/state.py)
# The folders of a run folder, besides its top level, that synthset writes files in.
OUTPUT_DIRS = ("data", "quality")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class RunFolderLinkError(ConfigError):
    """A write inside a run folder would go through a symbolic link; names the link."""

    def __init__(self, path):
        self.path = str(path)
        try:
            target = f" (to {os.readlink(path)!r})"
        except OSError:
            target = ""
        super().__init__(f"{path} is a symbolic link{target}; synthset does not write through "
                         "links inside a run folder: remove it, or use another save_dir")


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


# -- links inside run folders ---------------------------------------------------------------------
_HELD: dict[str, int] = {}  # the run folders this process holds (absolute) -> how many holds


def hold_run_folder(folder) -> None:
    """Writes below local ``folder`` are checked against links from here on (its RunLock
    holds it); forked workers inherit the hold."""
    if not isinstance(folder, RemotePath):
        key = os.path.abspath(folder)
        _HELD[key] = _HELD.get(key, 0) + 1


def release_run_folder(folder) -> None:
    if not isinstance(folder, RemotePath):
        key = os.path.abspath(folder)
        if _HELD.get(key, 0) > 1:
            _HELD[key] -= 1
        else:
            _HELD.pop(key, None)


def run_folder_of(path) -> str | None:
    """The run folder ``path`` (local) is in: the innermost folder this process holds that
    holds it, else the folder above its last ``.synthset`` component; None for neither."""
    full = os.path.abspath(path)
    held = [root for root in tuple(_HELD) if full.startswith(root.rstrip(os.sep) + os.sep)]
    if held:
        return max(held, key=len)
    parts = full.split(os.sep)
    for i in range(len(parts) - 1, 0, -1):
        if parts[i] == STATE_DIR:
            return os.sep.join(parts[:i]) or os.sep
    return None


def check_no_link(path, root=None, itself: bool = False) -> None:
    """Raise RunFolderLinkError when a folder between the run folder ``root`` (default:
    ``run_folder_of(path)``) and ``path`` — and ``path`` itself with ``itself`` — is a symbolic
    link. Nothing for remote paths or paths in no run folder. One ``lstat`` per level."""
    if isinstance(path, RemotePath):
        return
    full = os.path.abspath(path)
    root = os.path.abspath(root) if root is not None else run_folder_of(full)
    if root is None or not full.startswith(root.rstrip(os.sep) + os.sep):
        return
    parts = full[len(root.rstrip(os.sep)) + 1:].split(os.sep)
    current = root
    for part in parts if itself else parts[:-1]:
        current = os.path.join(current, part)
        try:
            mode = os.lstat(current).st_mode
        except (FileNotFoundError, NotADirectoryError):
            return  # made from here down: no link yet
        if stat.S_ISLNK(mode):
            raise RunFolderLinkError(current)


def make_dirs(path) -> None:
    """``path.mkdir(parents=True, exist_ok=True)``, refusing a link on the way or at
    ``path`` (``check_no_link``)."""
    path = as_path(path)
    check_no_link(path, itself=True)
    path.mkdir(parents=True, exist_ok=True)


def make_folder(path, what: str) -> None:
    """``make_dirs`` for a folder a user named as ``what`` (``save_dir``, ``--output-dir``):
    one that is a file, or lies below a file, is refused in one line naming that file."""
    try:
        make_dirs(path)
    except (FileExistsError, NotADirectoryError):
        path = as_path(path)
        if not isinstance(path, Path):
            raise
        file = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), None)
        if file is None:
            raise
        if file == path:
            raise ConfigError(f"{what} {path} is a file, not a folder") from None
        raise ConfigError(f"{what} {path} cannot be made: {file} is a file, not a folder") \
            from None


def is_real_dir(path) -> bool:
    """A folder, not a link to one (remote: a folder)."""
    if isinstance(path, RemotePath):
        return path.is_dir()
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def open_for_write(path, mode: str = "w"):
    """``path`` opened for writing (truncated), never through a link: none on the way
    (``check_no_link``) and ``path`` itself is not followed (``O_NOFOLLOW``)."""
    kwargs = {} if "b" in mode else {"encoding": "utf-8", "newline": "\n"}
    if isinstance(path, RemotePath):
        return path.open(mode, **kwargs)
    check_no_link(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _NOFOLLOW | _CLOEXEC
    try:
        fd = os.open(path, flags, 0o666)
    except OSError as exc:
        if exc.errno == errno.ELOOP and os.path.islink(path):
            raise RunFolderLinkError(path) from None
        raise
    return os.fdopen(fd, mode, **kwargs)


def replace(src, dst) -> None:
    if isinstance(src, RemotePath):
        src.fs.mv(src.path, dst.path)
    else:
        os.replace(src, dst)


def rmtree(path) -> None:
    """Remove a folder and everything in it; nothing when it does not exist. Inside a run
    folder, a link on the way to it, or at it, is refused (``check_no_link``); links inside
    it are removed, never followed."""
    if isinstance(path, RemotePath):
        if path.exists():
            path.fs.rm(path.path, recursive=True)
    else:
        check_no_link(path, itself=True)
        shutil.rmtree(path, ignore_errors=True)


def tmp_path(path):
    """``.NAME.PID.tmp`` beside ``path``: hidden, so that no loader's glob (``data/*``,
    ``*.parquet``) ever picks up a file that is still being written."""
    return path.with_name(f".{path.name}.{os.getpid()}{TMP_SUFFIX}")


class AtomicFile:
    """A file written under a temporary name that takes its final name on ``commit``.

    For writers that keep a file open across calls (``DatasetWriter.open``, the nanoGPT split
    writer); ``atomic_open`` is the same thing as a ``with`` block. ``abort`` removes the
    temporary file and leaves the final name as it was. Inside a run folder, a link on the
    way is refused (``open_for_write``); a link at the final name is replaced, not followed.
    """

    def __init__(self, path, mode: str = "w"):
        self.path = as_path(path)
        self.tmp = tmp_path(self.path)
        self.file: IO = open_for_write(self.tmp, mode)
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


def is_tmp_name(name: str) -> bool:
    """Whether ``name`` is a temporary name ``tmp_path`` makes (``.NAME.PID.tmp``)."""
    return TMP_NAME.fullmatch(name) is not None


def remove_stale_tmp(folder) -> int:
    """Delete the temporary files (``.NAME.PID.tmp``, exactly) a killed process left in the
    run folder ``folder``, in the folders synthset writes: its top level, ``data/`` and
    ``quality/`` (each by itself) and ``.synthset/`` (all of it). Never below a nested run
    folder (one holding its own ``.synthset``), never through a link; returns how many.

    The walk of ``.synthset/`` also refuses one holding a symbolic link (RunFolderLinkError,
    before anything is removed): synthset makes none, and its workers write there.
    """
    folder = as_path(folder)
    found: list = []
    if isinstance(folder, RemotePath):
        if not folder.is_dir():
            return 0
        found += [p for p in folder.iterdir() if is_tmp_name(p.name) and p.is_file()]
        for sub in OUTPUT_DIRS:
            if (folder / sub).is_dir() and not (folder / sub / STATE_DIR).exists():
                found += [p for p in (folder / sub).iterdir()
                          if is_tmp_name(p.name) and p.is_file()]
        if (folder / STATE_DIR).is_dir():
            found += [p for p in (folder / STATE_DIR).rglob(f".*{TMP_SUFFIX}")
                      if is_tmp_name(p.name)]
    else:
        if not is_real_dir(folder):
            return 0
        found += _tmp_files(folder)
        for sub in OUTPUT_DIRS:
            if is_real_dir(folder / sub) and not os.path.lexists(folder / sub / STATE_DIR):
                found += _tmp_files(folder / sub)
        if os.path.lexists(folder / STATE_DIR):
            check_no_link(folder / STATE_DIR, root=folder, itself=True)
            found += _state_tmp_files(folder / STATE_DIR)
    removed = 0
    for p in found:
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
            removed += 1
    return removed


def _tmp_files(folder: Path) -> list[Path]:
    """The temporary names among the files (or links) right in ``folder``."""
    with os.scandir(folder) as entries:
        return [Path(e.path) for e in entries
                if is_tmp_name(e.name) and not e.is_dir(follow_symlinks=False)]


def _state_tmp_files(top: Path) -> list[Path]:
    """The temporary files below the state folder ``top``; refuses a link there."""
    found, todo = [], [top]
    while todo:
        folder = todo.pop()
        with os.scandir(folder) as it:
            entries = list(it)
        if any(e.name == STATE_DIR for e in entries):
            continue  # a run folder of its own: its files are its run's
        for e in entries:
            if e.is_symlink():
                raise RunFolderLinkError(e.path)
            if e.is_dir(follow_symlinks=False):
                todo.append(Path(e.path))
            elif is_tmp_name(e.name):
                found.append(Path(e.path))
    return found
