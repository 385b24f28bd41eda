"""``synthset tasks``: every built-in task, grouped, with its parameters, defaults and levels.

Needs no algebra backend: an algebra problem is listed where SymPy is not installed.
"""

from __future__ import annotations

import textwrap

from synthset.tasks.registry import REGISTRY, describe

GROUPS = (("algebra", "Computer algebra (data.yaml: task: NAME, backend: sympy | flint | "
                      "sagemath)"),
          ("reasoning", "Reasoning tasks (Physics of Language Models)"))


def list_tasks(verbose: bool = False) -> str:
    lines = ["Built-in tasks. Use the same name everywhere: data.yaml `task: NAME` (with "
             "`task_config: {level: 1..10, FIELD: value}`), `synthset inspect task=NAME`, "
             "`synthset train task=NAME`, `synthset export nanogpt NAME`."]
    for kind, title in GROUPS:
        lines += ["", title + ":"]
        for name, spec in REGISTRY.items():
            if spec.kind != kind:
                continue
            d = describe(name)
            where = f"  [{', '.join(d['backends'])}]" if d["backends"] else ""
            lines.append(f"  {name:<22} {d['summary']}{where}")
            if spec.preset:
                lines.append(f"  {'':<22} preset of {d['family']}: "
                             + ", ".join(f"{k}={v!r}" for k, v in spec.preset.items()))
                continue
            params = ", ".join(f"{f['name']}={f['value']!r}" for f in d["fields"])
            for text in textwrap.wrap(params, 72):
                lines.append(f"  {'':<22} {text}")
            if verbose:
                for f in d["fields"]:
                    if f["doc"]:
                        lines.append(f"  {'':<24}{f['name']}: {f['doc']}")
                lv = d["levels"]
                lines.append(f"  {'':<22} levels: 1 = {_fields(lv[1])}; 10 = {_fields(lv[10])}")
    lines += ["", "Task libraries (pip extras rg and rcore; names, fields and levels in "
                  "docs/guide/task-libraries.md):",
              "  rg/NAME                every reasoning-gym dataset, e.g. rg/chain_sum, "
              "rg/shortest_path",
              "  rcore/NAME             every reasoning-core task, e.g. rcore/arithmetics"]
    return "\n".join(lines)


def _fields(fields: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in fields.items()) or "the defaults"
