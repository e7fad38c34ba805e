"""MCAP recording of a run with ROS 2 (CDR) message encodings that Foxglove opens.

Channels, per step:
- ``/clock`` — rosgraph_msgs/Clock, the simulation time;
- ``/tf`` — tf2_msgs/TFMessage with one ``map → <entity>`` transform per active
  entity (Foxglove's 3-D panel draws the frames);
- ``/entities/<name>/pose`` — geometry_msgs/PoseStamped of each entity's
  reference point in the ``map`` frame;
- ``/entities/<name>/odometry`` — nav_msgs/Odometry with the body-frame twist;
- ``/scene/entities`` — visualization_msgs/MarkerArray: each entity's bounding box (CUBE,
  coloured by kind) and name (TEXT_VIEW_FACING) in the ``map`` frame (:mod:`scene_markers`);

and once, at the first recorded time, when the road network is known (:meth:`McapRecorder.set_road`):

- ``/scene/road`` — visualization_msgs/MarkerArray of the lane lines (LINE_STRIP), on a channel
  offered as latched (rosbag2's ``offered_qos_profiles`` metadata: durability transient_local),
  so a player shows it for the whole recording.

The ``.msg`` texts come from the bridge's definitions
(:mod:`simplatform.bridge.msgs.definitions`) when present, so recorder and
bridge agree on field layouts; the MCAP ``ros2msg`` schema is the main
definition followed by each dependency under a ``MSG: pkg/Type`` header
(the format ``ros2 bag`` writes, which mcap_ros2 parses).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from simplatform.engine.entities import EntityTable
from simplatform.recording.scene_markers import MARKER_ARRAY, entity_markers, marker_array_schema, road_markers

LATCHED_QOS = (
    "- history: 1\n  depth: 1\n  reliability: 1\n  durability: 1\n"
    "  deadline:\n    sec: 2147483647\n    nsec: 4294967295\n"
    "  lifespan:\n    sec: 2147483647\n    nsec: 4294967295\n  liveliness: 1\n"
    "  liveliness_lease_duration:\n    sec: 2147483647\n    nsec: 4294967295\n"
    "  avoid_ros_namespace_conventions: false\n"
)
"""rosbag2's ``offered_qos_profiles`` channel metadata of a latched topic (ROS 2 Humble rmw enums:
history keep_last, reliability reliable, durability transient_local; infinite durations)."""

_FALLBACK_DEFINITIONS = {
    "builtin_interfaces/msg/Time": "int32 sec\nuint32 nanosec\n",
    "std_msgs/msg/Header": "builtin_interfaces/Time stamp\nstring frame_id\n",
    "rosgraph_msgs/msg/Clock": "builtin_interfaces/Time clock\n",
    "geometry_msgs/msg/Point": "float64 x\nfloat64 y\nfloat64 z\n",
    "geometry_msgs/msg/Quaternion": "float64 x 0\nfloat64 y 0\nfloat64 z 0\nfloat64 w 1\n",
    "geometry_msgs/msg/Vector3": "float64 x\nfloat64 y\nfloat64 z\n",
    "geometry_msgs/msg/Pose": "Point position\nQuaternion orientation\n",
    "geometry_msgs/msg/PoseStamped": "std_msgs/Header header\nPose pose\n",
    "geometry_msgs/msg/PoseWithCovariance": "Pose pose\nfloat64[36] covariance\n",
    "geometry_msgs/msg/Twist": "Vector3 linear\nVector3 angular\n",
    "geometry_msgs/msg/TwistWithCovariance": "Twist twist\nfloat64[36] covariance\n",
    "nav_msgs/msg/Odometry": (
        "std_msgs/Header header\nstring child_frame_id\ngeometry_msgs/PoseWithCovariance pose\n"
        "geometry_msgs/TwistWithCovariance twist\n"
    ),
}
# tf2_msgs and TransformStamped (ROS 2 Humble geometry2 / common_interfaces).
_TF_DEFINITIONS = {
    "geometry_msgs/msg/Transform": "Vector3 translation\nQuaternion rotation\n",
    "geometry_msgs/msg/TransformStamped": "std_msgs/Header header\nstring child_frame_id\nTransform transform\n",
    "tf2_msgs/msg/TFMessage": "geometry_msgs/TransformStamped[] transforms\n",
}

_BUILTIN = {
    "bool", "byte", "char", "float32", "float64", "int8", "uint8", "int16", "uint16", "int32", "uint32",
    "int64", "uint64", "string", "wstring",
}


def _definitions() -> dict[str, str]:
    defs = dict(_FALLBACK_DEFINITIONS)
    try:  # the bridge's texts are the reference when they are there
        from simplatform.bridge.msgs.definitions import MSG_DEFINITIONS

        defs.update(MSG_DEFINITIONS)
    except ImportError:
        pass
    defs.update(_TF_DEFINITIONS)
    return defs


def schema_text(datatype: str, defs: dict[str, str] | None = None) -> str:
    """Concatenated ``ros2msg`` schema of ``datatype`` ('pkg/msg/Type') and its dependencies."""
    defs = defs or _definitions()
    order: list[str] = []

    def deps(full: str) -> None:
        pkg = full.split("/")[0]
        for line in defs[full].splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            tokens = line.split()
            ftype = re.sub(r"\[.*\]$", "", tokens[0])
            if ftype in _BUILTIN or re.match(r"^(w?string)<=\d+$", ftype):
                continue
            dep = f"{ftype.split('/')[0]}/msg/{ftype.split('/')[1]}" if "/" in ftype else f"{pkg}/msg/{ftype}"
            if dep not in order and dep != datatype:
                order.append(dep)
                deps(dep)

    deps(datatype)
    parts = [defs[datatype]]
    for dep in order:
        parts.append("=" * 80 + "\nMSG: " + dep.replace("/msg/", "/") + "\n" + defs[dep])
    return "\n".join(parts)


def _quaternion(roll: float, pitch: float, yaw: float) -> dict[str, float]:
    cr, sr = math.cos(roll / 2), math.sin(roll / 2)
    cp, sp = math.cos(pitch / 2), math.sin(pitch / 2)
    cy, sy = math.cos(yaw / 2), math.sin(yaw / 2)
    return {
        "x": sr * cp * cy - cr * sp * sy,
        "y": cr * sp * cy + sr * cp * sy,
        "z": cr * cp * sy - sr * sp * cy,
        "w": cr * cp * cy + sr * sp * sy,
    }


class McapRecorder:
    """Writes one message per channel per recorded step; ``every`` thins the rate."""

    def __init__(self, path: str | Path, *, every: int = 1, frame_id: str = "map") -> None:
        from mcap_ros2.writer import Writer

        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._stream = open(self.path, "wb")
        self._writer = Writer(self._stream)
        defs = _definitions()
        self._schemas = {
            name: self._writer.register_msgdef(name.replace("/msg/", "/"), schema_text(name, defs))
            for name in ("rosgraph_msgs/msg/Clock", "tf2_msgs/msg/TFMessage",
                         "geometry_msgs/msg/PoseStamped", "nav_msgs/msg/Odometry")
        }
        self._schemas[MARKER_ARRAY] = self._writer.register_msgdef(MARKER_ARRAY.replace("/msg/", "/"),
                                                                   marker_array_schema())
        self.every = max(1, int(every))
        self.frame_id = frame_id
        self._count = 0
        self._cov = [0.0] * 36
        self._road = None
        self._road_written = False
        self._first_ns: int | None = None

    def set_road(self, network) -> None:
        """The OpenDRIVE network whose lane lines go to ``/scene/road`` (once, at the first recorded time)."""
        self._road = network
        if self._first_ns is not None and not self._road_written:
            self._write_road(self._first_ns)

    def _write_road(self, ns: int) -> None:
        self._road_written = True
        if self._road is None:
            return
        topic, schema = "/scene/road", self._schemas[MARKER_ARRAY]
        self._latch(topic, schema)
        stamp = {"sec": ns // 1_000_000_000, "nanosec": ns % 1_000_000_000}
        self._writer.write_message(topic, schema, road_markers(self._road, {"stamp": stamp, "frame_id": self.frame_id}),
                                   log_time=ns, publish_time=ns, sequence=0)

    def _latch(self, topic: str, schema) -> None:
        """Register ``topic`` with the latched QoS metadata before mcap_ros2 registers it without any
        (its Writer has no metadata argument; the channel table is its ``_channel_ids``)."""
        inner, ids = getattr(self._writer, "_writer", None), getattr(self._writer, "_channel_ids", None)
        if inner is None or not isinstance(ids, dict) or topic in ids:
            return
        ids[topic] = inner.register_channel(topic=topic, message_encoding="cdr", schema_id=schema.id,
                                            metadata={"offered_qos_profiles": LATCHED_QOS})

    def write(self, table: EntityTable, time: float, step: int) -> None:
        if step % self.every:
            return
        ns = int(round(time * 1e9))
        stamp = {"sec": ns // 1_000_000_000, "nanosec": ns % 1_000_000_000}
        w = self._writer
        w.write_message("/clock", self._schemas["rosgraph_msgs/msg/Clock"], {"clock": stamp}, log_time=ns, publish_time=ns, sequence=self._count)
        transforms = []
        for i, name in enumerate(table.names):
            if not table.active[i]:
                continue
            q = _quaternion(float(table.roll[i]), float(table.pitch[i]), float(table.heading[i]))
            pos = {"x": float(table.x[i]), "y": float(table.y[i]), "z": float(table.z[i])}
            header = {"stamp": stamp, "frame_id": self.frame_id}
            transforms.append({"header": header, "child_frame_id": name,
                               "transform": {"translation": pos, "rotation": q}})
            w.write_message(f"/entities/{name}/pose", self._schemas["geometry_msgs/msg/PoseStamped"],
                            {"header": header, "pose": {"position": pos, "orientation": q}},
                            log_time=ns, publish_time=ns, sequence=self._count)
            c, s = math.cos(table.heading[i]), math.sin(table.heading[i])
            vx, vy = float(table.vx[i]), float(table.vy[i])
            w.write_message(
                f"/entities/{name}/odometry", self._schemas["nav_msgs/msg/Odometry"],
                {"header": header, "child_frame_id": name,
                 "pose": {"pose": {"position": pos, "orientation": q}, "covariance": self._cov},
                 "twist": {"twist": {"linear": {"x": c * vx + s * vy, "y": -s * vx + c * vy, "z": 0.0},
                                     "angular": {"x": 0.0, "y": 0.0, "z": float(table.yaw_rate[i])}},
                           "covariance": self._cov}},
                log_time=ns, publish_time=ns, sequence=self._count)
        w.write_message("/tf", self._schemas["tf2_msgs/msg/TFMessage"], {"transforms": transforms},
                        log_time=ns, publish_time=ns, sequence=self._count)
        w.write_message("/scene/entities", self._schemas[MARKER_ARRAY],
                        entity_markers(table, {"stamp": stamp, "frame_id": self.frame_id}),
                        log_time=ns, publish_time=ns, sequence=self._count)
        if self._first_ns is None:
            self._first_ns = ns
            if self._road is not None:
                self._write_road(ns)
        self._count += 1

    def close(self) -> None:
        if not self._stream.closed:
            self._writer.finish()
            self._stream.close()
