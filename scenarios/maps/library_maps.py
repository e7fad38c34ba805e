"""Two long maps for the scenario library's continuous routes (≥ 3 km).

Run ``python -m scenarios.maps.library_maps`` to rewrite them; like
``scenarios.maps.generate`` the output is byte-identical from run to run and
finished with the same helpers (``finish``: header date and extent, one
connection per connecting road, lane links, unmarked junction interiors,
signal controllers).

* ``highway_long``: a one-way motorway carriageway of 6.8 km with a gentle
  curve, speed-limit zones and a right-hand exit (direct junction) — the
  "highway with several cut-ins, slowdowns, a lane closure and an exit" route.
* ``urban_corridor``: a 2.7 km two-way avenue through nine signalised 4-way
  junctions, then a roundabout and 600 m beyond it — the "urban route through
  several signalised junctions, a roundabout, crossing pedestrians and parked
  cars" route.
"""

from __future__ import annotations

import math
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from scenariogeneration import xodr

from scenarios.maps import MAPS_DIR
from scenarios.maps.finishing import add_controllers
from scenarios.maps.generate import (
    LANE_WIDTH, REV_MINOR, _broken, _lane, _road, _section, _solid, _two_way, finish, generator_main, write_maps,
)

# ------------------------------------------------------------------ highway_long
# road id -> (geometry, speed limit km/h); lengths sum to the main line below
HIGHWAY_EXIT_LANE = -4
HIGHWAY_EXIT_ROAD = 6
HIGHWAY_ROADS = (1, 2, 3, 4, 5)


def _motorway(lanes: int, exit_lane: xodr.Lane | None = None) -> list[xodr.Lane]:
    out = [_lane(xodr.LaneType.driving, LANE_WIDTH, _solid() if i == lanes - 1 and exit_lane is None else _broken())
           for i in range(lanes)]
    if exit_lane is not None:
        out.append(exit_lane)
    return out


def _speed_sign(s: float, kmh: int, sid: str) -> xodr.Signal:
    """DE 274 speed-limit sign (StVO Zeichen 274) on the right verge, valid for all three lanes."""
    sign = xodr.Signal(s, -(3 * LANE_WIDTH + 1.5), "DE", "274", str(kmh), id=sid, name=f"speed limit {kmh}",
                       value=kmh, unit="km/h", zOffset=2.0, orientation=xodr.Orientation.positive,
                       height=0.6, width=0.6)
    sign.add_validity(-3, -1)
    return sign


