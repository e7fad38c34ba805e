"""Generate the shared OpenDRIVE test maps of ``scenarios/maps``.

Run ``python -m scenarios.maps.generate`` to rewrite every map; the output is
byte-identical from run to run (fixed header date, no clock, no randomness).

The maps are built with ``scenariogeneration.xodr`` and then finished here
(``finish``) where that library stops short of ASAM OpenDRIVE 1.7:

* a connecting road gets exactly one ``<connection>`` (1.7 §10.4 rule
  "junctions.connection.one_connection_element"); the library writes one per
  incoming road, so the one entering at the connecting road's start is kept
  (the other direction is stated by the connecting road's own lane links);
* connecting roads carry no road marks (a junction's inside is unmarked);
* ``<controller>`` elements for traffic lights (§14.8; not in the library);
* lane links between lane sections and across plain road-to-road links
  where the library leaves ``<link/>`` empty (§11.6);
* a fixed header date and the header's bounding box.

Each map is documented in its builder's docstring.
"""

from __future__ import annotations

import math
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Callable, Iterable

from scenariogeneration import xodr

from scenarios.maps import MAPS_DIR
from scenarios.maps.finishing import (
    add_controllers, link_lanes, one_connection_per_connecting_road, strip_junction_marks,
)

REV_MINOR = "7"  # ASAM OpenDRIVE 1.7: direct junctions, and the QC bundle's rules
DATE = "2026-01-01T00:00:00"
LANE_WIDTH = 3.5


# ------------------------------------------------------------------ helpers
def _broken() -> xodr.RoadMark:
    """Broken lane line, 3 m paint / 6 m gap, 0.15 m wide (a common urban/highway pattern)."""
    mark = xodr.RoadMark(xodr.RoadMarkType.broken, 0.15)
    mark.add_specific_road_line(xodr.RoadLine(0.15, 3, 6, 0, 0))
    return mark


def _solid(width: float = 0.15) -> xodr.RoadMark:
    return xodr.RoadMark(xodr.RoadMarkType.solid, width)


def _lane(kind: xodr.LaneType, width: float, mark: xodr.RoadMark | None = None) -> xodr.Lane:
    lane = xodr.Lane(kind, a=width)
    if mark is not None:
        lane.add_roadmark(mark)
    return lane


def _section(s: float, left: list[xodr.Lane], right: list[xodr.Lane],
             centre_mark: xodr.RoadMark | None = None) -> xodr.LaneSection:
    """A lane section; ``left``/``right`` are listed from the centre outward."""
    centre = xodr.standard_lane(0, None)
    if centre_mark is not None:
        centre.add_roadmark(centre_mark)
    section = xodr.LaneSection(s, centre)
    for lane in left:
        section.add_left_lane(lane)
    for lane in right:
        section.add_right_lane(lane)
    return section


def _carriageway(lanes: int, outer: xodr.LaneType | None, outer_width: float) -> list[xodr.Lane]:
    """``lanes`` driving lanes (broken lines between, solid at the edge) then an outer lane."""
    out = [
        _lane(xodr.LaneType.driving, LANE_WIDTH, _solid() if i == lanes - 1 else _broken())
        for i in range(lanes)
    ]
    if outer is not None:
        out.append(_lane(outer, outer_width))
    return out


def _road(road_id: int, geometry: list, sections: list[xodr.LaneSection], *,
          start: tuple[float, float, float] | None = None) -> xodr.Road:
    plan = xodr.PlanView(*start) if start is not None else xodr.PlanView()
    for g in geometry:
        plan.add_geometry(g)
    lanes = xodr.Lanes()
    for section in sections:
        lanes.add_lanesection(section)
    return xodr.Road(road_id, plan, lanes)


def _two_way(road_id: int, geometry, lanes: int = 1, *, sidewalk: bool = False,
             start: tuple[float, float, float] | None = None) -> xodr.Road:
    """An urban two-way road: ``lanes`` per direction, a solid centre line,
    optionally a 2 m sidewalk on both sides."""
    outer = xodr.LaneType.sidewalk if sidewalk else None
    geometry = geometry if isinstance(geometry, list) else [geometry]
    section = _section(0, _carriageway(lanes, outer, 2.0), _carriageway(lanes, outer, 2.0), _solid())
    return _road(road_id, geometry, [section], start=start)


