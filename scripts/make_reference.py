"""Write docs/reference/ from the code: the data.yaml options, the commands, the training keys.

Each page is read from the declaration it documents, so it cannot say what the code does not:

- options.md: ``synthset.driver.options.RunOptions`` (each field's ``Option``);
- commands.md: the argparse parser of ``synthset.cli.main`` (walked, never ``--help`` text),
  and the keys of ``conf/inspect_dataset/config.yaml``;
- train.md: ``synthset.train.config.TrainConfig`` (each field's ``option``), the config files
  of ``synthset train`` and ``synthset curves`` (``conf/train``, ``conf/depo_curve``), their
  models and presets, and the task registry.

    python scripts/make_reference.py          # rewrites docs/reference/*.md (make reference)
    python scripts/make_reference.py --check  # exit 1 naming each page that differs

The pages are the same on every machine: declaration order where the code has one, sorted
file names, no absolute path, no terminal width, and defaults as declared (never computed).
tests/test_reference.py keeps the committed pages equal to what this script writes.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import fields
from pathlib import Path

from omegaconf import OmegaConf

import synthset
from synthset.cli.main import _parser
from synthset.driver.options import RunOptions
from synthset.tasks.registry import list_tasks
from synthset.train.config import TrainConfig

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "reference"
CONF = Path(synthset.__file__).resolve().parent / "conf"
HEADER = ("_Generated from the code by `python scripts/make_reference.py` (also `make "
          "reference`); do not edit by hand._")

# The options that change the output bytes through what they build rather than by value
# (driver/options.py's docstring; ``RunSpec.manifest_config`` records what they build).
THROUGH = {
    "num_train_samples": "the run's sizes",
    "num_test_samples": "the run's sizes",
    "save_text": "formats",
    "save_json": "formats",
    "instance_generator": "the generator's identity",
    "problem_generator": "the generator's identity",
    "statistics_calculator": "its identity",
    "task": "the generator's identity",
    "task_config": "the generator's identity",
    "backend": "the built-in task's identity (with `task`)",
}
RECORDED = "recorded in the manifest, a resume must repeat it"

TASK_KEYS = "train.md#tasks"
# What a command's key=value items set, where its parser only sees strings.
OVERRIDES = {
    "synthset generate": "Each `key=value` (or `dataset.key=value`) sets a key of the "
                         "data.yaml's `dataset:` block: [every option](options.md). "
                         "`task.FIELD=value` sets `task_config.FIELD`.",
    "synthset train": "Each `key=value` is a Hydra-style override: [the training keys, tasks, "
                      "models and presets](train.md).",
    "synthset curves": "Each `key=value` is a Hydra-style override: [the training keys, the "
                       "curves' own keys, tasks, models and presets](train.md).",
    "synthset inspect": f"Each `key=value` is a Hydra-style override: `task=NAME` and "
                        f"`task.FIELD=value` ([the task keys]({TASK_KEYS})), and:",
    "synthset export nanogpt": f"`task.FIELD=value`: [the task keys]({TASK_KEYS}).",
    "synthset export hf": f"`task.FIELD=value`: [the task keys]({TASK_KEYS}).",
}
KEYS_TABLE = {"synthset inspect": CONF / "inspect_dataset"}  # a config folder's own keys


def value(v) -> str:
    """A default as written in YAML (flow style), for a code span."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {value(x)}" for k, x in v.items()) + "}"
    return str(v)


def code(text: str) -> str:
    return f"`{text}`" if "`" not in text else f"`` {text} ``"


def cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def table(header: tuple[str, ...], rows: list) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def page(blocks: list[str]) -> str:
    """A page: the generated-file line, then its blocks, a blank line between."""
    return "\n\n".join([HEADER, *(b.rstrip("\n") for b in blocks)]) + "\n"


def label(path: Path) -> str:
    """A config path as the commands name it (``conf/train/preset``): never absolute."""
    return path.relative_to(CONF.parent).as_posix()


# --- config files ------------------------------------------------------------------------

