"""A delay line: what a sensor measured at t is published at t + latency.

Why a queue and not a time shift of the world: the measurement must describe
the world as it was (stale positions are the point of modelling latency), and
a consumer polling at its own rate sees the newest message already released.
"""

from __future__ import annotations

from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class DelayLine(Generic[T]):
    def __init__(self, latency_s: float) -> None:
        self.latency_s = float(latency_s)
        self._queue: deque[tuple[float, T]] = deque()

    def push(self, measured_at: float, message: T) -> None:
        self._queue.append((measured_at + self.latency_s, message))

    def pop_due(self, now: float) -> list[T]:
        """Every message released at or before ``now``, oldest first."""
        out = []
        while self._queue and self._queue[0][0] <= now + 1e-9:
            out.append(self._queue.popleft()[1])
        return out

    def latest(self, now: float) -> T | None:
        due = self.pop_due(now)
        return due[-1] if due else None
