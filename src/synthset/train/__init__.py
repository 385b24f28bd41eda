"""Show a dataset is learnable: tiny models, a training loop, per-task metrics, hop curves.

Extra ``train`` (torch, transformers, hydra-core, matplotlib). Reached from the rest of
synthset only through the CLI; imports tasks to make and score data.

Importing this package before torch sets ``OMP_WAIT_POLICY=PASSIVE`` unless it is already set:
torch's CPU build runs its threads under OpenMP, whose idle threads otherwise spin for the next
parallel region. Alone on the machine that costs little; on a machine other jobs keep busy the
spinning threads take the cores the working ones need, and a training step of the default
model ran 4-19x slower with 2 threads spinning than waiting passively (docs/benchmarks.md, "Training
throughput and rewards"). Set the variable yourself (``OMP_WAIT_POLICY=ACTIVE``) to keep
spinning.
"""

import os as _os
import sys as _sys

if "torch" not in _sys.modules:  # OpenMP reads it once, when torch loads it
    _os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