def highway_long() -> xodr.OpenDrive:
    """A one-way three-lane motorway carriageway (lanes -1..-3, 3.5 m, driven
    with increasing s), roads 1 → 2 → 3 → 4 → [direct junction 100] → 5, and
    exit ramp 6.

    * road 1: 1500 m straight from (0, 0) east, 130 km/h;
    * road 2: 1500 m — a left curve of R 3000 m (500 m) between two lines, 130 km/h;
    * road 3: 1000 m straight, 100 km/h (signed, DE 274 at s = 20): the work zone
      where scenarios close a lane with cones;
    * road 4: 1500 m, 120 km/h; from s = 1150 the exit lane -4 appears (cubic
      taper 0 → 3.5 m over 100 m, §9.5.2 lane width polynomial) and runs
      250 m at full width;
    * direct junction 100 (§12.8): lanes -1..-3 continue on road 5 (800 m,
      130 km/h), lane -4 leaves on the exit ramp 6 (a right-hand spiral–arc,
      R 200 m, then a line; 300 m, 80 km/h).

    Main line 6.3 km; the route to the end of the exit ramp is 5.8 km.
    """
    lengths = {1: 1500.0, 2: 1500.0, 3: 1000.0, 4: 1500.0, 5: 800.0}
    speeds = {1: 130, 2: 130, 3: 100, 4: 120, 5: 130}
    geometry = {
        1: [xodr.Line(1500)],
        2: [xodr.Line(450), xodr.Spiral(0.0, 1 / 3000, 50), xodr.Arc(1 / 3000, 500),
            xodr.Spiral(1 / 3000, 0.0, 50), xodr.Line(450)],
        3: [xodr.Line(1000)],
        4: [xodr.Line(1500)],
        5: [xodr.Line(800)],
    }
    roads: dict[int, xodr.Road] = {}
    for rid in HIGHWAY_ROADS:
        if rid == 4:
            taper = xodr.Lane(xodr.LaneType.driving, a=0.0, b=0.0, c=3 * LANE_WIDTH / 100**2,
                              d=-2 * LANE_WIDTH / 100**3)
            taper.add_roadmark(_solid())
            full = _lane(xodr.LaneType.driving, LANE_WIDTH, _solid())
            sections = [_section(0, [], _motorway(3), _solid()),
                        _section(1150, [], _motorway(3, taper), _solid()),
                        _section(1250, [], _motorway(3, full), _solid())]
        else:
            sections = [_section(0, [], _motorway(3), _solid())]
        road = _road(rid, geometry[rid], sections, start=(0.0, 0.0, 0.0) if rid == 1 else None)
        road.add_type(xodr.RoadType.motorway, 0, speed=speeds[rid], speed_unit="km/h")
        roads[rid] = road
    ramp = _road(HIGHWAY_EXIT_ROAD,
                 [xodr.Spiral(0.0, -1 / 200, 60), xodr.Arc(-1 / 200, 100), xodr.Spiral(-1 / 200, 0.0, 60),
                  xodr.Line(80)],
                 [_section(0, [], [_lane(xodr.LaneType.driving, LANE_WIDTH, _solid())], _solid())])
    ramp.add_type(xodr.RoadType.motorway, 0, speed=80, speed_unit="km/h")
    for a, b in ((1, 2), (2, 3), (3, 4)):
        roads[a].add_successor(xodr.ElementType.road, b, xodr.ContactPoint.start)
        roads[b].add_predecessor(xodr.ElementType.road, a, xodr.ContactPoint.end)
    roads[4].add_successor(xodr.ElementType.junction, 100)
    roads[5].add_predecessor(xodr.ElementType.junction, 100)
    ramp.add_predecessor(xodr.ElementType.junction, 100)
    roads[3].add_signal(_speed_sign(20.0, 100, "speed_100_r3"))
    roads[4].add_signal(_speed_sign(20.0, 120, "speed_120_r4"))
    roads[5].add_signal(_speed_sign(20.0, 130, "speed_130_r5"))
    creator = xodr.DirectJunctionCreator(100, "exit")
    creator.add_connection(roads[4], roads[5], [-1, -2, -3], [-1, -2, -3])
    creator.add_connection(roads[4], ramp, HIGHWAY_EXIT_LANE, -1)
    odr = xodr.OpenDrive("highway_long", revMinor=REV_MINOR)
    for road in [*roads.values(), ramp]:
        odr.add_road(road)
    odr.add_junction_creator(creator)
    return odr


# ------------------------------------------------------------------ urban_corridor
CORRIDOR_SPACING = 300.0
CORRIDOR_JUNCTIONS = 9            # signalised junctions 1000, 1100, ... at x = 0, 300, ..., 2400
CORRIDOR_RADIUS = 12.0            # junction centre to the end of each incoming road
RING_RADIUS = 25.0
RING_CENTRE_X = 2400.0 + 160.0    # roundabout centre (y = 0)
RING_ARM = 40.0                   # ring centre to the ring end of each arm
RING_GAP = 0.35                   # half the ring angle each roundabout junction takes


def corridor_junction(k: int) -> int:
    """OpenDRIVE id of the k-th (0-based, west to east) signalised junction."""
    return 1000 + 100 * k


