"""``{split}_data.jsonl``: CALT's JSON Lines, ``{"problem": ..., "answer": ...}`` per sample.

A sample's bytes are ``json.dumps(..., ensure_ascii=False)``'s (``core.nested.json_line``);
a task row is written as orjson writes it (keys in the row's order). Reading accepts CALT's
older ``solution`` for ``answer``; a malformed line is an error naming the file and line.
"""

from __future__ import annotations

from collections.abc import Iterator

import orjson

from synthset.core.errors import FormatError
from synthset.core.fs import as_path
from synthset.core.nested import json_line
from synthset.io.formats import StreamFormat


class Jsonl(StreamFormat):
    name = "json"
    shard_ext = "jsonl"
    suffix = "_data.jsonl"

    encode = staticmethod(json_line)

    @staticmethod
    def encode_row(row: dict) -> str:
        return orjson.dumps(row).decode() + "\n"

    def lines(self, save_dir, split: str) -> Iterator[bytes]:
        """The split's lines as bytes, blank ones included (for readers that parse only what
        they need, and so that line numbers in errors are the file's)."""
        path = as_path(save_dir) / self.final_names(split)[0]
        if not path.exists():
            raise FileNotFoundError(2, "JSON Lines file not found (written when the run has "
                                       "save_json: true)", str(path))
        with path.open("rb") as f:
            yield from f

    def read(self, save_dir, split: str) -> Iterator:
        """``(problem, answer)`` pairs (nesting kept) or task rows (dicts), in index order."""
        path = as_path(save_dir) / self.final_names(split)[0]
        for line_num, line in enumerate(self.lines(save_dir, split), 1):
            if not line.strip():
                continue
            try:
                data = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise FormatError(f"{path}:{line_num}: not valid JSON ({exc})") from None
            if not isinstance(data, dict):
                data = {}
            if "input_ids" in data or "text" in data:
                yield data
            elif "problem" in data and ("answer" in data or "solution" in data):
                yield data["problem"], data["answer"] if "answer" in data else data["solution"]
            else:
                raise FormatError(f"{path}:{line_num}: expected an object with 'problem' and "
                                  "'answer' (or the legacy 'solution'), or a task row")
