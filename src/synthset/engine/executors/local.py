"""Executors on this machine: in-process, and the supervised process pool.

``loky`` (the default; the name is joblib's and CALT's) and ``multiprocessing`` both run
``n_jobs`` worker processes under ``engine.executors.pool``: user code never runs in the
driver, a worker that dies is reported with the shard it was making, a call that hangs past
twice its time limit gets its worker replaced, and workers die with the driver. They differ in
what they accept: ``loky`` sends functions by value (lambdas, closures), ``multiprocessing`` by
reference (module-level functions only), as those libraries do; where workers are forked
(Linux) neither needs to send the function at all.

The pool is made once per run and every shard of every split is one task (CALT rebuilds a pool
per batch and sends each sample as its own task, which makes 2 jobs slower than 1 on fast
generators). With one worker the shards run in this process: no pool to start.
"""

from __future__ import annotations

import gc
import json
import os
import socket
import time
from collections.abc import Callable, Iterable, Iterator

from synthset.core.fs import RemotePath, as_path, atomic_write_text
from synthset.engine.executors.base import Executor, describe_item
from synthset.engine.executors.pool import Pool, default_start_method

# The shard the serial executor is making, in the run folder: left behind when the process
# dies inside it (os._exit, a segfault), for ``synthset status`` and the next run to name.
RUNNING = ".synthset/running"
_RECORD_SIZE = 512


class SerialExecutor(Executor):
    """Every shard in this process, one after the other.

    User code runs in this process: if it kills it (``os._exit``, a segfault in C code), the
    run ends there with that status and nothing printed; the shard it was making stays recorded
    in ``.synthset/running``, which ``synthset status`` and the next run report. A call stuck
    in C code cannot be stopped here either (the time limit interrupts Python code only).
    ``n_jobs >= 2`` runs user code in worker processes, which guards against both.
    """

    name = "serial"

    def __init__(self, n_jobs: int = 1):
        super().__init__(1)

    def map_unordered(self, fn: Callable, items: Iterable) -> Iterator:
        save_dir = getattr(fn, "save_dir", None)  # the runner's ShardTask knows its folder
        if save_dir is None:
            yield from map(fn, items)
            return
        running = _Running(save_dir)
        frozen = _freeze()
        try:
            for item in items:
                running.write(item)
                result = fn(item)
                running.write(None)
                yield result
        finally:  # an error is reported as such; only a dead process leaves the marker
            if frozen:
                gc.unfreeze()
            running.clear()


class ProcessPoolExecutor(Executor):
    """``n_jobs`` supervised worker processes (``engine.executors.pool``)."""

    needs_pickle = True

    def __init__(self, n_jobs: int = -1, start_method: str | None = None):
        super().__init__(n_jobs)
        self.start_method = start_method

    def map_unordered(self, fn: Callable, items: Iterable) -> Iterator:
        pool = Pool(self.name, fn, self.workers, self.start_method or default_start_method(),
                    by_value=self.cloudpickle)
        try:
            yield from pool.run(items)
        finally:
            pool.close()


class LokyExecutor(ProcessPoolExecutor):
    name = "loky"
    cloudpickle = True  # functions travel by value, as with loky: lambdas and closures


class MultiprocessingExecutor(ProcessPoolExecutor):
    name = "multiprocessing"  # functions travel by reference: define generators at module level


def local_executor(name: str, n_jobs: int) -> Executor:
    kinds = {"serial": SerialExecutor, "loky": LokyExecutor,
             "multiprocessing": MultiprocessingExecutor}
    executor = kinds[name](n_jobs)
    return executor if executor.workers > 1 else SerialExecutor()


def _freeze() -> bool:
    """Move this process's objects (its imports: SymPy, a task library...) out of the
    collector's reach while the shards run, as the pool does before it forks its workers: the
    collections the shards' own objects trigger then walk those only (rg/chain_sum: a full
    collection of ~140,000 objects, 12 µs a sample). Whatever of them becomes garbage meanwhile
    is collected once ``gc.unfreeze()`` gives them back. Not done when this process already
    froze objects of its own (they stay as they are); returns whether it froze."""
    if gc.get_freeze_count():
        return False
    gc.freeze()
    return True


# -- the running-shard marker ------------------------------------------------------------------
def _marker(save_dir):
    return as_path(save_dir) / RUNNING


class _Running:
    """The running-shard marker of one serial run, its file kept open between shards (a
    local folder) so that each record costs one write."""

    def __init__(self, save_dir):
        self.save_dir = save_dir
        self.fd: int | None = None

    def write(self, item) -> None:
        blob = _record(item)
        if self.fd is not None and len(blob) < _RECORD_SIZE:
            _pwrite_record(self.fd, blob, _marker(self.save_dir))
            return
        if self.fd is not None:  # a longer record replaces the file whole: reopened after
            os.close(self.fd)
            self.fd = None
        self.fd = _write_running(self.save_dir, item, keep=True)

    def clear(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        _clear_running(self.save_dir)


def _record(item) -> bytes:
    record = {}
    if item is not None:
        record = {"shard": describe_item(item), "pid": os.getpid(),
                  "host": socket.gethostname(), "since": time.time()}
    return json.dumps(record).encode()


def _write_running(save_dir, item, keep: bool = False) -> int | None:
    """Record ``item`` as the shard in progress (None: between shards). Locally the record is
    written in place, padded to one size: after the first shard it takes no new space (a full
    disk fails the run where it writes data, not here), and a process killed mid-write leaves
    at worst a record the reader ignores. ``keep``: the file stays open, its descriptor
    returned (None when the record could not be written in place)."""
    blob = _record(item)
    path = _marker(save_dir)
    if isinstance(path, RemotePath) or len(blob) >= _RECORD_SIZE:
        atomic_write_text(path, blob.decode() + "\n")
        return None
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
    try:
        _pwrite_record(fd, blob, path)
        if os.fstat(fd).st_size > _RECORD_SIZE:  # what a longer record left after it
            os.ftruncate(fd, _RECORD_SIZE)
    except BaseException:
        os.close(fd)
        raise
    if keep:
        return fd
    os.close(fd)
    return None


def _pwrite_record(fd: int, blob: bytes, path) -> None:
    """A record shorter than _RECORD_SIZE, padded to it, over the file's first bytes."""
    try:
        os.pwrite(fd, blob.ljust(_RECORD_SIZE - 1) + b"\n", 0)
    except OSError as exc:  # a full disk: say which file, as every other write does
        if exc.filename is None:
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from None
        raise


def _clear_running(save_dir) -> None:
    _marker(save_dir).unlink(missing_ok=True)


def previous_crash(save_dir, forget: bool = False) -> str | None:
    """What the marker says about a process that died while making a shard in this process
    (serial runs), as one sentence; None when there is no marker, or its process still runs.
    ``forget`` removes the marker (the next run makes that shard again)."""
    path = _marker(save_dir)
    try:
        record = json.loads(path.read_text())
        shard, pid, host = record["shard"], int(record["pid"]), record["host"]
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):  # between shards, or cut short
        if forget:
            path.unlink(missing_ok=True)
        return None
    if host == socket.gethostname() and _alive(pid):
        return None
    if forget:
        path.unlink(missing_ok=True)
    where = "" if host == socket.gethostname() else f" on {host}"
    return (f"process {pid}{where} died while making {shard} in-process (n_jobs=1): if the "
            "generator crashed there, n_jobs >= 2 runs it in worker processes and names the "
            "failing shard without dying")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # a marker with this process's pid is from an earlier life of the pid
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
