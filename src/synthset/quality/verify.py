"""The worker's side of ``synthset check``: one range of one split's JSONL lines.

``RangeJob(range)`` reads the lines ``[start, stop)`` of ``{split}_data.jsonl`` (by byte offset:
a worker reads only its own range), and for every line:

- **format**: the line is a JSON object holding a ``(problem, answer)`` pair of strings or lists
  of strings (at most two levels), or a task row;
- **verification**: ``task.example_of(record)`` then ``task.validate_example(example)`` — a
  built-in task's own verifier, or the user's ``check`` through ``UserTask``; a
  ``ValidationError`` is a *wrong* sample, any other exception an *error* of the verifier.
  A pair of a task that keeps ``PairTask``'s example and checks goes straight to
  ``task.verifies(problem, answer)``: what those checks add holds by construction. A token
  task with ``checked_key`` (Depo) gives its verdict and key in one reading of the row;
- **dedup key**: ``task.dedup_key(example)`` (a pair: the same key as ``synthset generate``
  computes it, ``driver.dedup.sample_keyer``), kept as 16 bytes (``quality.keys``);
- **lengths and statistics**: exact histograms of the prompt/answer lengths (characters) or
  of the row's tokens, and of the task's statistics where they can be computed from a stored
  sample (``stored_statistics`` when the task says them more cheaply for strings);
- **determinism**: the chosen indices are made again from their seed by the run's generator
  and compared byte for byte with the stored line.

It writes the range's key file, then its result (JSON) last: a range whose result exists is
done, and a rerun skips it. Only a few counters travel back to the driver.
"""

from __future__ import annotations

import gc
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from synthset.core.errors import FormatError
from synthset.core.fs import atomic_write_text
from synthset.core.identity import resolve_callable
from synthset.core.nested import (INNER_SEP, check_strings, json_line, text_field,
                                   to_strings)
from synthset.core.seeding import MAX_REPLACEMENTS, derive_seed, replacement_seed
from synthset.core.task import PairTask, Task, ValidationError
from synthset.driver.dedup import text_key
from synthset.driver.job import NotAPair, pair_of
from synthset.runs.folder import build_readable, stored_only
from synthset.tasks.spec import TaskSpec
from synthset.tasks.user import RowFormat, UserTask

# How much of a failure's message is kept.
MESSAGE = 300
# Values at least this large (in absolute value), and every non-integer, are kept in a
# histogram rounded to 3 significant digits, so that a histogram's size stays bounded.
EXACT_BELOW = 10_000


@dataclass(frozen=True, order=True)
class Range:
    """Lines ``[start, stop)`` of a split's JSONL file, at bytes ``[offset, end)``."""

    split: str
    number: int
    start: int
    stop: int
    offset: int
    end: int

    @property
    def size(self) -> int:
        return self.stop - self.start


# -- the task, as a worker rebuilds it ---------------------------------------------------------
@dataclass(frozen=True)
class TaskPlan:
    """How a worker gets the task that verifies a run (picklable; built once per process).

    ``kind``: ``builtin`` (a registered task: ``name``, ``config``, ``backend``), ``user`` (a
    user's generator: its ``check`` and ``generator`` as ``module:qualname``, each None when it
    is not to be imported) or ``stored`` (nothing known: format checks only).
    """

    kind: str
    name: str = ""
    config: tuple = ()  # sorted (key, value) items, JSON-encoded values
    backend: str = "sympy"
    check: str | None = None
    generator: str | None = None
    search: tuple = ()  # folders user code is imported from

    def key(self) -> str:
        return json.dumps([self.kind, self.name, self.config, self.backend, self.check,
                           self.generator, self.search])

    def task_config(self) -> dict:
        return {k: json.loads(v) for k, v in self.config}


_BUILT: dict[str, tuple] = {}


def build(plan: TaskPlan) -> tuple:
    """``(task, generator or None)`` for ``plan``, made once per process."""
    key = plan.key()
    if key not in _BUILT:
        _BUILT[key] = _build(plan)
    return _BUILT[key]


