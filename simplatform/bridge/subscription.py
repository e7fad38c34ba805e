"""One client's subscription to one topic, with rosbridge's throttle_rate and queue_length.

rosbridge semantics (ROSBRIDGE_PROTOCOL.md §3.2.4 and rosbridge_library's
``subscription_modifiers``): a client subscribed several times to a topic (each
with an ``id``) receives each message once, at the *lowest* throttle rate and
the *highest* queue length of its subscriptions.  ``throttle_rate`` is the
minimum wall-clock gap in ms between two messages; with ``queue_length`` 0 a
message inside the gap is dropped, otherwise it waits in a queue of that
length that drops its oldest entry when full.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

from .protocol import PublishFrames


@dataclass(frozen=True)
class SubscribeRequest:
    sub_id: Any
    compression: str = "none"
    throttle_rate: int = 0
    queue_length: int = 0


@dataclass
class TopicSubscription:
    """All of a client's subscribe requests for one topic, merged."""

    topic: str
    send: Callable[[str | bytes], None]
    requests: dict[Any, SubscribeRequest] = field(default_factory=dict)
    _last_sent: float = float("-inf")
    _queue: deque = field(default_factory=deque)
    _drain: asyncio.Task | None = None

    def add(self, request: SubscribeRequest) -> None:
        self.requests[request.sub_id] = request

    def remove(self, sub_id: Any) -> None:
        """Remove one request (by id) or all of them (``sub_id`` None)."""
        if sub_id is None:
            self.requests.clear()
        else:
            self.requests.pop(sub_id, None)
        if not self.requests and self._drain is not None:
            self._drain.cancel()
            self._drain = None

    @property
    def empty(self) -> bool:
        return not self.requests

    @property
    def compression(self) -> str:
        # The most recent request decides the encoding (rosbridge keeps one per topic and client).
        return next(reversed(self.requests.values())).compression

    @property
    def throttle_s(self) -> float:
        return min(r.throttle_rate for r in self.requests.values()) / 1000.0

    @property
    def queue_length(self) -> int:
        return max(r.queue_length for r in self.requests.values())

    def offer(self, frames: PublishFrames) -> None:
        """Called on the server loop for every message published on the topic."""
        throttle = self.throttle_s
        if throttle <= 0.0:
            self.send(frames.frame(self.compression))
            return
        now = time.monotonic()
        if self.queue_length == 0:
            if now - self._last_sent >= throttle:
                self._last_sent = now
                self.send(frames.frame(self.compression))
            return
        if len(self._queue) >= self.queue_length:
            self._queue.popleft()
        self._queue.append(frames)
        if self._drain is None or self._drain.done():
            self._drain = asyncio.get_running_loop().create_task(self._drain_queue())

    async def _drain_queue(self) -> None:
        while self._queue and self.requests:
            wait = self._last_sent + self.throttle_s - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if not self._queue or not self.requests:
                break
            frames = self._queue.popleft()
            self._last_sent = time.monotonic()
            self.send(frames.frame(self.compression))
