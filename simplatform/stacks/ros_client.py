"""The reference stack as its own process over the rosbridge WebSocket — and the example for your own.

    python -m simplatform.stacks.ros_client [--stack module:Class] [--url ws://127.0.0.1:9090]
                                            [--token T] [--params '{"cruise_speed": 20}']

What a stack process does, in the order the lockstep protocol needs
(``simplatform.bridge.lockstep``):

1. connect with ``roslibpy`` to the URL in ``SIMPLATFORM_BRIDGE_URL`` (and
   authenticate with ``SIMPLATFORM_BRIDGE_TOKEN`` when the platform set one);
2. ask ``/rosapi/topics`` what the platform publishes, and with which types;
3. advertise ``/ego/control`` (ackermann_msgs/AckermannDriveStamped);
4. subscribe to every topic it publishes, ``/clock`` **last** — subscribing to
   ``/clock`` tells the platform the stack is ready;
5. keep the latest message of each topic; on each ``/clock``, hand them (with
   the clock) to the stack and publish its control stamped with that clock.

The platform publishes a step's observations before its ``/clock``, over one
ordered WebSocket, so step 5 sees exactly what an in-process run sees: the
same class gives the same controls either way.  Messages arrive as rosbridge
JSON and are turned into the bridge's message dataclasses with
``simplatform.bridge.codec.from_plain``; a stack in another language would
read the JSON (or CBOR) directly.  Any exception ends the process with a
traceback in its log: the platform reports it as an error verdict.

This module is self-contained on purpose: it is the example to copy for a
stack of your own, so every step of the protocol above is written out here
with ``roslibpy`` alone (only the message codec and the class loader come
from the platform).  ``simplatform.bridge.client`` is the platform's own
adapter for the same protocol (both control topics, engine commands, topic
registry); it overlaps with this file by design, not by accident.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import traceback
from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import urlparse

import roslibpy

from simplatform.bridge.codec import from_plain, to_plain
from simplatform.bridge.inprocess import load_stack

CLOCK = "/clock"
CONTROL = "/ego/control"
CONTROL_TYPE = "ackermann_msgs/AckermannDriveStamped"
FROM_STACK = ("/ego/control", "/ego/vehicle_control")


@dataclass(frozen=True)
class ClientSetup:
    """What ``stack.setup`` gets here: the step and the parameters (route and goal come as topics)."""

    dt: float
    parameters: Mapping[str, Any] = field(default_factory=dict)
    route: Any = None


class StackNode:
    def __init__(self, stack: Any, ros: roslibpy.Ros) -> None:
        self.stack = stack
        self.ros = ros
        self.latest: dict[str, Any] = {}
        self.control: roslibpy.Topic | None = None
        self.failed = False

    def start(self) -> None:
        service = roslibpy.Service(self.ros, "/rosapi/topics", "rosapi/Topics")
        answer = service.call(roslibpy.ServiceRequest({}), timeout=10)
        types = dict(zip(answer["topics"], answer["types"]))
        self.control = roslibpy.Topic(self.ros, CONTROL, CONTROL_TYPE)
        self.control.advertise()
        for topic in sorted(types):
            if topic not in FROM_STACK and topic != CLOCK:
                self._subscribe(topic, types[topic])
        self._subscribe(CLOCK, types[CLOCK])

    def _subscribe(self, topic: str, ros_type: str) -> None:
        roslibpy.Topic(self.ros, topic, ros_type).subscribe(
            lambda data, t=topic, ty=ros_type: self._on_message(t, ty, data))

    def _on_message(self, topic: str, ros_type: str, data: dict) -> None:
        if self.failed:
            return
        try:
            msg = from_plain(ros_type, dict(data), nan_from_null=True)  # the server writes NaN as null (rosbridge)
            if topic != CLOCK:
                self.latest[topic] = msg
                return
            observations = {**self.latest, CLOCK: msg}
            self.latest = {}
            answer = self.stack.step(observations)
            self.control.publish(roslibpy.Message(to_plain(answer, "json")))
        except Exception:  # the platform sees the disconnect; the log says why
            self.failed = True
            traceback.print_exc()
            sys.stderr.flush()
            self.ros.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simplatform.stacks.ros_client", description=__doc__.split("\n")[0])
    parser.add_argument("--stack", default="simplatform.stacks:ReferenceStack", help="module:Class of the stack")
    parser.add_argument("--url", default=os.environ.get("SIMPLATFORM_BRIDGE_URL", "ws://127.0.0.1:9090"))
    parser.add_argument("--token", default=os.environ.get("SIMPLATFORM_BRIDGE_TOKEN"))
    parser.add_argument("--dt", type=float, default=float(os.environ.get("SIMPLATFORM_BRIDGE_DT", "0.01")))
    parser.add_argument("--params", default=os.environ.get("SIMPLATFORM_STACK_PARAMS", "{}"),
                        help="stack parameters as a JSON object")
    args = parser.parse_args(argv)
    # the platform's vehicle calibration first (wheelbase, box), then the user's parameters
    params = {**json.loads(os.environ.get("SIMPLATFORM_STACK_VEHICLE", "{}")), **json.loads(args.params)}
    stack = load_stack(args.stack)
    stack.setup(ClientSetup(dt=args.dt, parameters=params))
    url = urlparse(args.url)
    ros = roslibpy.Ros(host=url.hostname or "127.0.0.1", port=url.port or 9090)
    closed = threading.Event()
    ros.on("close", lambda *_: closed.set())
    ros.run(timeout=10)
    if args.token:  # the auth op first, sent once connected (roslibpy's Ros.authenticate waits for the *next*
        # connection-ready event, which a client already connected never sees, and later calls can overtake it)
        ros.send_on_ready(roslibpy.Message({"op": "auth", "mac": args.token, "client": "", "dest": "", "rand": "",
                                            "t": 0, "level": "", "end": 0}))
    node = StackNode(stack, ros)
    node.start()
    closed.wait()
    ros.terminate()
    return 1 if node.failed else 0


if __name__ == "__main__":
    sys.exit(main())
