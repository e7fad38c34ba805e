"""Cropped copies of the static scene for sensors with a finite reach.

Why: a sensor discards every hit beyond its maximum range, and a hit at
range t ≤ R from an origin o lies on a triangle that meets the ball B(o, R).
Casting against only the triangles that meet that ball therefore gives the
same first hit for every ray whose true first hit is within R (a subset of
the triangles cannot hide a nearer hit, and it keeps the triangle that is
hit), and a miss or a hit beyond R otherwise, which the sensor drops either
way.  The result is exact, not an approximation.  It pays because a BVH
over a long map makes near-horizontal rays (those that graze the road
towards the horizon) visit many nodes: on the 1 km ``highway_straight`` map
a 160 m crop casts a lidar sweep markedly faster (``bench/sensor_bench.py``).

A region is a ball B(c, ρ) with ρ = R + margin; it serves every later query
B(o, R') with |o − c| + R' ≤ ρ and ρ ≤ R' + 2·margin(R'), so a moving ego
rebuilds it every ``margin`` metres (a few thousand triangles: about a millisecond).  Triangles
are selected by their bounding spheres (conservative); a crop that would keep
more than half the map is not worth a BVH, and the whole scene serves instead.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import open3d as o3d

if TYPE_CHECKING:
    from sensors.scene import StaticWorld

INVALID_ID = 0xFFFFFFFF
"""open3d's ``RaycastingScene.INVALID_ID``: geometry and primitive id of a miss."""


def _tensor(rays: Any) -> "o3d.core.Tensor":
    """(N, 6) float32 rays as an open3d tensor, sharing memory where the array allows it."""
    if isinstance(rays, o3d.core.Tensor):
        return rays
    return o3d.core.Tensor.from_numpy(np.ascontiguousarray(rays, dtype=np.float32))


@dataclass(frozen=True, eq=False)
class Region:
    """A scene exact for hits within ``radius`` of ``centre`` (the whole map when ``radius`` is inf)."""

    scene: Any
    triangle_material: np.ndarray
    """Material of each of the scene's triangles, plus a trailing −1 for a miss (INVALID_ID clips to it)."""
    centre: np.ndarray
    radius: float
    triangle_count: int
    z_range: tuple[float, float] = (-np.inf, np.inf)
    """Lowest and highest vertex z of the scene's triangles (a ray that stays outside it within reach misses)."""

    def covers(self, centre: np.ndarray, reach: float) -> bool:
        """|centre − self.centre| + reach ≤ radius, the distance as ``np.linalg.norm`` computes it for a
        float64 3-vector (``sqrt(x.dot(x))``: BLAS ddot, whose summation is not a plain left-to-right
        sum), without its argument handling (a sweep asks every cached region twice)."""
        d = centre - self.centre
        return math.sqrt(d.dot(d)) + reach <= self.radius


class RegionCache:
    """The last few regions of one static world (LRU); the smallest covering one serves a query."""

    SIZE = 6
    MIN_TRIANGLES = 2048
    """Below this a crop cannot make the BVH meaningfully shallower."""
    WORTH = 0.5
    """Crop only when it keeps at most this fraction of the triangles."""

    def __init__(self, world: "StaticWorld") -> None:
        self.world = world
        self.full = Region(world.scene, world.triangle_material, np.zeros(3), np.inf, world.triangle_count,
                           _z_range(world.vertices))
        self._spheres: tuple[np.ndarray, np.ndarray] | None = None
        self._regions: list[Region] = []
        self.builds = 0

    @staticmethod
    def margin(reach: float) -> float:
        return 0.25 * reach + 10.0

    def get(self, centre: np.ndarray, reach: float) -> Region:
        if self.world.triangle_count < self.MIN_TRIANGLES or not math.isfinite(reach):
            return self.full
        # a region serves a query it contains, unless it is much larger than the query's own would be
        # (then a tighter crop is worth building: a far-reaching sensor must not slow a short-range one)
        largest = reach + 2.0 * self.margin(reach)
        covering = [r for r in self._regions if r.radius <= largest and r.covers(centre, reach)]
        if covering:
            best = min(covering, key=lambda r: r.radius)
            self._regions.remove(best)
            self._regions.append(best)
            return best
        region = self._build(centre, reach + self.margin(reach))
        self._regions.append(region)
        del self._regions[:-self.SIZE]
        return region

    def _triangle_spheres(self) -> tuple[np.ndarray, np.ndarray]:
        if self._spheres is None:
            corners = self.world.vertices.astype(np.float64)[self.world.triangles.astype(np.intp)]   # (T, 3, 3)
            centre = corners.mean(axis=1)
            radius = np.linalg.norm(corners - centre[:, None, :], axis=2).max(axis=1)
            self._spheres = (centre, radius)
        return self._spheres

    def _build(self, centre: np.ndarray, radius: float) -> Region:
        self.builds += 1
        tri_centre, tri_radius = self._triangle_spheres()
        slack = 1e-4 * radius + 1e-2                      # float32 ray parameters near the boundary
        d = np.linalg.norm(tri_centre - centre, axis=1) - tri_radius
        keep = np.flatnonzero(d <= radius + slack)
        world = self.world
        if len(keep) > self.WORTH * world.triangle_count:
            return Region(world.scene, world.triangle_material, centre.copy(), radius, world.triangle_count,
                          self.full.z_range)
        tris = world.triangles[keep]
        used = np.zeros(len(world.vertices), dtype=bool)
        used[tris.ravel()] = True
        vertex_ids = np.flatnonzero(used)
        remap = np.zeros(len(world.vertices), dtype=np.uint32)
        remap[vertex_ids] = np.arange(len(vertex_ids), dtype=np.uint32)
        scene = o3d.t.geometry.RaycastingScene()
        if len(keep):
            scene.add_triangles(o3d.core.Tensor.from_numpy(np.ascontiguousarray(world.vertices[vertex_ids])),
                                o3d.core.Tensor.from_numpy(np.ascontiguousarray(remap[tris])))
        table = np.concatenate([world.triangle_material[keep], np.array([-1], dtype=np.int32)])
        return Region(scene, table, centre.copy(), radius, len(keep), _z_range(world.vertices[vertex_ids]))


def _z_range(vertices: np.ndarray) -> tuple[float, float]:
    if len(vertices) == 0:
        return (np.inf, -np.inf)                          # empty: every ray misses
    z = vertices[:, 2]
    return (float(z.min()), float(z.max()))

