"""Per step: the sensor rig's outputs and the platform's own messages, as the stack's observations.

Only topics due at their rates are included (``TopicRegistry.due``; the
sensors' own ``is_due`` agrees, both being integer step maths), so a stack
sees a 10 Hz object list every tenth step, exactly as a ROS node would.
The sensor scene (open3d ray casting against the road mesh and the actors'
boxes) is built only on steps where a sensor that casts rays is due.  The
latched topics (route, route info, sensor mounts) ride in the first step's
observations so that both transports hand them over at the same moment.

Lazy sensors: an in-process stack may declare the sensor message types it
reads (``subscribed_sensor_types``, ROS type names, as a ROS node's
subscriptions would); a rig sensor none of whose topics has such a type is
then not run at all — the reference stack reads no IMU or GNSS, and an
unread sensor costs a quarter of a run.  Sensors draw from their own seeded
generators, so the topics that are produced are identical either way.  A
rosbridge stack (or an in-process one declaring nothing) gets every topic.

Lazy platform topics: an in-process stack may likewise declare the exact
names of the platform's own (non-sensor) topics it reads,
``subscribed_topics`` (``/clock`` always comes, it is the tick): the ego's
odometry and vehicle status, the traffic lights, the ground-truth objects and
the latched route, route info and sensor mounts.  A non-sensor topic outside
the declaration is then neither built nor handed over — ROS 2 delivers a
topic only to its subscribers (rclcpp ``create_subscription``), and a message
nobody reads costs the same to build as one that is read (the vehicle status
~2–4 µs a step).  Sensor topics (``/sensors/...``, ``/gnss``, ``/imu``,
``/v2x/...``) stay governed by ``subscribed_sensor_types`` alone.  A name that
the run does not publish (``/ground_truth/objects`` without the option) is
simply not delivered, as a ROS subscription to a silent topic would be.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, is_dataclass
from typing import Any, Collection, Mapping

from sensors import SensorScene, build_rig, is_due
from sensors.base import period_steps
from sensors import ros_messages
from simplatform.bridge import TopicRegistry, TopicSpec, observations
from simplatform.bridge.msgs import Clock, String, Time
from simplatform.bridge.topics import CLOCK, GROUND_TRUTH_OBJECTS, ODOMETRY, TRAFFIC_LIGHTS, VEHICLE_STATUS, Direction
from simplatform.stacks.inputs import ROUTE_INFO, SENSOR_MOUNTS
from simplatform.world import WorldSnapshot

_SCHEDULE_CYCLE = 1200
"""Longest due-pattern cycle (steps) worth tabulating; odd rate combinations fall back to computing each step."""
RAY_CASTING = frozenset({"lidar", "radar", "camera", "objects"})
CAMERA_KEYS = {"image": "rgb", "camera_info": "camera_info"}
CONVERTERS = {"objects": "to_detection3d_array", "lidar": "to_point_cloud2", "radar": "to_radar_scan",
              "camera": "to_images", "gnss": "to_nav_sat_fix", "imu": "to_imu"}


def registry_for(rig: Any, *, ground_truth_objects: bool = False) -> TopicRegistry:
    """The fixed topics, the rig's sensor topics and the harness's latched side topics."""
    registry = TopicRegistry.from_rig(rig.sensors, ground_truth_objects=ground_truth_objects)
    registry.add(TopicSpec(ROUTE_INFO, "std_msgs/msg/String", Direction.TO_STACK, latched=True))
    registry.add(TopicSpec(SENSOR_MOUNTS, "std_msgs/msg/String", Direction.TO_STACK, latched=True))
    return registry


def v2x_message(items: Any) -> String:
    """A V2X radio's deliveries of one step as one JSON document: a list of {"message": type, ...fields}."""
    docs = []
    for item in items or ():
        if is_dataclass(item):
            docs.append({"message": type(item).__name__, **asdict(item)})
        elif isinstance(item, Mapping):
            docs.append(dict(item))
    return String(data=json.dumps(docs, sort_keys=True, default=float, separators=(",", ":")))