def yaml_comments(path: Path) -> dict[str, str]:
    """Each key's comment in a config file, by dotted key: its inline comment and the comment
    lines under it that continue it (indented, right after)."""
    comments: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    last = None
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"( *)([A-Za-z_]\w*):(.*)", line)
        if m:
            while stack and stack[-1][0] >= len(m[1]):
                stack.pop()
            stack.append((len(m[1]), m[2]))
            last = ".".join(k for _, k in stack)
            comments[last] = m[3].partition("#")[2].strip()
        elif last and comments[last] and re.match(r" +#", line):
            comments[last] += " " + line.strip()[1:].strip()
        else:
            last = None
    return comments


def summary(path: Path) -> str:
    """The first sentence of a config file's leading comment (not ``@package`` lines, not the
    indented command lines)."""
    words = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        if not line.startswith(("# @package", "#  ")):
            words.append(line[1:].strip())
    text = " ".join(words)
    return re.split(r"(?<=\.)\s", text, maxsplit=1)[0] if text else ""


def leaves(node, prefix: str = "") -> dict:
    """A plain config's leaf values by dotted key, in file order."""
    out = {}
    for k, v in node.items():
        if isinstance(v, dict) and v:
            out.update(leaves(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def config(folder: Path) -> tuple[dict, dict]:
    """A command's config.yaml: its groups (``defaults``) and its keys' defaults."""
    plain = OmegaConf.to_container(OmegaConf.load(folder / "config.yaml"))
    groups = {}
    for item in plain.pop("defaults", []):
        if isinstance(item, dict):
            groups.update(item)
    return groups, leaves(plain)


def keys_table(folder: Path, skip=()) -> str:
    """The keys of a command's config.yaml, less its groups' (``task.level``) and ``skip``,
    with their defaults and comments."""
    comments = yaml_comments(folder / "config.yaml")
    groups, defaults = config(folder)
    rows = [(code(k), code(value(v)), comments.get(k, "")) for k, v in defaults.items()
            if k not in skip and k.split(".")[0] not in groups]
    return table(("key", "default", "meaning"), rows) if rows else ""


# --- options.md --------------------------------------------------------------------------

def bytes_note(key: str, declared) -> str:
    if declared.fingerprint:
        return f"yes: {RECORDED}"
    if key in THROUGH:
        return f"yes, through {THROUGH[key]}: {RECORDED}"
    return "no"


def yes(flag: bool) -> str:
    return "yes" if flag else "no"


def options_page() -> str:
    declared = RunOptions.declared()
    defaults = {f.name: f.default for f in fields(RunOptions)}
    blocks = [
        "# data.yaml options",
        "Every key of a data.yaml's `dataset:` block (a file without that block is read as the "
        "block itself). The same keys are the keyword arguments of `DatasetPipeline` and "
        "`DatasetGenerator.run`, and `synthset generate CONFIG key=value` overrides them "
        "([commands](commands.md#synthset-generate)). A key not listed here is an error naming "
        "the accepted ones.",
        "*Changes the output bytes*: the manifest records the value (or what it builds), and a "
        "resume with another value is refused (`resume: false` starts again). *Required*: "
        "CALT's data.yaml requires the key, and so does synthset.",
        table(("key", "default", "changes the output bytes", "required"), [
            (f"[{code(k)}](#{k})", code(value(defaults[k])), yes(bytes_note(k, o) != "no"),
             yes(o.required)) for k, o in declared.items()])]
    for key, o in declared.items():
        accepts = "one of " + ", ".join(code(value(c)) for c in o.choices) if o.choices \
            else o.accepts
        blocks += [f"## {key}", o.why,
                   f"- default: {code(value(defaults[key]))}\n- accepts: {accepts}\n"
                   f"- changes the output bytes: {bytes_note(key, o)}\n"
                   f"- required: {yes(o.required)}"]
    return page(blocks)


# --- commands.md -------------------------------------------------------------------------

def parsers(parser: argparse.ArgumentParser, help_text: str = ""):
    """``(parser, its one-line help)``: this one, then every subcommand's, depth first."""
    yield parser, help_text
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            for name, sub in action.choices.items():
                yield from parsers(sub, helps.get(name, ""))


def formatter(parser: argparse.ArgumentParser) -> argparse.HelpFormatter:
    return argparse.HelpFormatter(parser.prog, width=10_000)  # one line: no terminal width


def usage(parser: argparse.ArgumentParser) -> str:
    f = formatter(parser)
    f.add_usage(parser.usage, parser._actions, parser._mutually_exclusive_groups, prefix="")
    return "usage: " + f.format_help().strip()


def invocation(action: argparse.Action) -> str:
    metavar = action.metavar or (action.dest if not action.option_strings
                                 else action.dest.upper())
    shown = {"*": f"[{metavar} ...]", "+": f"{metavar} [{metavar} ...]", "?": f"[{metavar}]"}
    taken = "" if action.nargs == 0 else shown.get(action.nargs, metavar)
    text = ", ".join(f"{o} {taken}".strip() for o in action.option_strings) or taken
    kind = f" ({action.type.__name__})" if isinstance(action.type, type) else ""
    required = " (required)" if action.option_strings and action.required else ""
    return code(text) + kind + required


def arguments(parser: argparse.ArgumentParser) -> list[str]:
    """The table of a parser's arguments (not -h, not suppressed ones), and its groups."""
    rows = []
    f = formatter(parser)
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)) \
                or action.help == argparse.SUPPRESS:
            continue
        text = f._expand_help(action) if action.help else ""
        if action.choices:
            text += " One of: " + ", ".join(code(str(c)) for c in action.choices) + "."
        default = "" if action.nargs == 0 or action.default in (None, [], argparse.SUPPRESS) \
            else code(value(action.default))
        rows.append((invocation(action), text, default))
    blocks = [table(("argument", "help", "default"), rows)] if rows else []
    for group in parser._mutually_exclusive_groups:
        names = ", ".join(code(a.option_strings[-1]) for a in group._group_actions)
        blocks.append(f"{'Exactly' if group.required else 'At most'} one of {names}.")
    return blocks