def urban_corridor() -> xodr.OpenDrive:
    """Nine signalised 4-way junctions (ids 1000, 1100, …, 1800; centres at
    x = 0, 300, …, 2400 on y = 0) on an avenue driven west → east, then a
    one-lane roundabout (centre x = 2560, ring radius 25 m, as in
    ``roundabout``) and road 11 running 600 m east to a dead end.

    Every road: one 3.5 m lane per direction, solid centre line, 2 m
    sidewalks, 50 km/h.  Roads: 1 (100 m approach into junction 1000), 2..9
    (junction to junction, 276 m), 10 (last junction to the roundabout's west
    junction 3000), 101..109 / 201..209 (60 m side streets north / south of
    each junction), 11 (east of the roundabout junction 1000·… see layout).
    Ring arcs 21..24 (lane -1, counter-clockwise) meet roundabout junctions
    2000 (east: road 11), 2100 (north: stub 12), 2200 (west: road 10) and
    2300 (south: stub 13).

    Signals: every avenue approach of every signalised junction has a
    traffic light (DE 1000001, dynamic) and a stop line (DE 294), ids
    ``light_<road>_<e|s>`` / ``stop_<road>_<e|s>`` (``e``: at the road's end,
    facing traffic driving with s; ``s``: at its start, facing traffic against
    s); the side-street approaches have lights too.  Each junction has two
    controllers: ``<junction>_ew`` (avenue) and ``<junction>_ns`` (side streets).
    Objects: parking spaces along the south side of roads 3, 5 and 7."""
    r = CORRIDOR_RADIUS
    roads: dict[int, xodr.Road] = {}
    # junction id -> list of (road id, "predecessor"|"successor", angle from the junction centre)
    members: dict[int, list[tuple[int, str, float]]] = {}
    centres: dict[int, tuple[float, float]] = {corridor_junction(k): (k * CORRIDOR_SPACING, 0.0)
                                               for k in range(CORRIDOR_JUNCTIONS)}
    layout = {1: ((-100.0 - r, 0.0), 0.0, 100.0, None, corridor_junction(0))}
    for k in range(1, CORRIDOR_JUNCTIONS):
        layout[k + 1] = (((k - 1) * CORRIDOR_SPACING + r, 0.0), 0.0, CORRIDOR_SPACING - 2 * r,
                         corridor_junction(k - 1), corridor_junction(k))
    last = (CORRIDOR_JUNCTIONS - 1) * CORRIDOR_SPACING
    layout[10] = ((last + r, 0.0), 0.0, RING_CENTRE_X - RING_ARM - last - r, corridor_junction(CORRIDOR_JUNCTIONS - 1), None)
    for k in range(CORRIDOR_JUNCTIONS):
        xc = k * CORRIDOR_SPACING
        layout[101 + k] = ((xc, r), math.pi / 2, 60.0, corridor_junction(k), None)
        layout[201 + k] = ((xc, -r), -math.pi / 2, 60.0, corridor_junction(k), None)
    for rid, ((x0, y0), hdg, length, j_start, j_end) in layout.items():
        road = _two_way(rid, xodr.Line(length), sidewalk=True, start=(x0, y0, hdg))
        road.add_type(xodr.RoadType.town, 0, speed=50, speed_unit="km/h")
        roads[rid] = road
        if j_start is not None:
            members.setdefault(j_start, []).append((rid, "predecessor", hdg))
        if j_end is not None:
            members.setdefault(j_end, []).append((rid, "successor", hdg + math.pi))
    odr = xodr.OpenDrive("urban_corridor", revMinor=REV_MINOR)
    for road in roads.values():
        odr.add_road(road)
    for jid, (cx, cy) in centres.items():
        creator = xodr.CommonJunctionCreator(jid, f"signalised_{jid}", startnum=jid)
        for rid, link, angle in members[jid]:
            creator.add_incoming_road_cartesian_geometry(
                roads[rid], cx + r * math.cos(angle), cy + r * math.sin(angle), angle + math.pi, link)
        entries = members[jid]
        for i, (a, link_a, _) in enumerate(entries):
            for b, link_b, _ in entries[i + 1:]:
                enter_a, leave_a = (1, -1) if link_a == "predecessor" else (-1, 1)
                enter_b, leave_b = (1, -1) if link_b == "predecessor" else (-1, 1)
                creator.add_connection(a, b, enter_a, leave_b)
                creator.add_connection(b, a, enter_b, leave_a)
        odr.add_junction_creator(creator)
    _corridor_roundabout(odr, roads)
    _corridor_signals(roads, {rid: spec[2] for rid, spec in layout.items()})
    _corridor_parking(roads)
    return odr


