"""Computer algebra: polynomial samplers and a library of problems, on three backends.

``sympy`` (pure Python, the default), ``flint`` (python-flint, the fast one) and ``sagemath``
(passagemath). A sampler makes the same random draws on every backend, so the same seed gives
the same polynomial (and, on sympy and flint, the same printed string). Backends are imported
only when asked for.
"""
