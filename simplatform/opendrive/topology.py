"""Which way traffic flows in a lane, and which lanes follow, precede and neighbour it.

Sources (ASAM OpenDRIVE 1.7/1.8): road rule RHT/LHT and lane sides (§8.1,
§11.1: in right-hand traffic the right lanes, negative ids, drive in the
direction of increasing s); lane links inside a road across lane sections and
across road links with their contact points (§8.3, §11.6); junction
connections with lane links (§12.3, §12.4) and direct junctions (§12.8).

Everything here reads only ``net.roads`` and ``net.junctions`` (the data model
of ``simplatform.opendrive.model``), so it works on a parsed
``OpenDriveDocument`` and on a ``RoadNetwork`` alike.

A lane is addressed in a lane section: ``LaneKey = (road_id, section_index,
lane_id)``; a lane id may change at a section boundary (§11.6).  Where a file
states no lane link between two sections of one road, the lane is taken to go
on with the same id if that lane exists (what most exporters mean; esmini does
the same).  Across a junction only stated links count: connections of the
junction (``incoming → connecting``) and the connecting roads' own lane links,
so a file that states each connecting road once (1.7 rule
"one_connection_element") still yields both directions of a two-way road.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Protocol
from weakref import WeakKeyDictionary

from simplatform.errors import RoadNetworkError
from simplatform.opendrive import model as m

LaneKey = tuple[str, int, int]  # (road id, lane section index, lane id)

# Lane types a vehicle may drive in (§11.3 e_laneType; 1.4–1.8 names).
DRIVABLE_LANE_TYPES = frozenset({
    "driving", "entry", "exit", "onRamp", "offRamp", "connectingRamp", "bidirectional",
    "slipLane", "mwyEntry", "mwyExit", "special1", "special2", "special3",
})


class HasRoads(Protocol):
    roads: Mapping[str, m.Road]
    junctions: Mapping[str, m.Junction]


# ------------------------------------------------------------------ lookups
def road(net: HasRoads, road_id: str) -> m.Road:
    try:
        return net.roads[str(road_id)]
    except KeyError:
        raise RoadNetworkError(f"no road {road_id!r} in the network") from None


def section_index(r: m.Road, s: float) -> int:
    """Index of the lane section holding ``s`` (the later one on a boundary)."""
    index = 0
    for i, section in enumerate(r.lane_sections):
        if section.s <= s + 1e-9:
            index = i
    return index


def lane_in(r: m.Road, index: int, lane_id: int) -> m.Lane:
    lanes = r.lane_sections[index].lanes
    if lane_id not in lanes:
        raise RoadNetworkError(
            f"road {r.id} has no lane {lane_id} in lane section {index} (s={r.lane_sections[index].s:g}); "
            f"lanes there: {sorted(lanes)}")
    return lanes[lane_id]


def sections_with_lane(r: m.Road, lane_id: int) -> list[int]:
    return [i for i, sec in enumerate(r.lane_sections) if lane_id in sec.lanes]


# --------------------------------------------------------- driving direction
def driving_direction(net: HasRoads, road_id: str, lane_id: int) -> int:
    """+1 when traffic in the lane moves with increasing s, -1 against it.

    §8.1 road@rule: RHT (default) drives on the right, so lanes with negative
    ids (right of the reference line) go with s; LHT mirrors that; a lane with
    the 1.7 attribute direction="reversed" drives the other way."""
    r = road(net, road_id)
    if lane_id == 0:
        raise RoadNetworkError(f"road {r.id}: lane 0 is the centre lane and carries no traffic")
    right_hand = (r.rule or "RHT").upper() != "LHT"
    on_right = lane_id < 0
    standard = 1 if on_right == right_hand else -1
    return -standard if _reversed(r, lane_id) else standard


def _reversed(r: m.Road, lane_id: int) -> bool:
    """OpenDRIVE 1.7 lane @direction="reversed": traffic against the side's standard
    direction.  A lane id is one driving direction per road here (the lane graph and
    the engine ask per road), so the first lane section that has the lane decides; a
    "both" lane (two-way) keeps the standard direction, the one lane links describe."""
    rank = abs(lane_id) - 1
    for section in r.lane_sections:
        side = section.right if lane_id < 0 else section.left
        if rank < len(side):
            return side[rank].direction == "reversed"
    return False


def is_drivable(lane: m.Lane) -> bool:
    return lane.type in DRIVABLE_LANE_TYPES


def is_two_way(lane: m.Lane) -> bool:
    """A lane driven in both directions: 1.7/1.8 @direction="both", or the deprecated lane
    type "bidirectional" (1.4-1.6).  ``driving_direction`` gives its standard direction; the
    lane graph adds the other one (``lane_graph``)."""
    return lane.direction == "both" or lane.type == "bidirectional"


def lane_directions(net: HasRoads, key: LaneKey) -> tuple[int, ...]:
    """The directions (+1 with s, -1 against) traffic may drive lane section ``key`` in:
    its driving direction first, then the other one for a two-way lane."""
    primary = driving_direction(net, key[0], key[2])
    lane = road(net, key[0]).lane_sections[key[1]].lanes.get(key[2])
    return (primary, -primary) if lane is not None and is_two_way(lane) else (primary,)


# ------------------------------------------------------------ continuations
def _end_index(r: m.Road, contact: str) -> int:
    return 0 if contact == "start" else len(r.lane_sections) - 1


def _junction_continuations(net: HasRoads, r: m.Road, lane_id: int, end: str,
                            junction: m.Junction) -> list[tuple[LaneKey, str]]:
    """Lanes reached from ``lane_id`` of road ``r`` leaving at ``end`` into ``junction``."""
    out: list[tuple[LaneKey, str]] = []
    for connection in junction.connections:
        if connection.incoming_road != r.id:
            continue
        target = net.roads.get(connection.connecting_road)
        if target is None:
            continue
        if junction.type == "direct":
            # §12.8: the linked road's contact point is the end of it that links to this junction
            contact = _contact_towards(target, junction.id) or connection.contact_point
        else:
            contact = connection.contact_point
        for link in connection.lane_links:
            if link.from_lane == lane_id and link.to_lane != 0:   # lane 0 carries no traffic (reported on load)
                out.append(((target.id, _end_index(target, contact), link.to_lane), contact))
    # The other direction of a connecting road (or of a direct junction's link) is stated
    # on the connecting side: roads of this junction whose link names road r at this end.
    for other in _junction_members(net, junction):
        if other.id == r.id:
            continue
        for which, link in (("start", other.predecessor), ("end", other.successor)):
            if link is None or link.element_type != "road" or link.element_id != r.id:
                continue
            if (link.contact_point or end) != end:
                continue
            index = _end_index(other, which)
            for lane in other.lane_sections[index].lanes.values():
                ids = lane.predecessors if which == "start" else lane.successors
                if lane.id != 0 and lane_id in ids:
                    out.append(((other.id, index, lane.id), which))
    if junction.type == "direct":
        for connection in junction.connections:
            if connection.connecting_road != r.id:
                continue
            incoming = net.roads.get(connection.incoming_road)
            if incoming is None:
                continue
            contact = _contact_towards(incoming, junction.id)
            if contact is None:
                continue
            for link in connection.lane_links:
                if link.to_lane == lane_id and link.from_lane != 0:
                    out.append(((incoming.id, _end_index(incoming, contact), link.from_lane), contact))
    return out


_MEMBERS: "WeakKeyDictionary[object, dict[str, list[m.Road]]]" = WeakKeyDictionary()


def _junction_members(net: HasRoads, junction: m.Junction) -> Iterable[m.Road]:
    """Connecting roads of ``junction`` (indexed once per network object)."""
    try:
        index = _MEMBERS[net]
    except (KeyError, TypeError):  # TypeError: a frozen document is not hashable
        index = {}
        for r in net.roads.values():
            if r.junction is not None:
                index.setdefault(r.junction, []).append(r)
        try:
            _MEMBERS[net] = index
        except TypeError:
            pass
    return index.get(junction.id, ())


def _contact_towards(r: m.Road, junction_id: str) -> str | None:
    """Which end of road ``r`` links to junction ``junction_id``."""
    if r.successor is not None and r.successor.element_type == "junction" and r.successor.element_id == junction_id:
        return "end"
    if r.predecessor is not None and r.predecessor.element_type == "junction" \
            and r.predecessor.element_id == junction_id:
        return "start"
    return None


def continuations(net: HasRoads, key: LaneKey, end: str) -> list[tuple[LaneKey, str]]:
    """Lanes that touch lane ``key`` at its ``end`` ("start"/"end" of its lane section),
    each with the end of *that* lane section it is touched at.  Geometric, not
    directional: use ``successors``/``predecessors`` for traffic flow."""
    road_id, index, lane_id = key
    r = road(net, road_id)
    lane = lane_in(r, index, lane_id)
    last = len(r.lane_sections) - 1
    if end == "end" and index < last:
        nxt = r.lane_sections[index + 1].lanes
        ids = lane.successors or ((lane_id,) if lane_id in nxt else ())
        return [((r.id, index + 1, i), "start") for i in ids if i in nxt and i != 0]
    if end == "start" and index > 0:
        prev = r.lane_sections[index - 1].lanes
        ids = lane.predecessors or ((lane_id,) if lane_id in prev else ())
        return [((r.id, index - 1, i), "end") for i in ids if i in prev and i != 0]
    link = r.successor if end == "end" else r.predecessor
    if link is None:
        return []
    if link.element_type == "junction":
        junction = net.junctions.get(link.element_id)
        return [] if junction is None else _junction_continuations(net, r, lane_id, end, junction)
    other = net.roads.get(link.element_id)
    if other is None or link.contact_point is None:
        # no road, or a virtual junction's mid-road link (@elementS): the graph branches at lane ends only
        return []
    contact = link.contact_point
    other_index = _end_index(other, contact)
    other_lanes = other.lane_sections[other_index].lanes
    ids = lane.successors if end == "end" else lane.predecessors
    if not ids and r.junction is None and other.junction is None:
        # unlinked lanes across a plain road link: same lane, mirrored when the roads meet head-on
        same_sense = (end == "end") == (contact == "start")
        candidate = lane_id if same_sense else -lane_id
        ids = (candidate,) if candidate in other_lanes else ()
    return [((other.id, other_index, i), contact) for i in ids if i in other_lanes and i != 0]


def lane_successors(net: HasRoads, key: LaneKey) -> list[LaneKey]:
    """Lane sections that traffic in ``key`` drives into next (driving direction, §8.1)."""
    direction = driving_direction(net, key[0], key[2])
    out = []
    for nxt, contact in continuations(net, key, "end" if direction > 0 else "start"):
        # traffic must drive away from the end it enters at
        if driving_direction(net, nxt[0], nxt[2]) == (1 if contact == "start" else -1) and nxt not in out:
            out.append(nxt)
    return out


def lane_predecessors(net: HasRoads, key: LaneKey) -> list[LaneKey]:
    """Lane sections whose traffic drives into ``key``."""
    direction = driving_direction(net, key[0], key[2])
    out = []
    for prev, contact in continuations(net, key, "start" if direction > 0 else "end"):
        if driving_direction(net, prev[0], prev[2]) == (1 if contact == "end" else -1) and prev not in out:
            out.append(prev)
    return out


def _follow(net: HasRoads, road_id: str, lane_id: int, forward: bool) -> list[tuple[str, int]]:
    """Walk inside the road (across its lane sections) until the lane leaves it."""
    r = road(net, road_id)
    indices = sections_with_lane(r, lane_id)
    if not indices:
        raise RoadNetworkError(f"road {r.id} has no lane {lane_id}")
    direction = driving_direction(net, r.id, lane_id)
    # start where traffic enters this lane id on this road
    start = indices[0] if (direction > 0) == forward else indices[-1]
    step = lane_successors if forward else lane_predecessors
    inward = 1 if (direction > 0) == forward else -1  # the section index a step inside the road goes to
    frontier, seen, out = [(r.id, start, lane_id)], set(), []
    while frontier:
        key = frontier.pop()
        if key in seen:
            continue
        seen.add(key)
        for nxt in step(net, key):
            if nxt[0] == r.id and nxt[1] == key[1] + inward:
                frontier.append(nxt)
            elif (nxt[0], nxt[2]) not in out:
                # a road link, also one back into this road: esmini's circle_300m.xodr links its one
                # road to itself (successor road 1 at "start"), a closed loop that was read as a dead end
                out.append((nxt[0], nxt[2]))
    return out


def successors(net: HasRoads, road_id: str, lane_id: int) -> list[tuple[str, int]]:
    """(road, lane) pairs traffic in ``lane_id`` of ``road_id`` drives into after
    leaving the road (through junctions too); ``[]`` when the lane ends in the road."""
    return _follow(net, str(road_id), int(lane_id), True)


def predecessors(net: HasRoads, road_id: str, lane_id: int) -> list[tuple[str, int]]:
    """(road, lane) pairs whose traffic drives into ``lane_id`` of ``road_id``."""
    return _follow(net, str(road_id), int(lane_id), False)


# --------------------------------------------------------------- neighbours
def neighbour_in_section(net: HasRoads, key: LaneKey, side: int) -> LaneKey | None:
    """The drivable lane beside ``key`` to the driver's left (``side`` +1) or
    right (-1) with the same driving direction, in the same lane section."""
    if side not in (1, -1):
        raise ValueError("side must be +1 (driver's left) or -1 (driver's right)")
    road_id, index, lane_id = key
    r = road(net, road_id)
    lane_in(r, index, lane_id)
    direction = driving_direction(net, road_id, lane_id)
    candidate = lane_id + side * direction  # driver's left is +t when driving with s
    if candidate == 0:
        candidate += side * direction
    lanes = r.lane_sections[index].lanes
    other = lanes.get(candidate)
    if other is None or not is_drivable(other):
        return None
    if driving_direction(net, road_id, candidate) != direction:
        return None
    return (road_id, index, candidate)


def neighbour_lane(net: HasRoads, road_id: str, lane_id: int, s: float, side: int) -> int | None:
    """Lane id beside ``lane_id`` at ``s`` on the driver's ``side`` (+1 left, -1 right),
    of the same direction and a drivable type; ``None`` if there is none."""
    r = road(net, road_id)
    found = neighbour_in_section(net, (r.id, section_index(r, s), int(lane_id)), side)
    return None if found is None else found[2]
