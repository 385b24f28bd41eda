"""``synthset tasks``: the built-in tasks, their parameters and defaults."""

from __future__ import annotations

import dataclasses


def list_tasks() -> str:
    from synthset.algebra.problems import PROBLEMS, problem_class

    lines = ["built-in tasks (data.yaml: task: NAME, task_config: {param: value}, backend: ...):"]
    for name in sorted(PROBLEMS):
        cls = problem_class(name)
        doc = (cls.__doc__ or "").strip().splitlines()[0]
        params = ", ".join(f"{f.name}={f.default!r}" for f in dataclasses.fields(cls)
                           if f.name != "backend")
        lines.append(f"  {name:<22} {doc}")
        if params:
            lines.append(f"  {'':<22} {params}")
    return "\n".join(lines)
