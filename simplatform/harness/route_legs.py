"""The route a stack is given when the ego's assigned route leaves what lane-end successors can follow.

The engine keeps an assigned route's segments as *legs* (``simplatform.engine.routes``)
when following lanes by their road-end successors would miss it: a branch of a
virtual junction, left or joined mid-lane at ``elementS`` (OpenDRIVE 1.7 §10.4,
1.8 §12.7), or a two-way lane (``@direction="both"``) driven against its
standard direction.  The ``/route`` built from preferred roads and lane-end
successors (``route_topics.forward_segments``) drives straight past such a
branch, so a stack following it would miss the driveway its scenario routes
the ego into.  Here the stack's route is the legs themselves from the ego's
position on them — ``route_topics.sample`` heads every segment the way it is
driven — then, past the route's end, the lanes ahead as before.  Routes
without legs never come here: their ``/route`` is unchanged.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from simplatform.errors import ConfigError

from .route_topics import ROUTE_CAP_M, ROUTE_FLOOR_M, Segment, forward_segments, reach_length

_EPS = 1e-6


def _from_position(legs: Sequence[Any], start: tuple[str, int, float]) -> list[Segment] | None:
    """The legs from the ego's (road, lane, s) on: the first leg holding it, cut there, and the
    rest.  None when the ego is on none of them (the engine then follows its lane: so does the route)."""
    road_id, lane_id, s = start
    for k, leg in enumerate(legs):
        lo, hi = sorted((leg.s_start, leg.s_end))
        if leg.road_id == road_id and int(leg.lane_id) == int(lane_id) and lo - _EPS <= s <= hi + _EPS:
            out = [Segment(leg.road_id, int(leg.lane_id), float(s), float(leg.s_end))]
            out += [Segment(g.road_id, int(g.lane_id), float(g.s_start), float(g.s_end)) for g in legs[k + 1:]]
            # a zero-length piece (the ego at a leg's end, a branch point) would repeat a waypoint
            kept = [g for g in out if abs(g.s_end - g.s_start) > _EPS]
            return kept or out[:1]
    return None


def beyond_end(net: Any, last: Segment, length: float, prefer: Iterable[str]) -> list[Segment]:
    """The lanes ahead of the route's end, ``length`` m: along the lane's driving direction by its
    successors (``forward_segments``); a two-way lane the route leaves driven against that
    direction is followed to its road's end that way (its successors lead the other way)."""
    driven = 1 if last.s_end > last.s_start else -1 if last.s_end < last.s_start else \
        net.driving_direction(last.road_id, last.lane_id)
    if driven == net.driving_direction(last.road_id, last.lane_id):
        try:
            return forward_segments(net, last.road_id, last.lane_id, last.s_end, length, prefer)
        except ConfigError:
            return []  # the route ends at a dead end
    end = float(net.roads[last.road_id].length) if driven > 0 else 0.0
    take = min(abs(end - last.s_end), length)
    return [Segment(last.road_id, last.lane_id, last.s_end, last.s_end + driven * take)] if take > _EPS else []


def _join(route: list[Segment], more: list[Segment]) -> list[Segment]:
    """``route`` then ``more``, the first of ``more`` merged into the last of ``route`` when it goes on
    along the same lane, so that the waypoints stay evenly spaced across the join."""
    if route and more:
        a, b = route[-1], more[0]
        same_way = (a.s_end - a.s_start) * (b.s_end - b.s_start) >= 0
        if (a.road_id, a.lane_id) == (b.road_id, b.lane_id) and abs(a.s_end - b.s_start) < _EPS and same_way:
            return route[:-1] + [Segment(a.road_id, a.lane_id, a.s_start, b.s_end)] + more[1:]
    return route + more


def _clip(segments: list[Segment], length: float) -> list[Segment]:
    """The first ``length`` m of ``segments``."""
    out: list[Segment] = []
    remaining = length
    for seg in segments:
        span = abs(seg.s_end - seg.s_start)
        if span >= remaining - _EPS:
            sense = 1.0 if seg.s_end >= seg.s_start else -1.0
            out.append(Segment(seg.road_id, seg.lane_id, seg.s_start, seg.s_start + sense * remaining))
            return out
        out.append(seg)
        remaining -= span
    return out


def along_legs(net: Any, legs: Sequence[Any], start: tuple[str, int, float], *, length: float | None,
               prefer: Iterable[str] = (), speed: float = 0.0, max_time: float | None = None) -> list[Segment] | None:
    """The segments of the stack's route along the ego's route ``legs`` (``RouteSegment``s) from
    ``start`` = (road, lane, s), continued past the route's end by the lanes ahead; as long as a
    route without legs (``route_topics.route_segments``): ``length`` m or, None, the reach of
    the run (``reach_length``, measured along this route), ``ROUTE_FLOOR_M`` without a
    ``max_time`` — and never past where the lanes end.  None when the ego is not on its legs."""
    route = _from_position(legs, start)
    if route is None:
        return None
    prefer = tuple(prefer)
    if length is None:
        length = ROUTE_FLOOR_M
        if max_time is not None:
            ahead = _join(route, beyond_end(net, route[-1], ROUTE_CAP_M, prefer))
            length = reach_length(net, ahead, speed=speed, max_time=max_time)
    covered = sum(abs(g.s_end - g.s_start) for g in route)
    if covered < length - _EPS:
        route = _join(route, beyond_end(net, route[-1], length - covered, prefer))
    return _clip(route, length)
