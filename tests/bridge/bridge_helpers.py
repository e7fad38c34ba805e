"""Helpers shared by the bridge tests (importable: conftest puts this folder on sys.path)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
LIDAR64 = {"name": "top", "type": "lidar", "rate": 10}


def stack_env() -> dict[str, str]:
    """Environment for a stack subprocess: the test helpers and the repository importable."""
    return {"PYTHONPATH": os.pathsep.join([str(HERE), str(REPO)])}


def python_stack(module_class: str) -> list[str]:
    return [sys.executable, "-m", "simplatform.bridge.client", module_class]


def fault_stack(mode: str) -> list[str]:
    return [sys.executable, str(HERE / "bridge_fault_stack.py"), mode]


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.01):
    """``predicate()``'s first true value, polled; the deadline only ends a wait for something that never comes
    (generous: a loaded CI machine can stall a thread or a process for seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met within %.1f s" % timeout)
