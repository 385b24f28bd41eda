"""A task library's generator as a synthset task: the shared half of ``rg/`` and ``rcore/``.

A sample is a text row ``{"text", "meta"}``: ``text`` is the library's question, a newline and
its answer; ``meta`` holds ``prompt_chars`` (where the answer starts) and the library's
metadata made JSON-safe (tuples as lists, sets as sorted lists, other objects as their
``str``), plus ``answer`` when the library's answer is not a string (``null`` where the
library has no reference answer and its scorer judges any solution from the metadata: such a
sample's stored answer is empty and is not re-scored by ``validate_example``). That is
enough to rebuild the library's entry ``{"question", "answer", "metadata"}`` with no
generator, so the library's own ``score_answer`` judges a model's text on a stored sample
exactly as on a fresh one.
The example's ``prompt`` is the question and the newline, its ``answer`` the answer: a model
is asked the prompt and its continuation is judged (as Capo's text rows are).

Determinism: the record of a run's per-sample seed ``s`` is the library's item built from
``s`` alone (subclasses say how), never from a shared stream; Python's ``random`` and NumPy's
global state are seeded from ``s`` first where the library draws from them (``GLOBAL_STATE``).
A library task that still is not deterministic (``REFUSED``, measured by
``bench/audit_bridges.py``) is refused with the reason.

Fields and levels: the library's config fields are the task's fields (``seed`` and ``size``
aside: the run owns both); fields combine as ``library defaults < level < explicit fields``.

Imports ``core`` only; the library is imported when a task of it is built.
"""

from __future__ import annotations

import dataclasses
import json
import math
import random
from abc import abstractmethod

from synthset.core.errors import ConfigError, unknown_key
from synthset.core.task import Task, ValidationError, check, check_level, digest, squash

SEPARATOR = "\n"  # between the question and the answer in a row's text
SEED_MASK = 2**64 - 1
_SHARED: dict = {}  # (library, dataset, level, fields) -> that task's objects in this process
OWN_FIELDS = ("seed", "size")  # the library's fields a run decides, never a task field


def plain(metadata):
    """``json_safe(metadata)``, by a round trip through orjson where it can (in C: ~10x the
    Python walk); the walk for what orjson refuses (sets, objects, integers beyond 64 bits).
    orjson's default options first: what they take, the options for NumPy and non-string
    keys write alike, at a third of the cost (they look at every key and value); what they
    refuse, with those options."""
    try:
        data = _dumps(metadata)  # first: it binds _loads on its first call
    except TypeError:  # orjson's JSONEncodeError is one
        try:
            data = _dumps(metadata, option=_OPTION)
        except TypeError:
            return json_safe(metadata)
    return _loads(data)


def _first_dumps(value, option: int | None = None) -> bytes:
    """orjson's ``dumps``, imported on first use; later calls go to orjson directly (``plain``
    runs once a sample: an import statement there costs a tenth of the bridge's time)."""
    global _dumps, _loads, _OPTION
    import orjson

    _OPTION = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY
    _loads = orjson.loads
    _dumps = orjson.dumps
    return _dumps(value, option=option)


_dumps, _loads, _OPTION = _first_dumps, None, 0


def json_safe(value, _depth: int = 0):
    """``value`` as plain JSON data: the same data on a fresh sample and on one read back
    from JSON Lines (so the verifier sees one form). Tuples become lists, sets sorted lists,
    mapping keys strings, NumPy scalars and arrays Python numbers and lists, non-finite floats
    null, anything else its ``str``."""
    if value is None or type(value) in (bool, str):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):  # beyond 64 bits: JSON readers disagree on them
        return int(value) if -2**63 <= value < 2**64 else str(value)
    if isinstance(value, float):  # numpy.float64 is one: a plain float
        return float(value) if math.isfinite(value) else None  # as orjson writes them
    if _depth > 64:
        return str(value)
    if isinstance(value, dict):
        return {str(k): json_safe(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v, _depth + 1) for v in value]
    if isinstance(value, (set, frozenset)):
        items = [json_safe(v, _depth + 1) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, default=str))
    tolist = getattr(value, "tolist", None)  # NumPy scalars and arrays
    if callable(tolist) and type(value).__module__ == "numpy":
        return json_safe(tolist(), _depth + 1)
    if hasattr(value, "items") and callable(value.items):  # EasyDict and other mappings
        return {str(k): json_safe(v, _depth + 1) for k, v in value.items()}
    return str(value)


