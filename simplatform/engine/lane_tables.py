"""Per-lane geometry tables: the lane centre sampled once, interpolated every step.

Why: asking the road model for an exact lane pose costs ~25 µs (plan-view
evaluation, lane-section search, width polynomials), and the default
controller needs one pose per entity per step.  The lane centre of one
(road, lane) is sampled on a fixed s grid with the road model's vectorised
``lane_poses`` (once per process: tables are cached per ``RoadNetwork``
object), and each step interpolates: x, y by cubic Hermite with the sampled
s-derivatives (error O(Δs⁴·κ³), below 1e-6 m at Δs = 0.5 m on a 20 m
radius), heading, z, pitch, roll and the lane-centre t linearly.

A point at ``offset`` from the lane centre lies on the superelevated cross
section (OpenDRIVE 1.8 §8.3: t is measured in it, as libOpenDRIVE does):
offset·cos(roll) along the reference line's horizontal left normal and
offset·sin(roll) up, as the road model's ``road_pose`` places it; on a flat
road (roll 0) that is the horizontal offset, bit for bit.  Where the lane does not exist (another lane
section) the samples are NaN and the caller falls back to the road model.

``path_scale`` turns a distance travelled at an offset into reference-line s (√((1 − κ·t)² + t'²)
from the same samples): the default controller moves an entity speed × dt along its own path.
"""

from __future__ import annotations

import math
import weakref

import numpy as np

from simplatform.errors import RoadNetworkError

GRID = 0.5
"""m between samples."""

_CACHE: "weakref.WeakKeyDictionary[object, dict]" = weakref.WeakKeyDictionary()


