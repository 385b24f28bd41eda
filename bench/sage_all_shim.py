"""``sage.all`` for the calt-x peer venv (bench/.peers/calt), copied there by ``make peers``.

calt-x imports ``sage.all``, which a full Sage provides. The peer venv holds only the modular
passagemath wheels (passagemath-singular, passagemath-flint), which expose the same objects as
``sage.all__sagemath_singular``; this module re-exports them under the name calt-x imports.
It lives in the peer venv only, never in synthset (whose ``sage`` extra installs the real
``sage.all`` from passagemath-standard-no-symbolics).
"""

from sage.all__sagemath_singular import *  # noqa: F401,F403
