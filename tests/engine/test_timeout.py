"""The per-sample time limit, in the main thread (SIGALRM) and in a worker thread (Dask)."""

import threading
import time

import pytest

from synthset.engine.timeout import SampleTimeout, TimeLimit


def _spin(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_main_thread_limit_interrupts_and_restores():
    limit = TimeLimit(0.05)
    limit.install()
    try:
        with pytest.raises(SampleTimeout):
            with limit:
                _spin(2)
        with limit:  # a quick call is untouched
            _spin(0.001)
    finally:
        limit.uninstall()


def test_worker_thread_limit_interrupts_python_code():
    caught = []

    def work():
        limit = TimeLimit(0.05)
        try:
            with limit:
                _spin(2)
        except SampleTimeout:
            caught.append("timeout")

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert caught == ["timeout"]  # without the limit the spin would end normally


def test_limited_calls_are_recorded_and_a_known_hang_raises_at_once():
    """What a pool worker shares with its driver: the limited call in progress, by index and
    attempt; and a call that hung before raises on entry instead of hanging again."""
    import multiprocessing

    from synthset.engine import timeout

    slot = timeout.new_slot(multiprocessing.get_context())
    timeout.attach(slot)
    timeout.expect_hangs(frozenset({(7, 1)}))
    limit = TimeLimit(30)
    limit.install()
    try:
        big = 2**70 + 5  # indices are not bounded by 64 bits
        with limit(big, 2):
            assert timeout.read_call(slot)[:3] == (big, 2, 30 * 10**9)
        assert timeout.read_call(slot) is None
        with pytest.raises(SampleTimeout, match="worker process was killed"):
            with limit(7, 1):
                pytest.fail("a call known to hang was entered")
        with limit(7, 0):  # the same index at another attempt runs
            pass
    finally:
        limit.uninstall()
        timeout.attach(None)
        timeout.expect_hangs(frozenset())
