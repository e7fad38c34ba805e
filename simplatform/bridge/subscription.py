"""One client's subscription to one topic, with rosbridge's throttle_rate, queue_length, fragment_size, compression.

rosbridge semantics (ROSBRIDGE_PROTOCOL.md §3.2.4 and rosbridge_library's
``subscribe.py`` / ``subscription_modifiers``): a client subscribed several
times to a topic (each with an ``id``) receives each message once, at the
*lowest* throttle rate, the *highest* queue length (as the protocol text says)
and the *lowest* fragment size of its subscriptions, in the strongest
compression any of them asked for (``cbor-raw`` over ``cbor`` over ``png`` over
``none``).  ``throttle_rate`` is the minimum wall-clock gap in ms between two
messages; with ``queue_length`` 0 a message inside the gap is dropped,
otherwise it waits in a queue of that length that drops its oldest entry when
full.  A JSON or PNG frame longer than ``fragment_size`` characters goes out
as ``fragment`` frames (§3.1.1); binary CBOR frames are never cut.

The merged settings are worked out when a request is added or removed, not
per message: :meth:`offer` runs for every subscriber of every message.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

from .fragments import fragment_frames
from .protocol import COMPRESSIONS, PublishFrames


@dataclass(frozen=True)
class SubscribeRequest:
    sub_id: Any
    compression: str = "none"
    throttle_rate: int = 0
    queue_length: int = 0
    fragment_size: int | None = None


@dataclass
class TopicSubscription:
    """All of a client's subscribe requests for one topic, merged."""

    topic: str
    send: Callable[[str | bytes], None]
    requests: dict[Any, SubscribeRequest] = field(default_factory=dict)
    compression: str = "none"
    throttle_s: float = 0.0
    queue_length: int = 0
    fragment_size: int | None = None
    _last_sent: float = float("-inf")
    _queue: deque = field(default_factory=deque)
    _drain: asyncio.Task | None = None
    _fragmented: int = 0

    def add(self, request: SubscribeRequest) -> None:
        self.requests[request.sub_id] = request
        self._merge()

    def remove(self, sub_id: Any) -> None:
        """Remove one request (by id) or all of them (``sub_id`` None)."""
        if sub_id is None:
            self.requests.clear()
        else:
            self.requests.pop(sub_id, None)
        if self.requests:
            self._merge()
        elif self._drain is not None:
            self._drain.cancel()
            self._drain = None

    def _merge(self) -> None:
        reqs = self.requests.values()
        self.compression = max((r.compression for r in reqs), key=COMPRESSIONS.index)
        self.throttle_s = min(r.throttle_rate for r in reqs) / 1000.0
        self.queue_length = max(r.queue_length for r in reqs)
        sizes = [r.fragment_size for r in reqs if r.fragment_size is not None]
        self.fragment_size = min(sizes) if sizes else None

    @property
    def empty(self) -> bool:
        return not self.requests

    def deliver(self, frames: PublishFrames) -> None:
        """Send one message now, in this subscription's encoding, cut into fragments if asked."""
        data = frames.frame(self.compression)
        size = self.fragment_size
        if size is None or type(data) is not str or len(data) <= size:
            self.send(data)
            return
        self._fragmented += 1
        for piece in fragment_frames(data, size, f"publish:{self.topic}:{self._fragmented}"):
            self.send(piece)

    def offer(self, frames: PublishFrames) -> None:
        """Called on the server loop for every message published on the topic."""
        throttle = self.throttle_s
        if throttle <= 0.0:
            self.deliver(frames)
            return
        now = time.monotonic()
        if self.queue_length == 0:
            if now - self._last_sent >= throttle:
                self._last_sent = now
                self.deliver(frames)
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
            self.deliver(frames)
