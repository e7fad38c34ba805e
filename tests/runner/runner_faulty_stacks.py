"""Stacks that misbehave, for the isolation tests (loaded by the runner as ``file.py:Class``)."""

from __future__ import annotations

import os
import signal
import time


class _Stack:
    def setup(self, setup) -> None:
        pass


class Crash(_Stack):
    """Dies of SIGSEGV on the first step (what a segfault in native stack code looks like)."""

    def step(self, observations):
        os.kill(os.getpid(), signal.SIGSEGV)


class Hang(_Stack):
    def step(self, observations):
        time.sleep(3600)


class Hog(_Stack):
    """Allocates far beyond any sane memory limit."""

    def step(self, observations):
        blocks = []
        while True:
            blocks.append(bytearray(256 * 1024 * 1024))


class Raise(_Stack):
    def step(self, observations):
        raise RuntimeError("the stack under test gave up")