def anchor(prog: str) -> str:
    return prog.replace(" ", "-")


def commands_page() -> str:
    seen = set()
    blocks = ["# Commands", "Every command and flag of `synthset`, read from its argument "
              "parser. Every command also takes `-h`/`--help`."]
    for parser, help_text in parsers(_parser()):
        seen.add(parser.prog)
        blocks.append(f"## {parser.prog}")
        if help_text:
            blocks.append(help_text)
        blocks.append(f"```\n{usage(parser)}\n```")
        if parser.description:
            blocks.append(parser.description)
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                helps = {a.dest: a.help or "" for a in action._choices_actions}
                blocks.append(table((action.metavar or action.dest, "help"), [
                    (f"[{code(name)}](#{anchor(sub.prog)})", helps.get(name, ""))
                    for name, sub in action.choices.items()]))
        blocks += arguments(parser)
        if parser.prog in OVERRIDES:
            blocks.append(OVERRIDES[parser.prog])
        if parser.prog in KEYS_TABLE:
            blocks.append(keys_table(KEYS_TABLE[parser.prog]))
    unknown = sorted((set(OVERRIDES) | set(KEYS_TABLE)) - seen)
    if unknown:
        raise SystemExit(f"make_reference.py: no command {', '.join(unknown)}: update "
                         "OVERRIDES or KEYS_TABLE")
    return page(blocks)


# --- train.md ----------------------------------------------------------------------------

COMMANDS = {"synthset train": CONF / "train", "synthset curves": CONF / "depo_curve"}


def _model_row(path: Path) -> tuple:
    settings = ", ".join(f"{k}={value(v)}" for k, v in
                         leaves(OmegaConf.to_container(OmegaConf.load(path))).items())
    return code(path.stem), summary(path), code(settings)