# --------------------------------------------------------------------- maps
def highway_straight() -> xodr.OpenDrive:
    """Two 500 m road pieces (ids 1 → 2) of a motorway, 3 driving lanes per
    direction (ids ±1..±3, 3.5 m, broken 3/6 m lines, solid edge lines) and a
    2.5 m shoulder (±4); solid centre line; speed limit 130 km/h.  Traffic is
    right-hand: lanes -1..-3 drive with increasing s (east), 1..3 against."""
    odr = xodr.OpenDrive("highway_straight", revMinor=REV_MINOR)
    roads = []
    for rid, x0 in ((1, 0.0), (2, 500.0)):
        section = _section(
            0,
            _carriageway(3, xodr.LaneType.shoulder, 2.5),
            _carriageway(3, xodr.LaneType.shoulder, 2.5),
            _solid(0.2),
        )
        road = _road(rid, [xodr.Line(500)], [section], start=(x0, 0.0, 0.0))
        road.add_type(xodr.RoadType.motorway, 0, speed=130, speed_unit="km/h")
        roads.append(road)
    roads[0].add_successor(xodr.ElementType.road, 2, xodr.ContactPoint.start)
    roads[1].add_predecessor(xodr.ElementType.road, 1, xodr.ContactPoint.end)
    for road in roads:
        odr.add_road(road)
    return odr


def rural_curves() -> xodr.OpenDrive:
    """One 2-lane rural road (id 1; lanes ±1 3.5 m, 1 m shoulders ±2) with a
    left curve line–spiral–arc–spiral–line (R 80 m) and then a right S-curve
    (R 60 m); 2 % constant grade; 100 km/h."""
    r1, r2 = 80.0, 60.0
    geometry = [
        xodr.Line(100),
        xodr.Spiral(0.0, 1 / r1, 40),
        xodr.Arc(1 / r1, 80),
        xodr.Spiral(1 / r1, 0.0, 40),
        xodr.Line(60),
        xodr.Spiral(0.0, -1 / r2, 30),
        xodr.Arc(-1 / r2, 60),
        xodr.Spiral(-1 / r2, 0.0, 30),
        xodr.Line(100),
    ]
    section = _section(
        0,
        _carriageway(1, xodr.LaneType.shoulder, 1.0),
        _carriageway(1, xodr.LaneType.shoulder, 1.0),
        _broken(),
    )
    road = _road(1, geometry, [section], start=(0.0, 0.0, 0.0))
    road.add_type(xodr.RoadType.rural, 0, speed=100, speed_unit="km/h")
    road.add_elevation(0, 0, 0.02, 0, 0)
    odr = xodr.OpenDrive("rural_curves", revMinor=REV_MINOR)
    odr.add_road(road)
    return odr


def junction_t() -> xodr.OpenDrive:
    """A T junction (id 100) of three 100 m two-way roads, one lane per
    direction: road 1 from the west ends at it, road 2 (north) and road 3
    (east) start at it.  Every turn is connected (connecting roads 100+)."""
    roads = [_two_way(rid, xodr.Line(100)) for rid in (1, 2, 3)]
    creator = xodr.CommonJunctionCreator(100, "junction_t", startnum=100)
    creator.add_incoming_road_circular_geometry(roads[0], 15, math.pi, "successor")
    creator.add_incoming_road_circular_geometry(roads[1], 15, math.pi / 2, "predecessor")
    creator.add_incoming_road_circular_geometry(roads[2], 15, 0.0, "predecessor")
    for a, b in ((1, 2), (1, 3), (2, 3)):
        creator.add_connection(a, b)
    odr = xodr.OpenDrive("junction_t", revMinor=REV_MINOR)
    for road in roads:
        odr.add_road(road)
    odr.add_junction_creator(creator)
    return odr