def _build(plan: TaskPlan) -> tuple:
    if plan.kind == "builtin":
        # the run's backend, or SymPy when it is not installed here: checks do not need it
        task = build_readable(TaskSpec.of(plan.name, backend=plan.backend,
                                          **plan.task_config()))
        return task, task
    check = generator = None
    if plan.check:
        check = resolve_callable(plan.check, "check", plan.search)
    if plan.generator:
        generator = resolve_callable(plan.generator, "instance_generator", plan.search)
    return UserTask(stored_only, check=check, name=plan.name or None), generator


# -- histograms --------------------------------------------------------------------------------
def bin_value(value):
    """A histogram's bin for ``value``: itself for an integer below EXACT_BELOW, else the
    value to 3 significant digits."""
    if isinstance(value, int) and -EXACT_BELOW < value < EXACT_BELOW:
        return value
    value = float(value)
    if value != value or value in (math.inf, -math.inf):
        return value
    rounded = float(f"{value:.3g}")
    return int(rounded) if rounded.is_integer() and abs(rounded) < 2 ** 53 else rounded


def distribution(values: list) -> dict:
    """A mergeable summary of ``values``: count, sum, sum of squares, min, max, histogram."""
    if not values:
        return {"count": 0, "sum": 0, "sumsq": 0, "min": None, "max": None, "hist": []}
    counts = Counter(values)
    if all(type(v) is int for v in counts) and -EXACT_BELOW < min(counts) and \
            max(counts) < EXACT_BELOW:  # integers below EXACT_BELOW: their own bins
        return {"count": len(values), "sum": sum(values),
                "sumsq": sum([v * v * c for v, c in counts.items()]),
                "min": min(counts), "max": max(counts),
                "hist": [[v, c] for v, c in sorted(counts.items())]}
    hist: Counter = Counter()
    for value, count in counts.items():
        hist[bin_value(value)] += count
    exact = all(type(v) is int for v in hist)
    return {"count": len(values), "sum": sum(values),
            "sumsq": sum(v * v for v in values) if exact or len(values) < 1_000_000
            else math.fsum(v * v for v in values),
            "min": min(values), "max": max(values),
            "hist": sorted(([v, c] for v, c in hist.items()), key=lambda vc: vc[0])}


def merge_distributions(a: dict | None, b: dict) -> dict:
    if a is None or not a["count"]:
        return {**b, "hist": list(b["hist"])}
    if not b["count"]:
        return a
    hist = Counter({_hkey(v): c for v, c in a["hist"]})
    for v, c in b["hist"]:
        hist[_hkey(v)] += c
    return {"count": a["count"] + b["count"], "sum": a["sum"] + b["sum"],
            "sumsq": a["sumsq"] + b["sumsq"], "min": min(a["min"], b["min"]),
            "max": max(a["max"], b["max"]),
            "hist": sorted(([v, c] for v, c in hist.items()), key=lambda vc: vc[0])}


class MergedDistribution:
    """``merge_distributions`` of a sequence of distributions (``add`` them in order,
    ``result()``), in one pass: the histograms' counts go to one Counter, sorted once at the
    end — merging them pairwise sorts the growing histogram again for every range. The same
    result; a histogram holding a NaN (which has no place in an order) is merged pairwise as
    before."""

    def __init__(self):
        self.total: dict | None = None  # the merged figures (its histogram: see counts)
        self.counts: Counter | None = None  # the merged histogram, when not yet sorted

    def add(self, b: dict) -> None:
        a = self.total
        if a is None or not a["count"]:
            self.total, self.counts = {**b, "hist": list(b["hist"])}, None
            return
        if not b["count"]:
            return
        if self.counts is None:
            if _has_nan(a["hist"]) or _has_nan(b["hist"]):
                self.total = merge_distributions(a, b)
                return
            self.counts = Counter({_hkey(v): c for v, c in a["hist"]})
        elif _has_nan(b["hist"]):
            self.total = merge_distributions(self.result(), b)
            return
        counts = self.counts
        for v, c in b["hist"]:
            counts[_hkey(v)] += c
        a.update(count=a["count"] + b["count"], sum=a["sum"] + b["sum"],
                 sumsq=a["sumsq"] + b["sumsq"], min=min(a["min"], b["min"]),
                 max=max(a["max"], b["max"]))

    def result(self) -> dict | None:
        if self.counts is not None:
            self.total["hist"] = sorted(([v, c] for v, c in self.counts.items()),
                                        key=lambda vc: vc[0])
            self.counts = None
        return self.total


