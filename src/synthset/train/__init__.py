"""Show a dataset is learnable: tiny models, a training loop, per-task metrics, hop curves.

Extra ``train`` (torch, transformers, hydra-core, matplotlib). Reached from the rest of
synthset only through the CLI; imports tasks to make and score data.
"""