class BridgeTask(Task):
    """A dataset of a task library under synthset's contract (see the module docstring).

    Subclasses set ``library`` (the name prefix) and ``package`` (its distribution), and
    implement ``names`` (the library's datasets), ``build`` (check the fields, make the
    library's config), ``entry`` (the library's item for one seed, as ``(question, answer,
    metadata)``), ``library_score`` and ``level_config``.

    Args:
        level: 1..10 (the library's difficulty; see the subclass), or None for its defaults.
        preset: ``{"dataset": NAME}``, as the registry passes it.
        fields: the library's config fields.
    """

    kind = "reasoning"
    decoding = "greedy"
    library = "?"
    package = "?"
    extra = "?"
    # dataset -> why its samples are not a function of their seed: refused when built
    REFUSED: dict[str, str] = {}
    KNOBS: tuple = ()  # config fields that are not task fields (besides OWN_FIELDS)
    # datasets whose items follow the iteration order of sets of strings: the same in every
    # process only when PYTHONHASHSEED fixes Python's string hashing (refused without it)
    HASH_ORDERED: frozenset = frozenset()

    def __init__(self, config=None, tokenizer_name_or_path=None, *, level=None, preset=None,
                 **fields):
        preset = dict(preset or {})
        if isinstance(config, dict):  # TokenTask's calling convention: a dict of fields
            fields = {**config, **fields}
        dataset = preset.pop("dataset", None)
        self.dataset = dataset
        self.level = check_level(level)
        for key in OWN_FIELDS:
            if key in fields:
                raise ConfigError(f"task {self.library}/{dataset}: {key} is set by the run "
                                  f"(root_seed and the split sizes), not a task field")
        self.fields = dict(sorted({**preset, **fields}.items()))
        self.name = self.family = f"{self.library}/{dataset}"
        self.version = self._version()
        names = self.names()
        if dataset not in names:
            raise _no_dataset(self.library, dataset, names)
        if dataset in self.REFUSED:
            raise ConfigError(f"task {self.name} is refused: {self.REFUSED[dataset]}")
        if dataset in self.HASH_ORDERED and not hash_seed_fixed():
            raise ConfigError(
                f"task {self.name} is refused: its items follow the order of Python sets of "
                "strings, which differs from process to process; run with PYTHONHASHSEED=0 "
                "(e.g. PYTHONHASHSEED=0 synthset generate data.yaml) to use it")
        self._attach()

    # -- what a library implements ---------------------------------------------------------
    @abstractmethod
    def names(self) -> list[str]:
        """Every dataset of the library."""

    @abstractmethod
    def build(self):
        """Check ``self.fields`` and ``self.level``; the library's config (one-line
        ConfigError naming a bad field)."""

    @abstractmethod
    def entry(self, seed: int) -> tuple[str, object, dict]:
        """``(question, answer, metadata)`` of the library's item for ``seed``."""

    @abstractmethod
    def library_score(self, text: str, entry: dict) -> float:
        """The library's ``score_answer`` on the rebuilt entry (``entry_of``)."""

    # -- records ---------------------------------------------------------------------------
    def __call__(self, seed: int) -> dict:
        # The low 64 bits of the run's seed: a 128-bit seed costs Python's Random() a quarter
        # more to build (reasoning-gym builds one per item); two of a run's n samples share
        # their 64 bits with probability about n**2 / 2**65.
        return self.row(*self.entry(seed & SEED_MASK))

    def sample(self, rng: random.Random) -> dict:
        return self.row(*self.entry(rng.getrandbits(64)))

    @staticmethod
    def row(question: str, answer, metadata: dict) -> dict:
        if type(question) is not str:
            question = str(question)
        meta = {"prompt_chars": len(question) + len(SEPARATOR), "metadata": plain(metadata)}
        if type(answer) is str:
            return {"text": question + SEPARATOR + answer, "meta": meta}
        meta["answer"] = json_safe(answer)
        text = "" if answer is None else str(answer)
        return {"text": question + SEPARATOR + text, "meta": meta}

    def example_of(self, row: dict) -> dict:
        cut = row["meta"]["prompt_chars"]
        text = row["text"]
        return {**row, "prompt": text[:cut], "answer": text[cut:]}

    def entry_of(self, example: dict) -> dict:
        """The library's entry, rebuilt from a stored row: question, answer, metadata."""
        meta = example["meta"]
        cut = meta["prompt_chars"]
        text = example["text"]
        answer = meta["answer"] if "answer" in meta else text[cut:]
        return {"question": text[:cut - len(SEPARATOR)], "answer": answer,
                "metadata": meta["metadata"]}

    # -- the contract ----------------------------------------------------------------------
    def validate_example(self, example: dict) -> None:
        text, meta = example.get("text"), example.get("meta")
        check(isinstance(text, str), "the row has no text")
        check(isinstance(meta, dict) and type(meta.get("prompt_chars")) is int,
              "the row's meta has no prompt_chars")
        cut = meta["prompt_chars"]
        check(len(SEPARATOR) <= cut <= len(text) and
              text[cut - len(SEPARATOR):cut] == SEPARATOR,
              "prompt_chars does not end at the separator after the question")
        check(isinstance(meta.get("metadata"), dict), "the row's meta has no library metadata")
        if "answer" in meta and meta["answer"] is None:
            return  # no reference answer (any valid solution scores): nothing to re-score
        answer = text[cut:]
        try:
            score = float(self.library_score(answer, self.entry_of(example)))
        except Exception as exc:  # the library's scorer on its own answer
            raise ValidationError(f"{self.library}'s score_answer raised "
                                  f"{type(exc).__name__}: {exc}") from None
        check(score == 1.0, f"{self.library}'s score_answer gives the stored answer {score}, "
                            f"not 1.0: {answer[:200]!r}")

    def _score(self, text: str, example: dict) -> float:
        return float(self.library_score(text, self.entry_of(example)))

    def dedup_key(self, example: dict) -> str:
        """The question, whitespace collapsed (two samples asking the same are one); of a
        row or of its example alike."""
        return digest(squash(example["text"][:example["meta"]["prompt_chars"]]))

    def statistics(self, row: dict) -> dict:
        cut = row["meta"]["prompt_chars"]
        return {"row": {"prompt_chars": cut, "answer_chars": len(row["text"]) - cut}}

    def config_fields(self) -> list[dict]:
        """The library's config fields: defaults, the values in force, the field's type."""
        out = []
        config = self._config
        defaults = self._defaults()
        for f in dataclasses.fields(config):
            if f.name in OWN_FIELDS + self.KNOBS or f.name.startswith("_"):
                continue
            out.append({"name": f.name, "default": defaults.get(f.name),
                        "value": getattr(config, f.name),
                        "doc": str(f.type) if not isinstance(f.type, str) else f.type})
        return out

    def _defaults(self) -> dict:
        return {}

    # -- identity, pickling ----------------------------------------------------------------
    def __getstate__(self) -> dict:
        """Plain state: the library's objects (a dataset, its word lists) are rebuilt on
        first use in each worker, and the run's identity is this state and the version."""
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._attach()  # in each worker: the library's objects made there, once

    def _attach(self) -> None:
        """The library's objects for this task in this process (its config, dataset or task
        object), made by ``build`` once per process and shared by every copy of the task: a
        worker receives the task with each shard, and must not load a word list or build a
        generator each time."""
        key = (self.library, self.dataset, self.level,
               json.dumps(self.fields, sort_keys=True, default=repr))
        shared = _SHARED.get(key)
        if shared is None:
            self._shared = {}
            self._shared["config"] = self.build()
            self._shared.setdefault("summary", "")
            shared = _SHARED[key] = self._shared
        self._shared = shared
        self._config = shared["config"]
        self.summary = shared["summary"]

    def _version(self) -> str:
        from importlib import metadata

        try:
            return metadata.version(self.package)
        except metadata.PackageNotFoundError:
            from synthset.core.deps import require

            require(self.package.replace("-", "_"), self.extra, f"task {self.name}")
            return "unknown"


