"""How a run recognises "the same generator" when it is resumed, and how YAML names one
(standard library only: the driver, the run reader and the check all use it)."""

from __future__ import annotations

import hashlib
import importlib
import pickle
import sys
from pathlib import Path

from synthset.core.errors import ConfigError


def callable_identity(fn) -> str | None:
    """``qualname@hash``: the hash covers a function's bytecode and constants *and* the source
    of the module that defines it, so an edited generator — or a changed module constant or
    helper beside it — is noticed; for other callables (task objects), their state in a
    canonical form (mappings sorted: the order fields were given in never matters) and their
    class's module source. The module's name is not part of it: the same code is the
    same generator whether it ran as ``__main__`` or was imported as ``generator``."""
    if fn is None:
        return None
    code = getattr(fn, "__code__", None)
    h = hashlib.sha256()
    if code is not None:
        _hash_code(code, h)
        _hash_source(code.co_filename, h)
        for path in helper_files(fn):  # the user's own modules it uses (none: as before)
            _hash_source(path, h)
        return f"{getattr(fn, '__qualname__', '?')}@{h.hexdigest()[:12]}"
    h.update(repr(canonical(fn)).encode())
    module = sys.modules.get(type(fn).__module__)
    _hash_source(getattr(module, "__file__", None), h)
    return f"{type(fn).__qualname__}@{h.hexdigest()[:12]}"