def junction_4way() -> xodr.OpenDrive:
    """A 4-way junction (id 100) of four 100 m two-way roads with two lanes per
    direction: roads 1 (west) and 2 (south) end at it, 3 (east) and 4 (north)
    start at it.  Every pair of roads is connected (connecting roads 100+)."""
    roads = [_two_way(rid, xodr.Line(100), lanes=2) for rid in (1, 2, 3, 4)]
    creator = xodr.CommonJunctionCreator(100, "junction_4way", startnum=100)
    creator.add_incoming_road_circular_geometry(roads[0], 20, math.pi, "successor")
    creator.add_incoming_road_circular_geometry(roads[1], 20, -math.pi / 2, "successor")
    creator.add_incoming_road_circular_geometry(roads[2], 20, 0.0, "predecessor")
    creator.add_incoming_road_circular_geometry(roads[3], 20, math.pi / 2, "predecessor")
    for a in range(1, 5):
        for b in range(a + 1, 5):
            creator.add_connection(a, b)
    odr = xodr.OpenDrive("junction_4way", revMinor=REV_MINOR)
    for road in roads:
        odr.add_road(road)
    odr.add_junction_creator(creator)
    return odr


def roundabout() -> xodr.OpenDrive:
    """A one-lane roundabout, ring radius 25 m (reference line; the 4 m ring
    lane -1 lies outside it and is driven counter-clockwise, right-hand
    traffic).  Four ring arcs (roads 1–4) meet four junctions (ids 100, 200,
    300, 400) at east, north, west and south; at each an 80 m two-way arm
    (roads 11–14, one lane per direction, pointing away from the ring) enters
    and leaves.  Connections per junction: ring → ring, arm → ring (entry),
    ring → arm (exit)."""
    ring_r, half_gap, arm_r = 25.0, 0.35, 40.0
    ring = []
    for k in range(4):
        theta = k * math.pi / 2 + half_gap
        start = (ring_r * math.cos(theta), ring_r * math.sin(theta), theta + math.pi / 2)
        section = _section(0, [], [_lane(xodr.LaneType.driving, 4.0, _solid())], _solid())
        arc = xodr.Arc(1 / ring_r, angle=math.pi / 2 - 2 * half_gap)
        ring.append(_road(k + 1, [arc], [section], start=start))
    arms = [_two_way(11 + k, xodr.Line(80)) for k in range(4)]
    odr = xodr.OpenDrive("roundabout", revMinor=REV_MINOR)
    for road in ring + arms:
        odr.add_road(road)
    for k in range(4):
        theta = k * math.pi / 2
        ring_in, ring_out, arm = ring[k - 1], ring[k], arms[k]
        creator = xodr.CommonJunctionCreator(100 * (k + 1), f"roundabout_{k + 1}", startnum=100 * (k + 1))
        a_in, a_out = theta - half_gap, theta + half_gap
        creator.add_incoming_road_cartesian_geometry(
            ring_in, ring_r * math.cos(a_in), ring_r * math.sin(a_in), a_in + math.pi / 2, "successor")
        creator.add_incoming_road_cartesian_geometry(
            ring_out, ring_r * math.cos(a_out), ring_r * math.sin(a_out), a_out - math.pi / 2, "predecessor")
        creator.add_incoming_road_cartesian_geometry(
            arm, arm_r * math.cos(theta), arm_r * math.sin(theta), theta + math.pi, "predecessor")
        creator.add_connection(ring_in.id, ring_out.id, -1, -1)
        creator.add_connection(arm.id, ring_out.id, 1, -1)
        creator.add_connection(ring_in.id, arm.id, -1, -1)
        odr.add_junction_creator(creator)
    return odr


