"""A supervised pool of worker processes: the driver hands out shards and watches the workers.

What it guarantees, and why it is not loky's or the standard library's pool:

- **User code never runs in the driver.** ``n_jobs`` worker processes make every shard; the
  driver only sends shards, receives summaries and merges. A worker that dies (``os._exit``, a
  segfault, the OOM killer) stops the run with ``WorkerLost`` naming the shard (and, when the
  run has a ``timeout``, the sample) it was making; the driver itself lives to say so.
- **One worker can be replaced.** Each worker records the limited call it is in (which index,
  which attempt, its limit, when it began) in a few shared integers (``engine.timeout``). A call
  past twice its limit (a hang in C code that the SIGALRM timer cannot interrupt) gets its
  worker killed; a new worker takes its place and makes that shard again, where that one call
  raises ``SampleTimeout`` at once — a timeout like any other, for ``on_error``. The other
  workers carry on (a pool that breaks whole when one worker dies would lose their shards).
- **Workers die with the driver.** On Linux the kernel kills a worker when its parent dies
  (``PR_SET_PDEATHSIG``); elsewhere a thread in the worker watches the parent's pid.
- **Fast start.** On Linux workers are forked from the driver: they start in a few ms with the
  generator already imported and nothing to unpickle (a fresh interpreter needs ~0.1-0.3 s to
  import and receive it, a sixth of a 200k-sample trivial run). Elsewhere they are spawned and
  receive the function pickled (by value with cloudpickle for ``loky``, by reference for
  ``multiprocessing``). A spawned worker of a driver that has loaded Sage loads it before it
  unpickles the function: passagemath imports a Sage submodule (``sage.rings.integer_ring``,
  a generator's first Sage import) only once Sage itself is loaded, as the driver had it.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import sys
import time
import traceback
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator

from synthset.engine import state
from synthset.engine import timeout as _timeout
from synthset.engine.executors.base import WorkerLost

# Tasks a worker holds at once while many remain: the second one keeps it busy while the driver
# is away merging a split. Near the end each worker holds one, so the last shards spread out.
PREFETCH = 2


def default_start_method() -> str:
    """``fork`` on Linux (fast, safe for this pool's workers), else ``spawn``."""
    import multiprocessing

    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return "fork"
    return "spawn"


class _Task:
    __slots__ = ("item", "hung")

    def __init__(self, item):
        self.item = item
        self.hung: frozenset = frozenset()  # calls of this item that hung: (index, attempt)


class _Worker:
    """One worker process, its pipe, its shared call record and the tasks sent to it."""

    def __init__(self, ctx, payload, slot, sage: bool = False):
        self.conn, child = ctx.Pipe(duplex=True)
        self.slot = slot
        self.pending: deque[_Task] = deque()  # sent, not answered; the first one is running
        self.broken = False  # a send failed: it died between tasks
        self.proc = ctx.Process(target=_worker_main, args=(child, slot, payload, os.getpid(), sage),
                                name="synthset-worker")
        with warnings.catch_warnings():
            # Python >= 3.12 warns when a process with threads forks (tqdm's monitor, say):
            # a child that touched those threads' locks could deadlock. This child runs only
            # the job and talks to the driver over its own pipe.
            warnings.simplefilter("ignore", DeprecationWarning)
            # The driver's objects (its imports: SymPy, a task library...) moved out of the
            # collector's reach first: a forked worker's collections would walk them and
            # copy their pages (rg/chain_sum at n_jobs=2: 25.9 -> 22.6 µs of CPU a sample,
            # the workers' page faults 22,600 -> 2,900). The driver's own collector is back as
            # it was once the worker has started.
            gc.freeze()
            try:
                self.proc.start()
            finally:
                gc.unfreeze()
        child.close()

    def kill(self) -> None:
        if self.proc.exitcode is None:
            self.proc.kill()
        self.proc.join()
        self.conn.close()


class Pool:
    """Runs ``fn(item)`` for every item on ``workers`` processes; see the module docstring."""

    def __init__(self, name: str, fn: Callable, workers: int, start_method: str,
                 by_value: bool):
        import multiprocessing

        self.name = name
        self.ctx = multiprocessing.get_context(start_method)
        if start_method == "fork":
            self.payload = fn  # inherited by the fork, never pickled
        elif by_value:
            import cloudpickle

            self.payload = cloudpickle.dumps(fn)
        else:
            self.payload = pickle.dumps(fn)
        self.sage = "sage" in sys.modules  # load Sage first in spawned workers (docstring)
        self.size = workers
        self.workers: list[_Worker] = []

    # -- the driver's loop ------------------------------------------------------------------
    def run(self, items: Iterable) -> Iterator:
        from multiprocessing.connection import wait

        queue = deque(_Task(item) for item in items)
        self.workers = [self._start() for _ in range(min(self.size, len(queue)))]
        while True:
            self._fill(queue)
            busy = [w for w in self.workers if w.pending or w.broken]
            if not busy:
                return
            handles = {}
            for w in busy:
                handles[w.conn] = w
                handles[w.proc.sentinel] = w
            ready = wait(list(handles), timeout=self._poll_interval(busy))
            results = []
            for w in {id(handles[h]): handles[h] for h in ready}.values():
                eof = self._receive(w, results)
                if (w.pending or w.broken) and (eof or not w.proc.is_alive()):
                    self._receive(w, results)  # what it sent before it died
                    if w.pending or w.broken:
                        self._lost(w)
            self._watch(busy, queue)
            self._fill(queue)
            yield from results

    @staticmethod
    def _receive(w: _Worker, results: list) -> bool:
        """Collect the answers waiting in ``w``'s pipe; re-raise a task's exception. True when
        the pipe is closed (the worker is gone)."""
        while w.pending and w.conn.poll():
            try:
                ok, value = w.conn.recv()
            except (EOFError, OSError):
                return True
            w.pending.popleft()
            if not ok:
                exc, tb = value
                raise exc from RemoteTraceback(tb)
            results.append(value)
        return False

    def _fill(self, queue: deque) -> None:
        """Send tasks to workers with room; stop the workers that have nothing left."""
        for depth in range(1, PREFETCH + 1):
            for w in self.workers:
                while not w.conn.closed and not w.broken and queue and len(w.pending) < depth \
                        and (depth == 1 or len(queue) >= len(self.workers)):
                    try:
                        w.conn.send((queue[0].item, queue[0].hung))
                    except OSError:  # it died: the main loop reports it (its sentinel)
                        w.broken = True
                        break
                    w.pending.append(queue.popleft())
        if not queue:
            for w in self.workers:
                if not w.pending and w.proc.is_alive() and not w.conn.closed:
                    w.conn.send(None)  # done: the worker exits
                    w.conn.close()

    def _poll_interval(self, busy) -> float:
        """How long to wait for answers: until the earliest watched call reaches twice its
        limit. Calls start without telling the driver, so it looks again at least every
        ``WATCH_INTERVAL`` seconds (a few microseconds of work each time)."""
        now = time.monotonic_ns()
        wait_ns = int(_timeout.WATCH_INTERVAL * 1e9)
        for w in busy:
            call = _timeout.read_call(w.slot)
            if call is not None:
                _index, _attempt, limit_ns, started_ns = call
                wait_ns = min(wait_ns, started_ns + 2 * limit_ns - now)
        return max(wait_ns, 1_000_000) / 1e9

    def _watch(self, busy, queue: deque) -> None:
        """Kill and replace every worker stuck in a call past twice its limit; its task goes
        back to the front of the queue, marked so that the call raises SampleTimeout."""
        now = time.monotonic_ns()
        for w in busy:
            call = _timeout.read_call(w.slot)
            if call is None or not w.pending:
                continue
            index, attempt, limit_ns, started_ns = call
            if now - started_ns <= 2 * limit_ns:
                continue
            w.kill()
            task = w.pending[0]
            task.hung = task.hung | {(index, attempt)}
            queue.extendleft(reversed(w.pending))
            _timeout.clear_call(w.slot)
            self.workers[self.workers.index(w)] = self._start(w.slot)

    def _lost(self, w: _Worker) -> None:
        w.proc.join()
        code = w.proc.exitcode
        if code is not None and code < 0:
            try:
                how = f"killed by {signal.Signals(-code).name}"
            except ValueError:
                how = f"killed by signal {-code}"
        else:
            how = f"exit status {code}"
        call = _timeout.read_call(w.slot)
        raise WorkerLost(self.name, how, item=w.pending[0].item if w.pending else None,
                         index=call[0] if call is not None and w.pending else None)

    # -- workers ----------------------------------------------------------------------------
    def _start(self, slot=None) -> _Worker:
        slot = slot if slot is not None else _timeout.new_slot(self.ctx)
        return _Worker(self.ctx, self.payload, slot, self.sage)

    def close(self) -> None:
        """Wait for the workers told that nothing is left (they exit on their own, flushing
        what a generator printed); kill the others (after an error, or when the caller stopped
        early)."""
        for w in self.workers:
            if w.conn.closed and not w.pending:
                w.proc.join(timeout=5)
            w.kill()
        self.workers = []


# -- the worker's side -----------------------------------------------------------------------
def _worker_main(conn, slot, payload, parent_pid: int, sage: bool = False) -> None:
    _die_with_parent(parent_pid)
    # Ctrl-C reaches the whole process group: the driver handles it and stops the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sage and isinstance(payload, bytes):
        _load_sage()
    fn = pickle.loads(payload) if isinstance(payload, bytes) else payload
    _timeout.attach(slot)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            message = None
        if message is None:
            _finish()
            return
        item, hung = message
        _timeout.expect_hangs(hung)
        try:
            answer = (True, fn(item))
        except BaseException as exc:  # SystemExit too: a generator's sys.exit is its error
            answer = (False, _portable(exc))
        try:
            conn.send(answer)
        except (BrokenPipeError, OSError):
            return


def _load_sage() -> None:
    """Sage as synthset's sagemath backend loads it (``algebra.backends.sagemath.load_sage``,
    which this layer does not import)."""
    try:
        import sage.all__sagemath_singular  # noqa: F401 (imported for its side effects)
    except ImportError:
        import sage.all  # noqa: F401


def _finish() -> None:
    """Forget what stopped a marker of this worker from being written before it exits
    (``engine.state.flush_markers``; a shard left unmarked is made again by a resume)."""
    state.flush_markers()


def _portable(exc: BaseException) -> tuple[BaseException, str]:
    """``exc`` (or a stand-in when it cannot be pickled) and its traceback as text; the driver
    chains the text to it, as concurrent.futures does."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        exc = RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc, text


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a worker process."""

    def __init__(self, tb: str):
        super().__init__(tb)
        self.tb = tb

    def __str__(self):
        return f'\n"""\n{self.tb}"""'


def _die_with_parent(parent_pid: int) -> None:
    """End this worker as soon as the driver is gone, even in the middle of a shard."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(1, signal.SIGKILL, 0, 0, 0) == 0:  # PR_SET_PDEATHSIG
                if os.getppid() != parent_pid:  # the driver died before prctl took effect
                    os._exit(1)
                return
        except (OSError, AttributeError):
            pass
    import threading

    def watch():
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="synthset-parent-watch", daemon=True).start()
