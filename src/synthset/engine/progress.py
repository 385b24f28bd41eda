"""Progress for a person at a terminal: tqdm bars and one-line notes on stderr.

Both are drawn only when stderr is a terminal (or a notebook): a log file or a pipe would fill
with a bar's redraws, and what a command has to say when it ends (a summary, an error) it
prints itself. Every long step draws its own bar — ``synthset generate`` one per split and
one per ``dedup: all`` round, ``synthset check`` one per stage, exports one per split — so
that a step that takes minutes never sits behind a bar that reads 100%. tqdm is imported only
when something is drawn.
"""

from __future__ import annotations

import sys


def on_terminal() -> bool:
    """Whether someone watches stderr: a terminal, or a Jupyter notebook (whose kernel has
    no terminal; tqdm draws its widgets there)."""
    isatty = getattr(sys.stderr, "isatty", None)
    if isatty is not None and isatty():
        return True
    ipython = sys.modules.get("IPython")  # imported already, in a notebook
    shell = ipython.get_ipython() if ipython is not None else None
    return type(shell).__name__ == "ZMQInteractiveShell"


def bar(total: int, desc: str, unit: str = " samples", initial: int = 0,
        position: int | None = None, scale: bool = False):
    """A tqdm bar on stderr, kept on screen when it closes; None off a terminal.
    ``scale``: show the unit with k/M/G prefixes (bytes)."""
    if not on_terminal():
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc=desc, unit=unit, position=position,
                leave=True, file=sys.stderr, mininterval=0.5, dynamic_ncols=True,
                unit_scale=scale, unit_divisor=1000)


def note(text: str) -> None:
    """``synthset: text`` on stderr, above any bar being drawn; nothing off a terminal."""
    if on_terminal():
        from tqdm.auto import tqdm

        tqdm.write(f"synthset: {text}", file=sys.stderr)


def size_text(n: float) -> str:
    """A byte count as people read it: ``930 B``, ``4.3 kB``, ``4.1 GB`` (powers of 1000)."""
    units = ("B", "kB", "MB", "GB", "TB")
    power = 0
    while abs(n) >= 999.95 and power < len(units) - 1:
        n /= 1000
        power += 1
    return f"{n:.0f} B" if power == 0 else f"{n:.1f} {units[power]}"