class Observer:
    """Builds each step's observation dict from a snapshot."""

    def __init__(self, rig: Any, registry: TopicRegistry, dt: float, *, static_world: Any = None,
                 geo_reference: Any = None, latched: Mapping[str, Any] | None = None,
                 sensor_types: Collection[str] | None = None,
                 subscribed_topics: Collection[str] | None = None) -> None:
        self.rig = rig
        self.sensors = build_rig(rig, geo_reference)
        self.registry = registry
        self.dt = dt
        self.static_world = static_world
        read = subscribed_topics
        self.unread = frozenset() if read is None else frozenset(
            spec.name for spec in registry.to_stack() if not spec.sensor and spec.name != CLOCK
            and spec.name not in read) | frozenset(name for name in latched or {} if name not in read)
        """Platform (non-sensor) topics the stack does not read (``subscribed_topics``): never built."""
        self.latched = {name: msg for name, msg in (latched or {}).items() if name not in self.unread}
        self._lights: tuple[Any, Any] | None = None  # (signal states, their message): most steps change none
        self.topics = {spec.sensor: [] for spec in registry if spec.sensor}
        for spec in registry:
            if spec.sensor:
                self.topics[spec.sensor].append(spec.name)
        self.skipped = frozenset() if sensor_types is None else frozenset(
            name for name in self.topics
            if self.topics[name] and not any(registry[t].ros_type in sensor_types for t in self.topics[name]))
        """Rig sensors whose topics no subscriber reads: never run."""
        self._schedule: list[tuple[frozenset[str], tuple[Any, ...]]] | None = None

    def _due(self, step: int) -> tuple[frozenset[str], tuple[Any, ...]]:
        """(topics, rig sensors to run) due at ``step``: integer step maths, so the pattern repeats every
        lcm of the periods — tabulated once over that cycle when it is short (it is 2 for the default rig)."""
        if self._schedule is None:
            periods = [spec.period_steps(self.dt) for spec in self.registry.to_stack() if not spec.latched]
            periods += [period_steps(cfg.rate_hz, self.dt) for cfg in self.rig.sensors]
            cycle = math.lcm(*periods) if periods else 1
            self._schedule = [self._due_now(k) for k in range(cycle)] if cycle <= _SCHEDULE_CYCLE else []
        if self._schedule:
            return self._schedule[step % len(self._schedule)]
        return self._due_now(step)

    def _due_now(self, step: int) -> tuple[frozenset[str], tuple[Any, ...]]:
        topics = frozenset(spec.name for spec in self.registry.due(step, self.dt) if spec.name not in self.unread)
        return topics, tuple(cfg for cfg in self.rig.sensors if cfg.name not in self.skipped and is_due(cfg, step, self.dt))

    def observe(self, snapshot: WorldSnapshot) -> dict[str, Any]:
        step = snapshot.step
        out: dict[str, Any] = {}
        if step == 0:
            out.update(self.latched)
        due, sensors = self._due(step)
        stamp = Time.from_seconds(snapshot.time)  # one frozen stamp for /clock and the ego's headers
        if ODOMETRY in due and VEHICLE_STATUS in due:
            out[ODOMETRY], out[VEHICLE_STATUS] = observations.ego_messages(snapshot, stamp=stamp)
        elif ODOMETRY in due:
            out[ODOMETRY] = observations.ego_odometry(snapshot, stamp=stamp)
        elif VEHICLE_STATUS in due:
            out[VEHICLE_STATUS] = observations.vehicle_status(snapshot, stamp=stamp)
        if TRAFFIC_LIGHTS in due:
            out[TRAFFIC_LIGHTS] = self._traffic_lights(snapshot.signals)
        if GROUND_TRUTH_OBJECTS in due:
            out[GROUND_TRUTH_OBJECTS] = observations.ground_truth_objects(snapshot)
        scene = None
        for cfg in sensors:
            if cfg.type in RAY_CASTING and scene is None:
                scene = SensorScene(self.static_world, snapshot)
            output = self.sensors[cfg.name].sense(snapshot, scene if cfg.type in RAY_CASTING else None)
            self._add(cfg, output, out)
        out[CLOCK] = Clock(stamp)  # observations.clock(snapshot.time), the stamp built once
        return out

    def _traffic_lights(self, signals: Mapping[str, str]) -> Any:
        """The message is a pure function of the states (no stamp) and immutable: rebuilt only on a change."""
        if self._lights is None or self._lights[0] != signals:
            self._lights = (dict(signals), observations.traffic_lights(signals))
        return self._lights[1]

    def _add(self, cfg: Any, output: Any, out: dict[str, Any]) -> None:
        topics = self.topics.get(cfg.name, [])
        if cfg.type == "v2x":
            out[topics[0]] = v2x_message(output)
            return
        if output is None:
            return  # nothing has left the sensor's delay line yet
        message = getattr(ros_messages, CONVERTERS[cfg.type])(output)
        if cfg.type == "camera":
            for topic in topics:
                key = CAMERA_KEYS[topic.rsplit("/", 1)[-1]]
                if key in message:
                    out[topic] = message[key]
            return
        out[topics[0]] = message
