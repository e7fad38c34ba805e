"""The reference driving stack: object-list perception, IDM/MOBIL planning, pure pursuit and PID.

A stack in the bridge's ``Stack`` shape (``setup(setup)``, ``step(observations)``)
that reads only ROS 2 topics (see :mod:`.inputs` for the list) and answers
``ackermann_msgs/AckermannDriveStamped`` stamped with the step's clock.  The
same class runs in-process (``transport: inprocess``,
``class: simplatform.stacks:ReferenceStack``) and, unchanged, as its own
process over rosbridge (``python -m simplatform.stacks.ros_client``).

Per step: latched topics (route, route info, sensor mounts) are taken when
they arrive; every object list updates the tracker; every
``planning_period`` the planner decides (with what V2X says, :mod:`.v2x`) an acceleration and a lane
(:mod:`.planner`); every step the controllers turn that into a speed set
point and a steering angle (:mod:`.control`).  It is a function of its
inputs only (no wall clock, no unseeded randomness), so in-process and
over-the-socket runs give the same trajectory.  ``events`` logs its
decisions (AEB, lane changes) with their times, for tests and debugging.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

from simplatform.bridge.msgs import AckermannDrive, AckermannDriveStamped, Detection3DArray, Header

from . import inputs
from .control import PurePursuit, SpeedController
from .parameters import StackParameters
from .planner import Plan, Planner
from .route import RoutePath
from .tracking import Tracker
from .v2x import V2XAwareness


class ReferenceStack:
    """The baseline ADS the platform runs against out of the box."""

    subscribed_sensor_types: frozenset[str] = frozenset({"vision_msgs/msg/Detection3DArray"})
    """The sensor messages ``perceive`` reads (object lists); run in-process, the harness runs no other
    sensor of the rig (``simplatform.harness.observe``) — over rosbridge the client subscribes to all.
    Not inherited by the harness: a subclass declares its own (in its class body) or gets every sensor."""

    subscribed_topics: frozenset[str] = frozenset({
        inputs.ODOMETRY, inputs.TRAFFIC_LIGHTS, inputs.ROUTE, inputs.ROUTE_INFO, inputs.SENSOR_MOUNTS,
        inputs.GROUND_TRUTH_OBJECTS})
    """The platform's own (non-sensor) topics it reads, by exact name, besides ``/clock`` — as a ROS
    node's subscriptions would list them: never ``/ego/vehicle_status`` (speed comes from the odometry's
    twist) nor ``/goal`` (the route ends at it).  Object lists on ``/sensors/<n>/objects`` are sensor
    topics (``subscribed_sensor_types``); the ``/v2x/<n>`` radios, read by prefix whatever their number,
    are the rig's V2X outputs and not named here.  Run in-process, the harness builds no other platform
    topic; over rosbridge the client subscribes to all.  Not inherited either."""

    def __init__(self, **parameters: Any) -> None:
        self._init_parameters = dict(parameters)
        self.params = StackParameters.from_mapping(parameters)
        self.dt = 0.01
        self.route: RoutePath | None = None
        self.mounts: dict[str, Any] = {}
        self.tracker = Tracker(measurement_noise=0.25, by_id=True)
        self.lights: dict[int, int] = {}
        self._lights_msg: Any = None
        self.plan: Plan | None = None
        self.events: list[tuple[float, str]] = []
        self._route_info = inputs.RouteInfo()
        self._next_plan = -math.inf
        self._build()

    def _build(self) -> None:
        self.planner = Planner(self.params)
        self.v2x = V2XAwareness(self.params)
        self.lateral = PurePursuit(self.params)
        self.longitudinal = SpeedController(self.params)

    # ------------------------------------------------------------------ Stack protocol
    def setup(self, setup: Any) -> None:
        """``setup`` is a ``simplatform.bridge.StackSetup`` (duck-typed: dt, route, parameters)."""
        self.dt = float(getattr(setup, "dt", 0.01) or 0.01)
        extra = dict(getattr(setup, "parameters", None) or {})
        if extra:
            self.params = StackParameters.from_mapping({**self._init_parameters, **extra})
            self._build()
        route = getattr(setup, "route", None)
        if route is not None and route.poses:
            self._set_route(route)

    def step(self, observations: Mapping[str, Any]) -> AckermannDriveStamped:
        clock = observations[inputs.CLOCK]
        self._latched(observations)
        odometry = observations.get(inputs.ODOMETRY)
        if odometry is None or self.route is None:
            return self._stamped(clock, 0.0, self.params.max_decel, 0.0)   # blind: stand still
        ego = inputs.ego_state(clock, odometry)
        self.perceive(observations, ego)
        lights = observations.get(inputs.TRAFFIC_LIGHTS)
        if lights is not None and lights is not self._lights_msg:  # the same (immutable) message: same states
            self._lights_msg = lights
            self.lights = inputs.traffic_lights(lights)
        v2x_topics = [t for t in observations if t.startswith("/v2x/")]
        if v2x_topics:
            for topic in sorted(v2x_topics):
                self.v2x.update(observations[topic], ego.time)
        if ego.time >= self._next_plan - 1e-9:
            self._next_plan = ego.time + self.params.planning_period
            previous = self.plan
            self.plan = self.planner.plan(ego, self.route, self.tracker.objects(ego.time), self.lights, self.v2x)
            self._log(ego.time, previous, self.plan)
        speed, accel = self.longitudinal.command(ego.speed, self.plan.accel, self.dt, self.plan.aeb)
        steer = self.lateral.steer(ego, self.route, self.plan.target_offset, self.dt)
        return self._stamped(clock, speed, accel, steer)

    # ------------------------------------------------------------------ parts
    def perceive(self, observations: Mapping[str, Any], ego: inputs.EgoState) -> None:
        """Object lists (``/sensors/*/objects``, ``/ground_truth/objects``) into the tracker."""
        lists = [topic for topic, msg in observations.items() if isinstance(msg, Detection3DArray)]
        for topic in sorted(lists) if len(lists) > 1 else lists:
            det = inputs.detections(observations[topic], ego, self.mounts)
            if det is not None:
                self.tracker.update(det)

    def _latched(self, observations: Mapping[str, Any]) -> None:
        if inputs.SENSOR_MOUNTS in observations:
            self.mounts = inputs.sensor_mounts(observations[inputs.SENSOR_MOUNTS])
        if inputs.ROUTE_INFO in observations:
            self._route_info = inputs.route_info(observations[inputs.ROUTE_INFO])
            if self.route is not None:
                self._set_route(self._route_msg)
        route = observations.get(inputs.ROUTE)
        if route is not None and route.poses:
            self._set_route(route)

    def _set_route(self, msg: Any) -> None:
        self._route_msg = msg
        info = self._route_info
        self.route = RoutePath(inputs.route_points(msg), info.speed_limit, info.lanes_left, info.lanes_right,
                               info.lane_width)
        self.planner.set_stop_lines(self.route, info.stop_lines)

    def _log(self, t: float, previous: Plan | None, plan: Plan) -> None:
        if plan.aeb and not (previous and previous.aeb):
            self.events.append((t, "aeb"))
        if previous is not None and plan.target_offset != previous.target_offset:
            self.events.append((t, f"lane_change to offset {plan.target_offset:+.2f} m"))

    @staticmethod
    def _stamped(clock: Any, speed: float, accel: float, steer: float) -> AckermannDriveStamped:
        return AckermannDriveStamped(header=Header(stamp=clock.clock, frame_id="base_link"),
                                     drive=AckermannDrive(steering_angle=steer, speed=speed, acceleration=accel))
