"""The stack under test as the engine sees it: one protocol, two transports.

Engine API (DESIGN.md "Stack")::

    session = open_stack(StackConfig(...), registry)   # in-process or rosbridge
    session.setup(StackSetup(topics=registry, dt=0.01, route=path))
    for each step:
        command = session.step({"/clock": Clock(...), "/ego/odometry": ..., ...})
        # Control | AckermannCommand, or None in free-running mode before the first control
    session.close()                                    # stops the process, keeps its log
    result.artifacts.update(session.artifacts)

``observations`` maps topic names to bridge messages and always holds
``/clock``; the same dict goes to a Python stack's ``step`` and, as rosbridge
``publish`` frames, to a stack over the socket, so the two transports are
interchangeable.  Faults raise :class:`~simplatform.errors.StackError` or
:class:`~simplatform.errors.StackTimeout` (an *error* verdict, not a fail);
the session is then closed and the suite goes on with the next scenario.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Protocol, Sequence, runtime_checkable

from ..errors import ConfigError
from .controls import EngineCommand
from .msgs import Path as PathMsg
from .msgs import PoseStamped
from .topics import TopicRegistry


@dataclass(frozen=True)
class StackSetup:
    """What a stack is told once, before the first step."""

    topics: TopicRegistry
    dt: float
    route: PathMsg | None = None
    goal: PoseStamped | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    seed: int = 0


@runtime_checkable
class Stack(Protocol):
    """A Python stack, named ``module:Class`` in a launch file and called directly.

    ``step`` returns an ``AckermannDriveStamped`` (stamped with the step's
    clock), a ``CarlaEgoVehicleControl``, or a bare ``Control`` /
    ``AckermannCommand``.  An optional ``close()`` is called at the end.

    Optional class attributes, the in-process counterpart of a ROS node's
    subscriptions (a topic is delivered only to its subscribers, rclcpp
    ``create_subscription``); run in process, the harness builds only what
    they name (``simplatform.harness.observe``), over rosbridge the stack's
    own subscriptions decide and these change nothing:

    * ``subscribed_sensor_types: frozenset[str]`` — the ROS types of the
      sensor messages it reads (``"vision_msgs/msg/Detection3DArray"``); a
      rig sensor none of whose topics has such a type is not run.
    * ``subscribed_topics: frozenset[str]`` — the exact names of the
      platform's own topics it reads besides ``/clock`` (``/ego/odometry``,
      ``/ego/vehicle_status``, ``/traffic_lights``, ``/ground_truth/objects``,
      and the latched ``/route``, ``/route/info``, ``/sensors/mounts``); one
      outside it is neither built nor put in ``observations``.  Sensor topics
      are governed by ``subscribed_sensor_types`` alone.

    Each is read from the stack's own class body, not inherited: a subclass
    may read more than its parent, so without a declaration of its own it gets
    everything.  Without the attribute a stack gets every topic.  A value that
    is not a collection of strings is a ``ConfigError`` naming the class.
    """

    def setup(self, setup: StackSetup) -> None: ...

    def step(self, observations: Mapping[str, Any]) -> Any: ...


class StackSession(Protocol):
    """What :func:`open_stack` returns; both transports implement it."""

    artifacts: dict[str, str]

    def setup(self, setup: StackSetup) -> None: ...

    def step(self, observations: Mapping[str, Any]) -> EngineCommand | None: ...

    def close(self) -> None: ...


TRANSPORTS = ("inprocess", "rosbridge")
MODES = ("lockstep", "free")


@dataclass(frozen=True)
class StackConfig:
    """The ``stack:`` block of a launch file.

    ``transport: inprocess`` needs ``stack_class`` (``module:Class``).
    ``transport: rosbridge`` serves the rosbridge protocol on ``host:port``
    (port 0 picks a free one) and, when ``command`` is given, starts that
    process (``cwd``, ``env``) and waits ``connect_timeout`` s for it to
    subscribe to ``/clock``; its output goes to ``log_path``.  ``mode`` is
    ``lockstep`` (wait up to ``step_timeout`` s for the control of each step)
    or ``free`` (use the latest control received, pacing the loop to wall time
    times ``real_time_factor``; 0 runs as fast as possible).
    """

    transport: str = "inprocess"
    stack_class: str | None = None
    command: str | Sequence[str] | None = None
    cwd: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    host: str = "127.0.0.1"
    port: int = 0
    token: str | None = None
    mode: str = "lockstep"
    step_timeout: float = 2.0
    connect_timeout: float = 10.0
    log_path: str | None = None
    real_time_factor: float = 1.0
    max_message_bytes: int = 16 * 2**20
    max_messages_per_second: int = 10_000

    def validate(self) -> "StackConfig":
        if self.transport not in TRANSPORTS:
            raise ConfigError(f"stack transport must be one of {', '.join(TRANSPORTS)}, got {self.transport!r}",
                              element="stack.transport")
        if self.mode not in MODES:
            raise ConfigError(f"stack mode must be one of {', '.join(MODES)}, got {self.mode!r}",
                              element="stack.mode")
        if self.transport == "inprocess" and not self.stack_class:
            raise ConfigError("an in-process stack needs 'class: module:Class'", element="stack.class")
        if self.step_timeout <= 0 or self.connect_timeout <= 0:
            raise ConfigError("stack timeouts must be positive", element="stack.step_timeout")
        return self


def open_stack(config: StackConfig, registry: TopicRegistry, *, log_dir: str | Path = ".") -> StackSession:
    """Build the session for a configured stack (the rosbridge server starts here)."""
    config.validate()
    if config.transport == "inprocess":
        from .inprocess import InProcessStack, load_stack
        return InProcessStack(load_stack(config.stack_class or ""))
    from .lockstep import BridgeStack
    return BridgeStack.from_config(config, registry, log_dir=Path(log_dir))
