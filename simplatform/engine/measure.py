"""Distances between entities in the coordinate systems OpenSCENARIO defines.

ASAM OpenSCENARIO 1.x §6.3 / RelativeDistanceType and CoordinateSystem:
``entity`` (the reference entity's ISO 8855 frame: longitudinal along its
heading, lateral to its left), ``road`` (Δs and Δt along the road reference
line, Δs measured in the reference's driving direction), ``lane`` (as road,
along lane centre lines) and ``trajectory`` (treated as road here).
``freespace=true`` measures between bounding boxes instead of reference
points: the box gap along the axis, or the minimum box distance for
``euclidianDistance``/``cartesianDistance``.
"""

from __future__ import annotations

import math

import numpy as np

from simplatform.engine.collision import box_corners, freespace_distance


def _corners(t, i: int) -> np.ndarray:
    c, s = math.cos(t.heading[i]), math.sin(t.heading[i])
    cx = t.x[i] + c * t.bbox_center_x[i] - s * t.bbox_center_y[i]
    cy = t.y[i] + s * t.bbox_center_x[i] + c * t.bbox_center_y[i]
    return box_corners(cx, cy, t.heading[i], t.length[i], t.width[i])


def _projection(t, i: int, ux: float, uy: float) -> tuple[float, float]:
    """(min, max) of entity ``i``'s box corners projected on the unit axis (ux, uy).

    The scalar twin of ``box_corners(...) @ axis`` for the per-step freespace conditions: the same
    corner formula, one box at a time in floats — the numpy form costs ~50 µs in small-array calls
    per pair and step, which made freespace RelativeDistance/TimeHeadway conditions dominate a run."""
    h = float(t.heading[i])
    c, s = math.cos(h), math.sin(h)
    cx = t.x[i] + c * t.bbox_center_x[i] - s * t.bbox_center_y[i]
    cy = t.y[i] + s * t.bbox_center_x[i] + c * t.bbox_center_y[i]
    hl, hw = 0.5 * float(t.length[i]), 0.5 * float(t.width[i])
    lo, hi = math.inf, -math.inf
    for ox, oy in ((hl, hw), (-hl, hw), (-hl, -hw), (hl, -hw)):
        p = (cx + c * ox - s * oy) * ux + (cy + s * ox + c * oy) * uy
        lo, hi = min(lo, p), max(hi, p)
    return lo, hi


def _road_delta(engine, a: int, b: int) -> tuple[float, float] | None:
    """(Δs in a's driving direction, Δt to a's left) or None when not on the same/connected road."""
    t = engine.table
    ra, rb = t.lane_road[a], t.lane_road[b]
    if ra is None or rb is None:
        return None
    direction = engine.road.direction(ra, int(t.lane_id[a]))
    if ra == rb:
        ds = (t.lane_s[b] - t.lane_s[a]) * direction
        dt = (t.road_t[b] - t.road_t[a]) * direction
        return float(ds), float(dt)
    try:
        from simplatform.opendrive import LanePosition

        d = engine.road.net.route_distance(
            LanePosition(ra, int(t.lane_id[a]), float(t.lane_s[a])), LanePosition(rb, int(t.lane_id[b]), float(t.lane_s[b]))
        )
        return float(d), 0.0
    except Exception:
        return None


def _lane_heading(engine, i: int) -> float:
    m = engine.controller.motions[i]
    return float(engine.table.heading[i]) if m.cursor is None else float(engine.road.cursor_pose(m.cursor)[3])


def _road_extent(engine, i: int, kind: str, axis_heading: float) -> tuple[float, float]:
    """(min, max) of entity i's box corners along the axis (a's driving direction for longitudinal,
    its left for lateral), relative to i's reference point."""
    t = engine.table
    if kind == "longitudinal":
        ux, uy = math.cos(axis_heading), math.sin(axis_heading)
    else:
        ux, uy = -math.sin(axis_heading), math.cos(axis_heading)
    lo, hi = _projection(t, i, ux, uy)
    ref = float(t.x[i]) * ux + float(t.y[i]) * uy
    return lo - ref, hi - ref


def relative_distance(engine, a: int, b: int, kind: str, freespace: bool, coordinate_system=None) -> float:
    """Distance of entity b from entity a; longitudinal/lateral are signed (b ahead/left > 0)
    in the entity frame and reported as absolute values by conditions."""
    t = engine.table
    cs = str(coordinate_system) if coordinate_system is not None else "entity"
    kind = str(kind)
    if kind in ("cartesianDistance", "euclidianDistance", "euclideanDistance"):
        if freespace:
            return freespace_distance(_corners(t, a), _corners(t, b), float(t.heading[a]), float(t.heading[b]))
        return math.hypot(t.x[b] - t.x[a], t.y[b] - t.y[a])
    if cs in ("road", "lane", "trajectory"):
        rd = _road_delta(engine, a, b)
        if rd is not None:
            d = rd[0] if kind == "longitudinal" else rd[1]
            if freespace:
                # each box's extent along the road's s (or t) axis, from its own corners turned by the
                # entity's heading against the road there: the reference point is not the box centre
                # (rear axle: centre x = 1.4 m) and a crossing pedestrian stands across the road
                axis = _lane_heading(engine, a)
                lo_a, hi_a = _road_extent(engine, a, kind, axis)
                lo_b, hi_b = _road_extent(engine, b, kind, axis)
                gap = max(d + lo_b - hi_a, -d + lo_a - hi_b)
                d = math.copysign(max(gap, 0.0), d)
            return d
    h = float(t.heading[a])
    ux, uy = (math.cos(h), math.sin(h)) if kind == "longitudinal" else (-math.sin(h), math.cos(h))
    dx, dy = t.x[b] - t.x[a], t.y[b] - t.y[a]
    d = float(dx * ux + dy * uy)
    if freespace:
        a_lo, a_hi = _projection(t, a, ux, uy)
        b_lo, b_hi = _projection(t, b, ux, uy)
        gap = max(b_lo - a_hi, a_lo - b_hi)
        return math.copysign(max(gap, 0.0), d)
    return d


def longitudinal_distance(engine, a: int, b: int, freespace: bool, coordinate_system=None) -> float:
    return relative_distance(engine, a, b, "longitudinal", freespace, coordinate_system)


def time_headway(engine, a: int, b: int, freespace: bool, coordinate_system=None, kind="longitudinal") -> float:
    """THW of a behind b: distance / a's speed; infinite when b is behind or a stands."""
    d = relative_distance(engine, a, b, kind or "longitudinal", freespace, coordinate_system)
    v = float(engine.table.speed[a])
    if d < 0 or v <= 0:
        return math.inf
    return d / v


def time_to_collision(engine, a: int, b: int | None, point=None, freespace: bool = False,
                      coordinate_system=None, kind="longitudinal") -> float:
    """TTC: distance / closing speed along a's heading (infinite when not closing)."""
    t = engine.table
    if b is not None:
        d = relative_distance(engine, a, b, kind or "longitudinal", freespace, coordinate_system)
        h = float(t.heading[a])
        ca, sa = math.cos(h), math.sin(h)
        vb = t.vx[b] * ca + t.vy[b] * sa
        closing = (float(t.speed[a]) - vb) if d >= 0 else (vb - float(t.speed[a]))
        d = abs(d)
    else:
        d = math.hypot(point[0] - t.x[a], point[1] - t.y[a])
        if freespace:
            d = max(d - t.length[a] / 2, 0.0)
        closing = float(t.speed[a])
    if closing <= 1e-9:
        return math.inf
    return d / closing
