"""``synthset export nanogpt|hf`` and ``synthset data new|prepare``."""

from __future__ import annotations

import subprocess
import sys
from importlib import resources
from pathlib import Path

from synthset.core.errors import ConfigError


def add_parsers(sub) -> None:
    exp = sub.add_parser("export", help="export a run (or a task) to nanoGPT or Hugging Face")
    kinds = exp.add_subparsers(dest="kind", metavar="FORMAT", required=True)
    nano = kinds.add_parser(
        "nanogpt", help="data/NAME/{train.bin,val.bin,meta.pkl} (+ meta.json, sidecars)",
        description="SOURCE is a run folder, or a task name with --count and --seed.")
    nano.add_argument("source")
    nano.add_argument("--name", required=True, help="the data folder's name")
    nano.add_argument("--out", default="data", help="parent folder (default: data)")
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
    hf.add_argument("source")
    hf.add_argument("out")
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
    p.add_argument("--backend", default="sympy", help="algebra backend for a problem SOURCE")
    p.add_argument("--task-config", nargs="*", default=[], metavar="key=value",
                   help="task parameters for a task SOURCE, e.g. N=16 K=4")


def _task_config(items: list[str]) -> dict:
    """``key=value`` items, each value read as plain YAML (no tags: nothing is constructed)."""
    import yaml

    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.isidentifier():
            raise ConfigError(f"--task-config item {item!r} must look like key=value")
        try:
            out[key] = yaml.safe_load(value) if value else None
        except yaml.YAMLError as exc:
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise ConfigError(f"--task-config {key}: {value!r} is not a plain YAML value "
                              f"({problem})") from None
    return out


def run_export(args) -> str:
    from synthset.export import export_hf, export_nanogpt

    common = dict(count=args.count, seed=args.seed, task_config=_task_config(args.task_config),
                  backend=args.backend)
    if args.kind == "nanogpt":
        meta = export_nanogpt(args.source, args.name, out=args.out, tokenizer=args.tokenizer,
                              val_fraction=args.val_fraction, val_split=args.val_split,
                              template=args.template.encode().decode("unicode_escape"),
                              overwrite=args.overwrite, **common)
        folder = Path(args.out) / args.name
        sp = meta["splits"]
        return (f"wrote {folder}: vocab {meta['vocab_size']} ({meta['dtype']}, tokenizer "
                f"{meta['tokenizer']}); train {sp['train']['samples']:,} samples / "
                f"{sp['train']['tokens']:,} tokens, val {sp['val']['samples']:,} samples / "
                f"{sp['val']['tokens']:,} tokens in {meta['seconds']:.2f} s")
    files = export_hf(args.source, args.out, prompts=args.prompts, **common)
    return f"wrote {len(files)} Parquet file(s) under {Path(args.out) / 'data'}"


def run_data(args) -> str:
    from synthset.export import plain_name

    folder = Path(args.root) / plain_name(args.name, "the data folder name")
    script = folder / "prepare.py"
    if args.action == "new":
        if script.exists():
            raise ConfigError(f"{script} exists already; not overwriting it")
        folder.mkdir(parents=True, exist_ok=True)
        script.write_text(resources.files("synthset.templates").joinpath("prepare.py")
                          .read_text(encoding="utf-8"))
        return (f"made {folder}/: put your text in {folder / 'input.txt'}, edit "
                f"{script} if needed, then run `synthset data prepare {args.name}`")
    if not script.exists():
        raise ConfigError(f"{script} not found: run `synthset data new {args.name}` first")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    if done.returncode:
        raise ConfigError(f"{script} failed: {(done.stderr or done.stdout).strip()[-500:]}")
    return done.stdout.strip()
