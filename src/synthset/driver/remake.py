"""The determinism re-check in a fresh Python process, with another hash seed.

Samples made again in the process that made them share its ``hash()`` seed, its set orders,
its object addresses and whatever global state the generator left: a generator seeded from
``hash(str(seed))`` makes the same sample twice there, and different bytes in the next run. So
each run re-makes its ``verify_determinism`` samples in one other process (one per run, started
when the run starts, so that its start-up overlaps the work; asked once per split), started
with another ``PYTHONHASHSEED`` and the driver's import path. It receives the run's
``SampleJob`` pickled by reference — the generator is imported by its ``module:qualname``, as
``synthset check`` imports it — and answers each index with the sample as a completion marker
keeps it (``SampleJob.remake``).

A job that cannot be imported by name (a generator or statistics calculator defined in
``__main__``, a lambda, a closure, a notebook cell) is re-made in this process, as before,
and one line on stderr says so.

When the driver has loaded Sage, the fresh process loads it before it unpickles the job (as
Sage's own interpreter does): a generator whose module first imports a Sage submodule, such as
``sage.rings.integer_ring``, imports in passagemath only once Sage itself is loaded.

Messages are pickles behind an 8-byte length, over the child's stdin and a copy of its
stdout (its own fd 1 goes to stderr: what a generator prints never mixes with the answers).
"""

from __future__ import annotations

import os
import pickle
import struct
import sys
import types
from collections.abc import Iterable, Iterator

from synthset.core.errors import GenerationError
from synthset.core.seeding import derive_seed

_HEADER = struct.Struct("<Q")
# The child: the driver's import path first (its synthset, its generator's folders), then serve.
_BOOT = ("import sys, json; sys.path[:] = json.loads(sys.argv[1]); "
         "from synthset.driver.remake import serve; serve()")


class NotByName(Exception):
    """The job holds code a fresh process cannot import by name."""


class _ByName(pickle.Pickler):
    """A pickler that refuses code defined in ``__main__`` (a script, a notebook): it pickles
    by name, but that name means another module in a fresh process."""

    def reducer_override(self, obj):
        if isinstance(obj, (types.FunctionType, type)):
            module, name = getattr(obj, "__module__", None), obj.__qualname__
            if module == "__main__":
                raise NotByName(f"{name} is defined in __main__ (a script or a notebook)")
            if "<lambda>" in name:
                raise NotByName(f"{module}:{name} is a lambda")
            if "<locals>" in name:
                raise NotByName(f"{module}:{name} is defined inside a function")
        return NotImplemented


def by_name(job) -> bytes:
    """``job`` pickled with its code by reference; raises NotByName (with the reason) when a
    fresh process could not import that code."""
    import io

    out = io.BytesIO()
    try:
        _ByName(out, protocol=pickle.HIGHEST_PROTOCOL).dump(job)
    except NotByName:
        raise
    except Exception as exc:  # a lambda, a closure, an object pickle refuses
        raise NotByName(f"{type(exc).__name__}: {exc}") from None
    return out.getvalue()


def uses_sage() -> bool:
    """Whether this process has loaded Sage (a ``sagemath`` run, a generator importing it)."""
    return "sage" in sys.modules


def other_hash_seed() -> str:
    """A ``PYTHONHASHSEED`` other than this process's: the next one after a fixed seed; 1
    after a random one (the same as it only by a 1-in-2**32 chance)."""
    try:
        return str((int(os.environ.get("PYTHONHASHSEED", "")) + 1) % (1 << 32))
    except ValueError:
        return "1"


