"""nanoGPT / ReaLLM-Forge data folders: ``train.bin``, ``val.bin``, ``meta.pkl`` (+ ours).

``train.bin``/``val.bin`` are flat little-endian token ids with no header — ``uint16`` when the
vocabulary has at most 65535 ids (nanoGPT's ``np.memmap(path, dtype=np.uint16)`` reads them),
else ``uint32`` (recorded as ``meta["dtype"]``; ReaLLM-Forge's train.py switches to uint32 only
for vocab 100277). ``meta.pkl`` holds ``vocab_size``, ``stoi``, ``itos`` as nanoGPT expects;
``meta.json`` is a readable copy without the maps. Sidecars: ``{split}.mask.bin`` (uint8 loss
mask aligned to the tokens) and ``{split}.starts.bin`` (uint64 offset of every sample's first
token). Every file is written under a temporary name and renamed when complete (``core.fs``).

llm.c / modded-nanogpt token shards (``LlmcWriter``): ``{name}_{split}_{k:06d}.bin``, each a
header of 256 little-endian int32 (magic, version, number of tokens; the rest zero) and then
the tokens — llm.c's ``dev/data/data_common.py`` ``write_datafile``: magic 20240520, version 1,
uint16 (its "gpt-2" layout, read by llm.c's C dataloader, ``train_gpt2.py`` and
modded-nanogpt's ``train_gpt.py``), or magic 20240801, version 7, uint32 (its "llama-3"
layout, read by llm.c's ``train_llama3.py`` only) when the ids need 32 bits.
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


# llm.c's HEADERS_INFO (dev/data/data_common.py): token dtype -> (magic, version).
LLMC_HEADER = 256  # int32 values before the tokens
LLMC_LAYOUTS = {"uint16": (20240520, 1), "uint32": (20240801, 7)}
LLMC_MAX_TOKENS = 2 ** 31 - 1  # header[2] is an int32 (write_datafile asserts < 2**31)


def llmc_name(name: str, split: str, number: int) -> str:
    """A shard's file name, as llm.c's fineweb.py spells them (``fineweb_val_000000.bin``);
    numbered from 0 within each split."""
    return f"{name}_{split}_{number:06d}.bin"


def llmc_header(dtype, tokens: int) -> bytes:
    magic, version = LLMC_LAYOUTS[np.dtype(dtype).name]
    header = np.zeros(LLMC_HEADER, dtype="<i4")
    header[:3] = magic, version, tokens
    return header.tobytes()


class LlmcWriter:
    """Appends token chunks of one split to llm.c shards of ``shard_tokens`` tokens each (the
    last one holds the rest); a sample that crosses a shard's end continues in the next shard,
    as llm.c's fineweb.py cuts documents. Tokens go straight to the open shard (no shard-sized
    buffer): its header is written last, over a placeholder, before the shard is renamed in.
    ``paths`` lists the shards written so far; ``close`` commits the last one."""

    def __init__(self, folder: Path, name: str, split: str, dtype, shard_tokens: int):
        self.folder, self.name, self.split = Path(folder), name, split
        self.dtype = np.dtype(dtype)
        self.shard_tokens = shard_tokens
        self.paths: dict[str, Path] = {}
        self.tokens = self.samples = 0
        self._file: AtomicFile | None = None
        self._in_shard = 0

    def write(self, ids: np.ndarray, starts: np.ndarray, mask: np.ndarray | None = None):
        """Append one chunk of concatenated samples (``starts``: their offsets; the loss
        mask has no place in these files)."""
        if ids.size and int(ids.max()) > np.iinfo(self.dtype).max:
            raise FormatError(f"token id {int(ids.max())} does not fit {self.dtype}")
        data = ids.astype(self.dtype.newbyteorder("<"), copy=False)
        while data.size:
            if self._file is None:
                self._open()
            take = min(data.size, self.shard_tokens - self._in_shard)
            self._file.write(memoryview(data[:take]))  # no copy of the chunk
            self._in_shard += take
            data = data[take:]
            if self._in_shard == self.shard_tokens:
                self._commit()
        self.tokens += int(ids.size)
        self.samples += int(starts.size)

    def _open(self) -> None:
        path = self.folder / llmc_name(self.name, self.split, len(self.paths))
        self.paths[f"shard{len(self.paths)}"] = path
        self._file = AtomicFile(path, "wb")
        self._file.write(llmc_header(self.dtype, 0))  # the real one when the shard is full
        self._in_shard = 0

    def _commit(self) -> None:
        f = self._file.file
        f.seek(0)
        f.write(llmc_header(self.dtype, self._in_shard))
        self._file.commit()
        self._file = None

    def close(self) -> None:
        if self._file is not None:
            self._commit()

    def abort(self) -> None:
        if self._file is not None:
            self._file.abort()
            self._file = None


def read_llmc(path) -> np.ndarray:
    """The tokens of one shard, checked as llm.c's readers check them (magic and version of a
    known layout, the token count of the header against the file's size)."""
    path = Path(path)
    with open(path, "rb") as f:
        header = np.frombuffer(f.read(LLMC_HEADER * 4), dtype="<i4")
        if header.size < 3:
            raise FormatError(f"{path} is shorter than llm.c's 1024-byte header")
        layout = {v: k for k, v in LLMC_LAYOUTS.items()}.get((int(header[0]), int(header[1])))
        if layout is None:
            raise FormatError(f"{path}: magic {int(header[0])} version {int(header[1])} is "
                              "not llm.c's uint16 (20240520, 1) or uint32 (20240801, 7) layout")
        tokens = np.frombuffer(f.read(), dtype=np.dtype(layout).newbyteorder("<"))
    if tokens.size != int(header[2]):
        raise FormatError(f"{path}: the header counts {int(header[2])} tokens, the file holds "
                          f"{tokens.size}")
    return tokens


def write_meta(folder: Path, meta_pkl: dict | None, meta_json: dict) -> None:
    """``meta.pkl`` (when given) then ``meta.json``, the export's record, last."""
    folder = Path(folder)
    if meta_pkl is not None:
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
