"""Keep a model-moved entity's lane position up to date without a global search each step.

A vehicle moved by a vehicle model moves a few centimetres per step, so its
lane position is *tracked*: the lane cursor advances by the displacement
projected on the lane direction, then one or two Newton steps on the
projection residual put it at the foot of the perpendicular (the point
projection of OpenDRIVE 1.8 §7 "reference line" coordinates, solved locally);
the lateral offset is the remaining residual across the lane.  A cursor
travelling against its lane (``LaneCursor.reverse``, a wrong-way car handed to
a model) is walked in its own direction of travel, as ``RoadAdaptor`` moves it.  When the
entity leaves its lane sideways (offset beyond half the lane width plus a
margin, e.g. a stack changing lanes) or the lane ends, the road model's global
``locate`` is asked once.  esmini's RoadManager ``XYZ2TrackPos`` does the same
with a "close to the previous position" hint.

The common step — the cursor stays on its road and lane, inside the lane's
sampled table — runs as one compiled call (:func:`_walk_in_lane`) on the
lane table's samples: the same operations, in the same order, as
``RoadAdaptor.advance``, ``cursor_pose_t`` and ``LaneTable.pose``/``half_width``
(so the same bits; ``tests/backends/test_backends_driven_lane_walk.py``
compares both on curved roads and lanes of both driving directions).  A step
that crosses a road end, leaves the table's samples, leaves its lane
sideways or is on a lane without a driving direction takes the Python path
from the start, as before.
"""

from __future__ import annotations

import math

import numpy as np

from simplatform.engine.road import LaneCursor
from simplatform.errors import RoadNetworkError
from vehicle_models.jit import kernel

RELOCATE_MARGIN = 0.25
"""m beyond the lane's half width at which the lane cursor is searched afresh."""


class LaneCentre:
    """A view of a cursor at the lane centre (same road, lane, s and direction of travel; offset 0)."""

    __slots__ = ("road_id", "lane_id", "s", "offset", "table", "reverse")

    def __init__(self, c: LaneCursor) -> None:
        self.road_id, self.lane_id, self.s, self.offset, self.table = c.road_id, c.lane_id, c.s, 0.0, c.table
        self.reverse = getattr(c, "reverse", False)


def track_entity(engine, i: int, dx: float, dy: float) -> None:
    """Move entity ``i``'s lane cursor by the world displacement (dx, dy) it just made; update the
    table's lane columns, z, and the road's pitch and roll under the entity."""
    road = engine.road
    if road is None or road.net is None:
        return
    ctl = engine.controller
    t = engine.table
    m = ctl.motions[i]
    c = m.cursor
    if c is not None and _track_in_lane(road, t, m, c, i, dx, dy):
        return
    if c is None:
        ctl.relocate(i)
        c = m.cursor
        if c is None:
            return
    else:
        th = m.tracked_heading  # the lane heading where the last step left the cursor
        if th is not None and th[0] == (c.road_id, c.lane_id, c.s, c.offset):
            lane_h = th[1]
        else:
            lane_h = road.cursor_pose_t(c)[3]
        walk_cursor(engine, i, c, lane_h, dx, dy, newton_steps=3)
        half = _half_width(road, c)
        if abs(c.offset) > half + RELOCATE_MARGIN:
            ctl.relocate(i)
            c = m.cursor
            if c is None:
                return
    _, _, z, lane_h, pitch, roll, road_t = road.cursor_pose_t(c)
    # the road's slope under the vehicle, seen along the vehicle's heading (it may cross the lane)
    cos_rel = math.cos(float(t.heading[i]) - lane_h)
    t.z[i] = z
    t.pitch[i] = pitch * cos_rel
    t.roll[i] = roll * cos_rel
    t.set_lane(i, c.road_id, c.lane_id, c.s, c.offset, road_t)
    m.tracked_heading = ((c.road_id, c.lane_id, c.s, c.offset), lane_h)


