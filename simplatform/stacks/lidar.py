"""The lidar variant of the reference stack: objects from the point cloud instead of an object list.

The classic pipeline of a baseline lidar perception (as in Autoware's
``euclidean_cluster`` and ``shape_estimation`` packages):

1. ground removal: a least-squares plane through the points near the
   vehicle's contact plane, then everything within ``ground_tolerance`` of it
   goes (deterministic, unlike RANSAC, and enough for roads that are
   locally planar);
2. Euclidean clustering: connected components of the graph linking points
   closer than ``cluster_radius`` (Rusu, "Semantic 3D Object Maps for
   Everyday Manipulation in Human Living Environments", 2009, §4.2), with a
   KD-tree (``scipy.spatial.cKDTree.query_pairs``);
3. box fitting: the minimum-area rectangle of the cluster's footprint by
   rotating calipers over its convex hull edges (Freeman & Shapira, CACM
   18(7), 1975), long side as length; the height from the z extent;
4. a coarse class from the box size, then tracking with the same
   constant-velocity Kalman filters, associated by gated global nearest
   neighbour (:mod:`.tracking`).

Weaknesses on purpose: a partly seen car gives a short box centred on its
visible faces; there is no classifier beyond size; clusters merge when
objects are closer than ``cluster_radius``.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import ConvexHull, QhullError, cKDTree

from simplatform.bridge.msgs import PointCloud2

from . import inputs
from .inputs import Detections, EgoState
from .reference import ReferenceStack
from .tracking import Tracker


def remove_ground(points_base: np.ndarray, near: float = 0.5, tolerance: float = 0.25) -> np.ndarray:
    """Points (base_link frame) above a plane z = a x + b y + c fitted to those with |z| < ``near``."""
    if len(points_base) == 0:
        return points_base
    low = points_base[np.abs(points_base[:, 2]) < near]
    if len(low) >= 3:
        a = np.column_stack([low[:, 0], low[:, 1], np.ones(len(low))])
        coef, *_ = np.linalg.lstsq(a, low[:, 2], rcond=None)
    else:
        coef = np.zeros(3)
    height = points_base[:, 2] - (coef[0] * points_base[:, 0] + coef[1] * points_base[:, 1] + coef[2])
    return points_base[height > tolerance]


def euclidean_clusters(points: np.ndarray, radius: float = 0.8, min_points: int = 3) -> list[np.ndarray]:
    """Index arrays of the clusters, ordered by their smallest point index (deterministic)."""
    n = len(points)
    if n == 0:
        return []
    pairs = cKDTree(points).query_pairs(radius, output_type="ndarray")
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    count, labels = connected_components(graph, directed=False)
    order = np.argsort(labels, kind="stable")
    splits = np.split(order, np.flatnonzero(np.diff(labels[order])) + 1)
    return [c for c in splits if len(c) >= min_points]


def min_area_rectangle(xy: np.ndarray) -> tuple[np.ndarray, float, float, float]:
    """(centre, length, width, yaw) of the smallest rectangle around 2-D points; length >= width."""
    try:
        hull = xy[ConvexHull(xy).vertices]
    except (QhullError, ValueError):
        hull = xy
    edges = np.diff(np.vstack([hull, hull[:1]]), axis=0)
    angles = np.unique(np.mod(np.arctan2(edges[:, 1], edges[:, 0]), np.pi / 2))
    if len(angles) == 0:
        angles = np.zeros(1)
    c, s = np.cos(angles), np.sin(angles)
    u = hull @ np.stack([c, s])            # (H, A) coordinates along each candidate axis
    v = hull @ np.stack([-s, c])
    ext_u, ext_v = u.max(0) - u.min(0), v.max(0) - v.min(0)
    k = int(np.argmin(ext_u * ext_v))
    cu, cv = 0.5 * (u[:, k].max() + u[:, k].min()), 0.5 * (v[:, k].max() + v[:, k].min())
    centre = np.array([cu * c[k] - cv * s[k], cu * s[k] + cv * c[k]])
    length, width, yaw = float(ext_u[k]), float(ext_v[k]), float(angles[k])
    if width > length:
        length, width, yaw = width, length, yaw + np.pi / 2
    return centre, max(length, 0.1), max(width, 0.1), yaw


def size_class(length: float, width: float, height: float) -> str:
    if length < 1.2 and width < 1.2 and height > 1.0:
        return "pedestrian"
    if length < 2.5 and width < 1.2:
        return "bicycle"
    return "car"


def cloud_detections(cloud_sensor: np.ndarray, stamp: float, ego: EgoState, mount: np.ndarray,
                     *, radius: float = 0.8, max_footprint: float = 20.0) -> Detections:
    """Objects in the map frame from one cloud in its sensor frame."""
    homo = np.column_stack([cloud_sensor, np.ones(len(cloud_sensor))])
    base = (homo @ mount.T)[:, :3]
    above = remove_ground(base)
    above = above[(above[:, 2] < 3.5) & (np.hypot(above[:, 0], above[:, 1]) > 1.0)]
    to_map = inputs.homogeneous(ego.x, ego.y, ego.z, 0.0, 0.0, ego.heading)
    ids, cats, xy, yaw, size = [], [], [], [], []
    for idx in euclidean_clusters(above, radius):
        pts = above[idx]
        centre, length, width, heading = min_area_rectangle(pts[:, :2])
        height = float(pts[:, 2].max() - min(pts[:, 2].min(), 0.0))
        if height < 0.3 or length > max_footprint:
            continue
        world = to_map @ np.array([centre[0], centre[1], 0.0, 1.0])
        ids.append("")
        cats.append(size_class(length, width, height))
        xy.append(world[:2])
        yaw.append(heading + ego.heading)
        size.append((length, width, height))
    if not xy:
        return Detections.empty(stamp)
    return Detections(stamp, tuple(ids), tuple(cats), np.array(xy), np.array(yaw), np.array(size, dtype=float))


class LidarReferenceStack(ReferenceStack):
    """The reference stack with lidar perception (object lists on the topics are ignored)."""

    subscribed_sensor_types: frozenset[str] = frozenset({"sensor_msgs/msg/PointCloud2"})
    subscribed_topics: frozenset[str] = ReferenceStack.subscribed_topics - {inputs.GROUND_TRUTH_OBJECTS}
    """The reference stack's platform topics less the ground-truth object list, which it ignores."""

    def __init__(self, **parameters: Any) -> None:
        super().__init__(**parameters)
        self.tracker = Tracker(measurement_noise=0.4, by_id=False, accel_noise=4.0)

    def perceive(self, observations: Mapping[str, Any], ego: EgoState) -> None:
        wanted = self.params.lidar_topic
        for topic in sorted(observations):
            msg = observations[topic]
            if not isinstance(msg, PointCloud2) or (wanted and topic != wanted):
                continue
            mount = self.mounts.get(msg.header.frame_id)
            if mount is None:
                continue
            det = cloud_detections(inputs.point_cloud_xyz(msg), ego.time, ego, mount)
            self.tracker.update(det)
