"""nanoGPT / ReaLLM-Forge data folders: ``train.bin``, ``val.bin``, ``meta.pkl`` (+ ours).

``train.bin``/``val.bin`` are flat little-endian token ids with no header — ``uint16`` when the
vocabulary has at most 65535 ids (nanoGPT's ``np.memmap(path, dtype=np.uint16)`` reads them),
else ``uint32`` (recorded as ``meta["dtype"]``; ReaLLM-Forge's train.py switches to uint32 only
for vocab 100277). ``meta.pkl`` holds ``vocab_size``, ``stoi``, ``itos`` as nanoGPT expects;
``meta.json`` is a readable copy without the maps. Sidecars: ``{split}.mask.bin`` (uint8 loss
mask aligned to the tokens) and ``{split}.starts.bin`` (uint64 offset of every sample's first
token). Every file is written under a temporary name and renamed when complete (``core.fs``).
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np

from synthset.core.errors import FormatError
from synthset.core.fs import AtomicFile, atomic_open
from synthset.io.pickle import _NoGlobals

UINT16_LIMIT = 65535


def token_dtype(vocab_size: int):
    return np.dtype("<u2") if vocab_size <= UINT16_LIMIT else np.dtype("<u4")


class SplitWriter:
    """Appends token chunks (and optional masks) of one split; ``close`` renames them in."""

    def __init__(self, folder: Path, name: str, dtype, with_mask: bool):
        self.folder, self.name, self.dtype = Path(folder), name, np.dtype(dtype)
        self.paths = {"bin": self.folder / f"{name}.bin",
                      "starts": self.folder / f"{name}.starts.bin"}
        if with_mask:
            self.paths["mask"] = self.folder / f"{name}.mask.bin"
        self.files = {k: AtomicFile(p, "wb") for k, p in self.paths.items()}
        self.tokens = 0
        self.samples = 0

    def write(self, ids: np.ndarray, starts: np.ndarray, mask: np.ndarray | None = None):
        """Append one chunk: ``ids`` (concatenated samples), ``starts`` (sample offsets within
        the chunk), ``mask`` (uint8, same length as ids)."""
        if ids.size and int(ids.max()) > np.iinfo(self.dtype).max:
            raise FormatError(f"token id {int(ids.max())} does not fit {self.dtype}")
        self.files["bin"].write(ids.astype(self.dtype, copy=False).tobytes())
        self.files["starts"].write((starts.astype(np.uint64) + self.tokens).astype("<u8")
                                   .tobytes())
        if "mask" in self.files:
            self.files["mask"].write(mask.astype(np.uint8, copy=False).tobytes())
        self.tokens += int(ids.size)
        self.samples += int(starts.size)

    def close(self) -> None:
        for f in self.files.values():
            f.commit()

    def abort(self) -> None:
        for f in self.files.values():
            f.abort()


def write_meta(folder: Path, meta_pkl: dict, meta_json: dict) -> None:
    folder = Path(folder)
    with atomic_open(folder / "meta.pkl", "wb") as f:
        pickle.dump(meta_pkl, f)
    with atomic_open(folder / "meta.json") as f:
        json.dump(meta_json, f, indent=2, ensure_ascii=False)
        f.write("\n")


# The token dtypes a data folder may name: what synthset writes and nanoGPT reads. Anything
# else would be handed to np.memmap as it is (an object dtype reads pointers from the file).
DTYPES = ("uint16", "uint32")


def read_meta(folder: Path) -> dict:
    """A data folder's metadata: ``meta.json`` when we wrote it, else ``meta.pkl`` read with an
    unpickler that runs no code (plain dicts, lists, strings and numbers only). Its
    ``vocab_size`` and ``dtype`` are checked against what synthset writes."""
    folder = Path(folder)
    if (folder / "meta.json").exists():
        try:
            meta = json.loads((folder / "meta.json").read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise FormatError(f"{folder / 'meta.json'} is corrupt ({exc})") from None
        if not isinstance(meta, dict):
            raise FormatError(f"{folder / 'meta.json'} is not a JSON object")
        if "vocab_size" in meta or "dtype" in meta:
            _check_tokens(meta, folder / "meta.json")
        return meta
    if (folder / "meta.pkl").exists():
        try:
            with open(folder / "meta.pkl", "rb") as f:
                meta = _NoGlobals(f).load()
        except FormatError:
            raise
        except Exception as exc:
            raise FormatError(f"{folder / 'meta.pkl'} is not a readable meta.pkl ({exc})") \
                from None
        if not isinstance(meta, dict) or "vocab_size" not in meta:
            raise FormatError(f"{folder / 'meta.pkl'} has no vocab_size")
        meta.setdefault("dtype", "uint16" if _vocab(meta, folder / "meta.pkl") <= UINT16_LIMIT
                        else "uint32")
        _check_tokens(meta, folder / "meta.pkl")
        return meta
    return {}


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _vocab(meta: dict, path: Path) -> int:
    size = meta.get("vocab_size")
    if isinstance(size, bool) or not isinstance(size, int) or not 0 < size <= 2 ** 32:
        raise FormatError(f"{path}: vocab_size must be an integer from 1 to 2**32, got "
                          f"{_shown(size)}")
    return size


def _check_tokens(meta: dict, path: Path) -> None:
    """vocab_size a positive integer, dtype one of DTYPES and wide enough for it."""
    size = _vocab(meta, path)
    dtype = meta.get("dtype", "uint16")
    if dtype not in DTYPES:
        raise FormatError(f"{path}: dtype must be one of {', '.join(DTYPES)}, got "
                          f"{_shown(dtype)}")
    if dtype == "uint16" and size > UINT16_LIMIT + 1:
        raise FormatError(f"{path}: dtype uint16 cannot hold ids of a vocab_size of {size:,}")