def highway_on_ramp() -> xodr.OpenDrive:
    """A one-way two-lane motorway carriageway (road 1, 200 m, lanes -1/-2)
    and a one-lane on-ramp (road 2, lane -1) that joins from the right through
    the direct junction 100 (§12.8) onto road 3, whose lane -3 is the
    acceleration lane: 3.5 m wide for 150 m, then tapering to zero over 100 m
    (lane section at s=150); from s=250 the road has two lanes (section 3).
    Road 3 is 400 m long.  120 km/h."""
    def carriageway(extra: xodr.Lane | None) -> list[xodr.Lane]:
        lanes = [_lane(xodr.LaneType.driving, LANE_WIDTH, _broken()),
                 _lane(xodr.LaneType.driving, LANE_WIDTH, _broken() if extra else _solid())]
        if extra is not None:
            lanes.append(extra)
        return lanes

    main_in = _road(1, [xodr.Line(200)], [_section(0, [], carriageway(None), _solid())],
                    start=(0.0, 0.0, 0.0))
    taper = xodr.Lane(xodr.LaneType.driving, a=LANE_WIDTH, b=0.0,
                      c=-3 * LANE_WIDTH / 100**2, d=2 * LANE_WIDTH / 100**3)
    taper.add_roadmark(_solid())
    main_out = _road(3, [xodr.Line(400)], [
        _section(0, [], carriageway(_lane(xodr.LaneType.driving, LANE_WIDTH, _solid())), _solid()),
        _section(150, [], carriageway(taper), _solid()),
        _section(250, [], carriageway(None), _solid()),
    ])
    ramp_section = _section(0, [], [_lane(xodr.LaneType.driving, LANE_WIDTH, _solid())], _solid())
    ramp = _road(2, [xodr.Spiral(0.0, -1 / 150, 60), xodr.Spiral(-1 / 150, 0.0, 60), xodr.Line(40)],
                 [ramp_section])
    for road in (main_in, main_out):
        road.add_type(xodr.RoadType.motorway, 0, speed=120, speed_unit="km/h")
    ramp.add_type(xodr.RoadType.motorway, 0, speed=80, speed_unit="km/h")
    main_in.add_successor(xodr.ElementType.junction, 100)
    ramp.add_successor(xodr.ElementType.junction, 100)
    main_out.add_predecessor(xodr.ElementType.junction, 100)
    creator = xodr.DirectJunctionCreator(100, "on_ramp")
    creator.add_connection(main_in, main_out, [-1, -2], [-1, -2])
    creator.add_connection(ramp, main_out, -1, -3)
    odr = xodr.OpenDrive("highway_on_ramp", revMinor=REV_MINOR)
    for road in (main_in, ramp, main_out):
        odr.add_road(road)
    odr.add_junction_creator(creator)
    return odr


# Urban grid: junction id -> (centre x, y); roads between them and stubs.
_GRID_BLOCK = 150.0
_GRID_RADIUS = 12.0  # junction centre to the end of each incoming road
_GRID_JUNCTIONS = {100: (0.0, 0.0), 200: (_GRID_BLOCK, 0.0), 300: (0.0, _GRID_BLOCK), 400: (_GRID_BLOCK, _GRID_BLOCK)}
# road id -> (junction at its start, direction from that junction (rad), junction at its end or None)
_GRID_ROADS = {
    1: (100, 0.0, 200), 2: (300, 0.0, 400), 3: (100, math.pi / 2, 300), 4: (200, math.pi / 2, 400),
    11: (100, math.pi, None), 12: (100, -math.pi / 2, None), 13: (200, 0.0, None), 14: (200, -math.pi / 2, None),
    15: (300, math.pi, None), 16: (300, math.pi / 2, None), 17: (400, 0.0, None), 18: (400, math.pi / 2, None),
}


