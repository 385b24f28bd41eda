"""``croissant.json``: the Croissant 1.1 metadata (JSON-LD) of a run folder or an export.

Written beside the dataset card: in a run folder (``runs.card.write_card``) and in a
``synthset export hf`` folder (``write_croissant(out, source)``). It holds

- the dataset's ``name``, ``description``, ``license`` (the run's ``license:``; ``unknown``
  when none was set), ``version`` (synthset's version with the run's fingerprint as semver
  build metadata: the same string for the same bytes), ``datePublished`` (the UTC date the
  newest described file was written: the only field that depends on when) and ``citeAs``;
- ``distribution``: one ``cr:FileObject`` per data file, with its ``sha256``, size and
  ``encodingFormat``;
- one ``cr:RecordSet`` per split, named after it, whose fields (name, ``dataType``, arrays
  as ``isArray``) are extracted from that split's file (``source``: its ``column``);
- the Responsible-AI fields that apply to synthetic data: ``rai:dataCollection`` (the task,
  its level and fields, the generator's code identity, the root seed and the seed rule of
  every split), ``rai:dataCollectionType``, ``rai:dataLimitations``, ``rai:dataBiases``,
  ``rai:personalSensitiveInformation``, ``rai:dataUseCases``.

Which files are described: the Parquet files (``data/{split}-*.parquet``) when there are,
else each split's ``{split}_data.jsonl``; Croissant readers read both. The CALT text files
(``{split}_raw.txt``, ``problem # answer`` a line) and pickles have no Croissant reader, so a
run with neither Parquet nor JSONL gets FileObjects and no record sets, and its description
says so. A JSONL column that is neither a scalar nor a list of scalars (a task row's ``meta``
object, a problem nested two deep) is left out of the record set and named in the description.

Pure JSON writing: the file is checked with ``mlcroissant`` in the tests only. Imports
``core``, ``runs.folder``; pyarrow (a core dependency) only to read a Parquet file's schema.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import sys
from pathlib import Path

from synthset.core.fs import as_path, atomic_write_text
from synthset.runs.folder import RunFolder

CROISSANT = "croissant.json"
SIDE = ".synthset/card.json"  # what the run's card keeps (runs/card.py): license, task config
HASHES = ".synthset/croissant-hashes.json"  # the files' sha256 by size and mtime (_Hashes)
CONFORMS_TO = "http://mlcommons.org/croissant/1.1"
SEED_RULE = 'int.from_bytes(sha256(f"{root_seed}_{split}_{index}".encode()).digest()[:16], "big")'
# The JSON-LD context of Croissant 1.1 (as mlcroissant writes it) plus the RAI vocabulary.
CONTEXT = {
    "@language": "en", "@vocab": "https://schema.org/", "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs", "column": "cr:column", "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn", "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"}, "dct": "http://purl.org/dc/terms/",
    "examples": {"@id": "cr:examples", "@type": "@json"}, "extract": "cr:extract",
    "equivalentProperty": "cr:equivalentProperty", "field": "cr:field",
    "fileProperty": "cr:fileProperty", "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet", "format": "cr:format", "includes": "cr:includes",
    "isArray": "cr:isArray", "isLiveDataset": "cr:isLiveDataset", "jsonPath": "cr:jsonPath",
    "key": "cr:key", "md5": "cr:md5", "parentField": "cr:parentField", "path": "cr:path",
    "recordSet": "cr:recordSet", "references": "cr:references", "regex": "cr:regex",
    "repeated": "cr:repeated", "replace": "cr:replace", "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/", "separator": "cr:separator", "source": "cr:source",
    "subField": "cr:subField", "transform": "cr:transform",
}
PARQUET, JSONL, TEXT = "application/x-parquet", "application/jsonlines", "text/plain"
# How many JSONL lines the column types are read from.
TYPE_LINES = 100


def write_croissant(out, source=None, folder=None, preprocessing: str | None = None
                    ) -> Path | None:
    """Write ``out/croissant.json``; returns its path (None: nothing known to describe).

    ``source``: an export's source (``export.Source``: its run ``folder``, or for a task its
    ``spec``, ``fingerprint``, ``seed`` and ``sizes``) when ``out`` is an export's folder,
    whose Parquet files are described; else ``out`` is a run folder (or ``folder`` the run
    ``out`` describes) and its own files are. ``preprocessing``: what an export did to the
    samples (e.g. "samples over 512 tokens under tokenizer X left out: 12 of train"), as
    ``rai:dataPreprocessingProtocol``.
    """
    out = as_path(out)
    if not isinstance(out, Path):  # an fsspec URL: its files are not hashed from here
        return None
    run_folder = getattr(source, "folder", None) if source is not None else (folder or out)
    if run_folder is not None:
        manifest = RunFolder(run_folder).manifest
        side = _side(as_path(run_folder))
    else:
        manifest, side = _task_manifest(source)
    if manifest is None:
        return None
    layout = "parquet" if source is not None else None
    hashes = _Hashes(out if source is None else None)
    meta = metadata(out, manifest, side, layout, export=source is not None, hashes=hashes)
    if preprocessing:
        meta["rai:dataPreprocessingProtocol"] = preprocessing
    hashes.save()
    target = out / CROISSANT
    text = json.dumps(meta, indent=1, ensure_ascii=False) + "\n"
    try:
        found = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        found = None
    except (OSError, UnicodeDecodeError):
        found = ""
    if found == text:
        return target
    if found is not None and not _is_ours_text(found):
        print(f"synthset: {target} is not synthset's Croissant file: left as it is",
              file=sys.stderr)
        return None
    atomic_write_text(target, text)
    return target


def is_ours(path) -> bool:
    """Whether ``path`` is a ``croissant.json`` synthset wrote (False when there is none):
    what ``resume: false`` may remove."""
    try:
        return _is_ours_text(as_path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return False


def _is_ours_text(text: str) -> bool:
    """Whether a ``croissant.json``'s text is one synthset wrote (its keywords name
    synthset); a user's own is never overwritten."""
    try:
        meta = json.loads(text)
    except ValueError:
        return False
    return isinstance(meta, dict) and isinstance(meta.get("keywords"), list) \
        and "synthset" in meta["keywords"]


