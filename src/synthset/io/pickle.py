"""Pickle output, only when asked for (``formats: [pickle]``), and a loader that runs no code.

The file is one pickled ``list`` of ``(problem, answer)`` tuples, as CALT's ``{split}_data.pkl``.
It is written as a stream — an empty list, then one pickled tuple and an APPEND opcode per
sample, then STOP — so a worker writes its shard's part, the parts are concatenated, and the
bytes do not depend on how the split was cut into shards.

Unpickling a file from someone else can execute arbitrary code. ``load_samples`` therefore uses
an unpickler that resolves no classes or functions at all: strings, lists and tuples load, and
anything else is refused with an error.
"""

from __future__ import annotations

import io
import pickle

from synthset.core.errors import FormatError
from synthset.core.fs import as_path
from synthset.io.formats import StreamFormat

HEADER = b"\x80\x02]"  # PROTO 2, EMPTY_LIST
FOOTER = b"."  # STOP
_APPEND = b"a"


def encode_sample(problem, answer) -> bytes:
    """The opcodes that push ``(problem, answer)`` and append it to the list below it."""
    return pickle.dumps((problem, answer), protocol=2)[2:-1] + _APPEND


def encode_row(row: dict) -> bytes:
    """The opcodes that push a task row (a dict of lists, strings and numbers) and append it."""
    return pickle.dumps(row, protocol=2)[2:-1] + _APPEND


class _NoGlobals(pickle.Unpickler):
    def find_class(self, module, name):
        raise FormatError(
            f"refusing to load {module}.{name} from a pickle file: synthset pickle files hold "
            "only strings and lists, and loading anything else could run code"
        )


def load_samples(path) -> list:
    """Load a ``{split}_data.pkl`` written by synthset (or CALT) without executing code."""
    data = as_path(path).read_bytes()
    try:
        obj = _NoGlobals(io.BytesIO(data)).load()
    except FormatError:
        raise
    except Exception as exc:
        raise FormatError(f"{path} is not a readable pickle of samples: {exc}") from None
    if not isinstance(obj, list):
        raise FormatError(f"{path} holds a {type(obj).__name__}, not a list of samples")
    return [sample if isinstance(sample, dict) else tuple(sample) for sample in obj]


class Pickle(StreamFormat):
    name = "pickle"
    shard_ext = "pkl"
    suffix = "_data.pkl"
    mode = "wb"
    header = HEADER
    footer = FOOTER

    lines = False

    encode = staticmethod(encode_sample)
    encode_row = staticmethod(encode_row)

    def count_rows(self, path) -> int:
        """Samples of a shard's part (its list items, loaded without running code)."""
        blob = HEADER + as_path(path).read_bytes() + FOOTER
        try:
            return len(_NoGlobals(io.BytesIO(blob)).load())
        except FormatError:
            raise
        except Exception as exc:
            raise FormatError(f"{path} is not a readable pickle part: {exc}") from None

    def read(self, save_dir, split: str) -> list:
        """The whole list at once: a pickle is one object."""
        return load_samples(as_path(save_dir) / self.final_names(split)[0])
