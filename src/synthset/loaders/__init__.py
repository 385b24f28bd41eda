"""Batches for training from nanoGPT data folders (ours or anyone's), in numpy.

``NanoGPTData(folder).get_batch(split, batch_size, block_size)`` -> ``(x, y)`` (or
``(x, y, mask)``); ``MultiDataset`` and ``MultiContext`` for ReaLLM-Forge's training modes;
``make_loader(training_mode=...)`` builds one from its arguments.
"""

from synthset.loaders.nanogpt import (SAMPLING_METHODS, TRAINING_MODES, MultiContext,
                                      MultiDataset, NanoGPTData, make_loader, to_torch)

__all__ = ["SAMPLING_METHODS", "TRAINING_MODES", "MultiContext", "MultiDataset", "NanoGPTData",
           "make_loader", "to_torch"]
