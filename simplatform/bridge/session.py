"""One WebSocket client of the rosbridge server: authentication, rate limit and the operations.

Every fault a client can cause — malformed JSON/CBOR, an unknown op, a topic
the platform owns, a message that does not fit its type — is answered with a
rosbridge ``status`` message (level ``error`` or ``warning``) and the frame is
dropped; the connection and the server go on (a call to a service that does not
exist is answered, as rosbridge does, by its ``service_response`` with
``result: false`` only).  What matters to a lockstep run
(a control received, an unusable control, garbage from the stack) is also
reported to the engine thread as a :class:`BridgeEvent`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .codec import MessageError, from_plain
from .fragments import MIN_FRAGMENT_SIZE, FragmentAssembler, fragment_frames, png_frame
from .msgs import Time
from .msgs.schema import UnknownMessageType, canonical_type, schema
from .protocol import (
    COMPRESSIONS, DEFAULT_LEVEL, LEVELS, ProtocolError, PublishFrames, check_auth, dumps_json,
    level_reported, op_id, parse_frame, require, status,
)
from .rosapi import ServiceFailure
from .subscription import SubscribeRequest, TopicSubscription
from .topics import Direction

if TYPE_CHECKING:
    from .server import RosbridgeServer

UNSUPPORTED_OPS = frozenset({
    "advertise_service", "unadvertise_service", "send_action_goal", "cancel_action_goal",
    "advertise_action", "unadvertise_action", "action_feedback", "action_result",
})
HANDLED_OPS = ("auth", "set_level", "status", "fragment", "advertise", "unadvertise", "publish", "subscribe",
               "unsubscribe", "call_service", "service_response")
MAX_AUTH_FAILURES = 3
SERVICE_COMPRESSIONS = ("none", "png")  # what send_text can do to a service response


@dataclass(frozen=True)
class BridgeEvent:
    """What the engine thread learns from the server.

    ``kind``: ``connected``, ``disconnected`` (``detail`` has code and reason),
    ``subscribed``, ``advertised``, ``message`` (``msg`` decoded),
    ``invalid_message`` (a publish that does not fit its type; ``detail`` says why),
    ``protocol_error`` (garbage or a refused op; ``detail`` says what),
    ``client_status`` (a ``status`` op a client sent; ``detail`` is its text).
    """

    kind: str
    client: int
    topic: str | None = None
    msg: Any = None
    detail: str = ""
    time: float = 0.0


class ClientSession:
    def __init__(self, server: "RosbridgeServer", client_id: int, websocket: Any) -> None:
        self.server = server
        self.id = client_id
        self.ws = websocket
        self.level = DEFAULT_LEVEL
        self.authenticated = server.token is None
        self.auth_failures = 0
        self.subscriptions: dict[str, TopicSubscription] = {}
        self.advertised: dict[str, str] = {}
        self.advertisements: dict[str, set[Any]] = {}  # topic -> the ids it was advertised with (None: no id)
        self.latched_topics: set[str] = set()  # advertised with latch: every message on them is latched
        self.fragments = FragmentAssembler(server.max_message_bytes)
        self._decode = _SimulationClock(server)
        self._call_fragments = 0
        self.outbox: asyncio.Queue[str | bytes | None] = asyncio.Queue()
        self._tokens = float(server.max_messages_per_second)
        self._refilled = time.monotonic()
        self._last_rate_warning = float("-inf")
        self.close_request: tuple[int, str] | None = None

    # ------------------------------------------------------------ output
    def send(self, frame: str | bytes) -> None:
        self.outbox.put_nowait(frame)

    def send_status(self, level: str, msg: str, op_id_: Any = None) -> None:
        if level_reported(level, self.level):
            self.send(dumps_json(status(level, msg, op_id_)))

    def send_text(self, text: str, compression: str = "none", fragment_size: int | None = None,
                  message_id: Any = None) -> None:
        """A JSON frame, PNG-wrapped and cut into fragments as the client asked (§3.1.1, §3.1.2)."""
        if compression == "png":
            text = png_frame(text)
        if fragment_size is None or len(text) <= fragment_size:
            self.send(text)
            return
        if message_id is None:
            self._call_fragments += 1
            message_id = f"call_service:{self._call_fragments}"
        for piece in fragment_frames(text, fragment_size, message_id):
            self.send(piece)

    async def writer(self) -> None:
        while True:
            frame = await self.outbox.get()
            if frame is None:
                return
            await self.ws.send(frame)

    # ------------------------------------------------------------ input
    def _rate_ok(self) -> bool:
        """Token bucket of ``max_messages_per_second`` tokens, refilled continuously."""
        rate = self.server.max_messages_per_second
        now = time.monotonic()
        self._tokens = min(float(rate), self._tokens + (now - self._refilled) * rate)
        self._refilled = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    def handle_frame(self, data: str | bytes) -> None:
        if not self._rate_ok():
            now = time.monotonic()
            if now - self._last_rate_warning >= 1.0:
                self._last_rate_warning = now
                self._refuse(ProtocolError(
                    f"rate limit of {self.server.max_messages_per_second} messages/s exceeded; messages dropped"))
            return
        try:
            frame = parse_frame(data)
            self._dispatch(frame)
        except ProtocolError as exc:
            self._refuse(exc)

    def _refuse(self, exc: ProtocolError) -> None:
        self.send_status(exc.level, str(exc), exc.op_id)
        if exc.level == "error":
            self.server.emit(BridgeEvent("protocol_error", self.id, detail=str(exc)))

    def _dispatch(self, frame: dict) -> None:
        op = frame["op"]
        if op == "auth":
            return self._auth(frame)
        if not self.authenticated:
            raise ProtocolError(f"not authenticated: send an 'auth' op with the token before '{op}'",
                                op_id=op_id(frame))
        handler = getattr(self, "_op_" + op, None) if op in HANDLED_OPS else None
        if handler is not None:
            return handler(frame)
        if op in UNSUPPORTED_OPS:
            raise ProtocolError(f"op '{op}' is not supported by the simplatform rosbridge server "
                                "(it serves topics and the rosapi services, not client services or actions)",
                                op_id=op_id(frame))
        if op == "png":
            raise ProtocolError("op 'png' is sent by servers only; send plain JSON, CBOR or 'fragment' frames",
                                op_id=op_id(frame))
        raise ProtocolError(f"unknown op '{op}'; this server handles: {', '.join(HANDLED_OPS)}", op_id=op_id(frame))

    def _op_fragment(self, frame: dict) -> None:
        """Part of a message too large for one frame; the whole message is handled once complete (§3.1.1)."""
        text = self.fragments.add(frame, time.monotonic())
        if text is not None:
            self._dispatch(parse_frame(text))

    def _auth(self, frame: dict) -> None:
        if self.server.token is None:
            self.authenticated = True
            return
        if check_auth(frame, self.server.token):
            self.authenticated = True
            self.send_status("info", "authenticated", op_id(frame))
            return
        self.auth_failures += 1
        if self.auth_failures >= MAX_AUTH_FAILURES:
            self.close_request = (1008, "authentication failed")
        raise ProtocolError("authentication failed", op_id=op_id(frame))

    def _op_set_level(self, frame: dict) -> None:
        level = require(frame, "level")
        if level not in LEVELS:
            raise ProtocolError(f"level must be one of {', '.join(LEVELS)}, got {level!r}", op_id=op_id(frame))
        self.level = level

    def _topic_and_type(self, frame: dict) -> tuple[str, str | None]:
        topic = require(frame, "topic")
        if not topic.startswith("/"):
            topic = "/" + topic
        return topic, self.server.topic_type(topic)

    def _check_type(self, frame: dict, topic: str, known: str | None) -> str | None:
        wanted = require(frame, "type", optional=True)
        if not wanted:  # absent, or "" as clients in typed languages send a field they leave unset
            return known
        try:
            schema(wanted)
            wanted = canonical_type(wanted)
        except UnknownMessageType as exc:
            raise ProtocolError(str(exc), op_id=op_id(frame)) from None
        if known is not None and wanted != known:
            raise ProtocolError(f"topic {topic} has type {known}, not {wanted}", op_id=op_id(frame))
        return wanted

    def _op_advertise(self, frame: dict) -> None:
        """§3.2.1; ``latch`` keeps the client's last message for later subscribers; ``id`` names the
        advertisement, so that one of several can be withdrawn (rosbridge's Registration)."""
        topic, known = self._topic_and_type(frame)
        require(frame, "type")
        latch = require(frame, "latch", bool, optional=True)
        require(frame, "queue_size", int, optional=True)  # type-checked as rosbridge does; nothing queues here
        ros_type = self._check_type(frame, topic, known)
        self._refuse_platform_topic(frame, topic)
        self._register(topic, ros_type, op_id(frame), bool(latch))
        self.server.emit(BridgeEvent("advertised", self.id, topic))

    def _register(self, topic: str, ros_type: str, advert_id: Any, latch: bool) -> None:
        self.advertised[topic] = ros_type
        self.advertisements.setdefault(topic, set()).add(advert_id)
        if latch:
            self.latched_topics.add(topic)
        self.server.note_advertised(topic, ros_type)

    def _op_unadvertise(self, frame: dict) -> None:
        """§3.2.2: with an ``id`` only that advertisement ends; without, all of this client's on the topic."""
        topic, _ = self._topic_and_type(frame)
        ids = self.advertisements.get(topic)
        advert_id = op_id(frame)
        if ids is None:
            raise ProtocolError(f"topic {topic} is not advertised by this client", op_id=advert_id, level="warning")
        if advert_id is not None and advert_id not in ids:
            raise ProtocolError(f"topic {topic} has no advertisement with id {advert_id!r} from this client",
                                op_id=advert_id, level="warning")
        ids.difference_update(ids if advert_id is None else {advert_id})
        if not ids:
            del self.advertisements[topic]
            del self.advertised[topic]
            self.latched_topics.discard(topic)
            self._drop_latched({topic})

    def _drop_latched(self, topics: set[str]) -> None:
        """A latched message lives as long as its publisher, as with a ROS 2 transient-local publisher:
        only the message this client published goes (another client's that replaced it stays)."""
        for topic in topics:
            self.server.drop_latched(topic, self.id)

    def _refuse_platform_topic(self, frame: dict, topic: str) -> None:
        spec = self.server.registry.get(topic)
        if spec is not None and spec.direction is Direction.TO_STACK:
            raise ProtocolError(f"topic {topic} is published by the platform; a client cannot publish on it",
                                op_id=op_id(frame))

    def _op_publish(self, frame: dict) -> None:
        """§3.2.3.  As rosbridge: a ``type`` registers a topic not advertised yet, ``msg`` defaults to {},
        and a ``std_msgs/Header`` given without ``stamp`` (or with stamp ``"now"``) is stamped with the
        simulation time of the last ``/clock``; a header left out keeps stamp 0 (rosbridge stamps only the
        headers a message holds), which lockstep refuses after step 0 as a control with no stamp."""
        topic, known = self._topic_and_type(frame)
        self._refuse_platform_topic(frame, topic)
        latch = require(frame, "latch", bool, optional=True)
        require(frame, "queue_size", int, optional=True)
        ros_type = self.advertised.get(topic)
        if ros_type is None:
            ros_type = self._check_type(frame, topic, known)
            if ros_type is None:
                raise ProtocolError(f"cannot publish on {topic}: unknown topic; advertise it or give its 'type'",
                                    op_id=op_id(frame))
            if known is None:
                self._register(topic, ros_type, op_id(frame), bool(latch))
        body = require(frame, "msg", dict, optional=True)
        try:
            msg = from_plain(ros_type, {} if body is None else body, options=self._decode)
        except MessageError as exc:
            self.server.emit(BridgeEvent("invalid_message", self.id, topic, detail=str(exc)))
            self.send_status("error", str(exc), op_id(frame))
            return
        self.server.emit(BridgeEvent("message", self.id, topic, msg))
        latch = bool(latch) or topic in self.latched_topics
        self.server.relay(PublishFrames(topic, msg, self.server.sim_time_ns), latch=latch, client=self.id)

    def _op_subscribe(self, frame: dict) -> None:
        topic, known = self._topic_and_type(frame)
        ros_type = self._check_type(frame, topic, known)
        if ros_type is None:
            raise ProtocolError(f"cannot subscribe to {topic}: unknown topic and no type given", op_id=op_id(frame))
        compression = require(frame, "compression", optional=True) or "none"
        if compression not in COMPRESSIONS:
            # rosbridge's update_params falls back to plain JSON for a value it does not know; say so.
            self.send_status("warning", f"compression {compression!r} is not supported (use one of "
                             f"{', '.join(COMPRESSIONS)}); sending {topic} as plain JSON", op_id(frame))
            compression = "none"
        throttle = require(frame, "throttle_rate", int, optional=True) or 0
        queue = require(frame, "queue_length", int, optional=True) or 0
        fragment_size = self._fragment_size(frame, topic)
        if throttle < 0 or queue < 0:
            raise ProtocolError("throttle_rate and queue_length must be >= 0", op_id=op_id(frame))
        self.server.note_advertised(topic, ros_type)
        sub = self.subscriptions.get(topic)
        if sub is None:
            sub = self.subscriptions[topic] = TopicSubscription(topic, self.send)
        sub.add(SubscribeRequest(op_id(frame), compression, throttle, queue, fragment_size))
        self.server.note_subscribers_changed()
        latched = self.server.latched.get(topic)
        if latched is not None:
            sub.deliver(latched)
        self.server.emit(BridgeEvent("subscribed", self.id, topic))

    def _op_unsubscribe(self, frame: dict) -> None:
        """§3.2.5: with an ``id`` only that subscription ends; without, all of this client's on the topic."""
        topic, _ = self._topic_and_type(frame)
        sub = self.subscriptions.get(topic)
        if sub is None:
            raise ProtocolError(f"not subscribed to {topic}", op_id=op_id(frame), level="warning")
        sub.remove(op_id(frame))
        if sub.empty:
            del self.subscriptions[topic]
        self.server.note_subscribers_changed()

    def _op_call_service(self, frame: dict) -> None:
        """§3.2.8.  ``args``: an object or a list in request-field order; ``fragment_size`` and ``compression``
        (``png``) shape the response; a legacy ``service#id`` name carries the id (rosbridge's extract_id)."""
        service = require(frame, "service")
        call_id = op_id(frame)
        if "#" in service:
            service, _, legacy_id = service.partition("#")
            call_id = legacy_id if call_id is None else call_id
        fragment_size = self._fragment_size(frame, f"the response of {service}")
        compression = require(frame, "compression", optional=True) or "none"
        if compression not in SERVICE_COMPRESSIONS:
            # as subscribe does: say so, and answer in plain JSON
            self.send_status("warning", f"compression {compression!r} is not supported for a service response "
                             f"(use one of {', '.join(SERVICE_COMPRESSIONS)}); sending the response of {service} "
                             "as plain JSON", call_id)
            compression = "none"
        args = frame.get("args")
        if isinstance(args, list) and len(args) == 1 and isinstance(args[0], dict):
            args = args[0]  # [{...}]: the object form wrapped in a list, as some clients send it
        response: dict[str, Any] = {"op": "service_response", "service": service}
        if call_id is not None:
            response["id"] = call_id
        spec = self.server.services.get(service)
        if spec is None:
            # Only the response, as rosbridge: the reason is in 'values', and a status frame besides would
            # be one more message for clients to ignore (roslibpy logs an exception for every status).
            response.update(values=f"Service {service} does not exist", result=False)
            self.send_text(dumps_json(response), compression, fragment_size, call_id)
            self.server.emit(BridgeEvent("protocol_error", self.id, detail=f"service {service} does not exist"))
            return
        try:
            response.update(values=spec.call(args), result=True)
        except ServiceFailure as exc:
            response.update(values=str(exc), result=False)
        except (KeyError, TypeError, ValueError) as exc:
            response.update(values=f"service {service} failed: {exc}", result=False)
        self.send_text(dumps_json(response), compression, fragment_size, call_id)

    def _fragment_size(self, frame: dict, what: str) -> int | None:
        """``fragment_size``: None (or 0, the value typed clients send for "unset") means whole frames.
        A size under :data:`MIN_FRAGMENT_SIZE` is raised to it, with a warning: a 1 MB message cut into
        1-character fragments is a million frames built and sent on the server loop, stalling lockstep."""
        size = require(frame, "fragment_size", int, optional=True)
        if size is not None and size < 0:
            raise ProtocolError(f"fragment_size must be >= 0 (0: no fragments), got {size}", op_id=op_id(frame))
        if size and size < MIN_FRAGMENT_SIZE:
            self.send_status("warning", f"fragment_size {size} is below the minimum of {MIN_FRAGMENT_SIZE}; "
                             f"{what} is cut into fragments of {MIN_FRAGMENT_SIZE} characters", op_id(frame))
            size = MIN_FRAGMENT_SIZE
        return size or None

    def _op_service_response(self, frame: dict) -> None:
        raise ProtocolError("no service call of the server is waiting for a response", op_id=op_id(frame),
                            level="warning")

    def _op_status(self, frame: dict) -> None:
        """A client's status report: logged as an event, not answered."""
        self.server.emit(BridgeEvent("client_status", self.id, detail=str(frame.get("msg", ""))))

    def close(self) -> None:
        self._drop_latched({t for t, owner in self.server.latched_by.items() if owner == self.id})
        for sub in self.subscriptions.values():
            sub.remove(None)
        self.subscriptions.clear()
        self.outbox.put_nowait(None)


class _SimulationClock:
    """The ``codec.DecodeOptions`` of a client's publish: ``now`` is the simulation time of the last
    ``/clock``, built only when a message needs it (most controls carry their stamp)."""

    nan_from_null = False

    def __init__(self, server: "RosbridgeServer") -> None:
        self.server = server

    @property
    def now(self) -> Time:
        sec, nanosec = divmod(self.server.sim_time_ns, 1_000_000_000)
        return Time(sec, nanosec)
