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