def _corridor_roundabout(odr: xodr.OpenDrive, roads: dict[int, xodr.Road]) -> None:
    """The ring (roads 21–24) and its four junctions; arms: road 11 east,
    stub 12 north, road 10 west (ends at the ring), stub 13 south."""
    cx = RING_CENTRE_X
    ring = []
    for k in range(4):
        theta = k * math.pi / 2 + RING_GAP
        start = (cx + RING_RADIUS * math.cos(theta), RING_RADIUS * math.sin(theta), theta + math.pi / 2)
        section = _section(0, [], [_lane(xodr.LaneType.driving, 4.0, _solid())], _solid())
        ring.append(_road(21 + k, [xodr.Arc(1 / RING_RADIUS, angle=math.pi / 2 - 2 * RING_GAP)], [section], start=start))
    arms = {
        0: (11, 600.0, "predecessor"),
        1: (12, 80.0, "predecessor"),
        2: (10, None, "successor"),
        3: (13, 80.0, "predecessor"),
    }
    for k, (rid, length, _) in arms.items():
        if rid not in roads:
            theta = k * math.pi / 2
            start = (cx + RING_ARM * math.cos(theta), RING_ARM * math.sin(theta), theta)
            road = _two_way(rid, xodr.Line(length), sidewalk=True, start=start)
            road.add_type(xodr.RoadType.town, 0, speed=50, speed_unit="km/h")
            roads[rid] = road
            odr.add_road(road)
    for road in ring:
        road.add_type(xodr.RoadType.town, 0, speed=30, speed_unit="km/h")
        odr.add_road(road)
    for k in range(4):
        theta = k * math.pi / 2
        ring_in, ring_out = ring[k - 1], ring[k]
        rid, _, link = arms[k]
        arm = roads[rid]
        jid = 2000 + 100 * k
        creator = xodr.CommonJunctionCreator(jid, f"ring_{jid}", startnum=jid)
        a_in, a_out = theta - RING_GAP, theta + RING_GAP
        creator.add_incoming_road_cartesian_geometry(
            ring_in, cx + RING_RADIUS * math.cos(a_in), RING_RADIUS * math.sin(a_in), a_in + math.pi / 2, "successor")
        creator.add_incoming_road_cartesian_geometry(
            ring_out, cx + RING_RADIUS * math.cos(a_out), RING_RADIUS * math.sin(a_out), a_out - math.pi / 2, "predecessor")
        creator.add_incoming_road_cartesian_geometry(
            arm, cx + RING_ARM * math.cos(theta), RING_ARM * math.sin(theta), theta + math.pi, link)
        # lanes of the arm at the ring: entering (towards the ring) and leaving
        enter, leave = (1, -1) if link == "predecessor" else (-1, 1)
        creator.add_connection(ring_in.id, ring_out.id, -1, -1)
        creator.add_connection(arm.id, ring_out.id, enter, -1)
        creator.add_connection(ring_in.id, arm.id, -1, leave)
        odr.add_junction_creator(creator)