def _has_nan(hist: list) -> bool:
    return any(v != v for v, _ in hist)


def _hkey(value):
    return int(value) if isinstance(value, float) and value.is_integer() \
        and abs(value) < 2 ** 53 else value


def summarize(dist: dict) -> dict:
    """``count, mean, std, min, max`` (exact sums; population std) and the 50th, 90th and
    99th percentiles (from the histogram: exact for integers below EXACT_BELOW)."""
    n = dist["count"]
    if not n:
        return {"count": 0}
    mean = dist["sum"] / n
    var = max(dist["sumsq"] / n - mean * mean, 0.0)
    out = {"count": n, "mean": mean, "std": math.sqrt(var), "min": dist["min"],
           "max": dist["max"]}
    for q in (50, 90, 99):
        want, seen = q / 100 * n, 0
        for value, count in dist["hist"]:
            seen += count
            if seen >= want:
                out[f"p{q}"] = value
                break
    return out


# -- one range ---------------------------------------------------------------------------------
@dataclass
class RangeJob:
    """Picklable: what a worker needs to check one range of a run (see the module docstring).

    ``determinism``: split -> indices to make again; ``root_seed`` and ``on_error`` come from
    the manifest (None: no manifest, no determinism check); ``bits``: log2 of the number of
    key partitions."""

    folder: str
    state: str  # the check's state folder
    plan: TaskPlan
    bits: int
    root_seed: int | None = None
    on_error: str = "raise"
    determinism: dict = field(default_factory=dict)
    statistics: bool = True

    def result_file(self, r: Range) -> Path:
        return Path(self.state) / "ranges" / r.split / f"{r.number:05d}.json"

    def keys_file(self, r: Range) -> Path:
        return Path(self.state) / "keys" / r.split / f"{r.number:05d}.keys"

    def __call__(self, r: Range) -> dict:
        from synthset.quality.keys import partition_offsets, range_records, write_records  # numpy

        # the process's own objects (imports: SymPy, numpy, a task's tables) out of the
        # collector's reach while the range's lines are read, as a serial generation does
        # (engine.executors.local): the collections its objects trigger then walk those only
        frozen = not gc.get_freeze_count()
        if frozen:
            gc.freeze()
        try:
            result, digests, indices = self.verify(r)
        finally:
            if frozen:
                gc.unfreeze()
        records = range_records(digests, r.start, indices)
        result["offsets"] = partition_offsets(records, self.bits)
        result["keys"] = int(records.size)
        keys_file = self.keys_file(r)
        keys_file.parent.mkdir(parents=True, exist_ok=True)
        write_records(keys_file, records)
        out = self.result_file(r)
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(out, json.dumps(result, separators=(",", ":")) + "\n")
        return {"split": r.split, "number": r.number, "samples": r.size,
                "failures": len(result["failures"])}

    # -- the loop -------------------------------------------------------------------------
    def verify(self, r: Range):
        # orjson (io.jsonl), numpy (quality.keys): keep --help cheap
        import orjson

        from synthset.io.jsonl import Jsonl

        task, generator = build(self.plan)
        with open(Path(self.folder) / Jsonl().final_names(r.split)[0], "rb") as f:
            f.seek(r.offset)
            data = f.read(r.end - r.offset)
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        failures: list = []
        by_class: Counter = Counter()
        keys: list[bytes] = []
        keyed: list[int] = []
        lengths: dict[str, list] = {}
        stats: dict[str, list] = {}
        columns: dict[tuple, list] = {}  # (category, name) -> its list in stats
        same: list = [None, ()]  # the last statistics object and its (column, value) pairs
        # statistics a task gives as one unchanging object (Problem.STORED_STATISTICS)
        constant = getattr(task, "STORED_STATISTICS", None)
        # a task may say what its statistics are for stored strings more cheaply
        stats_fn = (getattr(task, "stored_statistics", None)
                    or getattr(task, "statistics", None)) if self.statistics else None
        stats_ok = stats_fn is not None
        # or as one tuple a sample, in the order of its STATISTICS_COLUMNS (built-in tasks:
        # numbers only), turned into columns once at the end
        columns_of = getattr(task, "STATISTICS_COLUMNS", None) if stats_ok else None
        values_fn = getattr(task, "stored_statistic_values", None) if columns_of else None
        rows: list[tuple] = []
        # statistics whose first two columns are a token row's lengths (_lengths): its
        # "tokens" and "answer tokens", read from them
        lengths_of_values = values_fn is not None and tuple(columns_of[:2]) == (
            ("row", "length"), ("row", "loss_tokens"))
        # the token rows' two length columns, once they exist (see _lengths)
        token_columns = None
        loads = orjson.loads
        example_of, validate, dedup_key = task.example_of, task.validate_example, task.dedup_key
        row_task = None
        # Whether a token task needs a row's text view (its prompt) for its dedup key and
        # lengths; those that key on the row's own fields do not.
        row_text = getattr(type(task), "dedup_key", None) is Task.dedup_key
        # A token task that makes a row's key while checking it (``checked_key``: the key
        # when every check passes, else None), keyed on the row's own fields.
        checked_key = getattr(task, "checked_key", None) if not row_text else None
        # A pair task that keeps PairTask's own example and checks: its example would only
        # restate the pair (checked as strings above), so the pair goes to ``verifies`` and
        # to the run's own keyer as it is (a third of the cost).
        plain_pairs = isinstance(task, PairTask) and all(
            getattr(type(task), name) is getattr(PairTask, name)
            for name in ("example_of", "validate_example")) and type(task).dedup_key is \
            Task.dedup_key
        verifies = task.verifies if plain_pairs else None

        def fail(index: int, kind: str, message: str) -> None:
            by_class[kind] += 1
            failures.append([index, kind, message[:MESSAGE]])

        def add_stats(args: tuple) -> bool:
            """Add the task's statistics of one sample (``args``: the row, or the pair);
            False when they cannot be made from stored strings (then none are kept)."""
            if values_fn is not None:
                try:
                    rows.append(values_fn(*args))
                except Exception:  # statistics made from objects, not from stored strings
                    return False
                return True
            try:
                values = stats_fn(*args)
                if values is same[0] and values is constant:  # the task's fixed statistics
                    for column, value in same[1]:
                        column.append(value)
                    return True
                kept = []
                for category, numbers in values.items():
                    for name, value in numbers.items():
                        if type(value) is not int and type(value) is not float and (
                                isinstance(value, bool)
                                or not isinstance(value, (int, float))):
                            continue
                        column = columns.get((category, name))
                        if column is None:
                            column = columns[category, name] = stats.setdefault(
                                f"{category}.{name}", [])
                        column.append(value)
                        kept.append((column, value))
                same[:] = values, kept
            except Exception:  # statistics made from objects, not from stored strings
                stats.clear()
                return False
            return True

        if len(lines) != r.size:
            fail(r.start, "format", f"the range holds {len(lines)} lines, expected {r.size}")
        for offset, line in enumerate(lines):
            index = r.start + offset
            try:
                data = loads(line)
            except orjson.JSONDecodeError as exc:
                fail(index, "format", f"line {index + 1} is not valid JSON ({exc})")
                continue
            if type(data) is not dict:
                fail(index, "format", f"line {index + 1} is not a JSON object")
                continue
            if "problem" in data and ("answer" in data or "solution" in data):
                problem = data["problem"]
                answer = data["answer"] if "answer" in data else data["solution"]
                # A string or a flat list of strings is its own check and its text at once
                # (``join`` refuses any other item); anything else goes through
                # check_strings (its FormatError) and text_field.
                prompt = _flat_text(problem) if plain_pairs else None
                answer_text = _flat_text(answer) if prompt is not None else None
                if answer_text is None:
                    try:
                        check_strings(problem)
                        check_strings(answer)
                    except FormatError as exc:
                        fail(index, "format", f"line {index + 1}: {exc}")
                        continue
                record = (problem, answer)
                row = False
                if plain_pairs:
                    if answer_text is None:
                        prompt, answer_text = text_field(problem), text_field(answer)
                    try:
                        if not verifies(problem, answer):
                            fail(index, "wrong", f"the answer does not verify: "
                                                 f"{answer_text[:200]!r}")
                    except Exception as exc:
                        fail(index, "error", f"the verifier raised {_describe(exc)}")
                    # the run's own key (``sample_keyer``'s default for a pair: the problem's
                    # text, whitespace squashed), from the text made above
                    keys.append(text_key(prompt))
                    keyed.append(offset)
                    lengths.setdefault("prompt chars", []).append(len(prompt))
                    lengths.setdefault("answer chars", []).append(len(answer_text))
                    stats_ok = stats_ok and add_stats(record)
                    continue
            elif "input_ids" in data or "text" in data:
                record, row = data, True
                if task.kind != "reasoning":  # rows of a generator that is no built-in task
                    row_task = row_task or RowFormat()
            else:
                fail(index, "format", f"line {index + 1} holds neither 'problem' and "
                                      "'answer' nor a task row")
                continue
            judge = row_task if row and row_task is not None else None
            if row and judge is None and checked_key is not None:
                # the task's verdict and key in one reading: a key only when every check
                # passes; otherwise the steps below say what is wrong
                try:
                    key = checked_key(record)
                except Exception:
                    key = None
                if key is not None:
                    keys.append(bytes.fromhex(key))
                    keyed.append(offset)
                    if lengths_of_values and stats_ok and token_columns is not None \
                            and "input_ids" in record:
                        # the statistics' first two values are the row's two lengths
                        try:
                            values = values_fn(record)
                        except Exception:  # (see add_stats)
                            stats_ok = False
                        else:
                            rows.append(values)
                            token_columns[0].append(values[0])
                            token_columns[1].append(values[1])
                            continue
                    if token_columns is not None and "input_ids" in record:  # (_lengths)
                        token_columns[0].append(len(record["input_ids"]))
                        token_columns[1].append(sum(record.get("loss_mask") or ()))
                    else:
                        for name, value in _lengths(record, row).items():
                            lengths.setdefault(name, []).append(value)
                        if "tokens" in lengths:
                            token_columns = lengths["tokens"], lengths["answer tokens"]
                    if values_fn is None:
                        stats_ok = stats_ok and add_stats((record,))
                    elif stats_ok:
                        try:
                            rows.append(values_fn(record))
                        except Exception:  # (see add_stats)
                            stats_ok = False
                    continue
            try:
                if row and judge is None and not row_text:
                    example = record  # (see row_text)
                else:
                    example = judge.example_of(record) if judge else example_of(record)
            except Exception as exc:  # a record the task cannot read
                fail(index, "format", f"line {index + 1}: {_describe(exc)}")
                continue
            try:
                # A token task's row is validated as it is: its example's prompt and answer
                # are made from it, so comparing them with it again would only repeat work.
                (judge.validate_example if judge else validate)(record if row and judge is None
                                                                 else example)
            except ValidationError as exc:
                fail(index, "wrong", str(exc))
            except Exception as exc:
                fail(index, "error", f"the verifier raised {_describe(exc)}")
            try:
                keys.append(bytes.fromhex((judge.dedup_key if judge else dedup_key)(example)))
                keyed.append(offset)
            except Exception as exc:
                fail(index, "error", f"dedup_key raised {_describe(exc)}")
            for name, value in _lengths(example, row).items():
                lengths.setdefault(name, []).append(value)
            stats_ok = stats_ok and add_stats((record,) if row else record)
        if values_fn is not None and stats_ok and rows:
            for (category, name), column in zip(columns_of, zip(*rows)):
                stats[f"{category}.{name}"] = list(column)
        determinism = self._determinism(r, lines, generator, fail)
        digests = b"".join(keys)
        indices = None if len(keyed) == len(lines) else keyed
        result = {
            "split": r.split, "number": r.number, "start": r.start, "stop": r.stop,
            "samples": len(lines), "failures": failures, "by_class": dict(by_class),
            "lengths": {name: distribution(values) for name, values in lengths.items()},
            "statistics": ({name: distribution(values) for name, values in stats.items()}
                           if stats_ok else None),
            "determinism": determinism,
        }
        return result, digests, indices

    def _determinism(self, r: Range, lines: list, generator, fail) -> dict:
        chosen = [i for i in self.determinism.get(r.split, ()) if r.start <= i < r.stop]
        if not chosen or generator is None or self.root_seed is None:
            return {"checked": 0, "differ": 0}
        differ = 0
        for index in chosen:
            line = lines[index - r.start] + b"\n" if index - r.start < len(lines) else b""
            outcome = remake_matches(generator, self.root_seed, r.split, index, line,
                                     self.on_error)
            if outcome is not True:
                differ += 1
                fail(index, "nondeterministic", outcome)
        return {"checked": len(chosen), "differ": differ}