def _side(folder: Path) -> dict:
    try:
        side = json.loads((folder / SIDE).read_text())
    except (OSError, ValueError):
        return {}
    return side if isinstance(side, dict) else {}


def _task_manifest(source) -> tuple[dict | None, dict]:
    """What a run of the exported task would record (the export's card says the same)."""
    spec = getattr(source, "spec", None)
    if spec is None:
        return None, {}
    from synthset.core.identity import callable_identity

    task = spec.build()
    version = _synthset_version()
    manifest = {"fingerprint": source.fingerprint, "task": spec.record(),
                "config": {"sizes": dict(source.sizes),
                           "instance_generator": callable_identity(task),
                           "root_seed": source.seed},
                "versions": {"synthset": version}}
    return manifest, {"license": None, "kind": task.kind,
                      "task_config": task.describe()["config"]}


def _synthset_version() -> str:
    """synthset's version as the export records it (the package's metadata)."""
    from importlib import metadata

    try:
        return metadata.version("synthset")
    except metadata.PackageNotFoundError:  # a source tree that was never installed
        return "unknown"


# -- the metadata --------------------------------------------------------------------------
def metadata(root: Path, manifest: dict, side: dict, layout: str | None = None,
             export: bool = False, hashes=None) -> dict:
    """The Croissant JSON-LD of the files in ``root`` made by the run ``manifest`` records."""
    config = manifest["config"]
    task = manifest.get("task") or {}
    sizes = dict(config["sizes"])
    version = str((manifest.get("versions") or {}).get("synthset") or "0.0.0")
    fingerprint = str(manifest.get("fingerprint") or "")
    name = task.get("name") or _generator_name(config)
    files, encoding = described_files(root, sizes, config, layout)
    left_out: list[str] = []
    hashes = hashes or _Hashes(None)
    distribution, record_sets, dates = [], [], []
    for split, paths in files.items():
        columns, skipped = _columns(root / paths[0], encoding)
        left_out += [f"{split}.{c}" for c in skipped]
        for path in paths:
            distribution.append(_file_object(root, path, encoding, hashes))
            dates.append((root / path).stat().st_mtime)
        if len(paths) > 1:  # a split cut into several Parquet files: one FileSet over them
            distribution.append({"@type": "cr:FileSet", "@id": f"{split}-files",
                                 "name": f"{split}-files", "encodingFormat": encoding,
                                 "includes": f"data/{split}-*.parquet"})
        record_sets.append(_record_set(split, paths, columns))
    for path in _other_files(root, sizes, config, layout):
        distribution.append(_file_object(root, path, TEXT, hashes))
        dates.append((root / path).stat().st_mtime)
    what = f"the built-in task {task['name']}" if task.get("name") else \
        f"the generator {config.get('instance_generator')}"
    total = sum(sizes.values())
    description = (
        f"Synthetic data made by synthset {version} from {what}: {total:,} samples in "
        f"{len(sizes)} split{'s' if len(sizes) != 1 else ''} ("
        + ", ".join(f"{s}: {n:,}" for s, n in sizes.items()) + "). Every file is "
        "deterministic: the same configuration makes the same bytes.")
    if not record_sets:
        description += (" This folder holds no Parquet or JSONL files, which Croissant readers "
                         "read; its CALT text files (problem # answer a line) are listed as "
                         "files only.")
    elif encoding == JSONL:
        description += " The record sets read each split's JSONL file."
    if left_out:
        description += (" Not described as fields (nested deeper than a list of values): "
                        + ", ".join(left_out) + ".")
    meta = {
        "@context": CONTEXT, "@type": "sc:Dataset", "name": name,
        "description": description, "conformsTo": CONFORMS_TO,
        "license": side.get("license") or "unknown",
        "version": _semver(version, fingerprint),
        "citeAs": _cite(name, version, fingerprint),
        "keywords": ["synthetic", "synthset", *([task["name"]] if task.get("name") else [])],
        "isAccessibleForFree": True,
    }
    if dates:
        meta["datePublished"] = datetime.datetime.fromtimestamp(
            max(dates), datetime.timezone.utc).strftime("%Y-%m-%d")
    meta.update(_rai(manifest, side, export))
    meta["distribution"] = distribution
    if record_sets:
        meta["recordSet"] = record_sets
    return meta


