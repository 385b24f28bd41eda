"""``synthset export nanogpt|hf`` and ``synthset data new|prepare``."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path

from synthset.core.errors import ConfigError
from synthset.tasks.spec import TaskSpec, note


def add_parsers(sub) -> None:
    exp = sub.add_parser("export", help="export a run (or a task) to nanoGPT or Hugging Face")
    kinds = exp.add_subparsers(dest="kind", metavar="FORMAT", required=True)
    nano = kinds.add_parser(
        "nanogpt", help="data/NAME/{train.bin,val.bin,meta.pkl} (+ meta.json, sidecars)",
        description="SOURCE is a run folder, or a task name with --count and --seed.")
    nano.add_argument("source", help="a run folder, or a task name (task=NAME)")
    nano.add_argument("fields", nargs="*", metavar="task.FIELD=value",
                      help="a task SOURCE's level and fields, e.g. task.level=3 task.N=12")
    nano.add_argument("--name", required=True, help="the data folder's name")
    nano.add_argument("--output-dir", default=None,
                      help="the folder NAME/ is written in (default: data)")
    nano.add_argument("--out", dest="old_out", help=argparse.SUPPRESS)  # older spelling
    nano.add_argument("--overwrite", action="store_true",
                      help="replace an existing export of the same name")
    nano.add_argument("--tokenizer", default="char",
                      help="char (default), task (the task's own ids), or a local Hugging Face "
                           "tokenizer (folder or tokenizer.json)")
    val = nano.add_mutually_exclusive_group()
    val.add_argument("--val-fraction", type=float, help="last fraction of train as val (0.1)")
    val.add_argument("--val-split", help="use this split of the run as val (e.g. test)")
    nano.add_argument("--template", default="{problem} # {answer}\\n",
                      help="text of a problem/answer sample (default: '{problem} # "
                           "{answer}\\n')")
    _source_args(nano)
    hf = kinds.add_parser("hf", help="a datasets-loadable Parquet folder")
    hf.add_argument("source", help="a run folder, or a task name (task=NAME)")
    hf.add_argument("out")
    hf.add_argument("fields", nargs="*", metavar="task.FIELD=value",
                    help="a task SOURCE's level and fields, e.g. task.level=3 task.N=12")
    hf.add_argument("--overwrite", action="store_true",
                    help="replace an existing export in OUT (its Parquet files)")
    hf.add_argument("--prompts", action="store_true",
                    help="columns prompt, answer, example (JSON) and index, for prompting and "
                         "RL trainers (synthset.rewards scores against them)")
    _source_args(hf)

    data = sub.add_parser("data", help="scaffold or prepare a nanoGPT data folder")
    acts = data.add_subparsers(dest="action", metavar="ACTION", required=True)
    new = acts.add_parser("new", help="make data/NAME/ with a working prepare.py")
    new.add_argument("name")
    new.add_argument("--root", default="data")
    prep = acts.add_parser("prepare", help="run data/NAME/prepare.py")
    prep.add_argument("name")
    prep.add_argument("--root", default="data")


def _source_args(p) -> None:
    p.add_argument("--count", type=int, help="samples to generate when SOURCE is a task name")
    p.add_argument("--seed", type=int, default=0, help="stream seed for a task SOURCE")
    p.add_argument("--backend", default=None,
                   help="algebra backend for a problem SOURCE (as task.backend=NAME)")
    p.add_argument("--task-config", nargs="*", default=[], metavar="key=value",
                   help=argparse.SUPPRESS)  # the older spelling of task.FIELD=value


def _source(args) -> tuple[str, dict]:
    """The source and, for a task, its ``task_config`` and backend: ``NAME`` or ``task=NAME``,
    then ``task.level=3 task.N=12`` (``--task-config N=12`` still read, with a note)."""
    source = args.source
    if source.startswith("task=") and not Path(source).exists():
        source = source[len("task="):]
    items = list(args.fields)
    if args.task_config:
        note("--task-config N=12 is now written task.N=12")
        items += [f"task.{item}" if "=" in item else item for item in args.task_config]
    if not items and args.backend is None:
        return source, {}
    if Path(source).is_dir():
        raise ConfigError(f"{' '.join(items) or '--backend'}: a run folder's task is the one "
                          "that made it; task fields are for a task SOURCE")
    spec = TaskSpec.from_items(source, items, backend=args.backend)
    return source, {"task_config": spec.config, "backend": spec.backend or "sympy"}


def _unescape(text: str) -> str:
    """``\\n`` and friends typed on a command line made real; every other character, UTF-8
    ones included, kept as it is (a plain ``unicode_escape`` would garble them)."""
    return text.encode("latin-1", "backslashreplace").decode("unicode_escape")


def _old_out(value):
    if value is not None:
        note("--out is now written --output-dir")
    return value


def run_export(args) -> str:
    """The export, and its one-line summary (or that the folder holds it already)."""
    from synthset.export import export_hf, export_nanogpt  # numpy: keeps --help cheap

    source, task = _source(args)
    common = dict(count=args.count, seed=args.seed, **task)
    started = time.perf_counter()
    if args.kind == "nanogpt":
        output_dir = args.output_dir or _old_out(args.old_out) or "data"
        folder = Path(output_dir) / args.name
        meta = export_nanogpt(source, args.name, out=output_dir, tokenizer=args.tokenizer,
                              val_fraction=args.val_fraction, val_split=args.val_split,
                              template=_unescape(args.template),
                              overwrite=args.overwrite, **common)
        what = f"vocab {meta['vocab_size']} ({meta['dtype']}, tokenizer {meta['tokenizer']})"
    else:
        folder = Path(args.out)
        meta = export_hf(source, folder, prompts=args.prompts, overwrite=args.overwrite,
                         **common)
        n = len(meta["files"])
        what = f"{n} Parquet file{'s' if n != 1 else ''} under {folder / 'data'}, README.md"
    if meta["unchanged"]:
        same = "run" if Path(source).is_dir() else "task, count and seed"
        return f"{folder} is already this export (same {same}, same options); nothing to do"
    splits = ", ".join(f"{split} {st['samples']:,} samples"
                       + (f" ({_amount(st['tokens'])} tokens)" if "tokens" in st else "")
                       for split, st in meta["splits"].items())
    return f"wrote {folder}: {splits}; {what} in {time.perf_counter() - started:.2f} s"


def _amount(n: int) -> str:
    """A count at a glance: 9,876 / 502.6K / 3.2M / 1.5B."""
    if n < 10_000:
        return f"{n:,}"
    size, unit = next((s, u) for s, u in ((10 ** 9, "B"), (10 ** 6, "M"), (10 ** 3, "K"))
                      if n >= s)
    return f"{n / size:.1f}{unit}"


def run_data(args) -> str:
    from synthset.export import plain_name  # numpy: keeps --help cheap

    folder = Path(args.root) / plain_name(args.name, "the data folder name")
    script = folder / "prepare.py"
    if args.action == "new":
        template = resources.files("synthset.templates").joinpath("prepare.py") \
            .read_text(encoding="utf-8")
        if script.exists():
            if script.read_text(encoding="utf-8", errors="replace") == template:
                return f"{script} is already synthset's prepare.py; nothing to do"
            raise ConfigError(f"{script} exists already and was edited; not overwriting it")
        folder.mkdir(parents=True, exist_ok=True)
        script.write_text(template, encoding="utf-8")
        return (f"made {folder}/: put your text in {folder / 'input.txt'}, edit "
                f"{script} if needed, then run `synthset data prepare {args.name}`")
    if not script.exists():
        raise ConfigError(f"{script} not found: run `synthset data new {args.name}` first")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    if done.returncode:
        raise ConfigError(f"{script} failed: {(done.stderr or done.stdout).strip()[-500:]}")
    return done.stdout.strip()
