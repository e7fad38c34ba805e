"""Rays proved to miss the static world within range: a height grid of the map and a sweep's horizon.

Why: open3d's ``cast_rays`` charges every ray some 40–55 ns on this machine
even when it misses (``bench/sensor_bench.py``), and a road mesh has no terrain
beside it: on the ``highway_straight`` bench scene some 28 000 of an HDL-64E
sweep's 133 000 rays that reach the road's height band still miss it (they
pass beside the road, or run along it beyond the range).  Proving those misses
costs a few ns a ray; casting them costs ten times that.

The proof (exact, conservative).  Let every ray origin lie in the ball B(c, r)
and a ray be o + t·d with |d|² ≤ 1 + 10⁻⁵ (a unit direction in float32); the
sensor keeps hits with t ≤ R only.  Write s = t·|d_xy| ≤ R' for the horizontal
distance travelled, R' = R·(1 + 10⁻⁵) + 10⁻³ (also above float32(R)).

1. *Height grid* (``HeightGrid``, once per static world): H[j, i] is the
   highest vertex z of the triangles whose xy bounding box, widened by ε, meets
   cell (i, j) — −∞ where none does.  A point of a triangle lies in a cell its
   box meets, so every triangle point p has p_z ≤ H[cell(p)].
2. *Shift to the centre*: the ray from o = c + δ (|δ| ≤ r) has the same
   points as the ray from c shifted by δ.  If the ray from o hits p, then
   q = p − δ is on the ray from c, at the same s, lying in the cell of p
   widened by r, and q_z = p_z − δ_z ≥ p_z − r.  So it suffices that for every
   point q of the ray from c with s ≤ R', q_z > H(C) + r + ζ for every cell C
   whose r-widened rectangle holds q (ζ: the float32 slack below).
3. *Horizon of an azimuth sector* (``sweep_horizon``, per sweep): with
   a(C) = H(C) + r + ζ − c_z and the distances [ρ_min(C), ρ_max(C)] from c to
   the widened rectangle of C (ρ_max clipped to R'), q_z − c_z = s·m where
   m = d_z/|d_xy| is the ray's slope, and s ∈ [ρ_min, min(ρ_max, R')] while q
   is in C.  s·m > a holds on that whole interval when m > b(C), with
   b(C) = a/ρ_min for a > 0 (+∞ when ρ_min = 0) and a/min(ρ_max, R') for a ≤ 0
   (s·m is monotone in s: the binding end is the near one when a > 0 and the
   far one when a ≤ 0).  The horizon of sector k is the largest b(C) over the
   cells within R' whose widened rectangle meets the sector's wedge from c
   (a cell's angular extent is that of its corners when it does not hold c;
   a cell holding c meets every sector).
4. *The test* (``cull_gather``): a ray whose slope exceeds its sector's
   horizon, m > h(k), equivalently d_z > h(k)·|d_xy|, meets no triangle with
   s ≤ R', hence none with t ≤ R: open3d would report a miss, or a hit beyond
   the range, which every sensor drops (``static_cast.trim_beyond``, the lidar's
   gather).  Rays with |d_xy| = 0, a longer direction, or a NaN are cast.

Sectors are intervals of the *diamond angle* (a monotone map of the azimuth
onto [0, 4) made of one division, no ``atan2``), so the ray's sector and the
cells' angular extents are compared in the same monotone measure; each cell's
extent is widened against the rounding of the divisions
(a 10⁻⁶ wide margin in diamond units, where those roundings are ~10⁻¹⁶).

Float32 slack: open3d (Embree) intersects in float32, so a reported hit may
lie a few ulps outside its triangle.  Boxes are widened by ε and heights
raised by ζ, both 10⁻³ + 10⁻⁵·M: for the grid M is the map's largest
coordinate magnitude, and a sweep widens the rectangles and raises the heights
by ζ once more with M the largest of the map's, the origin's plus its range
(so both the map's and the rays' coordinates are covered): hundreds of ulps,
the slack ``static_cast.reaching_span`` uses.  The float64 comparisons of the
test round by ~10⁻¹⁶ relative, far inside ζ.

Kernels are numba ``cache=True``, ``nogil``, self-contained in this file
(numba's cache tracks a kernel's own file only).
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field

import numpy as np
from numba import njit

SECTORS = 1024
"""Azimuth sectors of a sweep's horizon (diamond-angle intervals of 4/1024: 0.2–0.5°).  On the bench's HDL-64E
sweep 512, 1024, 2048 and 4096 sectors prove 43 434, 43 538, 43 590 and 43 608 rays missing, and the horizon
costs 0.08, 0.11, 0.15 and 0.22 ms."""
CELL = 2.0
"""Height-grid cell side (m) for a map whose grid stays within ``MAX_CELLS``; larger maps get coarser cells."""
MAX_CELLS = 1 << 21
"""Cells a height grid may have (8 MiB of float32: the vertices' own type, so the tops are exact)."""
NORM_BOUND = 1.0 + 1e-5
"""Largest |d|² of a ray the test decides (a unit direction rounded to float32 is well inside)."""


def slack(magnitude: float) -> float:
    """ε = ζ: 10⁻³ + 10⁻⁵·M for coordinates of magnitude up to M (module docstring)."""
    return 1e-3 + 1e-5 * magnitude


@dataclass(frozen=True, eq=False)
class HeightGrid:
    """H[j, i]: the highest vertex z of the triangles whose ε-widened xy box meets cell (i, j); −∞: none."""

    heights: np.ndarray
    x0: float
    y0: float
    cell: float
    magnitude: float
    """Largest coordinate magnitude of the map's vertices."""
    memo: dict = field(default_factory=dict, repr=False)
    """The last few per-cast results (``horizon``, ``static_boxes.height_profile``) by the exact bits of their
    arguments: a sensor on a standing ego asks the same each sweep (read-only arrays; ``remember``)."""

    MEMO_SIZE = 8

    def remember(self, key: tuple, value: np.ndarray) -> np.ndarray:
        """``value`` made read-only and kept under ``key`` (all entries dropped once ``MEMO_SIZE`` are kept: each
        step is one atomic dict operation, so sensors casting from several threads cannot break it)."""
        value.flags.writeable = False
        if len(self.memo) >= self.MEMO_SIZE:
            self.memo.clear()
        self.memo[key] = value
        return value

    @staticmethod
    def build(vertices: np.ndarray, triangles: np.ndarray) -> "HeightGrid | None":
        """The grid of a map's triangles, or None for an empty map or one with non-finite vertices."""
        if len(triangles) == 0 or not np.all(np.isfinite(vertices)):
            return None
        v = np.ascontiguousarray(vertices, dtype=np.float32)
        magnitude = float(np.abs(v).max())
        eps = slack(magnitude)
        lo = v[:, :2].min(axis=0).astype(np.float64) - eps - CELL
        hi = v[:, :2].max(axis=0).astype(np.float64) + eps + CELL
        cell = CELL
        while math.ceil((hi[0] - lo[0]) / cell) * math.ceil((hi[1] - lo[1]) / cell) > MAX_CELLS:
            cell *= 2.0
        nx, ny = math.ceil((hi[0] - lo[0]) / cell), math.ceil((hi[1] - lo[1]) / cell)
        heights = np.full((ny, nx), -np.inf, np.float32)
        _raster(v, np.ascontiguousarray(triangles, dtype=np.int64), float(lo[0]), float(lo[1]), cell, eps, heights)
        return HeightGrid(heights, float(lo[0]), float(lo[1]), cell, magnitude)

    def _farthest(self, c: np.ndarray, radius: float) -> float:
        """A distance from c beyond every cell's r-widened rectangle: a reach past it scans the same cells with
        the same far ends (``sweep_horizon`` clips ρ_max to the reach), so a sensor's range can be clipped to
        it — which keeps the cell indices within int64 for any range (a range of 3·10¹⁹ m overflowed them and
        proved every ray a miss) and the slack ζ at the coordinates the rays can have where the map is."""
        ny, nx = self.heights.shape
        dx = max(abs(float(c[0]) - self.x0), abs(float(c[0]) - (self.x0 + nx * self.cell)))
        dy = max(abs(float(c[1]) - self.y0), abs(float(c[1]) - (self.y0 + ny * self.cell)))
        return math.hypot(dx, dy) + 2.0 * radius + self.cell

    def cells_within(self, centre: np.ndarray, radius: float, max_range: float) -> int:
        """How many cells ``horizon`` scans for this query (the grid's part of the square around the ball)."""
        span = max_range * (1.0 + 1e-5) + 1e-3 + radius + self.cell
        ny, nx = self.heights.shape
        counts = []
        for c, o, size in ((float(centre[0]), self.x0, nx), (float(centre[1]), self.y0, ny)):
            lo = max(math.floor((c - span - o) / self.cell), 0)
            hi = min(math.floor((c + span - o) / self.cell), size - 1)
            counts.append(max(hi - lo + 1, 0))
        return counts[0] * counts[1]

    def horizon(self, centre: np.ndarray, radius: float, max_range: float, sectors: int = SECTORS) -> np.ndarray:
        """h[k]: a ray from B(centre, radius) in sector k with d_z > h[k]·|d_xy| misses within ``max_range``
        (read-only; the same arguments, bit for bit, give the array computed before: ``memo``)."""
        c = np.asarray(centre, dtype=np.float64)
        if not (np.all(np.isfinite(c)) and math.isfinite(radius) and math.isfinite(max_range)):
            return np.full(sectors, np.inf)                   # nothing is proved from an unknown pose
        key = ("horizon", c.tobytes(), struct.pack("<dd", radius, max_range), int(sectors))
        found = self.memo.get(key)
        if found is not None:
            return found
        reach = min(max_range * (1.0 + 1e-5) + 1e-3, self._farthest(c, radius))
        zeta = slack(max(self.magnitude, float(np.abs(c).max()) + radius + reach))
        out = np.empty(sectors)
        # the rays' own float32 slack: rectangles widened and heights raised by ζ beyond the origin ball
        sweep_horizon(self.heights, self.x0, self.y0, self.cell, float(c[0]), float(c[1]), float(c[2]),
                      float(radius) + zeta, reach, zeta, out)
        return self.remember(key, out)


@njit(cache=True, nogil=True)
def _raster(v, triangles, x0, y0, cell, eps, heights):
    """Each triangle's top z into every cell its ε-widened xy box meets."""
    ny, nx = heights.shape
    for t in range(len(triangles)):
        a, b, c = triangles[t, 0], triangles[t, 1], triangles[t, 2]
        xl = min(np.float64(v[a, 0]), np.float64(v[b, 0]), np.float64(v[c, 0])) - eps
        xh = max(np.float64(v[a, 0]), np.float64(v[b, 0]), np.float64(v[c, 0])) + eps
        yl = min(np.float64(v[a, 1]), np.float64(v[b, 1]), np.float64(v[c, 1])) - eps
        yh = max(np.float64(v[a, 1]), np.float64(v[b, 1]), np.float64(v[c, 1])) + eps
        top = max(v[a, 2], v[b, 2], v[c, 2])             # float32, as the vertices: exact
        i0 = max(int(math.floor((xl - x0) / cell)), 0)
        i1 = min(int(math.floor((xh - x0) / cell)), nx - 1)
        j0 = max(int(math.floor((yl - y0) / cell)), 0)
        j1 = min(int(math.floor((yh - y0) / cell)), ny - 1)
        for j in range(j0, j1 + 1):
            for i in range(i0, i1 + 1):
                if top > heights[j, i]:
                    heights[j, i] = top


@njit(cache=True, inline="always")
def _diamond(x, y):
    """A monotone map of the azimuth, counted from +x in [0, 2π), onto [0, 4]: 0 along +x, 1 along +y, 2 along −x,
    3 along −y (4 only by rounding, just below 2π; a ray's sector index clamps it to the last sector)."""
    if y >= 0.0:
        if x >= 0.0:
            return y / (x + y)
        return 1.0 - x / (y - x)
    if x < 0.0:
        return 2.0 - y / (-x - y)
    return 3.0 + x / (x - y)


@njit(cache=True, nogil=True)
def sweep_horizon(heights, x0, y0, cell, cx, cy, cz, radius, reach, zeta, out):
    """The horizon of each sector (module docstring, step 3) into ``out`` (−∞: nothing within reach)."""
    k_count = len(out)
    for k in range(k_count):
        out[k] = -np.inf
    ny, nx = heights.shape
    span = reach + radius + cell
    i0 = max(int(math.floor((cx - span - x0) / cell)), 0)
    i1 = min(int(math.floor((cx + span - x0) / cell)), nx - 1)
    j0 = max(int(math.floor((cy - span - y0) / cell)), 0)
    j1 = min(int(math.floor((cy + span - y0) / cell)), ny - 1)
    scale = k_count / 4.0
    tiny = 1e-6
    for j in range(j0, j1 + 1):
        ya = y0 + j * cell - cy - radius                     # the widened rectangle, relative to c
        yb = y0 + (j + 1) * cell - cy + radius
        for i in range(i0, i1 + 1):
            h = np.float64(heights[j, i])
            if h == -np.inf:
                continue
            xa = x0 + i * cell - cx - radius
            xb = x0 + (i + 1) * cell - cx + radius
            gx = max(xa, -xb, 0.0)
            gy = max(ya, -yb, 0.0)
            near = math.sqrt(gx * gx + gy * gy)
            if near > reach:
                continue
            fx = max(-xa, xb)
            fy = max(-ya, yb)
            far = min(math.sqrt(fx * fx + fy * fy), reach)
            a = h + radius + zeta - cz
            if a > 0.0:
                b = a / near if near > 0.0 else np.inf
            else:
                b = a / far
            if near == 0.0:
                for k in range(k_count):
                    if b > out[k]:
                        out[k] = b
                continue
            p0 = _diamond(xa, ya)
            p1 = _diamond(xb, ya)
            p2 = _diamond(xa, yb)
            p3 = _diamond(xb, yb)
            lo = min(p0, p1, p2, p3)
            hi = max(p0, p1, p2, p3)
            if hi - lo > 2.0:                                # the extent crosses the +x axis (diamond 0 = 4)
                lo2 = 4.0
                hi2 = 0.0
                for p in (p0, p1, p2, p3):
                    if p > 2.0:
                        lo2 = min(lo2, p)
                    else:
                        hi2 = max(hi2, p)
                _raise(out, int(math.floor((lo2 - tiny) * scale)), k_count - 1, b)
                _raise(out, 0, int(math.floor((hi2 + tiny) * scale)), b)
            else:
                _raise(out, int(math.floor((lo - tiny) * scale)), int(math.floor((hi + tiny) * scale)), b)


@njit(cache=True, inline="always")
def _raise(out, k0, k1, b):
    k_count = len(out)
    for k in range(max(k0, 0), min(k1, k_count - 1) + 1):
        if b > out[k]:
            out[k] = b
    if k0 < 0:                                               # widened below sector 0: the last ones too
        for k in range(k_count + k0, k_count):
            if b > out[k]:
                out[k] = b
    if k1 >= k_count:                                        # past the last sector: the first ones too
        for k in range(0, min(k1 - k_count + 1, k_count)):
            if b > out[k]:
                out[k] = b


@njit(cache=True, nogil=True)
def cull_gather(rays, start, stop, horizon, norm_bound, kept_rays, kept_rows, t, normal, material):
    """Rows [start, stop) of ``rays``: those proved to miss (step 4) are written as misses into t, normal and
    material; the others are copied to ``kept_rays[:k]`` with their rows in ``kept_rows[:k]``.  Returns k."""
    scale = len(horizon) / 4.0
    last = len(horizon) - 1
    k = 0
    for row in range(start, stop):
        dx = np.float64(rays[row, 3])
        dy = np.float64(rays[row, 4])
        dz = np.float64(rays[row, 5])
        q = dx * dx + dy * dy
        culled = False
        if q > 0.0 and q + dz * dz <= norm_bound:
            s = int(_diamond(dx, dy) * scale)
            culled = dz > horizon[min(s, last)] * math.sqrt(q)
        if culled:
            t[row] = np.inf
            normal[row, 0] = 0.0
            normal[row, 1] = 0.0
            normal[row, 2] = 0.0
            material[row] = -1
        else:
            for c in range(6):
                kept_rays[k, c] = rays[row, c]
            kept_rows[k] = row
            k += 1
    return k


@njit(cache=True, nogil=True)
def cull_gather_unproved(rays, start, stop, horizon, norm_bound, skip, kept_rays, kept_rows, t, normal, material):
    """``cull_gather`` and then ``static_boxes.drop_rows`` in one pass: rows [start, stop) that ``skip`` marks
    (proved to hit an actor box first) or that are proved to miss are written as misses, the others copied to
    ``kept_rays[:k]`` with their rows in ``kept_rows[:k]``, in order.  Returns k.  The same arrays as the two
    passes (both write the same miss), without copying the marked rays and then moving the rest down."""
    scale = len(horizon) / 4.0
    last = len(horizon) - 1
    k = 0
    for row in range(start, stop):
        culled = skip[row]
        if not culled:
            dx = np.float64(rays[row, 3])
            dy = np.float64(rays[row, 4])
            dz = np.float64(rays[row, 5])
            q = dx * dx + dy * dy
            if q > 0.0 and q + dz * dz <= norm_bound:
                s = int(_diamond(dx, dy) * scale)
                culled = dz > horizon[min(s, last)] * math.sqrt(q)
        if culled:
            t[row] = np.inf
            normal[row, 0] = 0.0
            normal[row, 1] = 0.0
            normal[row, 2] = 0.0
            material[row] = -1
        else:
            for c in range(6):
                kept_rays[k, c] = rays[row, c]
            kept_rows[k] = row
            k += 1
    return k


@njit(cache=True, nogil=True)
def scatter_hits(t_part, normal_part, ids, table, rows, t, normal, material):
    """A compact cast's hits back to their rows: t, the normals, and ``np.take(table, ids, mode="clip")`` for
    the material (``static_cast._collect``'s lookup: a uint32 id past the table's end clips to its −1)."""
    last = len(table) - 1
    for i in range(len(t_part)):
        row = rows[i]
        t[row] = t_part[i]
        normal[row, 0] = normal_part[i, 0]
        normal[row, 1] = normal_part[i, 1]
        normal[row, 2] = normal_part[i, 2]
        p = np.int64(ids[i])
        material[row] = table[p if p < last else last]