def urban_grid() -> xodr.OpenDrive:
    """A 2×2 grid of 4-way junctions (ids 100 at (0,0), 200 at (150,0), 300 at
    (0,150), 400 at (150,150)) joined by roads 1 (100→200), 2 (300→400),
    3 (100→300), 4 (200→400), each 126 m, plus 80 m stubs 11–18 leading out.
    Every road: one 3.5 m lane per direction, a solid centre line and 2 m
    sidewalks; 50 km/h.  Junctions connect every driving turn with one-lane
    connecting roads.

    Junction 100 is signalised: a traffic light (DE 1000001, dynamic) and a
    stop line (DE 294) on each of its four approaches, orientation "-"
    (the approaches start at the junction, so entering traffic drives against
    s).  Controller 1 switches the east–west lights (roads 1, 11), controller 2
    the north–south ones (roads 3, 12).  Road 1 has a 50 km/h sign (DE 274,
    id "speed_50"), also valid on road 2 through a signalReference.  Objects:
    street-light poles every 25 m along road 1 (one object, repeated), parking
    spaces every 6 m along road 2 (repeated), a kiosk with a local outline
    beside road 3."""
    roads: dict[int, xodr.Road] = {}
    for rid, (j_start, direction, j_end) in _GRID_ROADS.items():
        cx, cy = _GRID_JUNCTIONS[j_start]
        length = _GRID_BLOCK - 2 * _GRID_RADIUS if j_end is not None else 80.0
        start = (cx + _GRID_RADIUS * math.cos(direction), cy + _GRID_RADIUS * math.sin(direction), direction)
        road = _two_way(rid, xodr.Line(length), sidewalk=True, start=start)
        road.add_type(xodr.RoadType.town, 0, speed=50, speed_unit="km/h")
        roads[rid] = road
    odr = xodr.OpenDrive("urban_grid", revMinor=REV_MINOR)
    for road in roads.values():
        odr.add_road(road)
    for jid, (cx, cy) in _GRID_JUNCTIONS.items():
        creator = xodr.CommonJunctionCreator(jid, f"grid_{jid}", startnum=jid)
        members = []  # (road id, "predecessor"/"successor", lane entering, lane leaving)
        for rid, (j_start, direction, j_end) in _GRID_ROADS.items():
            if j_start == jid:
                members.append((rid, "predecessor", direction))
            elif j_end == jid:
                members.append((rid, "successor", direction + math.pi))
        for rid, link, angle in members:
            creator.add_incoming_road_cartesian_geometry(
                roads[rid], cx + _GRID_RADIUS * math.cos(angle), cy + _GRID_RADIUS * math.sin(angle),
                angle + math.pi, link)
        for i, (a, link_a, _) in enumerate(members):
            for b, link_b, _ in members[i + 1:]:
                # lane entering the junction from a, lane leaving it on b (right-hand traffic)
                enter_a, leave_a = (1, -1) if link_a == "predecessor" else (-1, 1)
                enter_b, leave_b = (1, -1) if link_b == "predecessor" else (-1, 1)
                creator.add_connection(a, b, enter_a, leave_b)
                creator.add_connection(b, a, enter_b, leave_a)
        odr.add_junction_creator(creator)
    _grid_signals(roads)
    _grid_objects(roads)
    return odr


def _grid_signals(roads: dict[int, xodr.Road]) -> None:
    for rid in (1, 11, 3, 12):
        light = xodr.Signal(2.0, LANE_WIDTH + 1.0, "DE", "1000001", "-1", id=f"light_{rid}",
                            name=f"traffic light road {rid}", dynamic=xodr.Dynamic.yes,
                            zOffset=2.5, orientation=xodr.Orientation.negative, height=0.9, width=0.3)
        light.add_validity(1, 1)
        stop = xodr.Signal(1.0, LANE_WIDTH / 2, "DE", "294", "-1", id=f"stop_{rid}",
                           name=f"stop line road {rid}", zOffset=0.0,
                           orientation=xodr.Orientation.negative, width=LANE_WIDTH)
        stop.add_validity(1, 1)
        roads[rid].add_signal(light)  # one at a time: the library's list path is broken
        roads[rid].add_signal(stop)
    speed = xodr.Signal(20.0, -(LANE_WIDTH + 1.0), "DE", "274", "50", id="speed_50", name="speed limit 50",
                        value=50, unit="km/h", zOffset=2.0, orientation=xodr.Orientation.positive,
                        height=0.6, width=0.6)
    roads[1].add_signal(speed)
    reference = xodr.SignalReference(10.0, -(LANE_WIDTH + 1.0), id="speed_50",
                                     orientation=xodr.Orientation.positive)
    roads[2].add_signal(reference)


