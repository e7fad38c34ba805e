"""Point clouds in the ``sensor_msgs/PointCloud2`` layout Velodyne and Ouster drivers publish.

The point record is the velodyne_pointcloud ``PointXYZIRT`` layout, packed
without padding (point_step 22): x, y, z, intensity as FLOAT32 at offsets
0, 4, 8, 12; ring as UINT16 at 16; time as FLOAT32 at 18 (seconds from the
message stamp, i.e. from the sweep start).  ``data`` of the ROS message is
exactly ``points.tobytes()`` (little endian, ``is_bigendian = False``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

POINT_DTYPE = np.dtype([
    ("x", "<f4"), ("y", "<f4"), ("z", "<f4"), ("intensity", "<f4"), ("ring", "<u2"), ("time", "<f4"),
])
LABEL_DTYPE = np.dtype([("actor", "<i4"), ("semantic", "u1")])

# sensor_msgs/PointField datatype constants
INT8, UINT8, INT16, UINT16, INT32, UINT32, FLOAT32, FLOAT64 = range(1, 9)
POINT_FIELDS: tuple[tuple[str, int, int, int], ...] = tuple(
    (name, POINT_DTYPE.fields[name][1], {"<f4": FLOAT32, "<u2": UINT16}[POINT_DTYPE.fields[name][0].str], 1)
    for name in POINT_DTYPE.names
)
"""(name, offset, datatype, count) per sensor_msgs/PointField."""


@dataclass(frozen=True)
class PointCloud:
    """One sweep: a ``sensor_msgs/PointCloud2``-shaped message plus optional ground truth.

    ``labels`` (when asked for) is parallel to ``points``: ``actor`` is the entity
    index in the snapshot (−1 for the static world) and ``semantic`` the CARLA
    semantic tag of the surface hit; ``actor_names`` maps indices to names.
    """

    stamp: float
    frame_id: str
    points: np.ndarray
    labels: np.ndarray | None = None
    actor_names: tuple[str, ...] = ()

    @property
    def width(self) -> int:
        return len(self.points)

    height = 1
    point_step = POINT_DTYPE.itemsize
    is_bigendian = False
    is_dense = True
    fields = POINT_FIELDS

    @property
    def row_step(self) -> int:
        return self.point_step * self.width

    @property
    def data(self) -> bytes:
        return self.points.tobytes()

    def xyz(self) -> np.ndarray:
        return np.stack([self.points["x"], self.points["y"], self.points["z"]], axis=1)


def pack_points(xyz: np.ndarray, intensity: np.ndarray, ring: np.ndarray, time: np.ndarray) -> np.ndarray:
    out = np.empty(len(xyz), dtype=POINT_DTYPE)
    out["x"] = xyz[:, 0]
    out["y"] = xyz[:, 1]
    out["z"] = xyz[:, 2]
    out["intensity"] = intensity
    out["ring"] = ring
    out["time"] = time
    return out