def hash_seed_fixed() -> bool:
    """Whether this process hashes strings as every other process started alike does
    (``PYTHONHASHSEED`` set to a number)."""
    import os

    return os.environ.get("PYTHONHASHSEED", "random").isdigit()


def _no_dataset(library: str, dataset, names) -> ConfigError:
    """The one line for a dataset the library does not have, with the closest names."""
    if not isinstance(dataset, str) or not dataset:
        return ConfigError(f"task {library}/...: give a dataset name after '{library}/' "
                           f"({len(names)} datasets; e.g. {library}/{sorted(names)[0]})")
    from synthset.core.errors import closest

    hint = closest(dataset, sorted(names))
    did_you_mean = f" (did you mean {library}/{hint}?)" if hint else ""
    return ConfigError(f"unknown task {library}/{dataset}{did_you_mean}; {library} has "
                       f"{len(names)} datasets, listed in docs/guide/task-libraries.md")


def refuse_fields(library: str, dataset: str, fields: dict, accepted) -> None:
    """A field the library's config does not have: one line naming the closest."""
    for key in fields:
        if key not in accepted:
            raise unknown_key(key, sorted(accepted), where=f"task {library}/{dataset}")


def library_error(name: str, exc: BaseException) -> ConfigError:
    """A library's own refusal of a config (an assert, a ValueError) as one line."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return ConfigError(f"task {name}: {text}")
