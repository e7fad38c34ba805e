"""The route a stack is asked to follow, and the latched topics that describe it.

The harness computes the route with the road model (never the stack): from
the ego's lane position at the start either to an explicit goal
(``RoadNetwork.route``) or, without one, along the lanes ahead, taking at
each fork a successor on the ego's assigned route (AssignRouteAction) or else
the first one — the engine's default controller makes the same choice — for
``route_length`` metres or, when none is given, as far as the ego could drive
in the run's time (``reach_length``), ending where the lanes end.  It is published as ``/route`` (nav_msgs/Path,
lane-centre waypoints every ``spacing`` metres) and ``/route/info`` (per
waypoint speed limit, lane width, same-direction lanes on each side, lane
id; the stop lines of the map's traffic lights) — shapes documented in
:mod:`simplatform.stacks.inputs`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np

from simplatform.bridge import observations
from simplatform.bridge.msgs import Path, String
from simplatform.errors import ConfigError


@dataclass(frozen=True)
class Segment:
    road_id: str
    lane_id: int
    s_start: float
    s_end: float


@dataclass(frozen=True)
class RouteWaypoints:
    """Lane-centre points along the route and what the road says about each."""

    x: np.ndarray
    y: np.ndarray
    heading: np.ndarray
    road_ids: tuple[str, ...]
    lane_ids: np.ndarray
    s: np.ndarray
    speed_limit: tuple[float | None, ...]
    lane_width: np.ndarray
    lanes_left: np.ndarray
    lanes_right: np.ndarray

    def points(self) -> np.ndarray:
        return np.stack([self.x, self.y], axis=1)


def forward_segments(net: Any, road_id: str, lane_id: int, s: float, length: float,
                     prefer: Iterable[str] = ()) -> list[Segment]:
    """Lane segments from (road, lane, s) for ``length`` m in the driving direction."""
    prefer = set(prefer)
    out: list[Segment] = []
    remaining = length
    road, lane, s0 = road_id, lane_id, s
    seen: set[tuple[str, int]] = set()
    while remaining > 1e-6:
        sense = net.driving_direction(road, lane)
        road_len = float(net.roads[road].length)
        end = road_len if sense > 0 else 0.0
        available = abs(end - s0)
        take = min(available, remaining)
        s1 = s0 + sense * take
        if take > 1e-6:
            out.append(Segment(road, lane, s0, s1))
        remaining -= take
        if remaining <= 1e-6:
            break
        nexts = net.successors(road, lane)
        if not nexts or (road, lane) in seen:  # dead end, or round a loop once
            break
        seen.add((road, lane))
        road, lane = next(((r, ln) for r, ln in nexts if r in prefer), nexts[0])
        s0 = 0.0 if net.driving_direction(road, lane) > 0 else float(net.roads[road].length)
    if not out:
        raise ConfigError(f"no lane to follow from road {road_id} lane {lane_id} s={s:.1f}", element="route")
    return out


ROUTE_FLOOR_M = 1000.0
"""The shortest route given without a goal (the fixed length of sessions before 10): a short run or a
standing ego still gets a route to plan along."""
ROUTE_CAP_M = 50_000.0
"""The longest route given without a goal: 25,000 waypoints at the default 2 m spacing (the latched
``/route`` and ``/route/info`` are built and sent once; 50 km is 10 minutes at 300 km/h)."""
_LIMIT_STEP_M = 10.0
"""How finely the speed limit is read along the lanes when the reach is measured."""


def reach_length(net: Any, segments: list[Segment], *, speed: float, max_time: float,
                 floor: float = ROUTE_FLOOR_M, cap: float = ROUTE_CAP_M) -> float:
    """How far along ``segments`` the ego could drive in ``max_time`` s, clipped to [floor, cap] m.

    On each stretch of at most 10 m the ego is taken at the higher of ``speed``
    (its speed after Init: a UN R157 or Euro NCAP test holds its test speed)
    and the lane's speed limit there (OpenDRIVE 1.8 §11.7.3 lane ``<speed>``,
    else §8.4 road type ``<speed>``; a "no limit" record reaches the cap) —
    an upper bound of the distance the run can cover, so the stack, which
    stops at its route's end, is never stopped by a route that ends too soon
    (an ALKS free drive at 60 km/h for 300 s covers 5 km).  The floor keeps
    the former 1000 m for short runs; the cap bounds the waypoints."""
    budget, travelled = float(max_time), 0.0
    for seg in segments:
        span = abs(seg.s_end - seg.s_start)
        if span <= 1e-9:
            continue
        n = max(1, int(math.ceil(span / _LIMIT_STEP_M)))
        s = seg.s_start + (seg.s_end - seg.s_start) * np.arange(n) / n  # each stretch's start
        limits = np.asarray(net.speed_limits_many(seg.road_id, seg.lane_id, s), dtype=float)
        v = np.fmax(np.nan_to_num(limits, nan=0.0), max(float(speed), 0.0))
        piece = span / n
        with np.errstate(divide="ignore"):
            times = np.where(v > 0.0, piece / np.where(v > 0.0, v, 1.0), np.inf)
        elapsed = np.cumsum(times)
        k = int(np.searchsorted(elapsed, budget, side="left"))
        if k < n:  # the time runs out on stretch k
            before = elapsed[k - 1] if k > 0 else 0.0
            travelled += k * piece + (budget - before) * v[k] if np.isfinite(times[k]) else k * piece
            return float(min(max(travelled, floor), cap))
        budget -= float(elapsed[-1])
        travelled += span
        if travelled >= cap:
            break
    return float(min(max(travelled, floor), cap))


def _count_side(net: Any, road: str, lane: int, s: float, side: int, memo: dict | None = None) -> int:
    """Same-direction drivable lanes beside ``lane`` on ``side`` (at most 8).

    ``neighbour_lane`` depends on ``s`` only through the lane section holding
    it (OpenDRIVE 1.8 §9.3: a lane section fixes the lanes and their types),
    so ``memo`` keeps one count per (road, section, lane, side): a route's
    waypoints, every 2 m, fall in a few sections."""
    if memo is not None:
        from simplatform.opendrive.topology import road as road_of, section_index

        key = (road, section_index(road_of(net, road), s), int(lane), side)
        hit = memo.get(key)
        if hit is None:
            hit = memo[key] = _count_side(net, road, lane, s, side)
        return hit
    n, current = 0, lane
    while n < 8:
        nxt = net.neighbour_lane(road, current, s, side)
        if nxt is None:
            return n
        n, current = n + 1, nxt
    return n


def _lane_change_t(net: Any, prev: Segment, seg: Segment, s: np.ndarray) -> np.ndarray | None:
    """Lateral positions (t from the reference line) for a lane change from ``prev``'s lane into ``seg``'s.

    The road model's route switches lanes at one s (where the target lane
    begins — often the start of a taper, zero wide).  A driver changes lanes
    once the target lane is usable, over a few seconds: here the route stays
    on the old lane until the new one is ``0.8`` of its widest on this
    segment, then moves across in a cosine blend over ``40`` m per lane
    crossed (at least 60 m, ending 10 m before the segment does) — so the
    stack is given a drivable path, never a 10 m lateral jump.  None when the
    lanes cannot be evaluated (the route then keeps the jump)."""
    from simplatform.errors import RoadNetworkError

    try:
        width = np.array([net.lane_width(seg.road_id, seg.lane_id, float(si)) for si in s])
        t_new = np.array([net.lane_center_t(seg.road_id, seg.lane_id, float(si)) for si in s])
        t_old = np.array([net.lane_center_t(prev.road_id, prev.lane_id, float(si)) for si in s])
    except (RoadNetworkError, KeyError, IndexError, ValueError):
        return None
    travelled = np.abs(s - s[0])
    usable = np.flatnonzero(width >= 0.8 * width.max())
    start = travelled[usable[0]] if len(usable) else 0.0
    lanes = max(1, abs(seg.lane_id - prev.lane_id))
    span = min(max(60.0, 40.0 * lanes), max(travelled[-1] - start - 10.0, 1.0))
    u = np.clip((travelled - start) / span, 0.0, 1.0)
    w = 0.5 * (1.0 - np.cos(np.pi * u))
    return (1.0 - w) * t_old + w * t_new


def sample(net: Any, segments: list[Segment], spacing: float = 2.0) -> RouteWaypoints:
    """Waypoints every ``spacing`` m (each segment's ends included) with their lane attributes;
    a lane change between two segments of one road is a smooth path (``_lane_change_t``)."""
    xs, ys, hs, roads, lanes, ss, limits, widths, left, right = ([] for _ in range(10))
    sides: dict[tuple[str, int, int, int], int] = {}
    for k, seg in enumerate(segments):
        n = max(2, int(math.ceil(abs(seg.s_end - seg.s_start) / spacing)) + 1)
        s = np.linspace(seg.s_start, seg.s_end, n)
        if k > 0:
            s = s[1:]
        # the way the segment is driven (a two-way lane may be driven against its side's direction);
        # a zero-length segment has no way of its own and takes the lane's
        sense = (1 if seg.s_end > seg.s_start else -1) if seg.s_end != seg.s_start else \
            net.driving_direction(seg.road_id, seg.lane_id)
        prev = segments[k - 1] if k > 0 else None
        t = None
        if (prev is not None and prev.road_id == seg.road_id and prev.lane_id != seg.lane_id
                and abs(prev.s_end - seg.s_start) < 1e-3 and len(s) >= 2):
            t = _lane_change_t(net, prev, seg, s)
        if t is None:
            poses = net.lane_poses(seg.road_id, seg.lane_id, s, np.zeros_like(s))
            lane_of = [seg.lane_id] * len(s)
        else:
            poses = net.road_poses(seg.road_id, s, t)
            t_new = np.array([net.lane_center_t(seg.road_id, seg.lane_id, float(si)) for si in s])
            t_old = np.array([net.lane_center_t(prev.road_id, prev.lane_id, float(si)) for si in s])
            lane_of = [seg.lane_id if abs(ti - tn) <= abs(ti - to) else prev.lane_id
                       for ti, tn, to in zip(t, t_new, t_old)]
        xs.append(poses.x)
        ys.append(poses.y)
        hs.append(poses.heading + (0.0 if sense > 0 else math.pi))
        for si, lane in zip(s, lane_of):
            si = float(si)
            roads.append(seg.road_id)
            lanes.append(lane)
            ss.append(si)
            limits.append(net.speed_limit(seg.road_id, lane, si))
            widths.append(net.lane_width(seg.road_id, lane, si))
            left.append(_count_side(net, seg.road_id, lane, si, +1, sides))
            right.append(_count_side(net, seg.road_id, lane, si, -1, sides))
    return RouteWaypoints(np.concatenate(xs), np.concatenate(ys), np.concatenate(hs), tuple(roads),
                          np.array(lanes), np.array(ss), tuple(limits), np.array(widths, dtype=float),
                          np.array(left, dtype=float), np.array(right, dtype=float))


def route_message(route: RouteWaypoints) -> Path:
    return observations.route_path(zip(route.x, route.y, route.heading))


def route_info_message(route: RouteWaypoints, stop_lines: Iterable[Any] = ()) -> String:
    """``/route/info`` as documented in ``simplatform.stacks.inputs`` (stop lines: metrics ``StopLine``s)."""
    lines = []
    for line in stop_lines:
        if getattr(line, "signal_id", None) is None:
            continue
        lines.append({"id": observations.signal_id(str(line.signal_id)),
                      "x": round(0.5 * (line.p0[0] + line.p1[0]), 6), "y": round(0.5 * (line.p0[1] + line.p1[1]), 6),
                      "heading": round(float(line.direction), 9)})
    doc = {
        "speed_limit": [None if v is None else float(v) for v in route.speed_limit],
        "lane_width": [round(float(w), 6) for w in route.lane_width],
        "lanes_left": [int(v) for v in route.lanes_left],
        "lanes_right": [int(v) for v in route.lanes_right],
        "lane": [f"{r}:{ln}" for r, ln in zip(route.road_ids, route.lane_ids)],
        "stop_lines": lines,
    }
    return String(data=json.dumps(doc, separators=(",", ":")))


def mounts_message(sensors: Iterable[Any]) -> String:
    """``/sensors/mounts``: each sensor's frame relative to base_link (what /tf_static would carry)."""
    doc = {}
    for cfg in sensors:
        frame = str((cfg.parameters or {}).get("frame_id") or cfg.name)
        m = cfg.mount
        doc[frame] = {"x": m.x, "y": m.y, "z": m.z, "roll": m.roll, "pitch": m.pitch, "yaw": m.yaw}
    return String(data=json.dumps(doc, sort_keys=True, separators=(",", ":")))


GOAL_PROPERTY = "simplatform.goal"


def goal_of(scenario: Any, ego: str) -> tuple[float, float, float] | None:
    """The ego's ``simplatform.goal`` property, ``"x,y,radius"`` in the world frame (m), or None.

    The scenario library's convention (``scenarios/library/builder.py``): the
    ego's vehicle says where it is meant to go, for the goal metric and the
    route the stack is given."""
    try:
        obj = scenario.entity_object(ego)
        props = obj.properties.properties if obj is not None and obj.properties is not None else ()
    except (AttributeError, KeyError, LookupError):
        return None
    for prop in props:
        if prop.name == GOAL_PROPERTY:
            try:
                x, y, r = (float(v) for v in str(prop.value).split(","))
            except ValueError:
                raise ConfigError(f"property {GOAL_PROPERTY} of {ego!r} must be 'x,y,radius', got {prop.value!r}",
                                  file=str(getattr(scenario, "path", "")) or None, element=GOAL_PROPERTY) from None
            return x, y, r
    return None


def route_segments(net: Any, start: tuple[str, int, float], *, goal_lane: Any = None,
                   goal_point: tuple[float, float, float] | None = None, length: float | None = ROUTE_FLOOR_M,
                   prefer: Iterable[str] = (), beyond_goal: float = 100.0, speed: float = 0.0,
                   max_time: float | None = None, legs: Sequence[Any] = ()) -> list[Segment]:
    """The lane segments the stack is asked to follow from ``start`` = (road, lane, s).

    To an explicit ``goal_lane`` (``LanePosition``): the road model's shortest
    route.  To a ``goal_point`` (x, y, radius): the shortest route to the lane
    under it, continued ``beyond_goal`` metres on — a stack stops at the end
    of its route with its front there, and the goal region is judged on the
    reference point (rear axle, ``metrics.GoalRegion``), so a route ending at
    the goal's centre could never reach it; the scenario's stop trigger ends
    the run inside the goal.  When the point is off every lane or unreachable,
    the lanes ahead, long enough to pass it.  Otherwise ``length`` m ahead or,
    ``length`` None, as far as ``reach_length`` says the ego at ``speed`` could
    drive in ``max_time`` s (the lanes ahead up to ``ROUTE_CAP_M``; without a
    ``max_time``, ``ROUTE_FLOOR_M``) — either way ending where the lanes end.
    Without a goal, an ego with route ``legs`` (``engine.routes.RouteStore.legs``: an
    assigned route through a mid-lane branch or against a two-way lane) is given that
    route from where it stands on it (``route_legs.along_legs``), as long as the
    lanes-ahead route would be.  A goal's route beyond the goal goes on the way its
    last segment is driven."""
    from simplatform.errors import RoadNetworkError
    from simplatform.opendrive import LanePosition

    from .route_legs import along_legs, beyond_end

    road_id, lane_id, s = start
    here = LanePosition(road_id, lane_id, s)
    if legs and goal_lane is None and goal_point is None:
        along = along_legs(net, legs, start, length=length, prefer=prefer, speed=speed, max_time=max_time)
        if along is not None:
            return along
    if goal_lane is not None:
        planned = net.route(here, goal_lane)
        return [Segment(g.road_id, g.lane_id, g.s_start, g.s_end) for g in planned.segments]
    if goal_point is not None:
        located = net.locate(goal_point[0], goal_point[1])
        for lane in located[:1]:
            try:
                planned = net.route(here, lane)
            except RoadNetworkError:
                break
            if planned.segments:
                out = [Segment(g.road_id, g.lane_id, g.s_start, g.s_end) for g in planned.segments]
                return out + beyond_end(net, out[-1], beyond_goal, prefer)  # none past a dead end
        start_xy = net.lane_pose(road_id, lane_id, s)
        length = max(ROUTE_FLOOR_M if length is None else length, 1.5 * math.hypot(goal_point[0] - start_xy.x, goal_point[1] - start_xy.y) + 200.0)
    elif length is None:
        length = ROUTE_FLOOR_M
        if max_time is not None:
            ahead = forward_segments(net, road_id, lane_id, s, ROUTE_CAP_M, prefer)
            length = reach_length(net, ahead, speed=speed, max_time=max_time)
    return forward_segments(net, road_id, lane_id, s, length, prefer)
