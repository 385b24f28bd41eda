"""Parquet output laid out as the Hugging Face Hub lays it out: ``data/{split}-00000-of-00002.parquet``.

``datasets.load_dataset("parquet", data_dir=save_dir)`` finds these files by that pattern and
keeps every split name (any name, not only train/test/validation); the ``data/`` folder keeps
the run's other files (``train_stats.yaml``...) out of its way.

Schema (explicit, the same for every run): ``problem: string``, ``answer: string`` — the text
forms of ``*_raw.txt`` (lists joined with `` | `` and `` || ``) — and ``index: int64``, the sample's
index in its split. Workers write one part per shard; ``merge_parts`` re-cuts them into files of
``rows_per_file`` rows and row groups of ``row_group_size`` rows, so the bytes do not depend on the
shard size. pyarrow is imported only here, and only when a Parquet file is written or read.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from pathlib import Path

from synthset.core.fs import as_path, atomic_open
from synthset.core.nested import check_utf8, field_text
from synthset.io.formats import Format, counted_rows, rows_differ, unreadable

DATA_DIR = "data"
ROWS_PER_FILE = 1_000_000
ROW_GROUP_SIZE = 100_000
COMPRESSION = "zstd"


def _pa():
    import pyarrow  # a core dependency, imported late: `import synthset` stays cheap

    return pyarrow


class Parquet(Format):
    """Rows ``problem``/``answer``/``index`` (or a task's columns plus ``index``), re-cut at
    merge time into files of ROWS_PER_FILE rows."""

    name = "parquet"
    shard_ext = "parquet"

    @staticmethod
    def encode(problem, answer) -> tuple[str, str]:
        # joined as in *_raw.txt; a leaf that would not split back out is a sample error
        problem = field_text(problem, "its Parquet column")
        answer = field_text(answer, "its Parquet column")
        check_utf8(problem)
        check_utf8(answer)
        return problem, answer

    @staticmethod
    def encode_row(row: dict) -> dict:
        return row

    def write_shard(self, path, items: list, start: int) -> None:
        if type(items[0]) is dict:
            write_rows_part(path, items, start)
        else:
            write_part(path, [p for p, _ in items], [a for _, a in items], start)

    def final_names(self, split: str, num_samples: int) -> list[str]:
        return file_names(split, num_samples)

    def count_rows(self, path) -> int:
        import pyarrow.parquet as pq

        with as_path(path).open("rb") as f:
            return pq.ParquetFile(f).metadata.num_rows

    def merge(self, parts: list, save_dir, split: str, num_samples: int,
              rows: list[int] | None = None) -> list[str]:
        if rows is not None:  # the re-cut below trusts the parts' row counts: check them
            for part, want in zip(parts, rows):
                found = counted_rows(self, part)
                if found != want:
                    raise rows_differ(part, found, want)
        return merge_parts(parts, as_path(save_dir), split, num_samples)

    def read(self, save_dir, split: str) -> Iterator[dict]:
        """Rows as dicts, ``index`` included, in index order (a task row's ``meta`` as the
        JSON string it was stored as)."""
        import pyarrow.parquet as pq

        own = re.compile(rf"{re.escape(split)}-\d{{5}}-of-\d{{5}}\.parquet")
        names = sorted(p.name for p in (as_path(save_dir) / DATA_DIR).iterdir()
                       if own.fullmatch(p.name))
        for name in names:
            with (as_path(save_dir) / DATA_DIR / name).open("rb") as f:
                for batch in pq.ParquetFile(f).iter_batches(ROW_GROUP_SIZE):
                    yield from batch.to_pylist()


def schema():
    pa = _pa()
    return pa.schema(
        [("problem", pa.string()), ("answer", pa.string()), ("index", pa.int64())]
    )


def row_schema(row: dict):
    """The schema of task rows, from one row: int lists -> list<int32>, strings -> string,
    ints -> int64, anything else (``meta``) -> a JSON string."""
    pa = _pa()
    fields = []
    for key, value in row.items():
        if isinstance(value, list) and all(isinstance(v, int) for v in value[:16]):
            fields.append((key, pa.list_(pa.int32())))
        elif isinstance(value, str):
            fields.append((key, pa.string()))
        elif isinstance(value, int) and not isinstance(value, bool):
            fields.append((key, pa.int64()))
        else:
            fields.append((key, pa.string()))
    fields.append(("index", pa.int64()))
    return pa.schema(fields)


def write_rows_part(path: Path, rows: list[dict], start: int) -> None:
    """A shard of task rows (``input_ids``/``loss_mask``/``labels``/``meta`` or ``text``)."""
    pa = _pa()
    import pyarrow.parquet as pq

    sch = row_schema(rows[0])
    columns = []
    for field in sch:
        if field.name == "index":
            columns.append(pa.array(range(start, start + len(rows)), pa.int64()))
        elif pa.types.is_string(field.type) and not isinstance(rows[0][field.name], str):
            columns.append(pa.array([json.dumps(r[field.name], separators=(",", ":"))
                                     for r in rows], pa.string()))
        else:
            columns.append(pa.array([r[field.name] for r in rows], field.type))
    with atomic_open(path, "wb") as f:
        pq.write_table(pa.Table.from_arrays(columns, schema=sch), f, compression=COMPRESSION)


def write_part(path: Path, problems: list[str], answers: list[str], start: int) -> None:
    pa = _pa()
    import pyarrow.parquet as pq

    table = pa.Table.from_arrays(
        [pa.array(problems, pa.string()), pa.array(answers, pa.string()),
         pa.array(range(start, start + len(problems)), pa.int64())],
        schema=schema(),
    )
    with atomic_open(path, "wb") as f:
        pq.write_table(table, f, compression=COMPRESSION)


def file_names(split: str, num_rows: int, rows_per_file: int = ROWS_PER_FILE) -> list[str]:
    """Paths of a split's Parquet files, relative to the run folder."""
    n = max(1, math.ceil(num_rows / rows_per_file))
    return [f"{DATA_DIR}/{split}-{i:05d}-of-{n:05d}.parquet" for i in range(n)]


def split_glob(split: str) -> str:
    """A glob, relative to the run folder, that matches the Parquet files of ``split`` and of no
    other split (``val-*`` would also match split ``val-1``'s files)."""
    d5 = "[0-9]" * 5
    return f"{DATA_DIR}/{split}-{d5}-of-{d5}.parquet"


def merge_parts(parts: list[Path], save_dir: Path, split: str, num_rows: int,
                rows_per_file: int = ROWS_PER_FILE,
                row_group_size: int = ROW_GROUP_SIZE) -> list[str]:
    """Re-cut shard parts into the final files; returns their names."""
    pa = _pa()
    import pyarrow.parquet as pq

    names = file_names(split, num_rows, rows_per_file)
    expected = num_rows
    (save_dir / DATA_DIR).mkdir(parents=True, exist_ok=True)
    with as_path(parts[0]).open("rb") as f:
        sch = pq.read_schema(f).remove_metadata()  # problem/answer or task-row columns
    def batches_of(part):
        try:
            with as_path(part).open("rb") as f:
                yield from pq.ParquetFile(f).iter_batches(row_group_size)
        except (OSError, pa.ArrowException) as exc:
            raise unreadable(part, exc) from None

    batches = (b for part in parts for b in batches_of(part))
    pending: list = []  # record batches not yet written, fewer than row_group_size rows
    pending_rows = 0
    seen = 0  # rows read from the parts: they must add up to the split's size
    for name in names:
        target = min(rows_per_file, num_rows)
        num_rows -= target
        with atomic_open(save_dir / name, "wb") as f, \
                pq.ParquetWriter(f, sch, compression=COMPRESSION) as writer:
            written = 0
            while written < target:
                want = min(row_group_size, target - written)
                while pending_rows < want:
                    batch = next(batches, None)
                    if batch is None:
                        raise rows_differ(f"the parts of split {split!r}", seen, expected)
                    seen += batch.num_rows
                    pending.append(batch)
                    pending_rows += batch.num_rows
                table = pa.Table.from_batches(pending, sch)
                writer.write_table(table.slice(0, want), row_group_size=want)
                rest = table.slice(want)
                pending = rest.to_batches() if rest.num_rows else []
                pending_rows = rest.num_rows
                written += want
    seen += sum(b.num_rows for b in batches)
    if seen != expected:
        raise rows_differ(f"the parts of split {split!r}", seen, expected)
    return names
