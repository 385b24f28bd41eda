"""A library of ready algebra problems: each a task (``synthset.core.task.Task``) whose records
are CALT ``(problem, answer)`` pairs, with a ``statistics`` calculator and an independent
``check(problem, answer)`` verifier.

They are registered with every other built-in task in ``synthset.tasks.registry``:
``synthset.get_task("poly_gcd", backend="flint", field="GF(7)")``. A problem module is imported
only when its problem is asked for.
"""
