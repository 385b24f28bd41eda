"""Writers and readers: they know samples and files, never tasks or engines.

``formats.py`` is the table of output formats (one module per format: ``text``, ``jsonl``,
``parquet``, ``pickle``); ``readers`` reads a run folder back, ``nanogpt`` writes token files,
``stats_yaml`` the per-split statistics. Every file goes through ``core.fs``'s atomic writes.
"""
