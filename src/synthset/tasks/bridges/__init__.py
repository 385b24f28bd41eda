"""Task libraries as synthset tasks: every reasoning-gym dataset is ``rg/NAME`` and every
reasoning-core task is ``rcore/NAME``, wherever a task name goes (data.yaml ``task:``,
``synthset inspect task=rg/chain_sum``, ``synthset export nanogpt rg/chain_sum --count 100``,
``get_task("rg/chain_sum", level=3, max_terms=4)``).

The library's own config fields are the task's fields, its difficulty levels are ``level``
1..10 (``base.py`` says how each maps), its own ``score_answer`` is the verifier. The
libraries are imported only when a task of theirs is built: naming this package costs nothing.

Imports only the standard library (and ``core`` through the modules it names).
"""

from __future__ import annotations

# prefix -> (module:Class, the pip extra that installs the library)
LIBRARIES = {
    "rg": ("synthset.tasks.bridges.rg:RGTask", "rg"),
    "rcore": ("synthset.tasks.bridges.rcore:RCoreTask", "rcore"),
}


def split_name(name) -> tuple[str, str] | None:
    """``("rg", "chain_sum")`` for ``"rg/chain_sum"``; None for a name of no library."""
    if not isinstance(name, str):
        return None
    prefix, sep, dataset = name.partition("/")
    return (prefix, dataset) if sep and prefix in LIBRARIES else None
