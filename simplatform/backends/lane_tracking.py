"""Keep a model-moved entity's lane position up to date without a global search each step.

A vehicle moved by a vehicle model moves a few centimetres per step, so its
lane position is *tracked*: the lane cursor advances by the displacement
projected on the lane direction, then one or two Newton steps on the
projection residual put it at the foot of the perpendicular (the point
projection of OpenDRIVE 1.8 §7 "reference line" coordinates, solved locally);
the lateral offset is the remaining residual across the lane.  When the
entity leaves its lane sideways (offset beyond half the lane width plus a
margin, e.g. a stack changing lanes) or the lane ends, the road model's global
``locate`` is asked once.  esmini's RoadManager ``XYZ2TrackPos`` does the same
with a "close to the previous position" hint.
"""

from __future__ import annotations

import math

from simplatform.engine.road import LaneCursor
from simplatform.errors import RoadNetworkError

RELOCATE_MARGIN = 0.25
"""m beyond the lane's half width at which the lane cursor is searched afresh."""


class LaneCentre:
    """A view of a cursor at the lane centre (same road, lane and s; offset 0)."""

    __slots__ = ("road_id", "lane_id", "s", "offset", "table")

    def __init__(self, c: LaneCursor) -> None:
        self.road_id, self.lane_id, self.s, self.offset, self.table = c.road_id, c.lane_id, c.s, 0.0, c.table


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
    if not road.advance(c, along, prefer):
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
        road.advance(c, res, prefer)
    lateral = -ex * math.sin(ch) + ey * math.cos(ch)  # to the driver's left
    c.offset = lateral * road.direction(c.road_id, c.lane_id)


def _half_width(road, c: LaneCursor) -> float:
    hw = road.table(c).half_width(c.s)
    if hw is not None:
        return hw
    try:
        return 0.5 * float(road.net.lane_width(c.road_id, c.lane_id, c.s))
    except RoadNetworkError:
        return 1.75
