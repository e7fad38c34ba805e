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

Which region serves a query is a function of the query alone (canonical
regions).  Where two triangles give a ray the same first-hit t (coincident
surfaces: a junction's overlapping road meshes, a marking on a road) Embree
reports the one its BVH walk meets first, so a cloud depends on which crop it
was cast against; if any cached crop that covered a query could serve it, a
sweep would depend on the sweeps before it, on the other sensors sharing the
scene and on a scenario's place in a batch — against the platform's contract
(the same inputs and seed give bit-identical results).  So a query B(o, R)
(origin ball centre o, reach R) is served by the crop keyed by

- the canonical reach R̂ = R rounded up to 1/16 of its power-of-two octave
  (``canonical_reach``: R ≤ R̂ < 1.0625·R; the reaches sensors use, 100, 120,
  200 m, are their own), and
- the cell of o on a fixed grid: c = (gₓ·round(oₓ/gₓ), gₓ·round(o_y/gₓ),
  g_z·round(o_z/g_z)) with gₓ = m·√(15/8), g_z = m/2 and m = margin(R̂)·(1 − 10⁻⁹),

the crop of the ball B(c, ρ), ρ = R̂ + margin(R̂) (the same triangles, in
ascending id order, hence the same BVH, whenever the key recurs).  It covers the
query: |o − c|² ≤ 2·(gₓ/2)² + (g_z/2)² = m²·(15/16 + 1/16) = m², so
|o − c| + R ≤ m + R̂ < ρ (the 10⁻⁹ absorbs the rounding of c; the crop's own
slack absorbs float32 ray parameters).  The horizontal spacing is the larger
because an ego moves mostly horizontally: it crosses a cell boundary every
gₓ ≈ 1.37·margin metres along a grid axis (a region is a few thousand
triangles: about a millisecond to build).  A cached region is never served to
another key, and whether a crop is worth a BVH (``WORTH``, ``MIN_TRIANGLES``)
depends only on that crop, so the cache (an LRU) changes speed, never hits.

Triangles are selected by their bounding spheres (conservative); a crop that
would keep more than half the map is not worth a BVH, and the whole scene
serves instead.  The spheres are binned on an xy grid once per map
(``SphereIndex``), so a build tests the few thousand near its centre, not the
whole map: the same test on the same values, so the same triangles in the same
order (the crop, and hence the BVH and every tie, is unchanged).
"""

from __future__ import annotations

from collections import OrderedDict
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


def canonical_reach(reach: float) -> float:
    """The smallest multiple of 2^(⌊log₂ reach⌋ − 4) that is ≥ ``reach`` (exact in binary floating point):
    at most 6.25 % more, and one key for the slightly varying reaches of one sensor (a motion-distorted
    sweep's origin spread, the object list's farthest sample)."""
    if reach <= 1.0:
        return 1.0
    _, e = math.frexp(reach)                              # reach = f·2^e, f in [0.5, 1): ⌊log₂ reach⌋ = e − 1
    q = math.ldexp(1.0, e - 5)
    return math.ceil(reach / q) * q


class RegionCache:
    """The regions of one static world, keyed by (canonical reach, grid cell): see the module docstring."""

    SIZE = 8
    """Regions kept (LRU): a rig's sensors and near crops, each in the current and the previous cell."""
    MIN_TRIANGLES = 2048
    """Below this a crop cannot make the BVH meaningfully shallower."""
    WORTH = 0.5
    """Crop only when it keeps at most this fraction of the triangles."""

    def __init__(self, world: "StaticWorld") -> None:
        self.world = world
        self.full = Region(world.scene, world.triangle_material, np.zeros(3), np.inf, world.triangle_count,
                           _z_range(world.vertices))
        self._spheres: tuple[np.ndarray, np.ndarray] | None = None
        self._index: SphereIndex | None = None
        self._cache: OrderedDict[tuple[float, int, int, int], Region] = OrderedDict()
        self.builds = 0
        self._recent: dict[tuple[bytes, float], tuple[tuple | None, Region | None, Region]] = {}
        """(centre bytes, reach) → (key, cached region, region served) of the last queries (``get``)."""

    @property
    def _regions(self) -> list[Region]:
        """The cached regions, least recently used first (for tests and benches)."""
        return list(self._cache.values())

    @staticmethod
    def margin(reach: float) -> float:
        return 0.25 * reach + 10.0

    @classmethod
    def key(cls, centre: np.ndarray, reach: float) -> tuple[float, int, int, int]:
        """(R̂, i, j, k): the canonical reach and the grid cell of ``centre`` (module docstring)."""
        r = canonical_reach(reach)
        gx, gz = cls._spacing(r)
        return (r, round(float(centre[0]) / gx), round(float(centre[1]) / gx), round(float(centre[2]) / gz))

    @classmethod
    def _spacing(cls, canonical: float) -> tuple[float, float]:
        m = cls.margin(canonical) * (1.0 - 1e-9)
        return m * math.sqrt(15.0 / 8.0), 0.5 * m

    def get(self, centre: np.ndarray, reach: float) -> Region:
        """The region serving the query B(centre, reach) (a float64 3-vector and a float; module docstring).

        A query asked again (a sensor's next sweep from the same place: a standing ego, a repeated frame, a
        cast's second crop) is answered from ``_recent`` by its bits, as long as its region is still the one
        cached under its key (an evicted region is built again, as without it); the LRU order moves as
        before.  Why: the key, the finiteness tests and ``covers`` cost 6–15 µs a cast of Python on numpy
        scalars, for an answer that is a function of the query alone.
        """
        query = (centre.tobytes(), reach)
        recent = self._recent.get(query)
        if recent is not None:
            key, region, served = recent
            if key is None:
                return served
            if self._cache.get(key) is region:
                self._cache.move_to_end(key)
                return served
        key, region, served = self._get(centre, reach)
        if len(self._recent) >= self.RECENT:
            self._recent.clear()
        self._recent[query] = (key, region, served)
        return served

    RECENT = 8
    """Queries ``get`` remembers (then forgets all of them at once)."""

    def _get(self, centre: np.ndarray, reach: float) -> tuple[tuple | None, Region | None, Region]:
        """(key, the region cached under it, the region served) of a query (no key: the whole scene)."""
        if (self.world.triangle_count < self.MIN_TRIANGLES or not math.isfinite(reach)
                or not all(map(math.isfinite, centre))):
            return None, None, self.full
        key = self.key(centre, reach)
        region = self._cache.get(key)
        if region is None:
            r, i, j, k = key
            gx, gz = self._spacing(r)
            region = self._build(np.array([i * gx, j * gx, k * gz]), r + self.margin(r))
            self._cache[key] = region
            while len(self._cache) > self.SIZE:
                self._cache.popitem(last=False)
                self._recent.clear()                      # it must not keep an evicted region alive
        else:
            self._cache.move_to_end(key)
        # proven in the module docstring; the whole scene (also a function of the query) if it ever failed
        return key, region, (region if region.covers(centre, reach) else self.full)

    def _triangle_spheres(self) -> tuple[np.ndarray, np.ndarray]:
        if self._spheres is None:
            corners = self.world.vertices.astype(np.float64)[self.world.triangles.astype(np.intp)]   # (T, 3, 3)
            centre = corners.mean(axis=1)
            radius = np.linalg.norm(corners - centre[:, None, :], axis=2).max(axis=1)
            self._spheres = (centre, radius)
        return self._spheres

    def _selection(self, centre: np.ndarray, radius: float) -> np.ndarray:
        """Ids, ascending, of the triangles whose bounding sphere comes within ``radius`` (+ slack) of ``centre``.

        The test is ``np.linalg.norm(c − centre, axis=1) − r ≤ radius + slack`` row by row; it is made only
        for the candidates ``SphereIndex`` lists (every sphere centre within that reach of ``centre`` in x
        and y), with the same numpy expression on the same values, so the same rows pass as when every
        triangle is tested: a build reads a few thousand triangles, not the whole map.
        """
        tri_centre, tri_radius = self._triangle_spheres()
        slack = 1e-4 * radius + 1e-2                      # float32 ray parameters near the boundary
        if self._index is None:
            self._index = SphereIndex.build(tri_centre, tri_radius)
        candidates = self._index.candidates(centre, radius + slack)
        d = np.linalg.norm(tri_centre[candidates] - centre, axis=1) - tri_radius[candidates]
        return candidates[d <= radius + slack]

    def _build(self, centre: np.ndarray, radius: float) -> Region:
        self.builds += 1
        keep = self._selection(centre, radius)
        world = self.world
        if len(keep) > self.WORTH * world.triangle_count:
            return Region(world.scene, world.triangle_material, centre.copy(), radius, world.triangle_count,
                          self.full.z_range)
        tris = np.take(world.triangles, keep, axis=0)
        used = np.zeros(len(world.vertices), dtype=bool)
        used[tris.ravel()] = True
        vertex_ids = np.flatnonzero(used)
        remap = np.zeros(len(world.vertices), dtype=np.uint32)
        remap[vertex_ids] = np.arange(len(vertex_ids), dtype=np.uint32)
        vertices = np.take(world.vertices, vertex_ids, axis=0)
        scene = o3d.t.geometry.RaycastingScene()
        if len(keep):
            scene.add_triangles(o3d.core.Tensor.from_numpy(vertices), o3d.core.Tensor.from_numpy(remap[tris]))
        table = np.concatenate([world.triangle_material[keep], np.array([-1], dtype=np.int32)])
        return Region(scene, table, centre.copy(), radius, len(keep), _z_range(vertices))


@dataclass(frozen=True, eq=False)
class SphereIndex:
    """The triangles' bounding-sphere centres binned on an xy grid (ids ascending within a cell, cells in
    row-major order): the candidates for a crop are the cells within its reach, one slice per grid row."""

    order: np.ndarray
    starts: np.ndarray
    x0: float
    y0: float
    cell: float
    nx: int
    ny: int
    widest: float
    """The largest sphere radius: a sphere within ``reach`` of a point has its centre within reach + widest."""

    CELL = 16.0
    MAX_CELLS = 1 << 18

    @classmethod
    def build(cls, centre: np.ndarray, radius: np.ndarray) -> "SphereIndex":
        finite = np.all(np.isfinite(centre), axis=1) & np.isfinite(radius)
        if len(centre) == 0 or not finite.all():          # a degenerate map: one cell holding every triangle
            return cls(np.arange(len(centre)), np.array([0, len(centre)]), 0.0, 0.0, np.inf, 1, 1, np.inf)
        lo, hi = centre[:, :2].min(axis=0), centre[:, :2].max(axis=0)
        cell = cls.CELL
        while (math.floor((hi[0] - lo[0]) / cell) + 1) * (math.floor((hi[1] - lo[1]) / cell) + 1) > cls.MAX_CELLS:
            cell *= 2.0
        nx = math.floor((hi[0] - lo[0]) / cell) + 1
        ny = math.floor((hi[1] - lo[1]) / cell) + 1
        i = np.minimum(((centre[:, 0] - lo[0]) // cell).astype(np.int64), nx - 1)
        j = np.minimum(((centre[:, 1] - lo[1]) // cell).astype(np.int64), ny - 1)
        key = j * nx + i
        order = np.argsort(key, kind="stable")           # ids ascending within each cell
        starts = np.searchsorted(key[order], np.arange(nx * ny + 1))
        return cls(order, starts, float(lo[0]), float(lo[1]), cell, nx, ny, float(radius.max()))

    def candidates(self, centre: np.ndarray, reach: float) -> np.ndarray:
        """Ids, ascending, of every triangle whose sphere centre lies within ``reach`` + ``widest`` of
        ``centre`` in x and in y (a superset of those whose sphere comes within ``reach``)."""
        n = len(self.order)
        span = reach + self.widest
        if not (math.isfinite(span) and math.isfinite(self.cell)):
            return np.arange(n)
        # one more cell on each side: numpy's floor division that binned the centres may round differently
        i0 = max(math.floor((float(centre[0]) - span - self.x0) / self.cell) - 1, 0)
        i1 = min(math.floor((float(centre[0]) + span - self.x0) / self.cell) + 1, self.nx - 1)
        j0 = max(math.floor((float(centre[1]) - span - self.y0) / self.cell) - 1, 0)
        j1 = min(math.floor((float(centre[1]) + span - self.y0) / self.cell) + 1, self.ny - 1)
        if i0 > i1 or j0 > j1:
            return np.zeros(0, np.int64)
        mask = np.zeros(n, dtype=bool)
        for j in range(j0, j1 + 1):
            mask[self.order[self.starts[j * self.nx + i0]:self.starts[j * self.nx + i1 + 1]]] = True
        return np.flatnonzero(mask)


def _z_range(vertices: np.ndarray) -> tuple[float, float]:
    if len(vertices) == 0:
        return (np.inf, -np.inf)                          # empty: every ray misses
    z = vertices[:, 2]
    return (float(z.min()), float(z.max()))

