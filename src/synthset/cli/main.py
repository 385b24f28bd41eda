"""``synthset generate | status``.

Errors a user can cause (a bad key, a missing file, a run folder holding another run, a failing
sample) print one line naming what is wrong and exit with status 2 (1 for a failing sample);
no traceback. ``--help`` imports nothing heavy (docs/design.md, invariant 5).
"""

from __future__ import annotations

import argparse
import errno
import sys

from synthset import __version__
from synthset.cli.check import add_parser as add_check
from synthset.cli.export import add_parsers
from synthset.core.errors import GenerationError, SynthsetError, closest
from synthset.tasks.spec import note


class CommandParser(argparse.ArgumentParser):
    """A command's parser (every subcommand's, the ones cli/export.py and cli/check.py add
    too): an option it does not know is its own error — its usage, and the closest option it
    has — not the top-level usage, and found before a missing required option is reported."""

    def parse_known_args(self, args=None, namespace=None):
        if self._subparsers is None:  # a command's last word: every argument is its own
            self._check_options(args or [])
        namespace, extras = super().parse_known_args(args, namespace)
        if extras and self._subparsers is None:
            extras = self._late_items(namespace, extras)
            if extras:
                self.error(f"unrecognized arguments: {' '.join(extras)}")
        return namespace, extras

    def _late_items(self, namespace, extras: list[str]) -> list[str]:
        """``key=value`` items written after an option (``--count 100 task.N=12``): argparse
        reads a list of positionals in one run, so it leaves these over; they join the list."""
        items = next((a for a in self._actions if a.nargs == "*" and not a.option_strings),
                     None)
        if items is None or not all("=" in x and not x.startswith("-") for x in extras):
            return extras
        setattr(namespace, items.dest, [*(getattr(namespace, items.dest) or []), *extras])
        return []

    def _check_options(self, args: list[str]) -> None:
        known = {s: a for a in self._actions for s in a.option_strings}
        for at, arg in enumerate(args):
            if arg == "--":
                return
            flag = arg.partition("=")[0]
            if not flag.startswith("--") or any(k.startswith(flag) for k in known):
                continue  # a value, or an option argparse reads (its prefixes too)
            shown = {k.lstrip("-"): k for k, a in known.items()
                     if k.startswith("--") and a.help != argparse.SUPPRESS and k != "--help"}
            hint = closest(flag.lstrip("-"), shown)
            if hint:
                self.error(f"unrecognized option {flag} (did you mean {shown[hint]}?)")
            if any(a.metavar == "key=value" for a in self._actions):  # a command of overrides
                value = arg.partition("=")[2] or (args[at + 1] if at + 1 < len(args) else "")
                self.error(f"unrecognized option {flag} (this command's settings are "
                           f"key=value overrides: {flag[2:].replace('-', '_')}={value or '...'})")
            self.error(f"unrecognized option {flag}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="synthset",
        description="Turn seeds into training data: deterministic, parallel, resumable.",
    )
    parser.add_argument("--version", action="version", version=f"synthset {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=CommandParser)

    gen = sub.add_parser(
        "generate", help="generate a dataset from a CALT-style data.yaml",
        description="Generate (or resume) the run a data.yaml describes. Overrides are "
                    "OmegaConf dotlist items: n_jobs=2 or dataset.n_jobs=2.",
    )
    gen.add_argument("config", help="path of a data.yaml with a 'dataset' block")
    gen.add_argument("overrides", nargs="*", metavar="key=value",
                     help="config overrides, e.g. num_train_samples=1000 executor=serial")

    tasks = sub.add_parser("tasks", help="list the built-in tasks, their parameters and levels",
                           description="Every built-in task under its one name, grouped.")
    tasks.add_argument("-v", "--verbose", action="store_true",
                       help="also each parameter's meaning and the levels 1 and 10")

    ins = sub.add_parser(
        "inspect", help="print examples of any task, token by token",
        description="Print examples of a task (Hydra-style overrides, e.g. task=brevo show=2 "
                    "task.level=2 task.qa=true max_tokens=50 tokenizer_name_or_path=PATH). "
                    "Tokens in the loss are green, the rest dim.")
    ins.add_argument("overrides", nargs="*", metavar="key=value")
    ins.add_argument("--no-color", action="store_true", help="plain text, no ANSI colours")

    tr = sub.add_parser("train", help="train a tiny model on a task or a run; a checkpoint",
                        description="Hydra-style overrides, e.g. task=mano task.level=2 "
                                    "train.steps=300 model=recurrent_olmo3, or data=RUN_FOLDER "
                                    "(configs in conf/train/). Writes a checkpoint folder under "
                                    "output_dir and prints its path last.")
    tr.add_argument("overrides", nargs="*", metavar="key=value")
    cu = sub.add_parser("curves", help="Depo hop-learning curves (CSV and PNG)",
                        description="Hydra-style overrides, e.g. +preset=cpu_demo "
                                    "train.steps=400 'eval.hops=[1,2,4]' task=depo2 task.K=16 "
                                    "(configs in conf/depo_curve/); model=CHECKPOINT evaluates "
                                    "a checkpoint's curves without training.")
    cu.add_argument("overrides", nargs="*", metavar="key=value")

    add_parsers(sub)

    ev = sub.add_parser(
        "eval", help="score a model's answers on a run's split (eval.json, eval.png)",
        description="Judge answers with the run's own task: from a predictions file (JSON "
                    "Lines: {\"index\": i, \"answer\": \"...\"}) or a local checkpoint.")
    ev.add_argument("run", help="the run folder")
    ev.add_argument("--split", default="test", help="the split to score (default: test)")
    source = ev.add_mutually_exclusive_group(required=True)
    source.add_argument("--predictions", help="a JSON Lines file of answers by index")
    source.add_argument("--model", help="a local checkpoint folder (extra train)")
    ev.add_argument("--output-dir", help="where eval.json and eval.png go (default: the run "
                                         "folder)")
    ev.add_argument("--out", dest="old_out", help=argparse.SUPPRESS)  # older spelling
    ev.add_argument("--device", default="cpu")
    ev.add_argument("--trust-code", action="store_true",
                    help="import the verifier the run names (its data.yaml's check:); "
                         "importing a module runs its code")

    add_check(sub)

    status = sub.add_parser("status", help="show which shards of a run folder are done")
    status.add_argument("save_dir", help="the run folder (the dataset's save_dir)")
    status.add_argument("--verify", action="store_true",
                        help="also check every finished shard's files (size, rows, hash) and "
                             "the final files; exit 1 if any is damaged")
    return parser


def _old_out(value):
    if value is not None:
        note("--out is now written --output-dir")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        # Each command's module is imported when that command runs (a plugin by name): `synthset
        # --help` and a command's --help import no run driver, check, export or trainer.
        if args.command == "generate":
            from synthset.cli.generate import generate

            generate(args.config, args.overrides)
        elif args.command == "inspect":
            from synthset.cli.inspect import inspect

            print(inspect(args.overrides, color=False if args.no_color else None))
        elif args.command == "train":
            from synthset.cli.train import run_train

            print(run_train(args.overrides))
        elif args.command == "curves":
            from synthset.cli.train import run_curves_cli

            print(run_curves_cli(args.overrides))
        elif args.command == "export":
            from synthset.cli.export import run_export

            print(run_export(args))
        elif args.command == "data":
            from synthset.cli.export import run_data

            print(run_data(args))
        elif args.command == "tasks":
            from synthset.cli.tasks import list_tasks

            print(list_tasks(verbose=args.verbose))
        elif args.command == "eval":
            from synthset.evaluation import evaluate_run
            from synthset.evaluation import table as evaluation_table

            print(evaluation_table(evaluate_run(args.run, args.split, args.predictions, args.model,
                                     args.output_dir or _old_out(args.old_out),
                                     args.device, trust_code=args.trust_code)))
        elif args.command == "check":
            from synthset.cli.check import run_check

            return run_check(args)
        elif args.command == "status":
            from synthset.cli.status import status_report

            text, damaged = status_report(args.save_dir, verify=args.verify)
            print(text)
            if damaged:
                return 1
    except SynthsetError as exc:
        print(f"synthset {args.command}: error: {exc}", file=sys.stderr)
        # An error may say its own status (a worker that died making a shard: 1).
        return getattr(exc, "exit_code", None) or (1 if isinstance(exc, GenerationError) else 2)
    except OSError as exc:
        message, code = os_error(exc)
        print(f"synthset {args.command}: error: {message}", file=sys.stderr)
        return code
    except ImportError as exc:  # a missing optional package: the message carries the fix
        print(f"synthset {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        again = "; run the same command again to resume" \
            if args.command in ("generate", "check") else ""
        print(f"synthset {args.command}: interrupted{again}", file=sys.stderr)
        return 130
    return 0


# Exit statuses: 2 for configuration and usage, 1 for a failed sample, 3 for input/output.
USAGE_ERRNOS = {errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.EEXIST, errno.ENAMETOOLONG}


def os_error(exc: OSError) -> tuple[str, int]:
    """One line and an exit status for an operating-system error: a path that cannot be what
    it is asked to be (2), or a file system that refuses to read or write (3)."""
    where = f" {exc.filename}" if exc.filename else ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return (f"no space left on device{' writing' if where else ''}{where}; free space "
                "and run the same command to resume", 3)
    if exc.errno == errno.EROFS:
        return f"read-only file system:{where}; choose a writable folder", 3
    if exc.errno in USAGE_ERRNOS:
        return f"{exc.strerror}:{where}", 2
    if isinstance(exc, PermissionError):
        return f"permission denied:{where}", 3
    return f"{exc.strerror or exc}:{where} (errno {exc.errno})", 3


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