def _generator_name(config: dict) -> str:
    generator = str(config.get("instance_generator") or "generator")
    return generator.partition("@")[0].rpartition(".")[2] or "generator"


def _semver(version: str, fingerprint: str) -> str:
    """``MAJOR.MINOR.PATCH+fingerprint``: Croissant's version is semantic; the build metadata
    tells apart two datasets the same synthset made."""
    core = re.match(r"\d+(\.\d+){0,2}", version)
    parts = (core.group(0) if core else "0").split(".")
    parts += ["0"] * (3 - len(parts))
    # a run's fingerprint is hex; an exported task's is its spelled-out source: its hash then
    build = fingerprint if re.fullmatch(r"[0-9A-Za-z-]*", fingerprint) else \
        hashlib.sha256(fingerprint.encode()).hexdigest()[:16]
    return ".".join(str(int(p)) for p in parts) + (f"+{build}" if build else "")


def _cite(name: str, version: str, fingerprint: str) -> str:
    key = re.sub(r"\W", "_", f"{name}_{fingerprint}")
    return (f"@misc{{{key},\n  title = {{{name}: synthetic data made by synthset}},\n"
            f"  note = {{synthset {version}, fingerprint {fingerprint}}}\n}}")


def described_files(root: Path, sizes: dict, config: dict, layout: str | None
                    ) -> tuple[dict, str | None]:
    """``({split: [relative paths]}, encodingFormat)``: each split's Parquet files when
    there are, else its JSONL file, else none."""
    formats = set(config.get("formats") or ("text", "json"))
    if layout == "parquet" or "parquet" in formats:
        found = {s: _parquet_files(root, s) for s in sizes}
        if all(found.values()):
            return found, PARQUET
    if "json" in formats and layout != "parquet":
        found = {s: [f"{s}_data.jsonl"] for s in sizes}
        if all((root / p[0]).is_file() for p in found.values()):
            return found, JSONL
    return {}, None


def _parquet_files(root: Path, split: str) -> list[str]:
    pattern = re.compile(re.escape(split) + r"-\d{5}-of-\d{5}\.parquet")
    data = root / "data"
    if not data.is_dir():
        return []
    return sorted(f"data/{p.name}" for p in data.iterdir() if pattern.fullmatch(p.name))


