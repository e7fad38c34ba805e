"""The engine's questions to the road model, answered through ``simplatform.opendrive``.

esmini's split (STYLE.md): the engine never reads OpenDRIVE; it asks a
``RoadNetwork`` for lane poses, lane neighbours and successors.  This adaptor
adds the one thing the per-step loop needs on top: moving a lane position by
a distance along the entity's direction of travel, crossing road ends through
the lane graph, without a global ``locate`` per step (DESIGN.md performance budget).

Direction of travel: as in esmini (``Position::MoveAlongS`` moves with or
against increasing s as the entity's heading relative to the road's s axis
says), an entity's way along the road is decided by its heading, not by the
lane it is in.  A cursor whose entity faces against its lane's driving
direction carries ``reverse``: it walks the lane graph backwards (into the
lanes that lead into its lane, which is where a wrong-way driver goes), and a
lane change into a lane of the other direction flips ``reverse`` so that the
direction along s stays the same (:meth:`RoadAdaptor.switch_lane`).
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
    reverse: bool = False
    """The entity travels against its lane's driving direction (a wrong-way driver, a car
    overtaking through the oncoming lane): it moves, and faces, the other way along s."""

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

    def travel(self, cursor) -> int:
        """+1 when the cursor's entity moves with increasing s, -1 against it: its lane's driving
        direction, turned round for a cursor travelling against it (``LaneCursor.reverse``)."""
        d = self.direction(cursor.road_id, cursor.lane_id)
        return -d if getattr(cursor, "reverse", False) else d

    def sense(self, road_id: str, lane_id: int, s: float, heading: float) -> int:
        """+1 when ``heading`` points along increasing s of the road at (lane, s), -1 against it:
        esmini's ``IsAngleForward(GetHRelative())``, the entity's way along the road."""
        got = self.lane_table(road_id, lane_id).pose(s, 0.0)
        along = self.net.lane_pose(road_id, lane_id, s, 0.0).heading if got is None else got[3]
        return 1 if abs(_wrap(heading - along)) < math.pi / 2 else -1

    def lane_across(self, road_id: str, lane_id: int, s: float, steps: int) -> int | None:
        """The drivable lane ``steps`` lanes from ``lane_id`` along +t (to the left of the road's
        s axis, ``steps`` > 0) or -t, across the centre lane into the other driving direction
        where the count goes on; ``None`` where a lane on the way is missing or not drivable.

        Where all lanes on the way have one driving direction this is ``neighbour`` counted on
        the t axis (the same lanes); it is the count a lane change into, or out of, the oncoming
        lanes needs."""
        if not steps:
            return lane_id
        from simplatform.opendrive.topology import is_drivable  # the road model's notion of drivable

        ids = set(self.net.lane_ids(road_id, s))
        lane = lane_id
        side = 1 if steps > 0 else -1
        for _ in range(abs(steps)):
            lane += side
            if lane == 0:
                lane += side
            if lane not in ids or not is_drivable(self.net.lane(road_id, lane, s)):
                return None
        return lane

    def switch_lane(self, cursor: LaneCursor, lane_id: int) -> None:
        """Put ``cursor`` into ``lane_id`` of its road keeping its direction of travel along s: a
        car changing into a lane of the other driving direction keeps going its way (``reverse``
        flips), it is not turned round by its new lane."""
        if lane_id == cursor.lane_id:
            return
        if self.direction(cursor.road_id, lane_id) != self.direction(cursor.road_id, cursor.lane_id):
            cursor.reverse = not cursor.reverse
        cursor.lane_id = lane_id

    # -------------------------------------------------------------- motion
    def advance(self, cursor: LaneCursor, distance: float, prefer: set[str] | None = None,
                along_path: bool = False, legs=None) -> bool:
        """Move ``cursor`` ``distance`` metres in its direction of travel (its lane's driving
        direction, or against it for a ``reverse`` cursor): metres of reference-line s, or with
        ``along_path`` metres along the cursor's own path (the lane centre at its offset; on each
        road the distance goes into s through ``LaneTable.path_scale`` at the cursor's s there,
        and the part used up to a road end back into path metres, so a step into a junction's
        turn moves the right distance on both roads).

        Crosses into the first successor (or predecessor when reversing, or
        travelling against the lane) at a road end; returns False when the
        lane ends with nowhere to go (the cursor then stays at the end:
        EndOfRoadCondition's case).

        ``legs`` (a route's ``RouteSegment`` s, kept by ``RouteStore`` only for routes the road-end
        successors miss): where the cursor drives a leg whose next leg is on another road, it goes
        into that leg when it passes the leg's end, mid-road too (a virtual junction's branch at
        ``elementS``), facing the way the leg is driven (``reverse`` on a two-way lane driven
        against its standard direction); see :meth:`_leg_exit`.
        """
        remaining = -distance if getattr(cursor, "reverse", False) else distance
        forward = remaining >= 0       # decided once: a remainder rounded to ±0 at a road end keeps the way
        for _ in range(64):  # a step never crosses more than a few roads
            d = self.direction(cursor.road_id, cursor.lane_id)
            length = self.road_length(cursor.road_id)
            scale = self.table(cursor).path_scale(cursor.s, cursor.offset) if along_path else 1.0
            s_new = cursor.s + d * (remaining / scale)
            if legs is not None:
                exit_ = self._leg_exit(cursor, legs, s_new, -d if cursor.reverse else d)
                if exit_ is not None:
                    leg, nxt, at = exit_
                    remaining -= math.copysign(abs(at - cursor.s) * scale, remaining)
                    if nxt.direction != leg.direction:  # the way along s turns: so does the t axis
                        cursor.offset = -cursor.offset
                    reverse = nxt.direction != self.direction(nxt.road_id, nxt.lane_id)
                    if reverse != cursor.reverse:  # the remainder counts along the new lane's direction
                        remaining, forward = -remaining, not forward
                    onward = (s_new - cursor.s) * leg.direction >= 0
                    cursor.road_id, cursor.lane_id = nxt.road_id, nxt.lane_id
                    cursor.s, cursor.reverse = (nxt.s_start if onward else nxt.s_end), reverse
                    continue
            if 0.0 <= s_new <= length:
                cursor.s = s_new
                return True
            # distance used up to the road end
            end = length if s_new > length else 0.0
            used = abs(end - cursor.s) * scale
            remaining -= math.copysign(used, remaining)
            links = (self.net.successors if forward else self.net.predecessors)(cursor.road_id, cursor.lane_id)
            if not links:
                cursor.s = end
                return False
            road_id, lane_id = links[0]
            if prefer and len(links) > 1:
                road_id, lane_id = next((l for l in links if l[0] in prefer), links[0])
            nd = self.direction(road_id, lane_id)
            nl = self.road_length(road_id)
            # entering in driving direction: from s=0 when nd=+1, s=length when nd=-1
            cursor.s = (0.0 if nd > 0 else nl) if forward else (nl if nd > 0 else 0.0)
            if nd != d:       # the next road runs the other way along s: its t axis points the other side
                cursor.offset = -cursor.offset
            cursor.road_id, cursor.lane_id = road_id, lane_id
        raise EngineError(f"lane walk did not converge at road {cursor.road_id} lane {cursor.lane_id}")

    @staticmethod
    def _leg_exit(cursor: LaneCursor, legs, s_new: float, travel: int):
        """(leg, next leg, s where the cursor leaves ``leg``) when moving the cursor to ``s_new``
        takes it out of the route leg it drives into one on another road, else ``None``.

        The cursor drives leg k when k is on its road and lane, holds its s and is driven the way
        the cursor travels (``travel``: +1 along s).  Moving on (along ``travel``) past leg k's
        end leads into leg k+1 at its start; moving back past its start (a negative step, e.g.
        lane tracking's projection correction) into leg k-1 at its end.  Legs on the same road
        (the route's lane changes) are not jumps: the engine changes lanes only by actions."""
        road_id, lane_id, s = cursor.road_id, cursor.lane_id, cursor.s
        onward = (s_new - s) * travel > 0
        for k, leg in enumerate(legs):
            if leg.road_id != road_id or leg.lane_id != lane_id or leg.direction != travel or not leg.contains(s):
                continue
            if onward:
                if k + 1 < len(legs) and legs[k + 1].road_id != road_id and (s_new - leg.s_end) * travel > 0:
                    return leg, legs[k + 1], leg.s_end
            elif k > 0 and legs[k - 1].road_id != road_id and (leg.s_start - s_new) * travel > 0:
                return leg, legs[k - 1], leg.s_start
        return None

    def cursor_pose(self, cursor: LaneCursor):
        """Pose of the cursor with heading in its direction of travel (its lane's driving direction,
        turned round for a ``reverse`` cursor)."""
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
        """(x, y, z, heading in the direction of travel, pitch, roll, t of the point from the
        reference line), from the cached lane table (exact road model where the table has no lane)."""
        got = self.table(cursor).pose(cursor.s, cursor.offset)
        if got is None:
            p = self.net.lane_pose(cursor.road_id, cursor.lane_id, cursor.s, cursor.offset)
            ct = self.net.lane_center_t(cursor.road_id, cursor.lane_id, cursor.s)
            x, y, z, h, pi, r = p.x, p.y, p.z, p.heading, p.pitch, p.roll
        else:
            x, y, z, h, pi, r, ct = got
        road_t = ct + cursor.offset
        if self.travel(cursor) < 0:
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