class LaneTable:
    """Sampled centre line of one lane of one road (s along the road reference line)."""

    __slots__ = ("road_id", "lane_id", "length", "n", "ds", "inv_ds", "x", "y", "dx", "dy", "z", "h",
                 "p", "r", "ct", "hw", "valid", "arrays", "direction", "_packed")

    def __init__(self, net, road_id: str, lane_id: int) -> None:
        length = float(net.roads[road_id].length)
        n = max(2, int(math.ceil(length / GRID)) + 1)
        s = np.linspace(0.0, length, n)
        pose = net.lane_poses(road_id, lane_id, s, np.zeros(n))
        inner, outer = net.frame(road_id).lanes.boundaries(lane_id, s)
        ds = length / (n - 1)
        h = np.unwrap(np.nan_to_num(pose.heading))
        x, y = pose.x, pose.y
        dx, dy = np.gradient(x, ds), np.gradient(y, ds)
        self.road_id, self.lane_id, self.length, self.n = road_id, lane_id, length, n
        self.ds, self.inv_ds = ds, 1.0 / ds
        self.valid = np.isfinite(x).tolist()
        self.arrays = {"x": x, "y": y, "dx": dx, "dy": dy, "z": pose.z, "h": h, "p": pose.pitch,
                       "r": pose.roll, "ct": 0.5 * (inner + outer)}
        # Python lists: scalar indexing of a list is ~5x faster than of an ndarray
        self.x, self.y, self.dx, self.dy = x.tolist(), y.tolist(), dx.tolist(), dy.tolist()
        self.z, self.h, self.p, self.r = pose.z.tolist(), h.tolist(), pose.pitch.tolist(), pose.roll.tolist()
        self.ct = (0.5 * (inner + outer)).tolist()
        self.hw = (0.5 * np.abs(outer - inner)).tolist()
        self._packed: np.ndarray | None = None
        # the lane's driving direction along s (+1/-1) as RoadAdaptor.direction answers it; 0 where
        # it has none (the centre lane): the callers then take RoadAdaptor's path, which says why
        try:
            self.direction = driving_direction(net, road_id, lane_id)
        except RoadNetworkError:
            self.direction = 0

    def packed(self) -> np.ndarray:
        """The samples ``pose`` reads, as one C-contiguous (``PACKED_ROWS`` × n) array for the compiled
        lane step (:mod:`lane_kernels`): built from the same lists, so the same float64 values."""
        got = self._packed
        if got is None:
            got = np.array([self.x, self.y, self.dx, self.dy, self.z, self.h, self.p, self.r, self.ct, self.hw,
                            [1.0 if v else 0.0 for v in self.valid]], dtype=float)
            self._packed = got
        return got

    def _cell(self, s: float) -> tuple[int, float] | None:
        u = s * self.inv_ds
        k = int(u)
        if k >= self.n - 1:
            k = self.n - 2
        elif k < 0:
            k = 0
        if not (self.valid[k] and self.valid[k + 1]):
            return None
        return k, u - k

    def center_t(self, s: float) -> float | None:
        cell = self._cell(s)
        if cell is None:
            return None
        k, f = cell
        ct = self.ct
        return ct[k] + (ct[k + 1] - ct[k]) * f

    def half_width(self, s: float) -> float | None:
        """Half the lane's width at s (linear between samples; None off the lane): the per-step
        "has it left its lane" test needs no exact width polynomial."""
        cell = self._cell(s)
        if cell is None:
            return None
        k, f = cell
        hw = self.hw
        return hw[k] + (hw[k + 1] - hw[k]) * f

    def path_scale(self, s: float, offset: float) -> float:
        """|dP/ds|: metres an entity at ``offset`` from the lane centre travels per metre of
        reference-line s, in the cell holding s.  A travelled distance d is d / path_scale in s.

        Why this formula: the point at lateral position t(s) = ct(s) + offset of a reference line
        with heading θ(s) (curvature κ = θ') is P = R(s) + t·N(s), so dP/ds = (1 − κ·t)·T + t'·N
        (Frenet: T' = κN, N' = −κT).  The factor taken is |1 − κ·t|, the along-road part, as esmini's
        ``Position::DistanceToDS`` converts a travelled distance: the width's slope t' is left out,
        because where the sampled lane centre jumps (a lane-section start where a width or the lane
        offset changes, a lane id reused) one 0.5 m cell would read the whole jump as a slope and
        hold the entity back by up to the jump (a session-10 review measured 1.47 m behind at a 2 m
        jump); on a smooth width change it is second order (√(1 + t'²) − 1 ≈ t'²/2: 0.005 % at a
        1 % slope).  The table's own samples give it: κ is the cell's heading difference over
        the grid step (its mean curvature: exact on lines and arcs, O(Δs²·κ'') on a spiral), t is
        the linear interpolation of the lane centre's t that ``pose`` uses.  The other way,
        the norm of the interpolated x/y derivative, was not taken: the derivatives are central
        differences (``np.gradient``), off by (κΔs)²/6 on a curve and not exactly 1 on a straight
        road, so it would move straight-road entities by a last bit.  Here a straight cell has
        κ = 0 exactly and the factor is exactly 1.0 (d / 1.0 is d, so
        straight roads keep their bits).  On a superelevated section t runs in the tilted cross
        section (OpenDRIVE 1.8 §8.3): its horizontal part is t·cos(roll).  The factor is taken at
        the step's start (explicit Euler: on an arc of constant width it does not change along
        the step).  Off the lane's samples, or where the point lies at the centre of curvature
        (factor below 1e-3, a degenerate lane), it is 1.0: reference-line metres, as before.
        Pitch (grade) is left out, as before: s is a horizontal length (OpenDRIVE §7.2).
        Spelled operation for operation in ``lane_kernels.lane_move`` and ``batch_kernels.lane_motion``.
        """
        u = s * self.inv_ds
        if u != u:
            return 1.0
        cell = self._cell(s)
        if cell is None:
            return 1.0
        k, f = cell
        j = k + 1
        hk, ck = self.h, self.ct
        kappa = (hk[j] - hk[k]) * self.inv_ds
        if kappa == 0.0:
            return 1.0
        t = ck[k] + (ck[j] - ck[k]) * f + offset
        rk = self.r
        r = rk[k] + (rk[j] - rk[k]) * f
        if r != 0.0:
            t = t * math.cos(r)
        scale = abs(1.0 - kappa * t)
        if not scale >= 1e-3:
            return 1.0
        return scale

    def pose(self, s: float, offset: float):
        """(x, y, z, heading, pitch, roll, centre t) at ``offset`` from the lane centre; None off the lane."""
        cell = self._cell(s)
        if cell is None:
            return None
        k, f = cell
        j = k + 1
        f2 = f * f
        f3 = f2 * f
        h00 = 2 * f3 - 3 * f2 + 1
        h10 = (f3 - 2 * f2 + f) * self.ds
        h01 = -2 * f3 + 3 * f2
        h11 = (f3 - f2) * self.ds
        xs, dx = self.x, self.dx
        x = h00 * xs[k] + h10 * dx[k] + h01 * xs[j] + h11 * dx[j]
        ys, dy = self.y, self.dy
        y = h00 * ys[k] + h10 * dy[k] + h01 * ys[j] + h11 * dy[j]
        hk = self.h
        h = hk[k] + (hk[j] - hk[k]) * f
        zk = self.z
        z = zk[k] + (zk[j] - zk[k]) * f
        pk = self.p
        p = pk[k] + (pk[j] - pk[k]) * f
        rk = self.r
        r = rk[k] + (rk[j] - rk[k]) * f
        ck = self.ct
        ct = ck[k] + (ck[j] - ck[k]) * f
        if offset != 0.0:
            if r != 0.0:
                # t runs in the superelevated cross section (OpenDRIVE 1.8 §8.3, as the road model places it)
                across = offset * math.cos(r)
                x -= across * math.sin(h)
                y += across * math.cos(h)
                z += offset * math.sin(r)
            else:
                x -= offset * math.sin(h)
                y += offset * math.cos(h)
        return x, y, z, h, p, r, ct

    def poses(self, s: np.ndarray, offset: np.ndarray) -> dict[str, np.ndarray]:
        """Vectorised ``pose`` (NaN off the lane)."""
        a = self.arrays
        u = np.asarray(s, dtype=float) * self.inv_ds
        k = np.clip(u.astype(np.int64), 0, self.n - 2)
        f = u - k
        j = k + 1
        f2, f3 = f * f, f * f * f
        h00, h10 = 2 * f3 - 3 * f2 + 1, (f3 - 2 * f2 + f) * self.ds
        h01, h11 = -2 * f3 + 3 * f2, (f3 - f2) * self.ds
        x = h00 * a["x"][k] + h10 * a["dx"][k] + h01 * a["x"][j] + h11 * a["dx"][j]
        y = h00 * a["y"][k] + h10 * a["dy"][k] + h01 * a["y"][j] + h11 * a["dy"][j]
        out = {name: a[name][k] + (a[name][j] - a[name][k]) * f for name in ("h", "z", "p", "r", "ct")}
        # t runs in the superelevated cross section (§8.3): cos(0) = 1 and sin(0) = 0 exactly, so a flat road's
        # arithmetic is the plain horizontal offset's
        across = offset * np.cos(out["r"])
        out["x"] = x - across * np.sin(out["h"])
        out["y"] = y + across * np.cos(out["h"])
        out["z"] = out["z"] + offset * np.sin(out["r"])
        return out


