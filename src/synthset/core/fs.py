"""Atomic files: written under a temporary name, renamed when complete.

Nothing is ever left half-written under a final name (DESIGN.md, invariant 3): a reader sees
either the previous file or the complete new one. The temporary name carries the pid so two
processes never write the same temporary file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

TMP_SUFFIX = ".tmp"


def tmp_path(path: Path) -> Path:
    return path.with_name(f"{path.name}.{os.getpid()}{TMP_SUFFIX}")


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", fsync: bool = False) -> Iterator[IO]:
    """Open ``path`` for writing through a temporary file that replaces it on success.

    On an exception the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    tmp = tmp_path(path)
    kwargs = {} if "b" in mode else {"encoding": "utf-8", "newline": "\n"}
    f = open(tmp, mode, **kwargs)  # noqa: SIM115 (closed below, before the rename)
    try:
        yield f
        f.flush()
        if fsync:
            os.fsync(f.fileno())
        f.close()
        os.replace(tmp, path)
    except BaseException:
        f.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_open(path, "wb") as f:
        f.write(data)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_open(path, "w") as f:
        f.write(text)


def remove_stale_tmp(folder: Path) -> int:
    """Delete temporary files a killed process left below ``folder``; returns how many."""
    removed = 0
    if folder.is_dir():
        for p in folder.rglob(f"*{TMP_SUFFIX}"):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
                removed += 1
    return removed
