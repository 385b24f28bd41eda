"""A per-call time limit that works in a worker's main thread and, less strictly, elsewhere.

In the main thread (serial runs, loky/multiprocessing/Ray workers) a SIGALRM interval timer
interrupts the call. Dask runs tasks in worker threads, where signals cannot reach; there a
timer thread raises the exception asynchronously in the calling thread, which interrupts Python
code but not a long call inside a C extension.
"""

from __future__ import annotations

import ctypes
import signal
import threading


class SampleTimeout(BaseException):
    """Raised inside a generator that ran past its limit.

    A BaseException so that a generator's own ``except Exception`` cannot swallow it.
    """


def _raise_timeout(signum, frame):
    raise SampleTimeout()


class TimeLimit:
    """``with limit: ...`` raises SampleTimeout when the block runs longer than ``seconds``."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.main = threading.current_thread() is threading.main_thread()
        self._old = None
        self._timer = None

    def install(self) -> None:
        if self.main:
            self._old = signal.signal(signal.SIGALRM, _raise_timeout)

    def uninstall(self) -> None:
        if self.main:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._old or signal.SIG_DFL)

    def __enter__(self):
        if self.main:
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
        else:
            tid = threading.get_ident()
            self._timer = threading.Timer(self.seconds, _async_raise, (tid,))
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *exc):
        if self.main:
            signal.setitimer(signal.ITIMER_REAL, 0)
        else:
            self._timer.cancel()
        return False


def _async_raise(thread_id: int) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(SampleTimeout)
    )
