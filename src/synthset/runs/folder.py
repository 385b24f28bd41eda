"""``RunFolder``: one reader of a run folder, finished or not.

    run = RunFolder("datasets/sum")
    run.splits, run.sizes, run.is_complete()
    for problem, answer in run.samples("test"): ...
    task = run.task()                      # THE task that made the run

Every consumer of a run folder — ``synthset check``, exports, ``synthset eval``, rewards,
training on files, the dataset card — reads it through this class; nothing else parses
``.synthset/manifest.json`` (the run driver writes it, through ``engine.state``).

The task that made a run is resolved in one place (``task()``):

- a built-in task from its recorded spec (name, level, fields, backend). The spec is compared
  on its canonical form (fields sorted), so the order a data.yaml wrote its ``task_config`` in
  never matters. Reading stored samples needs no algebra backend: when the run's backend is
  not installed here the task is built on SymPy, which reads and verifies the same strings;
- a user's generator, seen as a task over its stored samples, with the verifier its data.yaml
  named (``check:``). Code a run folder names is data until the caller trusts it: nothing is
  imported without ``trust_code=True`` (``--trust-code`` on the command line), and asking for
  it without is a one-line ``UntrustedCode`` error naming the flag.

Folders CALT itself wrote have no manifest: their splits are found from their JSONL files and
their samples are read as they are (no task is known; answers are compared as strings).

Imports ``core``, ``engine`` (the manifest and markers), ``io`` (the readers) and ``tasks``;
the run driver's identity helper (``dataset.identity``) only when code is resolved.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from synthset.core.errors import ConfigError
from synthset.core.fs import as_path
from synthset.core.identity import callable_identity, resolve_callable
from synthset.engine.state import RunFolderError, RunState, read_manifest
from synthset.io.formats import get_format
from synthset.tasks.spec import TaskSpec
from synthset.tasks.user import UserTask

TRUST_FLAG = "--trust-code (trust_code=True in Python)"


class UntrustedCode(ConfigError):
    """A run folder names code (a generator, a verifier) that the caller did not trust."""


class RunFolder:
    """A run folder read back.

    Args:
        path: the run's ``save_dir`` (a folder synthset or CALT wrote; a local path or an
            fsspec URL).
    """

    def __init__(self, path):
        self.path = as_path(path)
        self.manifest = read_manifest(self.path, missing_ok=True)  # None: a folder CALT wrote

    def __repr__(self) -> str:
        return f"RunFolder({str(self.path)!r})"

    # -- what the run is -------------------------------------------------------------------
    @property
    def splits(self) -> list[str]:
        """The run's splits, in the order it made them (a CALT folder: its JSONL files)."""
        if self.manifest is not None:
            return list(self.manifest["config"]["sizes"])
        suffix = get_format("json").final_names("")[0]
        splits = sorted(p.name[:-len(suffix)] for p in self.path.glob(f"*{suffix}"))
        if not splits:
            raise RunFolderError(f"{self.path} holds no *{suffix} files: is it a run folder "
                                 "made with save_json: true?")
        return splits

    @property
    def sizes(self) -> dict[str, int]:
        """Samples per split as the run was asked for ({} for a folder CALT wrote)."""
        return dict(self.manifest["config"]["sizes"]) if self.manifest else {}

    @property
    def config(self) -> dict:
        """The fingerprinted configuration ({} for a folder CALT wrote)."""
        return dict(self.manifest["config"]) if self.manifest else {}

    @property
    def fingerprint(self) -> str | None:
        return self.manifest["fingerprint"] if self.manifest else None

    @property
    def shard_size(self) -> int | None:
        return self.manifest["shard_size"] if self.manifest else None

    @property
    def root_seed(self):
        return self.config.get("root_seed")

    @property
    def task_spec(self) -> TaskSpec | None:
        """The built-in task's spec (canonical: fields sorted), or None for a user's
        generator or a folder CALT wrote."""
        record = self.task_record
        return TaskSpec.from_record(record) if record.get("name") else None

    @property
    def task_record(self) -> dict:
        """What the manifest records under ``task`` ({} when nothing)."""
        return dict((self.manifest or {}).get("task") or {})

    def code(self, key: str) -> str | None:
        """The ``module:qualname`` of the user code the run names: ``generator`` (what made
        the samples) or ``check`` (its verifier); None when it names none."""
        if key == "check":
            return self.task_record.get("check")
        return (self.manifest or {}).get("generator") if key == "generator" else None

    @property
    def recorded_identity(self) -> str | None:
        """The identity (``qualname@hash``) of the code that made the run."""
        return self.config.get("instance_generator")

    # -- finished or not -------------------------------------------------------------------
    def unfinished(self) -> list[str]:
        """The splits whose final files are not complete yet."""
        if self.manifest is None:
            return []
        state = RunState(self.path)
        return [s for s in self.splits if not state.is_merged(s)]

    def is_complete(self) -> bool:
        return not self.unfinished()

    def require_complete(self, action: str) -> None:
        """Refuse, in one line, to ``action`` a run that is not finished."""
        left = self.unfinished()
        if left:
            raise RunFolderError(
                f"{self.path} holds a run that is not finished (split {', '.join(left)} not "
                "complete): run the same `synthset generate` command again to finish it "
                f"(`synthset status` shows what is left), then {action}")

    # -- samples ---------------------------------------------------------------------------
    def samples(self, split: str) -> Iterator:
        """The samples of ``split`` in index order: ``(problem, answer)`` pairs (nesting
        kept; ``solution`` accepted for ``answer``) or task rows (dicts)."""
        self._check_split(split)
        return get_format("json").read(self.path, split)

    def lines(self, split: str) -> Iterator[bytes]:
        """The raw JSONL lines of ``split`` (for paths that parse only what they need)."""
        self._check_split(split)
        return (line for line in get_format("json").lines(self.path, split) if line.strip())

    def examples(self, split: str, task=None) -> Iterator[tuple[dict, object]]:
        """``(example, record)`` of every sample of ``split``: the record read back as the
        task's example (prompt, answer text and the sample itself)."""
        task = task or self.task()
        for record in self.samples(split):
            yield task.example_of(record), record

    def size(self, split: str) -> int:
        if split in self.sizes:
            return self.sizes[split]
        return sum(1 for _ in self.lines(split))

    def _check_split(self, split: str) -> None:
        if split not in self.splits:
            raise ConfigError(f"split {split!r}: the run {self.path} has splits "
                              f"{', '.join(self.splits)}")

    # -- the task that made it -------------------------------------------------------------
    def task(self, trust_code: bool = False, verifier: bool = True):
        """THE task that made the run: the built-in task from its spec, or the run's own
        generator seen as a task over its stored samples with the verifier its data.yaml
        named (imported only with ``trust_code``; without, a one-line UntrustedCode).
        ``verifier=False``: a user's verifier is left out (reading samples needs none)."""
        spec = self.task_spec
        if spec is not None:
            return build_readable(spec)
        check = self.load("check", trust_code) if verifier and self.code("check") else None
        return UserTask(stored_only, check=check, name=self._generator_name())

    def load(self, key: str, trust_code: bool):
        """Import the user code the run names under ``key`` (``generator`` or ``check``);
        refused without ``trust_code`` (importing a module runs its code)."""
        spec = self.code(key)
        if not spec:
            raise ConfigError(f"{self.path} names no {key}")
        why = self.why_not_importable(key)
        if why:
            raise ConfigError(why)
        if not trust_code:
            raise UntrustedCode(
                f"{self.path} names its {key} {spec!r}: code a run folder names is imported "
                f"only with {TRUST_FLAG}, since importing it runs it")
        return resolve_callable(spec, "instance_generator" if key == "generator" else key,
                                self.search_path())

    def why_not_importable(self, key: str) -> str | None:
        """Why the code named under ``key`` cannot be imported at all (None: it can, given
        trust)."""
        spec = self.code(key) or ""
        module, _, attr = spec.partition(":")
        if not module or not attr:
            return f"{key} {spec!r} is not written as module:function"
        if module == "__main__":
            return (f"{key} was defined in a script run as __main__: put it in an importable "
                    "module to have it imported")
        return None

    def search_path(self) -> list[str]:
        """Where trusted user code is imported from: the current folder (where `synthset
        generate` ran, usually), then the run folder's parent."""
        here = [str(Path.cwd())]
        return here + [str(self.path.resolve().parent)] if isinstance(self.path, Path) else here

    def same_code(self, fn) -> bool:
        """Whether ``fn`` (a task or a generator) is the code that made the run."""
        return callable_identity(fn) == self.recorded_identity

    def _generator_name(self) -> str:
        generator = self.code("generator")
        if generator:
            return generator.rpartition(":")[2]
        return self.path.name


def build_readable(spec: TaskSpec):
    """The task of ``spec`` for reading and scoring stored samples: on the run's backend, or
    on SymPy when that backend is not installed here (the strings read the same)."""
    try:
        return spec.build()
    except ImportError:
        if (spec.backend or "sympy") == "sympy":
            raise
        from dataclasses import replace

        return replace(spec, backend="sympy").build()


def stored_only(seed):
    raise ConfigError("this run's generator is not loaded: only its stored samples are read")
