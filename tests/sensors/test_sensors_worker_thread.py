"""``sensors.worker_thread.process_worker``: one thread per name and process."""

import os
import threading

import pytest

from sensors import worker_thread
from sensors.worker_thread import process_worker


def test_one_executor_per_name_with_its_thread_name():
    a, b = process_worker("test-a"), process_worker("test-b")
    assert process_worker("test-a") is a and a is not b
    assert a.submit(lambda: threading.current_thread().name).result().startswith("test-a")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_makes_its_own():
    parent = process_worker("test-fork")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:   # child: the inherited entry has the parent's pid, so a new executor is made
        ok = False
        try:
            ok = (process_worker("test-fork") is not parent
                  and process_worker("test-fork").submit(lambda: 1).result(timeout=60) == 1)
        finally:   # whatever happens, the child never goes on running this pytest process's tests
            os.write(write, b"1" if ok else b"0")
            os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1"
    assert worker_thread._workers["test-fork"][1] is parent
