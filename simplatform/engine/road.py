"""The engine's questions to the road model, answered through ``simplatform.opendrive``.

esmini's split (STYLE.md): the engine never reads OpenDRIVE; it asks a
``RoadNetwork`` for lane poses, lane neighbours and successors.  This adaptor
adds the one thing the per-step loop needs on top: moving a lane position by
a distance along the driving direction, crossing road ends through the lane
graph, without a global ``locate`` per step (DESIGN.md performance budget).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from simplatform.engine.lane_tables import driving_direction, lane_table
from simplatform.errors import EngineError, RoadNetworkError


@dataclass
class LaneCursor:
    """Where an entity moving along lanes is: road, lane, s, offset from lane centre (+left)."""

    road_id: str
    lane_id: int
    s: float
    offset: float = 0.0
    table: object = field(default=None, repr=False, compare=False)

    @property
    def direction(self) -> int:  # filled by RoadAdaptor.direction; default right-hand traffic
        return -1 if self.lane_id > 0 else 1


class RoadAdaptor:
    """Thin, cached facade over a ``RoadNetwork`` (or ``None`` for scenarios without roads)."""

    def __init__(self, network) -> None:
        self.net = network
        self._length: dict[str, float] = {}
        self._direction: dict[tuple[str, int], int] = {}
        self._tables: dict[tuple[str, int], object] = {}
        self._neighbours: dict[tuple[str, int, int], int | None] = {}

    # --------------------------------------------------------------- queries
    def road_length(self, road_id: str) -> float:
        length = self._length.get(road_id)
        if length is None:
            road = self.net.roads.get(road_id)
            if road is None:
                raise RoadNetworkError(f"the road network has no road {road_id!r}", file=self.net.source)
            length = float(road.length)
            self._length[road_id] = length
        return length

    def direction(self, road_id: str, lane_id: int) -> int:
        key = (road_id, lane_id)
        d = self._direction.get(key)
        if d is None:
            d = driving_direction(self.net, road_id, lane_id)
            self._direction[key] = d
        return d

    def lane_pose(self, road_id: str, lane_id: int, s: float, offset: float = 0.0):
        return self.net.lane_pose(road_id, lane_id, s, offset)

    def road_pose(self, road_id: str, s: float, t: float = 0.0):
        return self.net.road_pose(road_id, s, t)

    def lane_table(self, road_id: str, lane_id: int):
        """The network's cached table of (road, lane), kept here too (one dict lookup)."""
        key = (road_id, lane_id)
        tab = self._tables.get(key)
        if tab is None:
            tab = lane_table(self.net, road_id, lane_id)
            self._tables[key] = tab
        return tab

    def lane_center_t(self, road_id: str, lane_id: int, s: float) -> float:
        ct = self.lane_table(road_id, lane_id).center_t(s)
        return self.net.lane_center_t(road_id, lane_id, s) if ct is None else ct

    def locate(self, x: float, y: float, z: float | None = None):
        """Best lane position of a point (``None`` off road)."""
        if self.net is None:
            return None
        found = self.net.locate(x, y, z)
        return found[0] if found else None

    def neighbour(self, road_id: str, lane_id: int, s: float, steps: int) -> int | None:
        """The lane ``steps`` lanes to the driver's left (>0) or right (<0).

        Kept per (road, lane, steps) on roads of one lane section, where s cannot change it
        (a lane change asks this every step)."""
        key = (road_id, lane_id, steps)
        if key in self._neighbours:
            return self._neighbours[key]
        lane = self._neighbour(road_id, lane_id, s, steps)
        road = self.net.roads.get(road_id)
        if road is not None and len(getattr(road, "lane_sections", ())) == 1:
            self._neighbours[key] = lane
        return lane

    def _neighbour(self, road_id: str, lane_id: int, s: float, steps: int) -> int | None:
        lane = lane_id
        side = 1 if steps > 0 else -1
        for _ in range(abs(steps)):
            nxt = self.net.neighbour_lane(road_id, lane, s, side)
            if nxt is None:
                return None
            lane = nxt
        return lane

    # -------------------------------------------------------------- motion
    def advance(self, cursor: LaneCursor, distance: float, prefer: set[str] | None = None) -> bool:
        """Move ``cursor`` ``distance`` metres in its lane's driving direction.

        Crosses into the first successor (or predecessor when reversing) at a
        road end; returns False when the lane ends with nowhere to go (the
        cursor then stays at the end: EndOfRoadCondition's case).
        """
        remaining = distance
        for _ in range(64):  # a step never crosses more than a few roads
            d = self.direction(cursor.road_id, cursor.lane_id)
            length = self.road_length(cursor.road_id)
            s_new = cursor.s + d * remaining
            if 0.0 <= s_new <= length:
                cursor.s = s_new
                return True
            # distance used up to the road end
            end = length if s_new > length else 0.0
            used = abs(end - cursor.s)
            remaining -= math.copysign(used, remaining)
            links = (self.net.successors if remaining >= 0 else self.net.predecessors)(cursor.road_id, cursor.lane_id)
            if not links:
                cursor.s = end
                return False
            road_id, lane_id = links[0]
            if prefer and len(links) > 1:
                road_id, lane_id = next((l for l in links if l[0] in prefer), links[0])
            nd = self.direction(road_id, lane_id)
            nl = self.road_length(road_id)
            # entering in driving direction: from s=0 when nd=+1, s=length when nd=-1
            forward = remaining >= 0
            cursor.s = (0.0 if nd > 0 else nl) if forward else (nl if nd > 0 else 0.0)
            cursor.road_id, cursor.lane_id = road_id, lane_id
        raise EngineError(f"lane walk did not converge at road {cursor.road_id} lane {cursor.lane_id}")

    def cursor_pose(self, cursor: LaneCursor):
        """Pose of the cursor with heading in its driving direction."""
        return self.cursor_pose_t(cursor)[:6]

    def table(self, cursor: LaneCursor):
        """The cursor's lane table (kept on the cursor while it stays on that lane); the per-step
        motion reads the lane's length and driving direction from it too."""
        tab = cursor.table
        if tab is None or tab.lane_id != cursor.lane_id or tab.road_id != cursor.road_id:
            tab = lane_table(self.net, cursor.road_id, cursor.lane_id)
            cursor.table = tab
        return tab

    def cursor_pose_t(self, cursor: LaneCursor):
        """(x, y, z, heading in the driving direction, pitch, roll, t of the point from the
        reference line), from the cached lane table (exact road model where the table has no lane)."""
        got = self.table(cursor).pose(cursor.s, cursor.offset)
        if got is None:
            p = self.net.lane_pose(cursor.road_id, cursor.lane_id, cursor.s, cursor.offset)
            ct = self.net.lane_center_t(cursor.road_id, cursor.lane_id, cursor.s)
            x, y, z, h, pi, r = p.x, p.y, p.z, p.heading, p.pitch, p.roll
        else:
            x, y, z, h, pi, r, ct = got
        road_t = ct + cursor.offset
        if self.direction(cursor.road_id, cursor.lane_id) < 0:
            return x, y, z, _wrap(h + math.pi), -pi, -r, road_t
        return x, y, z, _wrap(h), pi, r, road_t

    def cursor_center_t(self, cursor: LaneCursor) -> float:
        ct = self.table(cursor).center_t(cursor.s)
        if ct is None:
            return self.net.lane_center_t(cursor.road_id, cursor.lane_id, cursor.s)
        return ct


def _wrap(a: float) -> float:
    return (a + math.pi) % (2.0 * math.pi) - math.pi


wrap_angle = _wrap
