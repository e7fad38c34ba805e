"""The stack over rosbridge, stepped in lockstep (or free-running).

Protocol of one step k (documented for stack authors in the README):

1. the platform publishes the observations due at step k, then ``/clock``
   with the time of step k — ``/clock`` comes last, so a stack that acts on
   the clock has every observation of that step (a WebSocket keeps order);
2. the stack publishes ``/ego/control`` (AckermannDriveStamped) or
   ``/ego/vehicle_control`` (CarlaEgoVehicleControl) with
   ``header.stamp`` equal to that clock;
3. the platform waits up to ``step_timeout`` s for it, then steps the world.

A stack is *ready* when it has subscribed to ``/clock``; it should subscribe
to everything else first.  Faults and what they become: no control in time →
:class:`StackTimeout`; a control for another step, a control that does not fit
its type, a disconnect, the stack process exiting → :class:`StackError`, each
with a message that says what happened.  Garbage frames (malformed JSON or
CBOR, unknown ops) get a rosbridge ``status`` error and are quoted in the
timeout message if no usable control follows.

Free-running mode (``mode: free``) for stacks that cannot step: nothing waits
for the stack; the loop is paced to wall time times ``real_time_factor``
(0: as fast as possible) and step k uses the latest control received before
its own observations were published (None before the first): at least one
step of latency, as a real asynchronous stack has, whatever the stack's speed.
"""

from __future__ import annotations

import queue
import secrets
import time
from pathlib import Path
from typing import Any, Mapping

from ..errors import StackError, StackTimeout
from .controls import EngineCommand, to_engine_command
from .inprocess import check_stamp, clock_of
from .launch import StackProcess
from .server import RosbridgeServer
from .session import BridgeEvent
from .stack import StackConfig, StackSetup
from .topics import CLOCK, CONTROL_TOPICS, GOAL, ROUTE, TopicRegistry

POLL_S = 0.05  # how often a wait looks at the stack process while no event arrives
EXIT_GRACE_S = 0.5  # after a disconnect, how long to wait for the process to show an exit code


