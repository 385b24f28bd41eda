"""Invariant 5: importing synthset and asking for help load nothing heavy."""

import subprocess
import sys

HEAVY = ["sympy", "torch", "ray", "dask", "distributed", "pyarrow", "numpy", "sage", "flint",
         "transformers", "omegaconf", "yaml", "joblib", "loky"]

CHECK = """
import sys
{code}
heavy = [m for m in {heavy!r} if m in sys.modules]
print("LOADED=" + ",".join(heavy))
"""


def _loaded(code):
    out = subprocess.run([sys.executable, "-c", CHECK.format(code=code, heavy=HEAVY)],
                         capture_output=True, text=True, check=True).stdout
    line = [x for x in out.splitlines() if x.startswith("LOADED=")][-1]
    return [m for m in line[len("LOADED="):].split(",") if m]


def test_import_synthset_is_cheap():
    assert _loaded("import synthset") == []


def test_import_the_calt_face_is_cheap():
    assert _loaded("from synthset.dataset import DatasetPipeline, DatasetGenerator, "
                   "DatasetWriter") == []


def test_help_is_cheap():
    code = ("from synthset.cli.main import main\n"
            "import contextlib, io\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try:\n        main(['--help'])\n    except SystemExit:\n        pass")
    assert _loaded(code) == []