class Remaker:
    """The parent's side: ``start`` the fresh process (or decide on this one), then ``remake``
    each split's indices; ``close`` at the end of the run."""

    def __init__(self):
        self.proc = None
        self.here = False  # re-make in this process (no fresh one, or no use for it)
        self.loaded = False
        self.seed = None  # the child's PYTHONHASHSEED

    def start(self, job) -> None:
        """Start the fresh process and have it import the job's code (no wait for it)."""
        if self.proc is not None or self.here:
            return
        try:
            blob = by_name(job)
        except NotByName as exc:
            return self._in_process(f"its code cannot be imported by name there: {exc}")
        if not sys.executable:
            return self._in_process("this interpreter cannot start another")
        import json
        import subprocess

        self.seed = other_hash_seed()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", _BOOT, json.dumps(sys.path)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                env={**os.environ, "PYTHONHASHSEED": self.seed})
        except OSError as exc:
            return self._in_process(f"a process could not be started ({exc})")
        if not self._send(("load", blob, uses_sage())):
            self._lost()

    def remake(self, job, split: str, indices: Iterable[int]) -> Iterator[tuple[int, str | None]]:
        """``(index, sample as a marker keeps it, or None after a timeout)`` for each index,
        made again in the fresh process (or here). A sample that fails there, or kills that
        process, is a GenerationError naming its split, index and seed."""
        indices = list(indices)
        if not indices:
            return
        self.start(job)
        if not self.here and not self.loaded:
            answer = self._recv()
            if answer is None:
                self._lost()
            elif answer[0] == "unloadable":
                self.close()
                self._in_process(f"a fresh process could not import its code ({answer[1]})")
            else:
                self.loaded = True
        if not self.here and not self._send(("remake", by_name(job), _formats(job), split,
                                             indices)):
            self._lost()  # it ended between two requests: nothing of the samples' doing
        if self.here:
            for index in indices:
                yield index, job.remake(split, index)
            return
        done = 0
        try:
            for index in indices:
                answer = self._recv()
                if answer is None:
                    self._died(job, split, index)
                kind, _, value = answer
                done += 1
                if kind == "failed":  # GenerationError's fields, as it was raised there
                    raise GenerationError(*value)
                if kind == "raised":
                    raise GenerationError(
                        split, index, derive_seed(job.options.root_seed, split, index),
                        f"made again in a fresh Python process (PYTHONHASHSEED={self.seed}) "
                        f"it raised {value}")
                yield index, value
        finally:
            if done < len(indices):  # answers left in the pipe: this process is done with
                self.close()
                self.here = True

    def close(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        for stream in (proc.stdin, proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        proc.kill()  # it keeps nothing: its answers are read or not needed
        proc.wait()

    # -- internals ----------------------------------------------------------------------------
    def _in_process(self, why: str) -> None:
        self.here = True
        print(f"synthset: the determinism re-check runs in this process, not in a fresh one: "
              f"{why}; a generator seeded from hash() of a string passes it here and still "
              "makes other bytes in the next run (define it at the top level of an importable "
              "module)", file=sys.stderr)

    def _lost(self) -> None:
        code = self._status()
        self.close()
        self._in_process(f"the fresh process ended before it was asked ({code})")

    def _died(self, job, split: str, index: int):
        code = self._status()
        self.close()
        self.here = True
        raise GenerationError(split, index, derive_seed(job.options.root_seed, split, index),
                              f"made again in a fresh Python process, the process ended "
                              f"({code})")

    def _status(self) -> str:
        proc = self.proc
        if proc is None:
            return "not started"
        import subprocess

        try:  # it closed its end: it is ending
            code = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # it did not: no use waiting for it
            proc.kill()
            code = proc.wait()
        if code < 0:
            import signal

            try:
                return f"killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exit status {code}"

    def _send(self, message) -> bool:
        try:
            _write(self.proc.stdin, message)
            return True
        except (BrokenPipeError, OSError):
            return False

    def _recv(self):
        try:
            return _read(self.proc.stdout)
        except (EOFError, OSError):
            return None
        except Exception:  # not an answer: the process is no use any more
            self.proc.kill()
            return None


def _formats(job) -> dict[str, str]:
    """The run's entries of the format table (``io.formats.FORMATS``), which a program may
    have extended at run time: the fresh process uses the same ones."""
    from synthset.io.formats import FORMATS

    return {name: FORMATS[name] for name in job.options.formats if name in FORMATS}


def _write(stream, message) -> None:
    blob = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(blob)) + blob)
    stream.flush()


def _read(stream):
    # Pickles here travel only over the pipes between the driver and the child it started
    # (the driver's own job, by reference); nothing is ever read from a file or a folder.
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(head)
    blob = stream.read(size)
    if len(blob) < size:
        return None
    return pickle.loads(blob)


# -- the child's side --------------------------------------------------------------------------
def serve() -> None:
    """Answer the driver until it closes the pipe: ``load`` (import the job's code) and
    ``remake`` (one answer per index)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle
    inbox = os.fdopen(os.dup(0), "rb")
    outbox = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)  # the generator reads nothing of the protocol...
    os.close(devnull)
    os.dup2(2, 1)  # ...and what it prints goes to stderr
    while True:
        try:
            message = _read(inbox)
        except (EOFError, OSError):
            message = None
        if message is None:
            return
        try:
            if message[0] == "load":
                try:
                    if message[2]:
                        from synthset.algebra.backends.sagemath import load_sage

                        load_sage()  # before the job's own Sage imports (module docstring)
                    pickle.loads(message[1])
                except BaseException as exc:
                    _write(outbox, ("unloadable", _describe(exc)))
                    return
                _write(outbox, ("loaded",))
            elif message[0] == "remake":
                _, blob, table, split, indices = message
                _use_formats(table)
                job = pickle.loads(blob)
                for index in indices:
                    _write(outbox, _remade(job, split, index))
        except (BrokenPipeError, OSError):
            return
        finally:
            sys.stdout.flush()


def _use_formats(table: dict[str, str]) -> None:
    from synthset.io import formats

    for name, where in table.items():
        if formats.FORMATS.get(name) != where:
            formats.FORMATS[name] = where
            formats._LOADED.pop(name, None)


def _remade(job, split: str, index: int) -> tuple:
    try:
        return ("made", index, job.remake(split, index))
    except GenerationError as exc:
        return ("failed", index, (exc.split, exc.index, exc.seed, exc.cause))
    except BaseException as exc:
        return ("raised", index, _describe(exc))


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
