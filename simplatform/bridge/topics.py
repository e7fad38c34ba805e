"""The topic registry: every topic the platform and the stack exchange, with ROS 2 names and types.

Names follow DESIGN.md ("Bridge topics").  Fixed topics:

=========================  ==========================================  =========  =========================
topic                      type                                        direction  when
=========================  ==========================================  =========  =========================
/clock                     rosgraph_msgs/Clock                         to stack   every step (the tick)
/ego/odometry              nav_msgs/Odometry                           to stack   every step
/ego/vehicle_status        carla_msgs/CarlaEgoVehicleStatus            to stack   every step
/traffic_lights            carla_msgs/CarlaTrafficLightStatusList      to stack   every step
/route                     nav_msgs/Path                               to stack   latched, once
/goal                      geometry_msgs/PoseStamped                   to stack   latched, once
/ground_truth/objects      vision_msgs/Detection3DArray                to stack   optional (perception-free)
/ego/control               ackermann_msgs/AckermannDriveStamped        from stack one per step (lockstep)
/ego/vehicle_control       carla_msgs/CarlaEgoVehicleControl           from stack variant of /ego/control
=========================  ==========================================  =========  =========================

Sensor topics come from the rig: a lidar ``<n>`` gives ``/sensors/<n>/points``
(PointCloud2), a camera ``/sensors/<n>/image`` and ``/sensors/<n>/camera_info``,
a radar ``/sensors/<n>/scan`` (RadarScan), an object sensor
``/sensors/<n>/objects`` (Detection3DArray), a GNSS ``/gnss`` (NavSatFix), an
IMU ``/imu`` (Imu), a V2X receiver ``/v2x/<n>`` (std_msgs/String holding one
JSON document per message).  Rates are in Hz and must divide the step rate
(DESIGN.md: sensors run at multiples of the fixed step).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Iterable, Iterator, Mapping

from ..errors import ConfigError
from .msgs.schema import canonical_type, schema

CLOCK = "/clock"
ODOMETRY = "/ego/odometry"
VEHICLE_STATUS = "/ego/vehicle_status"
TRAFFIC_LIGHTS = "/traffic_lights"
ROUTE = "/route"
GOAL = "/goal"
GROUND_TRUTH_OBJECTS = "/ground_truth/objects"
CONTROL = "/ego/control"
VEHICLE_CONTROL = "/ego/vehicle_control"
CONTROL_TOPICS = (CONTROL, VEHICLE_CONTROL)


class Direction(str, Enum):
    TO_STACK = "to_stack"
    FROM_STACK = "from_stack"


@dataclass(frozen=True)
class TopicSpec:
    """One topic: ``rate_hz`` None means every step; ``latched`` topics are re-sent to late subscribers."""

    name: str
    ros_type: str
    direction: Direction
    rate_hz: float | None = None
    latched: bool = False
    sensor: str | None = None

    def period_steps(self, dt: float) -> int:
        """Steps between two messages; the rate must divide the step rate."""
        if self.rate_hz is None:
            return 1
        ratio = 1.0 / (self.rate_hz * dt)
        period = round(ratio)
        if period < 1 or abs(ratio - period) > 1e-6 * max(1.0, ratio):
            raise ConfigError(
                f"topic {self.name}: rate {self.rate_hz} Hz is not a divisor of the step rate {1.0 / dt:g} Hz",
                element=self.sensor or self.name,
            )
        return period


# sensor type -> [(topic suffix or absolute name, ROS type)]
SENSOR_TOPICS: dict[str, list[tuple[str, str]]] = {
    "lidar": [("points", "sensor_msgs/msg/PointCloud2")],
    "camera": [("image", "sensor_msgs/msg/Image"), ("camera_info", "sensor_msgs/msg/CameraInfo")],
    "radar": [("scan", "radar_msgs/msg/RadarScan")],
    "objects": [("objects", "vision_msgs/msg/Detection3DArray")],
    "gnss": [("/gnss", "sensor_msgs/msg/NavSatFix")],
    "imu": [("/imu", "sensor_msgs/msg/Imu")],
    "v2x": [("/v2x/{name}", "std_msgs/msg/String")],
}


def fixed_topics(*, ground_truth_objects: bool = False) -> list[TopicSpec]:
    to, frm = Direction.TO_STACK, Direction.FROM_STACK
    out = [
        TopicSpec(CLOCK, "rosgraph_msgs/msg/Clock", to),
        TopicSpec(ODOMETRY, "nav_msgs/msg/Odometry", to),
        TopicSpec(VEHICLE_STATUS, "carla_msgs/msg/CarlaEgoVehicleStatus", to),
        TopicSpec(TRAFFIC_LIGHTS, "carla_msgs/msg/CarlaTrafficLightStatusList", to),
        TopicSpec(ROUTE, "nav_msgs/msg/Path", to, latched=True),
        TopicSpec(GOAL, "geometry_msgs/msg/PoseStamped", to, latched=True),
        TopicSpec(CONTROL, "ackermann_msgs/msg/AckermannDriveStamped", frm),
        TopicSpec(VEHICLE_CONTROL, "carla_msgs/msg/CarlaEgoVehicleControl", frm),
    ]
    if ground_truth_objects:
        out.insert(4, TopicSpec(GROUND_TRUTH_OBJECTS, "vision_msgs/msg/Detection3DArray", to))
    return out


def _get(sensor: Any, key: str, default: Any = None) -> Any:
    if isinstance(sensor, Mapping):
        return sensor.get(key, default)
    return getattr(sensor, key, default)


def sensor_topics(sensor: Any) -> list[TopicSpec]:
    """Topics of one rig sensor: ``name``, ``type`` and ``rate_hz`` (or ``rate``), as attributes or keys.

    ``sensors.base.SensorConfig`` fits as it is; so does a plain dict from a YAML rig.
    """
    name, kind = _get(sensor, "name"), _get(sensor, "type")
    rate = _get(sensor, "rate_hz", _get(sensor, "rate"))
    if not name or not isinstance(name, str) or "/" in name:
        raise ConfigError(f"a sensor needs a name without '/', got {name!r}", element="sensor")
    if kind not in SENSOR_TOPICS:
        raise ConfigError(f"sensor {name!r} has unknown type {kind!r}; known: {', '.join(SENSOR_TOPICS)}",
                          element=name)
    out = []
    for suffix, ros_type in SENSOR_TOPICS[kind]:
        topic = suffix.format(name=name) if suffix.startswith("/") else f"/sensors/{name}/{suffix}"
        out.append(TopicSpec(topic, ros_type, Direction.TO_STACK, float(rate) if rate else None, sensor=name))
    return out


class TopicRegistry:
    """Name -> :class:`TopicSpec`, in registration order; unique names, known types."""

    def __init__(self, topics: Iterable[TopicSpec] = ()) -> None:
        self._topics: dict[str, TopicSpec] = {}
        for t in topics:
            self.add(t)

    @classmethod
    def from_rig(cls, sensors: Iterable[Any] = (), *, ground_truth_objects: bool = False) -> "TopicRegistry":
        reg = cls(fixed_topics(ground_truth_objects=ground_truth_objects))
        for sensor in sensors:
            for spec in sensor_topics(sensor):
                reg.add(spec)
        return reg

    def add(self, spec: TopicSpec) -> None:
        if not spec.name.startswith("/"):
            raise ConfigError(f"topic name {spec.name!r} must start with '/'", element=spec.sensor or spec.name)
        if spec.name in self._topics:
            raise ConfigError(
                f"topic {spec.name} is defined twice (is there a second {spec.name.strip('/')} sensor?)",
                element=spec.sensor or spec.name,
            )
        schema(spec.ros_type)  # unknown types fail here, not mid-run
        self._topics[spec.name] = TopicSpec(spec.name, canonical_type(spec.ros_type), spec.direction,
                                            spec.rate_hz, spec.latched, spec.sensor)

    def __contains__(self, name: object) -> bool:
        return name in self._topics

    def __getitem__(self, name: str) -> TopicSpec:
        return self._topics[name]

    def get(self, name: str) -> TopicSpec | None:
        return self._topics.get(name)

    def __iter__(self) -> Iterator[TopicSpec]:
        return iter(self._topics.values())

    def __len__(self) -> int:
        return len(self._topics)

    def to_stack(self) -> list[TopicSpec]:
        return [t for t in self if t.direction is Direction.TO_STACK]

    def from_stack(self) -> list[TopicSpec]:
        return [t for t in self if t.direction is Direction.FROM_STACK]

    def due(self, step: int, dt: float) -> list[TopicSpec]:
        """To-stack, non-latched topics whose rate makes them due at ``step`` (all are due at step 0)."""
        return [t for t in self.to_stack() if not t.latched and step % t.period_steps(dt) == 0]