def lane_table(net, road_id: str, lane_id: int) -> LaneTable:
    """The cached table of (road, lane) for this network object."""
    tables = _CACHE.get(net)
    if tables is None:
        tables = {}
        _CACHE[net] = tables
    key = (road_id, lane_id)
    table = tables.get(key)
    if table is None:
        table = LaneTable(net, road_id, lane_id)
        tables[key] = table
    return table


def driving_direction(net, road_id: str, lane_id: int) -> int:
    """+1 when the lane's traffic runs along increasing s, -1 against it: the road model's answer,
    or right-hand traffic's (right lanes along s) for a network object that cannot say."""
    try:
        return int(net.driving_direction(road_id, lane_id))
    except (AttributeError, NotImplementedError):
        return -1 if lane_id > 0 else 1


PACKED_ROWS = ("x", "y", "dx", "dy", "z", "h", "p", "r", "ct", "hw", "valid")
"""The rows of ``LaneTable.packed``: the pose samples, the half width, then 1.0 where a sample is valid
(the one packing both compiled lane paths read: the engine's lane step and the backends' lane tracking)."""

SAMPLE_ROWS = ("x", "y", "dx", "dy", "z", "h", "p", "r", "ct")
"""The per-sample rows of ``LaneTable.arrays``, in the order the compiled kernels index them."""


def stack_samples(tables) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(matrix of ``SAMPLE_ROWS`` × all samples, each table's first sample, each table's sample count):
    many lanes in one contiguous array for the kernels that move entities on many lanes at once."""
    counts = np.array([tab.n for tab in tables], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    matrix = np.ascontiguousarray(
        np.stack([np.concatenate([np.asarray(tab.arrays[name], dtype=float) for tab in tables]) for name in SAMPLE_ROWS]))
    return matrix, starts, counts
