"""``{split}_stats.yaml`` in CALT's layout (SafeDumper, block style, insertion order, indent 4)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from synthset.core.fs import as_path, atomic_write_text


def dump_stats(statistics: dict) -> str:
    import yaml

    class _Dumper(yaml.SafeDumper):
        pass

    _Dumper.add_representer(timedelta, lambda d, v: d.represent_float(v.total_seconds()))
    return yaml.dump(
        statistics, Dumper=_Dumper, default_flow_style=False, sort_keys=False, indent=4
    )


def write_stats(path: Path, statistics: dict) -> None:
    atomic_write_text(path, dump_stats(statistics))


def read_stats(path: Path) -> dict:
    """A split's statistics, read with libyaml's safe loader where there is one (the same
    values, a few times faster than the pure-Python one)."""
    import yaml

    return yaml.load(as_path(path).read_text(), Loader=getattr(yaml, "CSafeLoader",
                                                               yaml.SafeLoader))
