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
    exp = sub.add_parser("export", help="export a run (or a task) to nanoGPT, llm.c, Hugging Face, "
                                          "verl or OpenRLHF")
    kinds = exp.add_subparsers(dest="kind", metavar="FORMAT", required=True)
    nano = kinds.add_parser(
        "nanogpt", help="data/NAME/{train.bin,val.bin,meta.pkl} (+ meta.json, sidecars)",
        description="SOURCE is a run folder, or a task name with --count or --tokens (and "
                    "--seed), generated as it is written.")
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
    nano.add_argument("--shard-format", choices=("nanogpt", "llmc"), default="nanogpt",
                      help="nanogpt: train.bin, val.bin, meta.pkl (default); llmc: llm.c and "
                           "modded-nanogpt shards NAME_train_000000.bin ... (a 1 KB header, "
                           "uint16 ids)")
    nano.add_argument("--shard-tokens", metavar="N",
                      help="tokens per llmc shard, e.g. 100M (default), 1e8, 5000")
    nano.add_argument("--tokens", metavar="N",
                      help="for a task SOURCE instead of --count: make samples until they hold "
                           "N tokens of the tokenizer, e.g. 1B (val: the last --val-fraction)")
    nano.add_argument("--n-jobs", type=int, default=-1,
                      help="worker processes generating a task SOURCE (-1: every core, the "
                           "default); the files are the same for any number")
    nano.add_argument("--max-tokens", type=int, default=None, metavar="N",
                      help="leave out (and count) every sample whose prompt and answer "
                           "together are over N tokens: of the --tokenizer PATH, or with "
                           "--tokenizer task the row's own ids")
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
    hf.add_argument("--tokenizer", default=None, metavar="PATH",
                    help="the local Hugging Face tokenizer (a tokenizer.json or a folder "
                         "holding one) --max-tokens counts with")
    hf.add_argument("--max-tokens", type=int, default=None, metavar="N",
                    help="with --tokenizer: leave out (and count) every sample whose prompt "
                         "and answer together are over N tokens")
    _source_args(hf)
    for kind, layout in (("verl", "OUT/{split}.parquet in verl's RL layout (data_source, "
                                  "prompt, ability, reward_model, extra_info)"),
                         ("openrlhf", "OUT/{split}.jsonl in OpenRLHF's prompt layout (input, "
                                      "label)")):
        rl = kinds.add_parser(kind, help=layout, description="SOURCE is a run folder, or a "
                              "task name with --count and --seed; the reward that scores the "
                              "rows: docs/guide/rl-trainers.md")
        rl.add_argument("source", help="a run folder, or a task name (task=NAME)")
        rl.add_argument("out")
        rl.add_argument("fields", nargs="*", metavar="task.FIELD=value",
                        help="a task SOURCE's level and fields, e.g. task.level=3 task.N=12")
        rl.add_argument("--overwrite", action="store_true",
                        help="replace the files of an earlier export in OUT")
        _source_args(rl)

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
        if args.shard_tokens is not None and args.shard_format != "llmc":
            raise ConfigError("--shard-tokens is for --shard-format llmc (nanoGPT's train.bin "
                              "is one file)")
        meta = export_nanogpt(source, args.name, out=output_dir, tokenizer=args.tokenizer,
                              val_fraction=args.val_fraction, val_split=args.val_split,
                              template=_unescape(args.template),
                              overwrite=args.overwrite, shard_format=args.shard_format,
                              shard_tokens=parse_amount(args.shard_tokens or "100M",
                                                        "--shard-tokens"),
                              tokens=None if args.tokens is None else
                              parse_amount(args.tokens, "--tokens"),
                              n_jobs=args.n_jobs, max_tokens=args.max_tokens, **common)
        what = f"vocab {meta['vocab_size']} ({meta['dtype']}, tokenizer {meta['tokenizer']})"
        if args.shard_format == "llmc":
            shards = sum(st["shards"] for st in meta["splits"].values())
            what = f"{shards} llm.c shard{'s' if shards != 1 else ''}; {what}"
    elif args.kind in ("verl", "openrlhf"):
        if args.kind == "verl":
            from synthset.rewards.verl import export_verl as export_rl
        else:
            from synthset.rewards.openrlhf import export_openrlhf as export_rl
        folder = Path(args.out)
        meta = export_rl(source, folder, overwrite=args.overwrite, **common)
        what = ", ".join(Path(f).name for f in meta["files"]) + f" for {args.kind}"
    else:
        folder = Path(args.out)
        meta = export_hf(source, folder, prompts=args.prompts, overwrite=args.overwrite,
                         tokenizer=args.tokenizer, max_tokens=args.max_tokens, **common)
        n = len(meta["files"])
        what = (f"{n} Parquet file{'s' if n != 1 else ''} under {folder / 'data'}, README.md, "
                "croissant.json")
    if meta["unchanged"]:
        same = "run" if Path(source).is_dir() else "task, count and seed"
        return f"{folder} is already this export (same {same}, same options); nothing to do"
    splits = ", ".join(f"{split} {st['samples']:,} samples"
                       + (f" ({_amount(st['tokens'])} tokens)" if "tokens" in st else "")
                       + (f", {st['skipped']:,} over {args.max_tokens} tokens left out"
                          if "skipped" in st else "")
                       for split, st in meta["splits"].items())
    return f"wrote {folder}: {splits}; {what} in {time.perf_counter() - started:.2f} s"


_SUFFIXES = {"K": 10 ** 3, "M": 10 ** 6, "B": 10 ** 9, "G": 10 ** 9, "T": 10 ** 12}


def parse_amount(text: str, flag: str) -> int:
    """A count as people type it: ``5000``, ``100_000``, ``100M``, ``1B``, ``1e9``, ``2.5M``."""
    value = str(text).strip().replace("_", "").replace(",", "")
    scale = _SUFFIXES.get(value[-1:].upper(), 1)
    number = value[:-1] if scale != 1 else value
    try:
        amount = float(number) * scale if any(c in number for c in ".eE") else \
            int(number) * scale
        whole = amount == int(amount)
    except (ValueError, OverflowError):  # not a number; inf
        whole = False
    if not whole or amount < 1:
        raise ConfigError(f"{flag} must be a positive whole number such as 5000, 100M or 1B, "
                          f"got {text!r}")
    return int(amount)


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
