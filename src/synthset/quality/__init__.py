"""Data you can trust: ``synthset check`` re-verifies a finished run, counts duplicates and
overlap between splits by dedup key in bounded memory, and reports (``quality.json``, figures,
the dataset card's check section).

    from synthset.quality import check_run
    report = check_run("datasets/sum", n_jobs=2)   # report["ok"], report["problems"]

Modules: ``check`` (the driver), ``verify`` (one range of lines, in a worker), ``keys`` (exact
duplicate and overlap counts by hash partition), ``report`` (table and figures).
"""

from __future__ import annotations

from synthset.quality.check import check_run


__all__ = ["check_run"]
