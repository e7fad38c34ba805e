"""A rosbridge v2 WebSocket server in a background thread, with a synchronous API for the engine.

Why a server of our own rather than rosbridge_suite: the platform must run
without a ROS installation and must step the stack in lockstep, which needs
the server inside the simulation process.  It speaks the rosbridge v2
protocol, so ``roslibpy``, ``roslibjs`` and Foxglove's rosbridge connection
work unmodified.

Threads: the ``websockets`` asyncio server owns one loop in a daemon thread.
The engine calls :meth:`publish` / :meth:`publish_many` from its own thread;
they hop onto the loop with ``call_soon_threadsafe`` in one call per step, so
the observations of a step and its ``/clock`` go out in order.  What clients
send comes back as :class:`BridgeEvent` items on :attr:`events`
(a ``queue.Queue``) for the engine to read with a timeout.

Safety (issue: "Safety of the server"): binds 127.0.0.1 unless told otherwise;
optional token authentication (``auth`` op, see :func:`protocol.check_auth`);
``max_message_bytes`` is enforced by ``websockets`` (the connection is closed
with 1009 "message too big"), ``max_messages_per_second`` by a token bucket
per client; every bad frame is answered with a ``status`` error.
"""

from __future__ import annotations

import asyncio
import itertools
import queue
import threading
import time
from typing import Any, Iterable

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from ..errors import BridgeError
from .msgs.schema import type_of
from .protocol import PublishFrames
from .rosapi import ServiceHandler, ServiceSpec, register_rosapi
from .session import BridgeEvent, ClientSession
from .topics import CLOCK, TopicRegistry