def _other_files(root: Path, sizes: dict, config: dict, layout) -> list[str]:
    """The CALT text files of a run folder (listed, not described as records)."""
    if layout == "parquet" or "text" not in set(config.get("formats") or ("text", "json")):
        return []
    return [f"{s}_raw.txt" for s in sizes if (root / f"{s}_raw.txt").is_file()]


def _file_id(path: str) -> str:
    return path.replace("/", "_")


class _Hashes:
    """The sha256 of a run folder's files, kept in ``.synthset/croissant-hashes.json`` by
    (size, modification time): a finished run resumed, or checked again, does not read its
    files again. ``folder`` None: nothing kept (an export's folder)."""

    def __init__(self, folder: Path | None):
        self.path = folder / HASHES if folder is not None and (folder / ".synthset").is_dir() \
            else None
        self.known, self.used = {}, {}
        if self.path is not None:
            try:
                known = json.loads(self.path.read_text())
                self.known = known if isinstance(known, dict) else {}
            except (OSError, ValueError):
                pass

    def sha256(self, root: Path, path: str) -> tuple[str, int]:
        stat = (root / path).stat()
        key = [stat.st_size, stat.st_mtime_ns]
        old = self.known.get(path)
        if isinstance(old, list) and len(old) == 3 and old[:2] == key:
            self.used[path] = old
            return old[2], stat.st_size
        h = hashlib.sha256()
        with open(root / path, "rb") as f:
            while block := f.read(1 << 20):
                h.update(block)
        self.used[path] = [*key, h.hexdigest()]
        return h.hexdigest(), stat.st_size

    def save(self) -> None:
        if self.path is not None and self.used != self.known:
            atomic_write_text(self.path, json.dumps(self.used, sort_keys=True) + "\n")


def _file_object(root: Path, path: str, encoding: str, hashes: _Hashes) -> dict:
    digest, size = hashes.sha256(root, path)
    return {"@type": "cr:FileObject", "@id": _file_id(path), "name": path,
            "contentUrl": path, "contentSize": f"{size} B", "encodingFormat": encoding,
            "sha256": digest}


def _record_set(split: str, paths: list[str], columns: list[tuple[str, str, bool]]) -> dict:
    origin = {"fileObject": {"@id": _file_id(paths[0])}} if len(paths) == 1 else \
        {"fileSet": {"@id": f"{split}-files"}}
    fields = []
    for column, kind, is_array in columns:
        field = {"@type": "cr:Field", "@id": f"{split}/{column}", "name": column,
                 "dataType": kind, "source": {**origin, "extract": {"column": column}}}
        if is_array:
            field["isArray"] = True
            field["arrayShape"] = "-1"
        fields.append(field)
    record_set = {"@type": "cr:RecordSet", "@id": split, "name": split,
                  "description": f"The samples of split {split}, in index order.",
                  "field": fields}
    return record_set


# -- column types --------------------------------------------------------------------------
def _columns(path: Path, encoding: str) -> tuple[list[tuple[str, str, bool]], list[str]]:
    """``([(column, dataType, is_array)], [columns left out])`` of a data file."""
    if encoding == PARQUET:
        return _parquet_columns(path)
    return _jsonl_columns(path)


def _parquet_columns(path: Path):
    import pyarrow.parquet as pq  # a core dependency, imported when a schema is read

    columns, skipped = [], []
    for field in pq.read_schema(path):
        kind, is_array = _arrow_type(field.type)
        if kind is None:
            skipped.append(field.name)
        else:
            columns.append((field.name, kind, is_array))
    return columns, skipped


def _arrow_type(t) -> tuple[str | None, bool]:
    import pyarrow as pa

    if pa.types.is_list(t) or pa.types.is_large_list(t):
        kind, nested = _arrow_type(t.value_type)
        return (kind, True) if kind and not nested else (None, False)
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "sc:Text", False
    if pa.types.is_boolean(t):
        return "sc:Boolean", False
    if pa.types.is_integer(t):
        return "sc:Integer", False
    if pa.types.is_floating(t):
        return "sc:Float", False
    return None, False


_SCALARS = {bool: "sc:Boolean", int: "sc:Integer", float: "sc:Float", str: "sc:Text"}