def remake_matches(generator, root_seed: int, split: str, index: int, line: bytes,
                   on_error: str) -> bool | str:
    """True when sample ``index`` made again gives the stored ``line`` (under ``on_error:
    skip``, a failed sample's replacement from its derived seeds counts); else what differs."""
    seeds = [derive_seed(root_seed, split, index)]
    if on_error == "skip":
        seeds += [replacement_seed(root_seed, split, index, a)
                  for a in range(1, MAX_REPLACEMENTS + 1)]
    first = None
    for seed in seeds:
        try:
            again = encode_line(generator(seed)).encode()
        except Exception as exc:
            first = first or f"made again from its seed, {_failed(exc)}"
            continue
        if again == line:
            return True
        first = first or (f"made again from its seed it is {_clip(again)!r}, stored "
                          f"{_clip(line)!r}")
        if on_error != "skip":
            break
    return first or "it could not be made again"


def encode_line(out) -> str:
    """A generator's output as its line of ``*_data.jsonl`` (what ``driver.job`` writes: a
    result ``pair_of`` refuses there is refused here, in the same words)."""
    from synthset.io.jsonl import Jsonl  # orjson: keeps --help cheap

    if type(out) is dict:
        return Jsonl.encode_row(out)
    problem, answer = pair_of(out)
    return json_line(to_strings(problem), to_strings(answer))


def _failed(exc: Exception) -> str:
    """Why a sample could not be made again: a result that is no pair as ``synthset generate``
    says it, else what the generator raised."""
    if isinstance(exc, NotAPair):
        return str(exc)
    return f"the generator raised {_describe(exc)}"


def _flat_text(obj, join=INNER_SEP.join):
    """``text_field(obj)`` of a string or a flat list of strings, else None (``obj`` is then
    for ``check_strings`` to judge)."""
    if type(obj) is str:
        return obj
    if type(obj) is not list:
        return None
    try:
        return join(obj)
    except TypeError:  # an item that is no string: an inner list, a number...
        return None


def _lengths(example: dict, row: bool) -> dict:
    if row and "input_ids" in example:
        return {"tokens": len(example["input_ids"]),
                "answer tokens": sum(example.get("loss_mask") or ())}
    if row and isinstance(example.get("text"), str):  # text rows (Capo): characters
        return {"characters": len(example["text"])}
    return {"prompt chars": len(example.get("prompt", "")),
            "answer chars": len(example.get("answer", ""))}


def _clip(data) -> str:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
    text = text.rstrip("\n")
    return text if len(text) <= 120 else text[:120] + "..."


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"

