"""Show a dataset is learnable: tiny models, one training loop, per-task metrics, hop curves,
checkpoints.

    config.py      TrainConfig: every training option, declared and checked once
    loop.py        fit (optimiser, schedule, steps, evaluation hook) and a task's stream
    files.py       batches from a run folder or a nanoGPT data folder
    driver.py      synthset train: checked config in, checkpoint folder out
    curves.py      synthset curves: Depo hop curves (and a checkpoint's)
    checkpoint.py  the checkpoint folder: written, read back, checked against a task
    models.py      GPT-2 (with Canon layers), the looped model; saving and loading them
    evaluate.py    answers read off a model, scored by the task

Extra ``train`` (torch, transformers, hydra-core, matplotlib). Reached from the rest of
synthset only through the CLI and ``synthset eval --model`` (which loads a checkpoint);
imports ``core`` and ``tasks`` to make and score data, ``runs`` to read a run folder and
``io``/``loaders`` to read a nanoGPT folder.

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
