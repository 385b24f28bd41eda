"""Run calt-x's DatasetPipeline on one of our example generators (run with calt's venv).

    python bench/calt_parity.py [--backend=sagemath] MODULE_DIR MODULE:FUNC SAVE_DIR TRAIN TEST \
        BATCH N_JOBS [STATS]

``--backend`` picks calt-x's backend (``sympy`` by default; ``sagemath`` needs the passagemath
wheels and the ``sage.all`` shim that ``make peers`` installs in the peer venv).
"""

import importlib
import sys

backend = "sympy"
for arg in [a for a in sys.argv if a.startswith("--backend=")]:
    backend = arg.split("=", 1)[1]
    sys.argv.remove(arg)

sys.path.insert(0, sys.argv[1])
mod, func = sys.argv[2].split(":")
gen = getattr(importlib.import_module(mod), func)
stats = None
if len(sys.argv) > 8:
    smod, sfunc = sys.argv[8].split(":")
    stats = getattr(importlib.import_module(smod), sfunc)

from calt.dataset import DatasetPipeline  # noqa: E402

DatasetPipeline(
    instance_generator=gen, statistics_calculator=stats, save_dir=sys.argv[3], save_text=True,
    save_json=True, num_train_samples=int(sys.argv[4]), num_test_samples=int(sys.argv[5]),
    batch_size=int(sys.argv[6]), n_jobs=int(sys.argv[7]), root_seed=42, verbose=False,
    backend=backend,
).run()
