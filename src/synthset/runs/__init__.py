"""The run reader: a run folder read back — its manifest, splits, samples and the task that
made it (``RunFolder``). Every consumer of a run folder (check, exports, evaluation, rewards,
training on files, the dataset card) reads it through here."""

from synthset.runs.folder import RunFolder, UntrustedCode, build_readable

__all__ = ["RunFolder", "UntrustedCode", "build_readable"]