# Modules whose code is not the user's: the standard library, installed packages, synthset.
def _installed_roots() -> tuple[str, ...]:
    import site
    import sysconfig

    paths = sysconfig.get_paths()
    roots = {paths.get(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    roots.update(getattr(site, "getsitepackages", list)())
    roots.add(getattr(site, "getusersitepackages", lambda: None)())
    roots.add(str(Path(__file__).resolve().parents[1]))  # the synthset package
    return tuple(sorted(str(Path(r).resolve()) + "/" for r in roots if r))


MAX_HELPER_MODULES = 200


def own_modules() -> list:
    """The imported modules that are the user's own code (a ``.py`` file outside the standard
    library, the installed packages and synthset), ``__main__`` aside: what an executor on
    another machine ships by value rather than importing by name there."""
    roots = _installed_roots()
    found = []
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if name != "__main__" and path and path.endswith(".py") \
                and not str(Path(path).resolve()).startswith(roots):
            found.append(module)
    return found


def helper_files(fn) -> list[str]:
    """The source files, besides its own module's, of the code that makes ``fn``'s samples:
    the modules its module uses (modules it imported, or the modules of the functions and
    classes it holds), and theirs in turn, that are the user's own — outside the standard
    library, the installed packages and synthset. Sorted; an edit to any of them changes the
    generator's identity, so a resume after it is refused."""
    start = sys.modules.get(getattr(fn, "__module__", None) or "")
    own = getattr(start, "__file__", None)
    if start is None or not own:
        return []
    roots = _installed_roots()
    seen, todo, files = {id(start)}, [start], set()
    while todo and len(seen) < MAX_HELPER_MODULES:
        module = todo.pop()
        for value in list(vars(module).values()):
            if isinstance(value, type(sys)):
                used = value
            else:
                used = sys.modules.get(getattr(value, "__module__", None) or "")
            if used is None or id(used) in seen:
                continue
            seen.add(id(used))
            path = getattr(used, "__file__", None)
            if not path or not path.endswith(".py"):
                continue
            resolved = str(Path(path).resolve())
            if resolved.startswith(roots):
                continue
            files.add(resolved)
            todo.append(used)
    files.discard(str(Path(own).resolve()))
    return sorted(files)


def code_hashes(fn) -> dict[str, str]:
    """``{file: sha256 prefix}`` of the files a generator function's identity covers (its
    module and its helper modules), for a manifest: a refused resume names the files that
    changed. Empty for other callables."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return {}
    out = {}
    for path in [code.co_filename, *helper_files(fn)]:
        h = hashlib.sha256()
        _hash_source(path, h)
        out[path] = h.hexdigest()[:12]
    return out


def canonical(obj, _stack: tuple = ()):
    """``obj`` as nested tuples of plain values, the same for equal state however it was
    built: mappings and sets sorted, objects as their class and attributes. (Pickled bytes
    are not: they depend on which equal strings are the same object.)"""
    if obj is None or isinstance(obj, (bool, int, float, str, bytes)):
        return obj
    if id(obj) in _stack:
        return "<cycle>"
    stack = (*_stack, id(obj))
    if isinstance(obj, dict):
        return ("dict", tuple(sorted(((repr(canonical(k, stack)), canonical(v, stack))
                                      for k, v in obj.items()), key=lambda kv: kv[0])))
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, tuple(canonical(v, stack) for v in obj))
    if isinstance(obj, (set, frozenset)):
        return ("set", tuple(sorted(repr(canonical(v, stack)) for v in obj)))
    name = f"{type(obj).__module__}.{type(obj).__qualname__}"
    # What pickling would keep (``__getstate__``: caches a class leaves out stay out).
    getstate = getattr(obj, "__getstate__", None)
    try:
        state = getstate() if getstate is not None else getattr(obj, "__dict__", None)
    except (AttributeError, TypeError):  # a Sage Integer's __getstate__ asks for a __dict__
        state = None
    if state is None:
        try:  # a value without attributes (an enum member, a compiled pattern, ...)
            return (name, pickle.dumps(obj, protocol=4))
        except Exception:
            return (name, repr(obj))
    return (name, canonical(state, stack))


def _hash_code(code, h) -> None:
    h.update(code.co_code)
    h.update(repr(code.co_names).encode())
    for const in code.co_consts:
        if hasattr(const, "co_code"):
            _hash_code(const, h)
        else:
            h.update(repr(const).encode())


def _hash_source(filename: str | None, h) -> None:
    """Add the source of the module in ``filename``: the file's bytes, or what linecache holds
    for code without a file (a notebook cell); nothing for ``-c`` code or a REPL line."""
    if not filename:
        return
    try:
        with open(filename, "rb") as f:
            h.update(f.read())
        return
    except OSError:
        pass
    import linecache

    h.update("".join(linecache.getlines(filename)).encode())


def resolve_callable(spec: str, key: str, search_dirs=()):
    """Import ``module:function`` (``module.sub:Class.method`` works too) named by config key
    ``key`` (checked to have that form by RunOptions). ``search_dirs`` are put on sys.path
    first (the config file's folder, the cwd)."""
    module_name, _, attr = spec.partition(":")
    folders = []
    for folder in search_dirs:
        folder = str(Path(folder).resolve())
        folders.append(folder)
        if folder not in sys.path:
            sys.path.insert(0, folder)
    _forget_other_projects(module_name.partition(".")[0], folders)
    try:
        obj = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"{key}: cannot import module {module_name!r} ({exc})") from None
    _remember_project(module_name.partition(".")[0], folders)
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ConfigError(f"{key}: module {module_name!r} has no {attr!r}") from None
    if not callable(obj):
        raise ConfigError(f"{key}: {spec!r} is not callable")
    return obj


# A module a config named, imported from a config's folder (or the current one): its top-level
# name -> the file it was read from. A later config naming the same module from another folder
# (two projects each with a ``generator.py``, run one after the other in one process) gets its
# own folder's, not the one imported first.
_PROJECTS: dict[str, str] = {}


def _found_in(top: str, folders: list[str]) -> str | None:
    """The file of top-level module ``top`` in the first of ``folders`` (in sys.path's order)
    that holds it, if any does."""
    from importlib.machinery import PathFinder

    ordered = [p for p in sys.path if p in folders]
    spec = PathFinder.find_spec(top, ordered)
    return getattr(spec, "origin", None) if spec is not None else None


def _forget_other_projects(top: str, folders: list[str]) -> None:
    """Drop ``top`` (and its submodules) from sys.modules when a config imported it from
    another folder than these ``folders`` hold it in, and put these folders first on sys.path:
    the import that follows reads this config's file. Modules no config imported are left
    alone."""
    before = _PROJECTS.get(top)
    if before is None or top not in sys.modules:
        return
    here = _found_in(top, folders)
    if here is None or str(Path(here).resolve()) == before:
        return
    for folder in reversed(folders):  # these folders first, in their order
        sys.path.remove(folder)
        sys.path.insert(0, folder)
    for name in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
        del sys.modules[name]
    importlib.invalidate_caches()


def _remember_project(top: str, folders: list[str]) -> None:
    """Record where a config's module ``top`` was read from, when it lies in its folders."""
    origin = getattr(sys.modules.get(top), "__file__", None)
    if origin and any(Path(origin).resolve().is_relative_to(f) for f in folders):
        _PROJECTS[top] = str(Path(origin).resolve())


def callable_name(fn) -> str:
    """``module:qualname`` of a callable, or the ``module:function`` string naming it (what a
    manifest records for readers, unlike ``callable_identity``, which also hashes the code)."""
    if isinstance(fn, str):
        return fn
    return f"{getattr(fn, '__module__', '?')}:{getattr(fn, '__qualname__', type(fn).__name__)}"
