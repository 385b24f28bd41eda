"""synthset: seeds in, training data out.

Importing this package is cheap on purpose (DESIGN.md, invariant 5): it loads no SymPy, Sage,
torch, Ray, Dask or pyarrow. The CALT-compatible face lives in `synthset.dataset`.
"""

__version__ = "0.1.0"

from synthset.core.errors import (  # noqa: E402  (re-exported: the errors users catch)
    ConfigError,
    GenerationError,
    ResumeError,
    SynthsetError,
)
from synthset.core.seeding import derive_seed  # noqa: E402

__all__ = [
    "ConfigError",
    "GenerationError",
    "ResumeError",
    "SynthsetError",
    "__version__",
    "derive_seed",
]
