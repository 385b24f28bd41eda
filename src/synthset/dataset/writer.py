"""CALT's ``DatasetWriter``: write (problem, answer) string samples to text and JSON Lines.

The same methods and output bytes as calt-x 1.5.0 (``open``/``close``/``close_all``, context
manager, ``save_batch``, ``save_final_statistics``, ``load_dataset_jsonl``), with these
differences: files opened with ``open(tag)`` are written under a temporary name and appear under
their final names on ``close`` (never half-written); ``load_dataset_jsonl`` keeps an empty-string
answer instead of falling back to ``solution``; pickle is written only with ``save_pickle=True``
and read by ``load_dataset`` without executing code.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from synthset.core.errors import FormatError
from synthset.core.fs import tmp_path
from synthset.core.nested import INNER_SEP, OUTER_SEP, check_strings, json_line, text_line

logger = logging.getLogger(__name__)


class DatasetWriter:
    """Writes samples for any split ("tag") to ``{tag}_raw.txt`` and ``{tag}_data.jsonl``.

    Args:
        save_dir: folder of the files (created on first write); the cwd when None.
        save_text: write ``{tag}_raw.txt``, one ``problem # answer`` line per sample.
        save_json: write ``{tag}_data.jsonl``, one ``{"problem": ..., "answer": ...}`` per line.
        save_pickle: also write ``{tag}_data.pkl`` (a pickled list; opt-in, see ``load_dataset``).
    """

    INNER_SEP = INNER_SEP
    OUTER_SEP = OUTER_SEP

    def __init__(self, save_dir: str | None = None, save_text: bool = True,
                 save_json: bool = True, save_pickle: bool = False) -> None:
        self.save_dir = Path(save_dir) if save_dir else Path.cwd()
        self.save_text = save_text
        self.save_json = save_json
        self.save_pickle = save_pickle
        self._file_handles: dict[str, dict[str, tuple]] = {}

    @property
    def formats(self) -> tuple[str, ...]:
        kinds = [("text", self.save_text), ("json", self.save_json), ("pickle", self.save_pickle)]
        return tuple(k for k, on in kinds if on)

    def _validate_tag(self, tag) -> None:
        if not tag or not isinstance(tag, str):
            raise ValueError(f"tag must be a non-empty string, got '{tag}'")

    def _paths(self, tag: str) -> dict[str, Path]:
        paths = {}
        if self.save_text:
            paths["text"] = self.save_dir / f"{tag}_raw.txt"
        if self.save_json:
            paths["json"] = self.save_dir / f"{tag}_data.jsonl"
        if self.save_pickle:
            paths["pickle"] = self.save_dir / f"{tag}_data.pkl"
        return paths

    def open(self, tag: str) -> None:
        """Open the tag's files once for many ``save_batch`` calls (closed by ``close``)."""
        self._validate_tag(tag)
        if tag in self._file_handles:
            logger.warning("File handles for tag '%s' are already open", tag)
            return
        self.save_dir.mkdir(parents=True, exist_ok=True)
        handles = {}
        for kind, path in self._paths(tag).items():
            tmp = tmp_path(path)
            f = open(tmp, "wb") if kind == "pickle" else open(  # noqa: SIM115
                tmp, "w", encoding="utf-8", newline="\n")
            if kind == "pickle":
                from synthset.io.pickle import HEADER

                f.write(HEADER)
            handles[kind] = (f, tmp, path)
        self._file_handles[tag] = handles

    def close(self, tag: str) -> None:
        """Finish the tag's files: they appear under their final names now."""
        self._validate_tag(tag)
        handles = self._file_handles.pop(tag, None)
        if handles is None:
            logger.warning("No open file handles found for tag '%s'", tag)
            return
        for kind, (f, tmp, path) in handles.items():
            if kind == "pickle":
                from synthset.io.pickle import FOOTER

                f.write(FOOTER)
            f.close()
            os.replace(tmp, path)

    def close_all(self) -> None:
        for tag in list(self._file_handles):
            self.close(tag)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        if exc_type is None:
            self.close_all()
        else:  # an error mid-way: leave no partial file under a final name
            for handles in self._file_handles.values():
                for f, tmp, _path in handles.values():
                    f.close()
                    tmp.unlink(missing_ok=True)
            self._file_handles.clear()

    def _format_sample_strings(self, problem_str, answer_str) -> str:
        """``problem # answer`` with CALT's separators (no newline)."""
        check_strings(problem_str)
        check_strings(answer_str)
        return text_line(problem_str, answer_str)[:-1]

    def _get_json_data(self, problem_str, answer_str) -> dict:
        return {"problem": problem_str, "answer": answer_str}

    def save_batch(self, samples, tag: str = "train", batch_idx: int = 0) -> None:
        """Write (problem, answer) string samples; ``batch_idx == 0`` starts the files afresh
        when the tag was not opened with ``open``, later batches append (CALT's rule)."""
        self._validate_tag(tag)
        if not samples:
            logger.warning("Empty samples list provided - no files will be created")
            return
        for problem, answer in samples:
            try:
                check_strings(problem)
                check_strings(answer)
            except FormatError as exc:
                raise ValueError(f"cannot write sample to split {tag!r}: {exc}") from None
        texts = [text_line(p, a) for p, a in samples] if self.save_text else None
        jsons = [json_line(p, a) for p, a in samples] if self.save_json else None
        if tag in self._file_handles:
            handles = self._file_handles[tag]
            if texts is not None:
                handles["text"][0].writelines(texts)
            if jsons is not None:
                handles["json"][0].writelines(jsons)
            if self.save_pickle:
                from synthset.io.pickle import encode_sample

                handles["pickle"][0].writelines(encode_sample(p, a) for p, a in samples)
            return
        self.save_dir.mkdir(parents=True, exist_ok=True)
        mode = "w" if batch_idx == 0 else "a"
        paths = self._paths(tag)
        if texts is not None:
            with open(paths["text"], mode, encoding="utf-8", newline="\n") as f:
                f.writelines(texts)
        if jsons is not None:
            with open(paths["json"], mode, encoding="utf-8", newline="\n") as f:
                f.writelines(jsons)
        if self.save_pickle:
            raise ValueError("save_pickle needs open(tag) before save_batch and close(tag) "
                             "after (the pickle is one list written as a stream)")

    def save_final_statistics(self, statistics: dict, tag: str = "train") -> None:
        """Write ``{tag}_stats.yaml`` in CALT's YAML layout."""
        from synthset.io.stats_yaml import write_stats

        self._validate_tag(tag)
        self.save_dir.mkdir(parents=True, exist_ok=True)
        write_stats(self.save_dir / f"{tag}_stats.yaml", statistics)

    def load_dataset_jsonl(self, tag: str) -> list[tuple]:
        """Read ``{tag}_data.jsonl`` back as (problem, answer) pairs (``solution`` is accepted
        for ``answer``, as in older CALT files). A malformed line is an error naming it."""
        self._validate_tag(tag)
        path = self.save_dir / f"{tag}_data.jsonl"
        if not path.exists():
            raise FileNotFoundError(f"JSON Lines file not found: {path}")
        samples = []
        with open(path, encoding="utf-8") as f:
            for line_num, line in enumerate(f, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    data = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise FormatError(f"{path}:{line_num}: not valid JSON ({exc})") from None
                if not isinstance(data, dict) or "problem" not in data or not (
                        "answer" in data or "solution" in data):
                    raise FormatError(
                        f"{path}:{line_num}: expected an object with 'problem' and 'answer' "
                        "(or the legacy 'solution')")
                answer = data["answer"] if "answer" in data else data["solution"]
                samples.append((data["problem"], answer))
        return samples

    def load_dataset(self, tag: str) -> list[tuple]:
        """Read ``{tag}_data.pkl`` (written with ``save_pickle=True`` or by CALT).

        The file is loaded with an unpickler that resolves no classes or functions, so it
        cannot run code; a pickle holding anything but strings and lists is refused.
        """
        from synthset.io.pickle import load_samples

        self._validate_tag(tag)
        path = self.save_dir / f"{tag}_data.pkl"
        if not path.exists():
            raise FileNotFoundError(f"Dataset file not found: {path}")
        return load_samples(path)