class BridgeStack:
    def __init__(
        self,
        server: RosbridgeServer,
        *,
        mode: str = "lockstep",
        step_timeout: float = 2.0,
        connect_timeout: float = 10.0,
        process: StackProcess | None = None,
        real_time_factor: float = 1.0,
    ) -> None:
        self.server = server
        self.mode = mode
        self.step_timeout = step_timeout
        self.connect_timeout = connect_timeout
        self.process = process
        self.real_time_factor = real_time_factor
        self._wall_start: float | None = None
        self.artifacts: dict[str, str] = {}
        if process is not None:
            self.artifacts["stack_log"] = str(process.log_path)
        self.stack_client: int | None = None
        self._step = 0
        self._stamps: dict[int, int] = {}
        self._latest: EngineCommand | None = None
        self._garbage: list[str] = []
        self._closed = False

    @classmethod
    def from_config(cls, config: StackConfig, registry: TopicRegistry, *, log_dir: Path) -> "BridgeStack":
        token = config.token
        if config.command is not None and token is None:
            token = secrets.token_hex(16)  # a launched stack gets a fresh token; nobody else can drive it
        server = RosbridgeServer(registry, host=config.host, port=config.port, token=token,
                                 max_message_bytes=config.max_message_bytes,
                                 max_messages_per_second=config.max_messages_per_second).start()
        process = None
        if config.command is not None:
            log_path = Path(config.log_path) if config.log_path else log_dir / "stack.log"
            process = StackProcess(config.command, log_path=log_path, env=config.env, cwd=config.cwd)
        return cls(server, mode=config.mode, step_timeout=config.step_timeout,
                   connect_timeout=config.connect_timeout, process=process,
                   real_time_factor=config.real_time_factor)

    # ------------------------------------------------------------------ session API
    def setup(self, setup: StackSetup) -> None:
        """Publish the latched route/goal, start the stack process if any, wait until it is ready."""
        latched = [(t, m) for t, m in ((ROUTE, setup.route), (GOAL, setup.goal)) if m is not None]
        if latched:
            self.server.publish_many(latched, latch=True)
        if self.process is not None:
            env = {"SIMPLATFORM_BRIDGE_URL": self.server.url, "SIMPLATFORM_BRIDGE_HOST": self.server.host,
                   "SIMPLATFORM_BRIDGE_PORT": str(self.server.port)}
            if self.server.token is not None:
                env["SIMPLATFORM_BRIDGE_TOKEN"] = self.server.token
            self.process.start(env)
        deadline = time.monotonic() + self.connect_timeout
        while self.stack_client is None:
            event = self._next_event(deadline, "while waiting for the stack to connect")
            if event is None:
                raise StackTimeout(
                    f"the stack did not connect and subscribe to {CLOCK} within {self.connect_timeout:g} s "
                    f"(rosbridge server at {self.server.url})" + self._garbage_note() + self._log_note())
            if event.kind == "subscribed" and event.topic == CLOCK:
                self.stack_client = event.client

    def step(self, observations: Mapping[str, Any]) -> EngineCommand | None:
        if self._closed:
            raise StackError("the stack session is closed")
        expected = clock_of(observations)
        k = self._step
        self._stamps[expected.to_nanoseconds()] = k
        items = [(t, m) for t, m in observations.items() if t != CLOCK]
        items.append((CLOCK, observations[CLOCK]))
        if self.mode == "free":
            # Pace and drain *before* publishing: step k then uses the latest control that
            # arrived before its own observations went out, never one computed from them.
            # That is the one-step latency a real asynchronous stack has, and it does not
            # depend on how fast the stack answers (step 0 always gets None).
            self._pace(expected.to_seconds())
            self._drain(expected, k)
            self.server.publish_many(items)
            self._step += 1
            return self._latest
        self.server.publish_many(items)
        self._step += 1
        context = f"while waiting for the control of step {k} (t={expected.to_seconds():.3f} s)"
        deadline = time.monotonic() + self.step_timeout
        while True:
            event = self._next_event(deadline, context)
            if event is None:
                raise StackTimeout(
                    f"no control from the stack for step {k} (t={expected.to_seconds():.3f} s) within "
                    f"{self.step_timeout:g} s on {' or '.join(CONTROL_TOPICS)}" + self._garbage_note()
                    + self._log_note())
            command = self._handle(event, expected, k, context, lockstep=True)
            if command is not None:
                self._latest = command
                return command

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            if self.process is not None:
                self.process.stop()
        finally:
            self.server.stop()

    # ------------------------------------------------------------------ internals
    def _next_event(self, deadline: float, context: str) -> BridgeEvent | None:
        """The next event, or None at the deadline; the stack process is checked while waiting."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                event = self.server.events.get(timeout=min(remaining, POLL_S))
            except queue.Empty:
                if self.process is not None:
                    self.process.check_alive(context)
                continue
            if event.kind == "disconnected" and event.client == self.stack_client:
                self._disconnected(event, context)
            if event.kind == "protocol_error" and self.stack_client in (None, event.client):
                self._garbage.append(event.detail)
            return event

    def _pace(self, sim_time: float) -> None:
        """Free running: the stack lives on the wall clock, so the simulation keeps pace with it."""
        if self.real_time_factor <= 0:
            return
        now = time.monotonic()
        if self._wall_start is None:
            self._wall_start = now - sim_time / self.real_time_factor
        delay = self._wall_start + sim_time / self.real_time_factor - now
        if delay > 0:
            time.sleep(delay)

    def _disconnected(self, event: BridgeEvent, context: str) -> None:
        """A dropped connection is often a dying process: give it a moment, and report the exit if so."""
        if self.process is not None:
            deadline = time.monotonic() + EXIT_GRACE_S
            while self.process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)
            self.process.check_alive(f"{context} (its connection dropped: {event.detail})")
        raise StackError(f"the stack disconnected ({event.detail}) {context}" + self._log_note())

    def _drain(self, expected: Any, k: int) -> None:
        context = f"at step {k}"
        if self.process is not None:
            self.process.check_alive(context)
        while True:
            try:
                event = self.server.events.get_nowait()
            except queue.Empty:
                return
            if event.kind == "disconnected" and event.client == self.stack_client:
                self._disconnected(event, context)
            command = self._handle(event, expected, k, context, lockstep=False)
            if command is not None:
                self._latest = command

    def _handle(self, event: BridgeEvent, expected: Any, k: int, context: str, *, lockstep: bool) -> EngineCommand | None:
        if event.client != self.stack_client or event.topic not in CONTROL_TOPICS:
            return None
        if event.kind == "invalid_message":
            raise StackError(f"the stack sent an unusable control on {event.topic} {context}: {event.detail}")
        if event.kind != "message":
            return None
        if lockstep:
            check_stamp(event.msg, expected, k, self._stamps, source="the stack")
        return to_engine_command(event.msg, source="the stack")

    def _garbage_note(self) -> str:
        if not self._garbage:
            return ""
        return (f"; meanwhile the stack sent {len(self._garbage)} frame(s) the server refused, "
                f"the last: {self._garbage[-1]}")

    def _log_note(self) -> str:
        if self.process is None:
            return ""
        tail = self.process.log_tail(8)
        return f"\nstack log {self.process.log_path}" + (":\n" + tail if tail else " is empty")