class RosbridgeServer:
    def __init__(
        self,
        registry: TopicRegistry,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        max_message_bytes: int = 16 * 2**20,
        max_messages_per_second: int = 10_000,
    ) -> None:
        self.registry = registry
        self.host = host
        self.port = port
        self.token = token
        self.max_message_bytes = max_message_bytes
        self.max_messages_per_second = max_messages_per_second
        self.events: queue.Queue[BridgeEvent] = queue.Queue()
        self.latched: dict[str, PublishFrames] = {}
        self.latched_by: dict[str, int | None] = {}  # topic -> client whose message is latched (None: the platform)
        self.services: dict[str, ServiceSpec] = {}
        self.sim_time_ns = 0
        self._types: dict[str, str] = {t.name: t.ros_type for t in registry}
        self._sessions: dict[int, ClientSession] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._subscribers: dict[str, set[int]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self._start_error: BaseException | None = None
        register_rosapi(self)

    # ------------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    def start(self, timeout: float = 5.0) -> "RosbridgeServer":
        if self._thread is not None:
            return self
        self._thread = threading.Thread(target=self._run, name="rosbridge-server", daemon=True)
        self._thread.start()
        if not self._started.wait(timeout):
            raise BridgeError(f"the rosbridge server did not start within {timeout} s")
        if self._start_error is not None:
            raise BridgeError(f"cannot serve rosbridge on {self.host}:{self.port}: {self._start_error}")
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        finally:
            loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        try:
            server = await serve(self._handle, self.host, self.port, max_size=self.max_message_bytes,
                                 ping_interval=None, compression=None)
        except OSError as exc:
            self._start_error = exc
            self._started.set()
            return
        async with server:
            self.port = server.sockets[0].getsockname()[1]
            self._started.set()
            await self._stop.wait()
            for session in list(self._sessions.values()):
                await session.ws.close(1001, "simplatform server shutting down")

    def stop(self, timeout: float = 5.0) -> None:
        if self._thread is None or self._loop is None:
            return
        if self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)
        self._thread = None

    def __enter__(self) -> "RosbridgeServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ engine API (any thread)
    def publish(self, topic: str, msg: Any, *, latch: bool | None = None) -> None:
        """Send one message to every subscriber of ``topic`` (a registry topic of the message's type)."""
        self.publish_many([(topic, msg)], latch=latch)

    def publish_many(self, items: Iterable[tuple[str, Any]], *, latch: bool | None = None) -> None:
        """Send several messages, in order, in one hop onto the server loop."""
        frames = []
        for topic, msg in items:
            spec = self.registry.get(topic)
            if spec is None:
                raise BridgeError(f"topic {topic} is not in the topic registry")
            if type_of(msg) != spec.ros_type:
                raise BridgeError(f"topic {topic} carries {spec.ros_type}, not {type_of(msg)}")
            stamp_ns = msg.clock.to_nanoseconds() if topic == CLOCK else self.sim_time_ns
            if topic == CLOCK:
                self.sim_time_ns = stamp_ns
            f = PublishFrames(topic, msg, stamp_ns)
            frames.append((f, spec.latched if latch is None else latch))
        if self._loop is None or self._thread is None:
            raise BridgeError("the rosbridge server is not running: call start() first")
        if frames:
            self._loop.call_soon_threadsafe(self._fanout, frames)

    def subscribers(self, topic: str) -> set[int]:
        """Ids of the clients subscribed to ``topic`` now."""
        with self._lock:
            return set(self._subscribers.get(topic, ()))

    def client_ids(self) -> list[int]:
        with self._lock:
            return list(self._sessions)

    def disconnect(self, client_id: int, code: int = 1000, reason: str = "") -> None:
        session = self._sessions.get(client_id)
        if session is not None and self._loop is not None:
            asyncio.run_coroutine_threadsafe(session.ws.close(code, reason), self._loop)

    def register_service(self, name: str, handler: ServiceHandler, *, request: tuple[str, ...] = (),
                         srv_type: str = "") -> None:
        """Serve ``name`` to ``call_service``; ``request`` names the request fields in order (list args)."""
        self.services[name] = ServiceSpec(name, handler, tuple(request), srv_type)

    def topic_type(self, topic: str) -> str | None:
        return self._types.get(topic)

    def topics(self) -> dict[str, str]:
        return dict(self._types)

    def client_topics(self) -> tuple[set[str], set[str]]:
        """Topics the connected clients advertise, and topics they subscribe to (server loop only)."""
        advertised: set[str] = set()
        subscribed: set[str] = set()
        for session in self._sessions.values():
            advertised.update(session.advertised)
            subscribed.update(session.subscriptions)
        return advertised, subscribed

    # ------------------------------------------------------------------ loop side
    def emit(self, event: BridgeEvent) -> None:
        self.events.put(BridgeEvent(event.kind, event.client, event.topic, event.msg, event.detail,
                                    time.monotonic()))

    def note_advertised(self, topic: str, ros_type: str) -> None:
        self._types.setdefault(topic, ros_type)

    def note_subscribers_changed(self) -> None:
        table: dict[str, set[int]] = {}
        for sid, session in self._sessions.items():
            for topic in session.subscriptions:
                table.setdefault(topic, set()).add(sid)
        with self._lock:
            self._subscribers = table

    def relay(self, frames: PublishFrames, latch: bool = False, *, client: int | None = None) -> None:
        """A client's publish, forwarded to every subscriber of the topic (viewers, loggers); a latched
        one is also kept for later subscribers, as a ROS 2 transient-local publisher's last message,
        and remembered as ``client``'s, so that only that client's leaving drops it."""
        self._fanout([(frames, latch)], client)

    def drop_latched(self, topic: str, client: int) -> None:
        """``client`` stopped publishing ``topic``: its latched message goes, another client's stays."""
        if topic in self.latched and self.latched_by.get(topic) == client:
            del self.latched[topic]
            del self.latched_by[topic]

    def _fanout(self, frames: list[tuple[PublishFrames, bool]], client: int | None = None) -> None:
        for f, latch in frames:
            if latch:
                self.latched[f.topic] = f
                self.latched_by[f.topic] = client
            for session in self._sessions.values():
                sub = session.subscriptions.get(f.topic)
                if sub is not None:
                    sub.offer(f)

    async def _handle(self, ws: ServerConnection) -> None:
        client_id = next(self._ids)
        session = ClientSession(self, client_id, ws)
        with self._lock:
            self._sessions[client_id] = session
        self.emit(BridgeEvent("connected", client_id, detail=str(ws.remote_address)))
        writer = asyncio.get_running_loop().create_task(session.writer())
        closed: ConnectionClosed | None = None
        try:
            async for data in ws:
                session.handle_frame(data)
                if session.close_request is not None:
                    await ws.close(*session.close_request)
                    break
        except ConnectionClosed as exc:
            closed = exc
        finally:
            code, reason = _close_cause(ws, closed, self.max_message_bytes)
            session.close()
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)
            with self._lock:
                del self._sessions[client_id]
            self.note_subscribers_changed()
            self.emit(BridgeEvent("disconnected", client_id, detail=f"code {code}" + (f", {reason}" if reason else "")))


def _close_cause(ws: ServerConnection, closed: ConnectionClosed | None, limit: int) -> tuple[int, str]:
    """Why a connection ended: our own close (size limit, auth) wins over what the peer sent."""
    sent = closed.sent if closed is not None else ws.protocol.close_sent
    if sent is not None and sent.code == 1009:
        return 1009, f"message larger than the {limit} byte limit"
    if sent is not None and sent.code == 1008:
        return 1008, sent.reason
    rcvd = closed.rcvd if closed is not None else ws.protocol.close_rcvd
    if rcvd is not None:
        return rcvd.code, rcvd.reason or CLOSE_CODES.get(rcvd.code, "")
    return 1006, CLOSE_CODES[1006]


# RFC 6455 §7.4.1 close codes, in words for error messages.
CLOSE_CODES = {
    1000: "closed normally by the client", 1001: "the client is going away",
    1005: "closed by the client without a status code", 1006: "connection lost without a close frame",
    1011: "the client hit an internal error",
}