def _light(s: float, t: float, rid: int, end: str) -> tuple[xodr.Signal, xodr.Signal]:
    """A traffic light and its stop line; ``end`` 'e' governs traffic driving with s
    (lane -1, orientation +), 's' traffic against s (lane 1, orientation -)."""
    orientation = xodr.Orientation.positive if end == "e" else xodr.Orientation.negative
    lane = -1 if end == "e" else 1
    light = xodr.Signal(s, t, "DE", "1000001", "-1", id=f"light_{rid}_{end}", name=f"traffic light road {rid} {end}",
                        dynamic=xodr.Dynamic.yes, zOffset=2.5, orientation=orientation, height=0.9, width=0.3)
    light.add_validity(lane, lane)
    stop = xodr.Signal(s + (1.0 if end == "e" else -1.0), math.copysign(LANE_WIDTH / 2, t), "DE", "294", "-1",
                       id=f"stop_{rid}_{end}", name=f"stop line road {rid} {end}", zOffset=0.0,
                       orientation=orientation, width=LANE_WIDTH)
    stop.add_validity(lane, lane)
    return light, stop


def _corridor_signals(roads: dict[int, xodr.Road], lengths: dict[int, float]) -> None:
    """Lights and stop lines on every approach of the signalised junctions (see urban_corridor)."""
    for rid in range(1, 11):
        if rid <= 9:   # ends at a signalised junction: eastbound traffic (lane -1) stops near s = length
            light, stop = _light(lengths[rid] - 3.0, -(LANE_WIDTH + 1.0), rid, "e")
            roads[rid].add_signal(light)
            roads[rid].add_signal(stop)
        if rid >= 2:   # starts at a signalised junction: westbound traffic (lane 1) stops near s = 0
            light, stop = _light(3.0, LANE_WIDTH + 1.0, rid, "s")
            roads[rid].add_signal(light)
            roads[rid].add_signal(stop)
    for k in range(CORRIDOR_JUNCTIONS):
        for rid in (101 + k, 201 + k):   # side streets start at the junction: inbound lane 1
            light, stop = _light(3.0, LANE_WIDTH + 1.0, rid, "s")
            roads[rid].add_signal(light)
            roads[rid].add_signal(stop)


def corridor_controllers() -> dict[int, dict[str, tuple[str, tuple[str, ...]]]]:
    """junction id -> OpenDRIVE controllers {id: (name, signal ids)} (east-west, north-south)."""
    out = {}
    for k in range(CORRIDOR_JUNCTIONS):
        jid = corridor_junction(k)
        west, east = k + 1, k + 2   # avenue roads ending / starting at the junction
        ew = [f"light_{west}_e"] + ([f"light_{east}_s"] if east <= 10 else [])
        ns = [f"light_{101 + k}_s", f"light_{201 + k}_s"]
        out[jid] = {f"{jid}_ew": ("east_west", tuple(ew)), f"{jid}_ns": ("north_south", tuple(ns))}
    return out


def _corridor_parking(roads: dict[int, xodr.Road]) -> None:
    bay_t = -(LANE_WIDTH + 2.0 + 1.25)
    for rid in (3, 5, 7):
        parking = xodr.Object(30.0, bay_t, xodr.ObjectType.parkingSpace, subtype="parallel", name="parking",
                              id=f"parking_{rid}", width=2.5, length=6.0, height=0.0, hdg=0.0)
        parking.repeat(120.0, 6.0, sStart=30.0, tStart=bay_t, tEnd=bay_t)
        roads[rid].add_object(parking)


LIBRARY_MAPS = {"highway_long": highway_long, "urban_corridor": urban_corridor}


def finish_library_map(name: str) -> str:
    """The finished file text of one library map."""
    text = finish(LIBRARY_MAPS[name](), name)
    if name != "urban_corridor":
        return text
    root = ET.fromstring(text)
    for jid, controllers in corridor_controllers().items():
        add_controllers(root, controllers, str(jid))
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def generate(out_dir: Path = MAPS_DIR, names: list[str] | None = None) -> list[Path]:
    """Write the library maps (all, or ``names``) into ``out_dir``; returns the paths."""
    return write_maps(finish_library_map, LIBRARY_MAPS, out_dir, names)


def main(argv: list[str] | None = None) -> int:
    return generator_main(generate, argv)


if __name__ == "__main__":
    sys.exit(main())