def walk_cursor(engine, i: int, c: LaneCursor, lane_h: float, dx: float, dy: float, newton_steps: int) -> None:
    """Advance entity ``i``'s cursor ``c`` by the displacement (dx, dy) projected on the lane heading
    ``lane_h``, then correct s by up to ``newton_steps`` projection-residual (Newton) steps and set the
    offset to the remaining lateral error; flags ``end_of_road`` when the lane graph ends."""
    road = engine.road
    t = engine.table
    m = engine.controller.motions[i]
    along = dx * math.cos(lane_h) + dy * math.sin(lane_h)
    prefer = engine.controller.prefer.get(i)
    legs = engine.controller.legs.get(i)  # a route through a mid-lane branch or a two-way lane (routes.py)
    if not road.advance(c, along, prefer, legs=legs):
        if not m.end_of_road:
            m.end_of_road_since = engine.time
        m.end_of_road = True
    else:
        m.end_of_road = False
        m.end_of_road_since = -1.0
    x, y = float(t.x[i]), float(t.y[i])
    ex = ey = 0.0
    ch = lane_h
    for _ in range(newton_steps):  # projection residual along the lane, then the lateral error
        cx, cy, _, ch, _, _, _ = road.cursor_pose_t(LaneCentre(c))
        ex, ey = x - cx, y - cy
        res = ex * math.cos(ch) + ey * math.sin(ch)
        if abs(res) < 1e-6:
            break
        road.advance(c, res, prefer, legs=legs)
    lateral = -ex * math.sin(ch) + ey * math.cos(ch)  # to the driver's left
    c.offset = lateral * road.travel(c)  # on the road's t axis: the driver's left turned by the way along s


def _half_width(road, c: LaneCursor) -> float:
    hw = road.table(c).half_width(c.s)
    if hw is not None:
        return hw
    try:
        return 0.5 * float(road.net.lane_width(c.road_id, c.lane_id, c.s))
    except RoadNetworkError:
        return 1.75


