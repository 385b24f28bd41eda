"""The run driver: a run's options (``options.RunOptions``, declared once), one shard made in a
worker (``job``), a whole run planned, made, deduplicated and merged (``run``, ``dedup``).

The CALT-compatible faces (``synthset.dataset``) and ``synthset generate`` all end in
``run.execute``; what a finished run left behind is read back by ``synthset.runs``."""
