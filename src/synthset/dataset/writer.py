"""CALT's ``DatasetWriter``: write (problem, answer) string samples to text and JSON Lines.

The same methods and output bytes as calt-x 1.5.0 (``open``/``close``/``close_all``, context
manager, ``save_batch``, ``save_final_statistics``, ``load_dataset_jsonl``), with these
differences: files opened with ``open(tag)`` are written under a temporary name and appear under
their final names on ``close`` (never half-written); ``load_dataset_jsonl`` keeps an empty-string
answer instead of falling back to ``solution``; pickle is written only with ``save_pickle=True``
and read by ``load_dataset`` without executing code. The bytes and file names are those of the
format table (``io/formats.py``), so a writer's files equal a run's.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from synthset.core.errors import FormatError
from synthset.core.fs import AtomicFile, as_path, atomic_open
from synthset.core.nested import INNER_SEP, OUTER_SEP, check_strings
from synthset.io.formats import get_format
from synthset.io.stats_yaml import write_stats

logger = logging.getLogger(__name__)

# CALT's aliases for what a writer takes and gives back.
StatisticsDict = dict[str, dict[str, int | float]]
"""Statistics by category: ``{"runtime": {"mean": 0.5, "std": 0.1}, ...}``."""
StringProblemOrAnswer = str | list[str] | list[list[str]] | list[str | list[str]]
"""A problem or answer as strings: one, a list, or a list mixing strings and lists of them."""
StringSample = tuple[StringProblemOrAnswer, StringProblemOrAnswer]
"""One ``(problem, answer)`` pair of strings."""
StringSampleList = list[StringSample]
"""A list of ``(problem, answer)`` pairs of strings."""


def timedelta_representer(dumper, data: timedelta):
    """YAML for a ``timedelta``: its total seconds, as a float (CALT's)."""
    return dumper.represent_float(data.total_seconds())


def __getattr__(name: str):
    # CALT's YAML dumper that writes timedeltas as seconds; made on first use, so importing
    # the writer does not import PyYAML.
    if name == "TimedeltaDumper":
        import yaml

        class TimedeltaDumper(yaml.SafeDumper):
            """PyYAML's SafeDumper, writing a ``timedelta`` as its total seconds."""

        TimedeltaDumper.__module__ = __name__
        TimedeltaDumper.add_representer(timedelta, timedelta_representer)
        globals()[name] = TimedeltaDumper
        return TimedeltaDumper
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
        self.save_dir = as_path(save_dir) if save_dir else Path.cwd()
        self.save_text = save_text
        self.save_json = save_json
        self.save_pickle = save_pickle
        self._file_handles: dict[str, dict[str, AtomicFile]] = {}

    @property
    def formats(self) -> tuple[str, ...]:
        kinds = [("text", self.save_text), ("json", self.save_json), ("pickle", self.save_pickle)]
        return tuple(k for k, on in kinds if on)

    def _validate_tag(self, tag) -> None:
        if not tag or not isinstance(tag, str):
            raise ValueError(f"tag must be a non-empty string, got '{tag}'")

    def _path(self, kind: str, tag: str):
        return self.save_dir / get_format(kind).final_names(tag)[0]

    def open(self, tag: str) -> None:
        """Open the tag's files once for many ``save_batch`` calls (closed by ``close``)."""
        self._validate_tag(tag)
        if tag in self._file_handles:
            logger.warning("File handles for tag '%s' are already open", tag)
            return
        self.save_dir.mkdir(parents=True, exist_ok=True)
        handles = {}
        for kind in self.formats:
            fmt = get_format(kind)
            handles[kind] = AtomicFile(self._path(kind, tag), fmt.mode)
            if fmt.header:  # a text file has none, and must not get b""
                handles[kind].write(fmt.header)
        self._file_handles[tag] = handles

    def close(self, tag: str) -> None:
        """Finish the tag's files: they appear under their final names now."""
        self._validate_tag(tag)
        handles = self._file_handles.pop(tag, None)
        if handles is None:
            logger.warning("No open file handles found for tag '%s'", tag)
            return
        for kind, f in handles.items():
            fmt = get_format(kind)
            if fmt.footer:
                f.write(fmt.footer)
            f.commit()

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
                for f in handles.values():
                    f.abort()
            self._file_handles.clear()

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
        if tag in self._file_handles:
            for kind, f in self._file_handles[tag].items():
                encode = get_format(kind).encode
                f.writelines([encode(p, a) for p, a in samples])
            return
        if self.save_pickle:
            raise ValueError("save_pickle needs open(tag) before save_batch and close(tag) "
                             "after (the pickle is one list written as a stream)")
        self.save_dir.mkdir(parents=True, exist_ok=True)
        for kind in self.formats:
            encode = get_format(kind).encode
            lines = [encode(p, a) for p, a in samples]
            if batch_idx == 0:  # a new file: it appears complete
                with atomic_open(self._path(kind, tag)) as f:
                    f.writelines(lines)
            else:  # CALT appends later batches to the file in place
                with self._path(kind, tag).open("a", encoding="utf-8", newline="\n") as f:
                    f.writelines(lines)

    def save_final_statistics(self, statistics: dict, tag: str = "train") -> None:
        """Write ``{tag}_stats.yaml`` in CALT's YAML layout."""
        self._validate_tag(tag)
        self.save_dir.mkdir(parents=True, exist_ok=True)
        write_stats(self.save_dir / f"{tag}_stats.yaml", statistics)

    def load_dataset_jsonl(self, tag: str) -> list[tuple]:
        """Read ``{tag}_data.jsonl`` back as (problem, answer) pairs (``solution`` is accepted
        for ``answer``, as in older CALT files). A malformed line is an error naming it."""
        self._validate_tag(tag)
        path = self._path("json", tag)
        if not path.exists():
            raise FileNotFoundError(f"JSON Lines file not found: {path}")
        return list(get_format("json").read(self.save_dir, tag))

    def load_dataset(self, tag: str) -> list[tuple]:
        """Read ``{tag}_data.pkl`` (written with ``save_pickle=True`` or by CALT).

        The file is loaded with an unpickler that resolves no classes or functions, so it
        cannot run code; a pickle holding anything but strings and lists is refused.
        """
        self._validate_tag(tag)
        path = self._path("pickle", tag)
        if not path.exists():
            raise FileNotFoundError(f"Dataset file not found: {path}")
        return get_format("pickle").read(self.save_dir, tag)
