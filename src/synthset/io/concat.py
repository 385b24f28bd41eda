"""Concatenate shard files into a final file, atomically, in bounded memory."""

from __future__ import annotations

import shutil
from collections.abc import Iterable

from synthset.core.fs import as_path, atomic_open

_BUFFER = 16 * 1024 * 1024


def concat_files(parts: Iterable, dest, header: bytes = b"", footer: bytes = b""):
    """Write ``header + part_0 + part_1 + ... + footer`` to ``dest`` (all or nothing)."""
    with atomic_open(dest, "wb") as out:
        out.write(header)
        for part in parts:
            with as_path(part).open("rb") as src:
                shutil.copyfileobj(src, out, _BUFFER)
        out.write(footer)
