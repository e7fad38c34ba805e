"""PET on the library's four-way junction with lane-aware conflict zones (``metrics.pet``, ``metrics.zone_lanes``).

Map facts used below (scenarios/maps/junction_4way.xodr, right-hand traffic, 3.5 m lanes): road 1 ends
at x = 100 heading east, road 3 starts at x = 140, road 2 ends at y = -20 heading north, road 4 starts
at y = 20; junction 100 joins them with connecting roads 100..105, each carrying two lanes each way.
Eastbound lane -1 of the straight road 101 is y in [-3.5, 0]; northbound lane -1 of road 104 is
x in [120, 123.5]; they cross in the square x 120..123.5, y -3.5..0.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from metrics_testkit import entity, run

from metrics import MetricSuite, ScenarioContext, conflict_zones_from_road
from simplatform.opendrive import load_opendrive
from simplatform.world import BoundingBox, EntityKind, LaneLocation

MAPS = Path(__file__).resolve().parents[2] / "scenarios" / "maps"
SQUARE = "junction 100: 101/-1 x 104/-1"


@pytest.fixture(scope="module")
def net():
    return load_opendrive(MAPS / "junction_4way.xodr")


def _on(net, roads: list[tuple[str, float, float]], lane: int, x: float, y: float) -> LaneLocation:
    """The lane location of (x, y) on the first of ``roads`` (id, lo, hi of the coordinate that runs
    along it) that holds it.  All are straight: roads 1, 101, 3 run east along y = 0 from x = 0, 100,
    140; roads 2, 104, 4 north along x = 120 from y = -120, -20, 20 (t = 120 - x, to their left)."""
    start = {"1": 0.0, "101": 100.0, "3": 140.0, "2": -120.0, "104": -20.0, "4": 20.0}
    east = roads[0][0] == "1"
    along = x if east else y
    rid = next(r for r, lo, hi in roads if lo <= along < hi)
    s, t = along - start[rid], (y if east else 120.0 - x)
    return LaneLocation(rid, lane, s, t - net.lane_center_t(rid, lane, s))


EAST = [("1", -math.inf, 100.0), ("101", 100.0, 140.0), ("3", 140.0, math.inf)]
NORTH = [("2", -math.inf, -20.0), ("104", -20.0, 20.0), ("4", 20.0, math.inf)]


def _crossers(net, t: float, *, located: bool = True, ego_located: bool = True,
              cross_kind: EntityKind = EntityKind.VEHICLE):
    # 4 m x 2 m boxes centred on the reference point, 10 m/s.  "cross" goes east on lane -1 (y -1.75):
    # its rear leaves the square when x - 2 > 123.5, x = 96.05 + 10 t: t > 2.945, seen at step 2.95.
    # The ego goes north on lane -1 (x 121.75): its front enters when y + 2 >= -3.5, y = -40.95 + 10 t:
    # t >= 3.545, seen at 3.55.  PET = 3.55 - 2.95 = 0.60 s.
    xc, ye = 96.05 + 10 * t, -40.95 + 10 * t
    return [entity("cross", xc, -1.75, speed=10, kind=cross_kind,
                   lane=_on(net, EAST, -1, xc, -1.75) if located else None),
            entity("ego", 121.75, ye, heading=math.pi / 2, speed=10, ego=True,
                   lane=_on(net, NORTH, -1, 121.75, ye) if ego_located else None)]


def _pet(net, states, t_end: float, zones=None, dt: float = 0.01):
    context = ScenarioContext(road=net, conflict_zones=zones if zones is not None else ())
    return run(MetricSuite(context), states, t_end=t_end, dt=dt).metrics["post_encroachment"]


def test_zones_name_the_two_lanes_they_are_the_crossing_of(net):
    zones = {z.id: z for z in conflict_zones_from_road(net)}
    assert zones[SQUARE].lanes == (("101", -1), ("104", -1))
    assert all(z.lanes is not None and z.id.endswith(" x ".join(f"{r}/{lane}" for r, lane in z.lanes))
               for z in zones.values())
    assert conflict_zones_from_road(net, "junction")[0].lanes is None


def test_crossing_vehicles_meet_only_at_their_lanes_square_with_the_hand_computed_pet(net):
    pet = _pet(net, lambda t: _crossers(net, t), t_end=5.0)
    assert pet.scalars["pet_min"] == pytest.approx(0.60, abs=1e-9)
    assert pet.worst_entities["pet_min"] == ("cross",) and pet.worst_time["pet_min"] == pytest.approx(3.55)
    # the only zone both are parties to is their own crossing: the 85 other lane zones they drive
    # through (turning lanes of roads 100, 102, 103, 105 lie on the same ground) give nothing
    assert [(e.detail, round(e.value, 9)) for e in pet.events] == [(f"zone {SQUARE}", 0.6)]


def test_the_reverse_turning_lanes_zone_both_drive_through_is_not_their_conflict(net):
    # The outer turning lanes 102/-2 (west -> north) and 103/2 (east -> south) overlap in a thin band
    # across the junction centre, from (116.6, -3.4) to (123.4, 3.4): the eastbound ego drives through
    # it west of the square, the northbound car north of it, neither on those lanes.  The northbound
    # car (y = -30.05 + 10 t) goes first: its rear leaves the square (y - 2 > 0) at 3.21 s, and the
    # ego's front (x = 84.05 + 10 t) enters it (x + 2 >= 120) at 3.40 s: PET 0.19 s.  In the band the
    # two overlap in time (the ego reaches it at x + 2 ~ 117 from 3.09 s; the other's rear is in it
    # until y - 2 ~ 3 at 3.5 s): by geometry alone, PET 0 there — the previous false minimum.
    def states(t):
        yn, xe = -30.05 + 10 * t, 84.05 + 10 * t
        return [entity("north", 121.75, yn, heading=math.pi / 2, speed=10, lane=_on(net, NORTH, -1, 121.75, yn)),
                entity("ego", xe, -1.75, speed=10, ego=True, lane=_on(net, EAST, -1, xe, -1.75))]

    zones = conflict_zones_from_road(net)
    band = next(z for z in zones if z.id == "junction 100: 102/-2 x 103/2")
    assert _pet(net, states, t_end=4.5, zones=(replace(band, lanes=None),)).scalars["pet_min"] == 0.0
    assert _pet(net, states, t_end=4.5, zones=(band,)).events == ()
    pet = _pet(net, states, t_end=4.5, zones=zones)
    assert [(e.detail, round(e.value, 9)) for e in pet.events] == [(f"zone {SQUARE}", 0.19)]


def test_a_vehicle_following_another_on_the_same_lane_is_no_encroachment(net):
    # Both on 101/-1, the ego 1 s behind: a headway.  The geometric rule paired them: the lead's rear leaves
    # the square (x - 2 > 123.5, x = 96.05 + 10 t) at 2.95 s, the ego's front enters it (x + 2 >= 120,
    # x = 86.05 + 10 t) at 3.20 s: PET 0.25 s.
    def states(t):
        xl, xe = 96.05 + 10 * t, 86.05 + 10 * t
        return [entity("lead", xl, -1.75, speed=10, lane=_on(net, EAST, -1, xl, -1.75)),
                entity("ego", xe, -1.75, speed=10, ego=True, lane=_on(net, EAST, -1, xe, -1.75))]

    zone = next(z for z in conflict_zones_from_road(net) if z.id == SQUARE)
    assert _pet(net, states, 4.5, zones=(replace(zone, lanes=None),)).scalars["pet_min"] == pytest.approx(0.25)
    assert _pet(net, states, 4.5, zones=(zone,)).events == ()


def test_a_box_straddling_into_the_crossing_lane_is_on_it(net):
    # "wide" drives east on lane -2 (reference point y -4.2, 1.05 m left of the lane centre -5.25), its
    # 2 m box reaching 0.3 m into lane -1 (y -5.2..-3.2).  The ego, north on lane -1 first, leaves the
    # lane -2 square (y -7..-3.5) when its rear y - 2 > -3.5, y = -30.05 + 10 t: t > 2.855 (2.86), and the
    # lane -1 square when y - 2 > 0: t > 3.205 (3.21).  "wide" enters both when x + 2 >= 120,
    # x = 84.05 + 10 t: t >= 3.395 (3.40).  PET: lane -2 square 0.54 s, lane -1 square 0.19 s.
    def states(t):
        xw, ye = 84.05 + 10 * t, -30.05 + 10 * t
        return [entity("wide", xw, -4.2, speed=10, lane=_on(net, EAST, -2, xw, -4.2)),
                entity("ego", 121.75, ye, heading=math.pi / 2, speed=10, ego=True,
                       lane=_on(net, NORTH, -1, 121.75, ye))]

    pet = _pet(net, states, t_end=4.5)
    found = {e.detail: round(e.value, 9) for e in pet.events}
    assert found == {f"zone {SQUARE}": 0.19, "zone junction 100: 101/-2 x 104/-1": 0.54}
    assert pet.scalars["pet_min"] == pytest.approx(0.19, abs=1e-9)


def test_road_users_whose_lane_tells_nothing_count_by_geometry(net):
    # Without lane locations, or a pedestrian (it crosses lanes, whatever lane it is located on), the
    # crosser is a party on either side of every zone it overlaps: the ego's lane zones all count.
    located = _pet(net, lambda t: _crossers(net, t), t_end=5.0)
    unlocated = _pet(net, lambda t: _crossers(net, t, located=False), t_end=5.0)
    walker = _pet(net, lambda t: _crossers(net, t, cross_kind=EntityKind.PEDESTRIAN), t_end=5.0)
    for pet in (unlocated, walker):
        assert pet.scalars["pet_min"] < located.scalars["pet_min"]
        assert any(e.detail == f"zone {SQUARE}" and e.value == pytest.approx(0.6) for e in pet.events)
    # with the crosser unlocated only the ego's lane filters: every event is at a zone of a lane the ego is
    # on, enters from (road 2 lane -1 also leads into 103/-1 and 100/1) or leaves into (road 4 lane -1)
    ego_lanes = {"104/-1", *(f"{r}/{l}" for r, l in net.successors("2", -1) + net.predecessors("4", -1))}
    assert unlocated.events and all(set(e.detail.split(": ")[1].split(" x ")) & ego_lanes for e in unlocated.events)
    # neither located: today's purely geometric rule
    neither = _pet(net, lambda t: _crossers(net, t, located=False, ego_located=False), t_end=5.0)
    assert neither.scalars["pet_min"] == 0.0 and len(neither.events) > len(unlocated.events)


# --------------------------------------------------------------- along lanes, rear-axle reference points
class _LanePath:
    """A vehicle driving along lane centre lines (road, lane) in turn, its reference point on the path."""

    def __init__(self, net, lanes: list[tuple[str, int]], step: float = 0.05) -> None:
        xs, ys, hs, keys = [], [], [], []
        for rid, lane in lanes:
            length = net.roads[rid].length
            s = np.linspace(0.0, length, int(math.ceil(length / step)) + 1)
            forward = net.driving_direction(rid, lane) > 0
            s = s if forward else s[::-1]
            poses = net.lane_poses(rid, lane, s, np.zeros_like(s))
            xs.append(poses.x), ys.append(poses.y)
            hs.append(np.asarray(poses.heading) + (0.0 if forward else math.pi))
            keys += [(rid, lane)] * len(s)
        self.x, self.y = np.concatenate(xs), np.concatenate(ys)
        self.h = np.unwrap(np.concatenate(hs))
        self.keys = keys
        self.u = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(self.x), np.diff(self.y)))])
        self.net = net

    def state(self, name: str, u: float, speed: float, left: float = 0.0, **kw):
        """The entity ``left`` m to the left of the lane centre, ``u`` m along the path."""
        x, y, h = (float(np.interp(u, self.u, a)) for a in (self.x, self.y, self.h))
        x, y = x - left * math.sin(h), y + left * math.cos(h)
        k = min(int(np.searchsorted(self.u, u)), len(self.u) - 1)
        rid, lane = self.keys[k]
        s, t = self.net.project(rid, x, y)
        loc = LaneLocation(rid, lane, s, t - self.net.lane_center_t(rid, lane, s))
        state = entity(name, x, y, heading=h, speed=speed, lane=loc, **kw)
        # the library's compact car: reference point on the rear axle, box centre 1.3 m ahead of it
        return replace(state, bbox=BoundingBox(4.3, 1.7, 1.4, center_x=1.3))


def test_entering_and_leaving_at_the_junction_edge_count_from_the_approach_and_exit_lanes(net):
    # The ego drives north through junction 100 (road 2 -> 104/-1 -> road 4) 1 m left of its lane centre
    # (x 120.75, box x 119.9..121.6), reference point on the rear axle (front 3.45 m ahead, rear 0.85 m
    # behind).  Zone 103/1 x 104/-1 (the left turn east -> south across it) runs along x = 120 from the
    # junction's south edge y = -20: the ego's front enters it at y = -20 with its rear axle on road 2.
    # Zone 104/-1 x 105/1 (the left turn north -> east) runs along x = 120 up to the north edge y = 20:
    # the ego's rear leaves it at y = 20 with its rear axle on road 4.  "first" takes 103/1 before the
    # ego, "after" takes 105/1 after it.  Both vehicles are parties to these zones, so the lane rule must
    # give the PET that the zone's geometry alone gives; counting the connecting lane itself only would
    # start the ego's occupation 3.45 m late and end it 0.85 m early.
    ego = _LanePath(net, [("2", -1), ("104", -1), ("4", -1)])
    first = _LanePath(net, [("3", 1), ("103", 1), ("2", 1)])
    after = _LanePath(net, [("4", 1), ("105", 1), ("3", -1)])
    u0 = ego.u[ego.keys.index(("104", -1))] - 30.0   # the rear axle 30 m before the junction

    made: dict[float, list] = {}

    def states(t):   # the same states for the four runs below
        if t not in made:
            made[t] = [ego.state("ego", u0 + 8 * t, 8, left=1.0, ego=True),
                       first.state("first", first.u[first.keys.index(("103", 1))] + 12.0 + 8 * t, 8),
                       after.state("after", after.u[after.keys.index(("105", 1))] - 70.0 + 8 * t, 8)]
        return made[t]

    zones = {z.id: z for z in conflict_zones_from_road(net)}
    for edge, zone_id, other in (("south", "103/1 x 104/-1", "first"), ("north", "104/-1 x 105/1", "after")):
        zone = zones[f"junction 100: {zone_id}"]
        lane_pet = _pet(net, states, t_end=12.0, zones=(zone,), dt=0.02)
        geometric = _pet(net, states, t_end=12.0, zones=(replace(zone, lanes=None),), dt=0.02)
        assert len(lane_pet.events) == 1 and lane_pet.events == geometric.events
        event = lane_pet.events[0]
        assert event.entities == (other,) and event.value > 0
        # the situation the test is about does happen: where the ego enters (south) or leaves (north)
        # the zone, its rear axle is on the approach road 2 / the exit road 4
        when = event.time if edge == "south" else event.time - event.value
        assert ego.state("ego", u0 + 8 * when, 8, left=1.0).lane.road_id == ("2" if edge == "south" else "4")