def _value_type(value) -> tuple[str | None, bool]:
    if isinstance(value, list):
        types = set(map(type, value))
        if len(types) == 1 and (kind := _SCALARS.get(types.pop())):
            return kind, True  # a list of one scalar type (a token row's ids) at once
        kinds = {_value_type(v) for v in value}
        if len(kinds) == 1:
            kind, nested = kinds.pop()
            return (kind, True) if kind and not nested else (None, False)
        return (None, False) if kinds else ("", True)  # an empty list: any kind
    if isinstance(value, bool):
        return "sc:Boolean", False
    if isinstance(value, int):
        return "sc:Integer", False
    if isinstance(value, float):
        return "sc:Float", False
    if isinstance(value, str):
        return "sc:Text", False
    return None, False


def _jsonl_columns(path: Path):
    """The columns of a JSONL file, typed from its first TYPE_LINES lines: a column whose
    values are of one scalar type, or lists of one; any other is left out."""
    seen: dict[str, set] = {}
    order: list[str] = []
    with open(path, "rb") as f:
        for n, line in enumerate(f):
            if n >= TYPE_LINES:
                break
            if not line.strip():
                continue
            row = json.loads(line)
            if not isinstance(row, dict):
                return [], []
            for key, value in row.items():
                if key not in seen:
                    seen[key] = set()
                    order.append(key)
                seen[key].add(_value_type(value))
    columns, skipped = [], []
    for key in order:
        kinds = seen[key] - {("", True)}
        if len(kinds) == 1 and next(iter(kinds))[0]:
            kind, is_array = kinds.pop()
            if ("", True) in seen[key] and not is_array:
                skipped.append(key)
                continue
            columns.append((key, kind, is_array))
        else:
            skipped.append(key)
    return columns, skipped


# -- Responsible AI ------------------------------------------------------------------------
def _rai(manifest: dict, side: dict, export: bool) -> dict:
    config = manifest["config"]
    task = manifest.get("task") or {}
    sizes = config["sizes"]
    if task.get("name"):
        fields = side.get("task_config") or task.get("config") or {}
        level = fields.get("level", (task.get("config") or {}).get("level"))
        what = (f"the built-in synthset task {task['name']}"
                + (f" at level {level}" if level is not None else "")
                + (f" on the {task['backend']} backend" if task.get("backend")
                   and side.get("kind") == "algebra" else "")
                + " with the fields " + json.dumps(fields, sort_keys=True))
    else:
        what = f"the user's generator {manifest.get('generator') or 'function'}"
    collection = (
        f"Generated, not collected: every sample was made by {what}, code identity "
        f"{config.get('instance_generator')} (qualified name @ hash of its code), from a seed "
        f"alone. Root seed {config.get('root_seed')}; the sample of index i in split s comes "
        f"from the seed {SEED_RULE.replace('{split}', '{s}').replace('{index}', '{i}')}, "
        "different for every split and index (splits: " + ", ".join(
            f"{s} with {n:,} samples" for s, n in sizes.items()) + ")."
        + (" A sample that failed or whose problem another took was replaced by the one of "
           "the seed with #retry{attempt} appended." if config.get("on_error") == "skip"
           or config.get("dedup") in ("splits", "all") else "")
        + f" Run fingerprint {manifest.get('fingerprint')}; the same configuration makes the "
        "same bytes.")
    if export:
        collection += " These files are a Parquet export of those samples."
    return {
        "rai:dataCollection": collection,
        "rai:dataCollectionType": "Synthetic data",
        "rai:dataCollectionRawData": "None: the samples are made by a program from seeds.",
        "rai:dataLimitations": (
            "The samples follow the distribution the generator and its parameters define, "
            "not any natural distribution of problems or text: a model trained on them learns "
            "that law and may not transfer beyond it (other sizes, levels, notations or "
            "wording). Answers are as correct as the generator and its verifier."),
        "rai:dataBiases": (
            "No human or demographic data is involved. The biases are the generator's: its "
            "choice of problem sizes, value ranges, vocabulary and templates, which over- or "
            "under-represent kinds of problems relative to any real use."),
        "rai:personalSensitiveInformation": (
            "None: every value is made by a program from a seed; no personal data was "
            "collected or used."),
        "rai:dataUseCases": (
            "Training and evaluating models on the task's problems (supervised training, "
            "reinforcement learning with the task's verifier as reward), and measuring "
            "learnability."),
    }
