"""The scene as ROS 2 ``visualization_msgs/MarkerArray`` messages, which Foxglove's 3-D panel (and RViz) draws.

* :func:`entity_markers` — per recorded step, one ``CUBE`` per active entity (its OpenSCENARIO
  bounding box: centre, dimensions, the entity's roll/pitch/heading), coloured by kind, and a
  ``TEXT_VIEW_FACING`` label with its name above it.  The array opens with a ``DELETEALL``
  marker (rviz Marker semantics: it clears the namespace's earlier markers), so an entity that a
  DeleteEntityAction removed disappears instead of freezing in place.
* :func:`road_markers` — once, the road network's lane lines: one ``LINE_STRIP`` per lane border
  of each lane section (OpenDRIVE §11: the outer border of every lane, the centre lane's line),
  sampled along the reference line and lifted to the road surface (elevation, superelevation).

The message definitions are the ROS 2 Humble ones from ``rosbags``' type store
(``rosbags.typesys.Stores.ROS2_HUMBLE``), concatenated with their dependencies in the
``ros2msg`` schema format that rosbag2's MCAP storage writes and ``mcap_ros2`` parses — not a
hand-written copy.  Constants are those of ``visualization_msgs/msg/Marker``.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from simplatform.world import EntityKind

ARROW, CUBE, SPHERE, CYLINDER, LINE_STRIP = 0, 1, 2, 3, 4
TEXT_VIEW_FACING = 9
ADD, DELETEALL = 0, 3

MARKER_ARRAY = "visualization_msgs/msg/MarkerArray"

# RGBA in [0, 1]: the ego stands out; two-wheelers and heavy vehicles differ from cars.
EGO_COLOUR = (0.10, 0.80, 0.25, 0.85)
KIND_COLOURS = {
    EntityKind.VEHICLE: (0.20, 0.45, 1.00, 0.85),
    EntityKind.PEDESTRIAN: (1.00, 0.55, 0.10, 0.90),
    EntityKind.MISC_OBJECT: (0.60, 0.60, 0.60, 0.85),
}
CATEGORY_COLOURS = {
    "bicycle": (0.70, 0.30, 0.90, 0.90), "motorbike": (0.70, 0.30, 0.90, 0.90),
    "truck": (0.10, 0.25, 0.65, 0.85), "bus": (0.10, 0.25, 0.65, 0.85), "trailer": (0.10, 0.25, 0.65, 0.85),
    "semitrailer": (0.10, 0.25, 0.65, 0.85), "animal": (0.55, 0.35, 0.15, 0.90),
}
LABEL_COLOUR = (1.0, 1.0, 1.0, 1.0)
LABEL_HEIGHT = 0.8
"""m: text height of the name labels (Marker.scale.z of a TEXT_VIEW_FACING marker)."""
LABEL_CLEARANCE = 0.5
"""m: gap between the top of the box and the label's centre line."""

LINE_WIDTH = 0.15
"""m: lane lines as wide as a painted road mark (OpenDRIVE's default roadMark width)."""
LINE_STEP = 1.0
"""m: sampling of the lane lines along the road (chord error s²/8R: 1.25 cm on a 10 m radius)."""
CENTRE_LINE_COLOUR = (1.0, 0.85, 0.10, 1.0)
DRIVING_LINE_COLOUR = (0.95, 0.95, 0.95, 1.0)
OTHER_LINE_COLOUR = (0.50, 0.50, 0.50, 1.0)

IDENTITY = {"x": 0.0, "y": 0.0, "z": 0.0, "w": 1.0}


@lru_cache(maxsize=None)
def marker_array_schema() -> str:
    """The ``ros2msg`` schema text of visualization_msgs/msg/MarkerArray (ROS 2 Humble) and its dependencies."""
    from rosbags.typesys import Stores, get_typestore

    text, _ = get_typestore(Stores.ROS2_HUMBLE).generate_msgdef(MARKER_ARRAY, ros_version=2)
    return text


def quaternions(roll: np.ndarray, pitch: np.ndarray, yaw: np.ndarray) -> np.ndarray:
    """(N, 4) x, y, z, w of the intrinsic z-y'-x'' (yaw, pitch, roll) rotation (ISO 8855 / REP-103)."""
    cr, sr = np.cos(roll / 2), np.sin(roll / 2)
    cp, sp = np.cos(pitch / 2), np.sin(pitch / 2)
    cy, sy = np.cos(yaw / 2), np.sin(yaw / 2)
    return np.stack((sr * cp * cy - cr * sp * sy, cr * sp * cy + sr * cp * sy,
                     cr * cp * sy - sr * sp * cy, cr * cp * cy + sr * sp * sy), axis=-1)


def box_centres(table, rows: np.ndarray) -> np.ndarray:
    """(N, 3) world centres of the bounding boxes: reference point + R(yaw, pitch, roll) · box centre."""
    h, p, r = table.heading[rows], table.pitch[rows], table.roll[rows]
    cx, cy, cz = table.bbox_center_x[rows], table.bbox_center_y[rows], table.bbox_center_z[rows]
    ch, sh, cp, sp, cr, sr = np.cos(h), np.sin(h), np.cos(p), np.sin(p), np.cos(r), np.sin(r)
    # columns of R = Rz(h) Ry(p) Rx(r) applied to (cx, cy, cz)
    x = ch * cp * cx + (ch * sp * sr - sh * cr) * cy + (ch * sp * cr + sh * sr) * cz
    y = sh * cp * cx + (sh * sp * sr + ch * cr) * cy + (sh * sp * cr - ch * sr) * cz
    z = -sp * cx + cp * sr * cy + cp * cr * cz
    return np.stack((table.x[rows] + x, table.y[rows] + y, table.z[rows] + z), axis=-1)


