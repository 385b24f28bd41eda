"""Invariant 5: importing synthset and asking for help load nothing heavy."""

import subprocess
import sys

HEAVY = ["sympy", "torch", "ray", "dask", "distributed", "pyarrow", "numpy", "sage", "flint",
         "transformers", "omegaconf", "yaml", "joblib", "loky", "matplotlib"]

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


def test_the_calt_module_tree_is_cheap():
    assert _loaded("import synthset.dataset.sagemath, synthset.dataset.sympy\n"
                   "import synthset.dataset.utils.dataset_writer\n"
                   "import synthset.dataset.utils.statistics_calculator\n"
                   "import synthset.dataset.sympy.utils.polynomial_sampler\n"
                   "from synthset.dataset import get_backend_classes\n"
                   "get_backend_classes('sagemath')") == []


def test_the_sage_face_imports_sage_when_a_sampler_samples():
    code = ("from synthset.dataset.sagemath import PolynomialSampler\n"
            "s = PolynomialSampler(symbols='x, y', field_str='GF(7)', order='grevlex')\n"
            "print('BUILT=' + str('sage' in sys.modules))\n"
            "from sage.misc.randstate import set_random_seed\n"
            "set_random_seed(0)\n"
            "s.sample(1)")
    out = subprocess.run([sys.executable, "-c", CHECK.format(code=code, heavy=HEAVY)],
                         capture_output=True, text=True, check=True).stdout
    assert "BUILT=False" in out  # made, not yet sampled: no Sage
    assert "sage" in out.split("LOADED=")[-1].strip().split(",")  # sampled: Sage


def test_check_help_is_cheap():
    code = ("from synthset.cli.main import main\n"
            "import contextlib, io\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try:\n        main(['check', '--help'])\n    except SystemExit:\n        pass")
    assert _loaded(code) == []


def test_task_classes_are_imported_on_first_use_only():
    # synthset.tasks lists every registered class (__all__, dir) without importing one, and
    # importing them all still loads nothing heavy.
    code = ("import synthset.tasks as T\n"
            "names = set(T.__all__) & set(dir(T))\n"
            "assert 'PolyGCD' in names and 'DepoTask' in names\n"
            "eager = [m for m in sys.modules if m.startswith('synthset.algebra')\n"
            "         or m.startswith('synthset.tasks.') and m != 'synthset.tasks.registry']\n"
            "print('EAGER=' + ','.join(eager))\n"
            "classes = [getattr(T, n) for n in T.__all__]")
    out = subprocess.run([sys.executable, "-c", CHECK.format(code=code, heavy=HEAVY)],
                         capture_output=True, text=True, check=True).stdout
    assert "EAGER=\n" in out
    assert out.split("LOADED=")[-1].strip() == ""
