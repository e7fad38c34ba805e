"""Run a Python stack class as a separate process over rosbridge, with ``roslibpy`` as the client.

    python -m simplatform.bridge.client my_pkg.my_stack:MyStack [--url ws://127.0.0.1:9090] [--token T]

The URL and token default to ``SIMPLATFORM_BRIDGE_URL`` / ``SIMPLATFORM_BRIDGE_TOKEN``
(set by the platform when it launches the process).  The adapter is what a
ROS 2 node would do, in a few lines: ask ``/rosapi/topics`` what there is,
subscribe to every topic the platform publishes, advertise the control
topics, subscribe to ``/clock`` *last* (that is the readiness signal), and on
each ``/clock`` hand the observations gathered since the previous clock to
``stack.step`` and publish its control stamped with that clock.  The same
class run in-process (``transport: inprocess``) gets the same observation
dicts, so both transports drive identically.  The route and goal are latched
topics and arrive in the first step's observations.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from typing import Any
from urllib.parse import urlparse

import roslibpy

from ..control import AckermannCommand, Control
from .codec import from_plain, to_plain
from .controls import from_engine_command
from .inprocess import load_stack
from .msgs import AckermannDriveStamped, CarlaEgoVehicleControl, Clock, short_type
from .stack import StackSetup
from .topics import CLOCK, CONTROL, CONTROL_TOPICS, VEHICLE_CONTROL, Direction, TopicRegistry, TopicSpec


class RoslibpyStackAdapter:
    def __init__(self, stack: Any, ros: roslibpy.Ros, dt: float) -> None:
        self.stack = stack
        self.ros = ros
        self.dt = dt
        self.pending: dict[str, Any] = {}
        self.publishers: dict[str, roslibpy.Topic] = {}
        self.subscriptions: list[roslibpy.Topic] = []
        self.error: BaseException | None = None

    def start(self) -> None:
        types = _topics_and_types(self.ros)
        registry = TopicRegistry(
            TopicSpec(t, ty, Direction.FROM_STACK if t in CONTROL_TOPICS else Direction.TO_STACK)
            for t, ty in types.items())
        self.stack.setup(StackSetup(topics=registry, dt=self.dt))
        for topic in (CONTROL, VEHICLE_CONTROL):
            pub = roslibpy.Topic(self.ros, topic, short_type(types[topic]))
            pub.advertise()
            self.publishers[topic] = pub
        for topic, ros_type in types.items():
            if topic in CONTROL_TOPICS or topic == CLOCK:
                continue
            self._subscribe(topic, ros_type)
        self._subscribe(CLOCK, types[CLOCK])

    def _subscribe(self, topic: str, ros_type: str) -> None:
        sub = roslibpy.Topic(self.ros, topic, short_type(ros_type))
        sub.subscribe(lambda data, t=topic, ty=ros_type: self._on_message(t, ty, data))
        self.subscriptions.append(sub)

    def _on_message(self, topic: str, ros_type: str, data: dict) -> None:
        try:
            msg = from_plain(ros_type, dict(data), nan_from_null=True)  # the server writes NaN as null (rosbridge)
            if topic != CLOCK:
                self.pending[topic] = msg
                return
            observations = {**self.pending, CLOCK: msg}
            self.pending = {}
            answer = self.stack.step(observations)
            self._publish_control(answer, msg)
        except BaseException as exc:  # report and stop: the platform sees the disconnect and the log
            self.error = exc
            print(f"stack adapter: {exc!r}", file=sys.stderr, flush=True)
            self.ros.close()

    def _publish_control(self, answer: Any, clock: Clock) -> None:
        if isinstance(answer, (Control, AckermannCommand)):
            answer = from_engine_command(answer, clock.clock)
        topic = CONTROL if isinstance(answer, AckermannDriveStamped) else VEHICLE_CONTROL
        if not isinstance(answer, (AckermannDriveStamped, CarlaEgoVehicleControl)):
            raise TypeError(f"stack returned {type(answer).__name__}, not a control")
        self.publishers[topic].publish(roslibpy.Message(to_plain(answer, "json")))


def authenticate(ros: roslibpy.Ros, token: str | None) -> None:
    """Send the rosbridge auth op on a connected ``ros`` before anything else, when a token is set.

    Not ``Ros.authenticate``: roslibpy sends it on the *next* connection-ready event, so a client already
    connected when it is called (the asyncio transport connects inside ``Ros()``) never authenticates, and
    a call made right after ``run()`` can overtake it; sent here, from this thread, it goes out first."""
    if token:
        ros.send_on_ready(roslibpy.Message({"op": "auth", "mac": token, "client": "", "dest": "", "rand": "",
                                            "t": 0, "level": "", "end": 0}))


def _topics_and_types(ros: roslibpy.Ros) -> dict[str, str]:
    """Topic -> type from ``/rosapi/topics`` (roslibpy's ``get_topics`` keeps only the names)."""
    service = roslibpy.Service(ros, "/rosapi/topics", "rosapi/Topics")
    response = service.call(roslibpy.ServiceRequest({}), timeout=10)
    return dict(zip(response["topics"], response["types"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simplatform.bridge.client", description=__doc__.split("\n")[0])
    parser.add_argument("stack", help="module:Class of the stack")
    parser.add_argument("--url", default=os.environ.get("SIMPLATFORM_BRIDGE_URL", "ws://127.0.0.1:9090"))
    parser.add_argument("--token", default=os.environ.get("SIMPLATFORM_BRIDGE_TOKEN"))
    parser.add_argument("--dt", type=float, default=float(os.environ.get("SIMPLATFORM_BRIDGE_DT", "0.01")))
    args = parser.parse_args(argv)
    url = urlparse(args.url)
    stack = load_stack(args.stack)
    ros = roslibpy.Ros(host=url.hostname or "127.0.0.1", port=url.port or 9090)
    closed = threading.Event()
    ros.on("close", lambda *_: closed.set())
    ros.run(timeout=10)
    authenticate(ros, args.token)
    adapter = RoslibpyStackAdapter(stack, ros, args.dt)
    adapter.start()
    closed.wait()
    ros.terminate()
    return 1 if adapter.error is not None else 0


if __name__ == "__main__":
    sys.exit(main())