def entity_colour(table, i: int) -> tuple[float, float, float, float]:
    if table.names[i] == table.ego:
        return EGO_COLOUR
    return CATEGORY_COLOURS.get(str(table.categories[i]).lower(), KIND_COLOURS.get(table.kinds[i], KIND_COLOURS[EntityKind.MISC_OBJECT]))


def _rgba(c: tuple[float, float, float, float]) -> dict[str, float]:
    return {"r": c[0], "g": c[1], "b": c[2], "a": c[3]}


def entity_markers(table, header: dict) -> dict:
    """The MarkerArray of every active entity now: DELETEALL, then a CUBE and a label per entity."""
    rows = np.flatnonzero(table.active)
    markers = [{"header": header, "ns": "", "id": 0, "action": DELETEALL}]
    if len(rows) == 0:
        return {"markers": markers}
    centres = box_centres(table, rows)
    quats = quaternions(table.roll[rows], table.pitch[rows], table.heading[rows])
    length, width, height = table.length[rows], table.width[rows], table.height[rows]
    for k, i in enumerate(rows.tolist()):
        cx, cy, cz = (float(v) for v in centres[k])
        q = quats[k]
        colour = _rgba(entity_colour(table, i))
        markers.append({
            "header": header, "ns": "entities", "id": i, "type": CUBE, "action": ADD,
            "pose": {"position": {"x": cx, "y": cy, "z": cz},
                     "orientation": {"x": float(q[0]), "y": float(q[1]), "z": float(q[2]), "w": float(q[3])}},
            "scale": {"x": float(length[k]), "y": float(width[k]), "z": float(height[k])},
            "color": colour,
        })
        markers.append({
            "header": header, "ns": "labels", "id": i, "type": TEXT_VIEW_FACING, "action": ADD,
            "pose": {"position": {"x": cx, "y": cy, "z": cz + 0.5 * float(height[k]) + LABEL_CLEARANCE},
                     "orientation": IDENTITY},
            "scale": {"x": 0.0, "y": 0.0, "z": LABEL_HEIGHT},
            "color": _rgba(LABEL_COLOUR), "text": table.names[i],
        })
    return {"markers": markers}


def lane_lines(net, step: float = LINE_STEP):
    """Yield (road id, lane id, kind, (N, 3) points) of every lane line of ``net``.

    The line of lane ``id`` is its outer border (|t| larger); the centre lane (id 0) gives the
    inner border of lane −1 (or +1), i.e. the reference line shifted by the lane offset.
    ``kind`` is ``"centre"``, ``"driving"`` (the border of a driving lane) or ``"other"``.
    """
    for road_id, road in net.roads.items():
        for section in road.lane_sections:
            n = max(2, int(math.ceil((section.s_end - section.s) / step - 1e-9)) + 1)
            s = np.linspace(section.s, section.s_end, n)
            s[-1] = max(section.s, section.s_end - 1e-6)  # the last sample inside the section
            lanes = [(lane, "outer") for lane in (*section.left, *section.right)]
            inner_lane = section.right[0] if section.right else (section.left[0] if section.left else None)
            if inner_lane is not None:
                lanes.append((inner_lane, "inner"))
            for lane, border in lanes:
                inner, outer = net.lane_boundaries_many(road_id, lane.id, s)
                t = outer if border == "outer" else inner
                ok = ~np.isnan(t)
                if ok.sum() < 2:
                    continue
                pose = net.road_poses(road_id, s[ok], t[ok])
                pts = np.stack((pose.x, pose.y, pose.z), axis=-1)
                kind = "centre" if border == "inner" else ("driving" if lane.type == "driving" else "other")
                yield road_id, (0 if border == "inner" else lane.id), kind, pts


def road_markers(net, header: dict, step: float = LINE_STEP) -> dict:
    """One LINE_STRIP marker per lane line of the road network (lifetime 0: they stay)."""
    colours = {"centre": _rgba(CENTRE_LINE_COLOUR), "driving": _rgba(DRIVING_LINE_COLOUR),
               "other": _rgba(OTHER_LINE_COLOUR)}
    markers = []
    for k, (road_id, lane_id, kind, pts) in enumerate(lane_lines(net, step)):
        markers.append({
            "header": header, "ns": f"road {road_id} lane {lane_id}", "id": k, "type": LINE_STRIP, "action": ADD,
            "pose": {"position": {"x": 0.0, "y": 0.0, "z": 0.0}, "orientation": IDENTITY},
            "scale": {"x": LINE_WIDTH, "y": 0.0, "z": 0.0}, "color": colours[kind],
            "points": [{"x": x, "y": y, "z": z} for x, y, z in pts.tolist()],
        })
    return {"markers": markers}