def train_page() -> str:
    train, curves = COMMANDS.values()
    curve_defaults = config(curves)[1]
    blocks = [
        "# Training keys",
        "The `key=value` items of `synthset train` and `synthset curves` "
        "([commands](commands.md#synthset-train)), Hydra-style: `a.b=value` sets a key of the "
        f"command's config file ({code(label(train) + '/config.yaml')}, "
        f"{code(label(curves) + '/config.yaml')}), `group=NAME` picks a file of a group "
        "(`task`, `model`), `+preset=NAME` adds a preset. A key the config file does not hold "
        "is refused, naming the accepted ones (`+a.b=value` adds it).",
        "## Keys of both commands",
        "Declared once, in `synthset.train.config.TrainConfig`; both commands check them the "
        "same way. *curves*: the default in `synthset curves`' config file (—: not in it; "
        "`+key=value` sets it)."]
    rows = []
    for f in fields(TrainConfig):
        o = f.metadata["option"]
        curve = code(value(curve_defaults[o.key])) if o.key in curve_defaults else "—"
        rows.append((code(o.key), code(value(f.default)), curve, o.accepts, o.why))
    blocks.append(table(("key", "default", "curves", "accepts", "meaning"), rows))
    declared = {f.metadata["option"].key for f in fields(TrainConfig)}
    for name, folder in COMMANDS.items():
        own = keys_table(folder, skip=declared)
        if own:
            blocks += [f"## Keys of {name} only", own]
    blocks += [
        "## Tasks",
        "`task=NAME` picks any task `synthset tasks` lists; `task.level=L` its level (1 to 10; "
        "null: the task at its own, full size) and `task.FIELD=value` any of its fields "
        "([the tasks](../tasks.md)). The same words work in `synthset inspect` and `synthset "
        "export`; `synthset generate` reads them into `task_config`."]
    rows = []
    for name, folder in COMMANDS.items():
        groups, defaults = config(folder)
        files = ", ".join(f"{code(p.stem)} ({summary(p)})"
                          for p in sorted((folder / "task").glob("*.yaml")))
        rows.append((name, code(groups["task"]),
                     code(value(defaults["task.level"])) if "task.level" in defaults else "—",
                     files or "none"))
    blocks += [table(("command", "default task", "default task.level", "task files"), rows),
               "—: not set (the task file's values, or the task at its own, full size).",
               "Task names: " + ", ".join(code(n) for n in list_tasks()) + ".",
               "## Models",
               "`model=NAME` picks a model file; `model.KEY=value` sets one of its keys; "
               "`model=PATH` takes a checkpoint folder instead."]
    shared: dict[Path, list] = {}  # one table per model folder (train's links to curves')
    for name, folder in COMMANDS.items():
        shared.setdefault((folder / "model").resolve(), []).append((name, folder))
    for commands in shared.values():
        folder = commands[0][1] / "model"
        defaults = ", ".join(f"{code(config(f)[0]['model'])} ({n})" for n, f in commands)
        blocks += [f"{' and '.join(n for n, _ in commands)} ({code(label(folder))}); "
                   f"default: {defaults}.",
                   table(("model", "description", "keys"),
                         [_model_row(p) for p in sorted(folder.glob("*.yaml"))])]
    blocks += ["## Presets", "`+preset=NAME` sets a tested group of keys at once.",
               table(("command", "description"),
                     [(code(f"{name} +preset={p.stem}"), summary(p))
                      for name, folder in COMMANDS.items()
                      for p in sorted((folder / "preset").glob("*.yaml"))])]
    return page(blocks)


def pages() -> dict[str, str]:
    """Each page's name in docs/reference/ and its text."""
    return {"options.md": options_page(), "commands.md": commands_page(),
            "train.md": train_page()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="name each page that differs from the code instead of writing")
    args = ap.parse_args(argv)
    written = pages()
    if args.check:
        stale = [name for name, text in written.items()
                 if not (OUT / name).is_file() or (OUT / name).read_text("utf-8") != text]
        for name in stale:
            print(f"docs/reference/{name}: stale; run `make reference`")
        return 1 if stale else 0
    OUT.mkdir(parents=True, exist_ok=True)
    for name, text in written.items():
        (OUT / name).write_text(text, encoding="utf-8")
        print(f"wrote docs/reference/{name} ({text.count(chr(10))} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
