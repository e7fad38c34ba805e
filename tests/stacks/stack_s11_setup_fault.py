"""A stack that fails in ``setup``: the scenario ends before its first step (a fault before the loop)."""

from __future__ import annotations


class SetupFaultStack:
    def setup(self, setup) -> None:
        raise RuntimeError("cannot load the planner's map (simulated)")

    def step(self, observations):  # pragma: no cover - never reached
        raise AssertionError("stepped after a failed setup")