# ---------------------------------------------------------------- compiled walk within one lane
_FAILED = (False, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
def _track_in_lane(road, t, m, c: LaneCursor, i: int, dx: float, dy: float) -> bool:
    """The common step of :func:`track_entity` in one compiled call; False (nothing changed) where
    the Python path must take it."""
    tab = road.table(c)
    direction = tab.direction
    if getattr(c, "reverse", False):  # travelling against its lane (LaneCursor.reverse): as RoadAdaptor walks it
        direction = -direction
    if direction == 0:
        return False
    ok, s, offset, z, lane_h, pitch, roll, road_t = _walk_in_lane(
        tab.packed(), tab.n, tab.ds, tab.inv_ds, tab.length, float(direction), float(c.s), float(t.x[i]),
        float(t.y[i]), dx, dy, 3, RELOCATE_MARGIN)
    if not ok:
        return False
    c.s, c.offset = s, offset
    m.end_of_road = False
    m.end_of_road_since = -1.0
    cos_rel = math.cos(float(t.heading[i]) - lane_h)
    t.z[i] = z
    t.pitch[i] = pitch * cos_rel
    t.roll[i] = roll * cos_rel
    t.set_lane(i, c.road_id, c.lane_id, s, offset, road_t)
    m.tracked_heading = ((c.road_id, c.lane_id, s, offset), lane_h)
    return True


@kernel
def _cell(samples, n, inv_ds, s):
    """LaneTable._cell: (k, f), k = -1 where the samples are not valid."""
    u = s * inv_ds
    k = int(u)
    if k >= n - 1:
        k = n - 2
    elif k < 0:
        k = 0
    if samples[10, k] == 0.0 or samples[10, k + 1] == 0.0:
        return -1, 0.0
    return k, u - k


@kernel
def _wrap(a):
    return (a + math.pi) % (2.0 * math.pi) - math.pi


@kernel
def _walk_in_lane(samples, n, ds, inv_ds, length, direction, s, x, y, dx, dy, newton_steps, margin):
    """walk_cursor + track_entity's pose on one lane table: (True, s, offset, z, lane heading, pitch,
    roll, road t), or (False, ...) where the Python path must run.

    Mirrors, operation for operation: RoadAdaptor.cursor_pose_t (heading wrapped, flipped for lanes
    driven against s), RoadAdaptor.advance within [0, length], LaneTable.pose (cubic Hermite x, y;
    linear h, z, p, r, ct; the offset along the horizontal normal) and LaneTable.half_width.
    """
    k, f = _cell(samples, n, inv_ds, s)
    if k < 0:
        return _FAILED
    j = k + 1
    h = samples[5, k] + (samples[5, j] - samples[5, k]) * f
    lane_h = _wrap(h + math.pi) if direction < 0 else _wrap(h)
    along = dx * math.cos(lane_h) + dy * math.sin(lane_h)
    s_new = s + direction * along
    if not (0.0 <= s_new <= length):
        return _FAILED
    s = s_new
    ex = 0.0
    ey = 0.0
    ch = lane_h
    for _ in range(newton_steps):
        k, f = _cell(samples, n, inv_ds, s)
        if k < 0:
            return _FAILED
        j = k + 1
        f2 = f * f
        f3 = f2 * f
        h00 = 2 * f3 - 3 * f2 + 1
        h10 = (f3 - 2 * f2 + f) * ds
        h01 = -2 * f3 + 3 * f2
        h11 = (f3 - f2) * ds
        cx = h00 * samples[0, k] + h10 * samples[2, k] + h01 * samples[0, j] + h11 * samples[2, j]
        cy = h00 * samples[1, k] + h10 * samples[3, k] + h01 * samples[1, j] + h11 * samples[3, j]
        h = samples[5, k] + (samples[5, j] - samples[5, k]) * f
        ch = _wrap(h + math.pi) if direction < 0 else _wrap(h)
        ex = x - cx
        ey = y - cy
        res = ex * math.cos(ch) + ey * math.sin(ch)
        if abs(res) < 1e-6:
            break
        s_new = s + direction * res
        if not (0.0 <= s_new <= length):
            return _FAILED
        s = s_new
    lateral = -ex * math.sin(ch) + ey * math.cos(ch)
    offset = lateral * direction
    k, f = _cell(samples, n, inv_ds, s)
    if k < 0:
        return _FAILED
    j = k + 1
    half = samples[9, k] + (samples[9, j] - samples[9, k]) * f
    r = samples[7, k] + (samples[7, j] - samples[7, k]) * f
    if offset != 0.0 and r != 0.0:
        # t runs in the superelevated cross section (OpenDRIVE 1.8 §8.3): the x/y-plane distance is t·cos(roll)
        offset = offset / math.cos(r)
    if abs(offset) > half + margin:
        return _FAILED
    h = samples[5, k] + (samples[5, j] - samples[5, k]) * f
    z = samples[4, k] + (samples[4, j] - samples[4, k]) * f
    p = samples[6, k] + (samples[6, j] - samples[6, k]) * f
    ct = samples[8, k] + (samples[8, j] - samples[8, k]) * f
    if offset != 0.0 and r != 0.0:
        z += offset * math.sin(r)
    if direction < 0:
        return True, s, offset, z, _wrap(h + math.pi), -p, -r, ct + offset
    return True, s, offset, z, _wrap(h), p, r, ct + offset


def warm_up() -> None:
    """Compile, or load from numba's cache, the lane walk (``python -m vehicle_models.warmup`` calls it)."""
    samples = np.zeros((11, 3))
    samples[0] = (0.0, 1.0, 2.0)
    samples[2] = samples[9] = samples[10] = 1.0
    _walk_in_lane(samples, 3, 1.0, 1.0, 2.0, 1.0, 0.5, 0.6, 0.0, 0.1, 0.0, 3, RELOCATE_MARGIN)