def _grid_objects(roads: dict[int, xodr.Road]) -> None:
    pole = xodr.Object(5.0, LANE_WIDTH + 1.5, xodr.ObjectType.pole, subtype="streetLamp", name="street light", id="pole_1",
                       radius=0.1, height=6.0)
    pole.repeat(100.0, 25.0, sStart=5.0, tStart=LANE_WIDTH + 1.5, tEnd=LANE_WIDTH + 1.5)
    roads[1].add_object(pole)
    bay_t = -(LANE_WIDTH + 2.0 + 1.25)  # beyond the sidewalk
    parking = xodr.Object(20.0, bay_t, xodr.ObjectType.parkingSpace, subtype="parallel", name="parking",
                          id="parking_2", width=2.5, length=6.0, height=0.0, hdg=0.0)
    parking.repeat(60.0, 6.0, sStart=20.0, tStart=bay_t, tEnd=bay_t)
    roads[2].add_object(parking)
    kiosk = xodr.Object(60.0, -(LANE_WIDTH + 6.0), xodr.ObjectType.building, subtype="kiosk", name="kiosk", id="kiosk_3",
                        height=3.0, hdg=0.0)
    outline = xodr.Outline(closed=True, id=0)
    for u, v in ((-2.0, -1.5), (2.0, -1.5), (2.0, 1.5), (-2.0, 1.5)):
        outline.add_corner(xodr.CornerLocal(u, v, 0.0, 3.0))
    kiosk.add_outline(outline)
    roads[3].add_object(kiosk)


# ------------------------------------------------------------------- finish
# The signalised junction's controllers (urban_grid): id -> (name, signal ids).
_GRID_CONTROLLERS = {
    "1": ("east_west", ("light_1", "light_11")),
    "2": ("north_south", ("light_3", "light_12")),
}

MAPS = {
    "highway_straight": highway_straight,
    "rural_curves": rural_curves,
    "junction_t": junction_t,
    "junction_4way": junction_4way,
    "roundabout": roundabout,
    "highway_on_ramp": highway_on_ramp,
    "urban_grid": urban_grid,
}

def finish(odr: xodr.OpenDrive, name: str) -> str:
    """The finished file text for a built map (see the module docstring)."""
    odr.adjust_roads_and_lanes()
    root = odr.get_element()
    header = root.find("header")
    header.set("date", DATE)
    header.set("revMinor", REV_MINOR)
    header.set("name", name)
    header.set("vendor", "simplatform")
    one_connection_per_connecting_road(root)
    strip_junction_marks(root)
    link_lanes(root)
    if name == "urban_grid":
        add_controllers(root, _GRID_CONTROLLERS, "100")
    _set_extent(root)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _set_extent(root: ET.Element) -> None:
    """Header north/south/east/west (§6.2): the lanes' extent, from our own road network."""
    from simplatform.opendrive import parse_opendrive
    from simplatform.opendrive.summary import network_extent

    box = network_extent(parse_opendrive(ET.tostring(root, encoding="unicode"), source="<generated>"))
    header = root.find("header")
    for key in ("north", "south", "east", "west"):
        header.set(key, f"{box[key]:.3f}")


def write_maps(render: Callable[[str], str], available: Iterable[str], out_dir: Path,
               names: list[str] | None) -> list[Path]:
    """Write ``render(name)`` as ``<name>.xodr`` into ``out_dir`` for ``names`` (or all ``available``)."""
    written = []
    for name in names or list(available):
        path = Path(out_dir) / f"{name}.xodr"
        path.write_text(render(name), encoding="utf-8")
        written.append(path)
    return written


def generator_main(generate_maps: Callable[..., list[Path]], argv: list[str] | None) -> int:
    """A map generator's command line: the map names to write (none: all); prints each path written."""
    for path in generate_maps(names=(argv if argv is not None else sys.argv[1:]) or None):
        print(path)
    return 0


def generate(out_dir: Path = MAPS_DIR, names: list[str] | None = None) -> list[Path]:
    """Write the maps (all, or ``names``) into ``out_dir``; returns the paths."""
    return write_maps(lambda name: finish(MAPS[name](), name), MAPS, out_dir, names)


def main(argv: list[str] | None = None) -> int:
    return generator_main(generate, argv)


if __name__ == "__main__":
    sys.exit(main())
