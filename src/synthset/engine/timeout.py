"""A per-call time limit that works in a worker's main thread and, less strictly, elsewhere.

In the main thread (serial runs, loky/multiprocessing/Ray workers) a SIGALRM interval timer
interrupts the call. Dask runs tasks in worker threads, where signals cannot reach; there a
timer thread raises the exception asynchronously in the calling thread, which interrupts Python
code but not a long call inside a C extension.

Neither interrupts a long call inside C code (a ctypes loop, an extension that does not check
for signals). In the workers of the local process pool (``engine.executors.pool``) each limited
call is also recorded in a few integers shared with the driver — which index, which attempt,
its limit, when it began — and the driver kills a worker whose call runs past twice its
limit. The worker that makes that item again is told which calls hung (``expect_hangs``):
entering one of them raises SampleTimeout at once, so it counts as the timeout it was.
"""

from __future__ import annotations

import signal
import threading
import time

# How often, at most, the pool's driver looks at the calls in progress (seconds).
WATCH_INTERVAL = 0.1

# This process's shared call record, when it is a pool worker: index (high and low 62 bits),
# attempt, limit (ns), start (monotonic ns; 0 between calls). Written by TimeLimit only.
_SLOT = None
_HUNG: frozenset = frozenset()  # (index, attempt) of the calls that hung in an earlier try
_LOW = (1 << 62) - 1


def new_slot(ctx):
    """A zeroed call record in memory shared with the workers ``ctx`` starts."""
    return ctx.RawArray("q", 5)


def attach(slot) -> None:
    """Called in a pool worker: record every limited call in ``slot``."""
    global _SLOT
    _SLOT = slot


def expect_hangs(hung: frozenset) -> None:
    """Called in a pool worker before each item: the calls of it that hung before."""
    global _HUNG
    _HUNG = hung


def read_call(slot):
    """``(index, attempt, limit_ns, started_ns)`` of the limited call in progress, or None."""
    started = slot[4]
    if not started:
        return None
    call = ((slot[0] << 62) | slot[1], slot[2], slot[3], started)
    return call if slot[4] == started else None  # it ended meanwhile: no call to report


def clear_call(slot) -> None:
    slot[4] = 0


class SampleTimeout(BaseException):
    """Raised inside a generator that ran past its limit.

    A BaseException so that a generator's own ``except Exception`` cannot swallow it. Its
    message is empty, or says how the limit was enforced (``HUNG``).
    """


HUNG = ("the call did not return within twice the limit, so its worker process was killed "
        "and replaced")


def _raise_timeout(signum, frame):
    if _SLOT is not None:
        _SLOT[4] = 0  # the call is over: the driver must not take it for a hang
    raise SampleTimeout()


class TimeLimit:
    """``with limit(index, attempt): ...`` raises SampleTimeout when the block runs longer than
    ``seconds``. ``index`` and ``attempt`` name the call for the pool's driver (``with limit:``
    reuses the last ones)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.main = threading.current_thread() is threading.main_thread()
        self._old = None
        self._timer = None
        self.index = 0
        self.attempt = 0
        self._limit_ns = min(int(seconds * 1e9), 1 << 62)

    def __call__(self, index: int, attempt: int = 0) -> TimeLimit:
        self.index = index
        self.attempt = attempt
        return self

    def install(self) -> None:
        if self.main:
            self._old = signal.signal(signal.SIGALRM, _raise_timeout)
        else:
            import ctypes  # noqa: F401  (_async_raise's, loaded now rather than when it fires)

    def uninstall(self) -> None:
        if self.main:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._old or signal.SIG_DFL)

    def __enter__(self):
        if _HUNG and (self.index, self.attempt) in _HUNG:
            raise SampleTimeout(HUNG)
        slot = _SLOT
        if slot is not None:
            slot[0] = self.index >> 62
            slot[1] = self.index & _LOW
            slot[2] = self.attempt
            slot[3] = self._limit_ns
            slot[4] = time.monotonic_ns()  # last: the record is whole once this is set
        if self.main:
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
        else:
            tid = threading.get_ident()
            self._timer = threading.Timer(self.seconds, _async_raise, (tid,))
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *exc):
        if _SLOT is not None:
            _SLOT[4] = 0
        if self.main:
            signal.setitimer(signal.ITIMER_REAL, 0)
        else:
            self._timer.cancel()
        return False


def _async_raise(thread_id: int) -> None:
    import ctypes  # a time limit outside the main thread's (loaded by ``install``)

    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(SampleTimeout)
    )
