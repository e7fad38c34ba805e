"""OpenSCENARIO Position → world pose (and lane cursor), asked of the road model.

ASAM OpenSCENARIO 1.x §6.3 "Coordinate systems" and the Position types:
World, RelativeWorld, RelativeObject, Road, RelativeRoad, Lane, RelativeLane,
Route, Trajectory and Geo.  ``Orientation`` is ``relative`` by default (to the
road for road/lane positions, to the referenced entity for relative ones), or
``absolute`` (world frame).  A lane position's default heading follows the
lane's driving direction, as esmini places vehicles; a stated relative
Orientation on a lane position is relative to the road's reference line
(+s), so ``h=π`` in a left-hand lane of right-hand traffic faces its traffic.

Geo positions go through the OpenDRIVE header's ``geoReference`` PROJ string
with pyproj, then the header ``<offset>`` (OpenDRIVE 1.8 §6.4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from simplatform.engine.road import LaneCursor, wrap_angle
from simplatform.errors import ScenarioError


@dataclass(frozen=True)
class ResolvedPose:
    x: float
    y: float
    z: float
    h: float
    p: float = 0.0
    r: float = 0.0
    cursor: LaneCursor | None = None
    road_frame: bool = False
    """The position was stated in road or lane coordinates (Lane, RelativeLane, Road, RelativeRoad,
    Route positions): its heading is given against the road's s axis, so an entity placed there facing
    against its lane follows that lane its way (``DefaultController.place``)."""


def _orient(orientation, base_h: float, base_p: float = 0.0, base_r: float = 0.0) -> tuple[float, float, float]:
    if orientation is None:
        return base_h, base_p, base_r
    h = orientation.h or 0.0
    p = orientation.p or 0.0
    r = orientation.r or 0.0
    if orientation.type is not None and str(orientation.type) == "absolute":
        return wrap_angle(h), p, r
    return wrap_angle(base_h + h), base_p + p, base_r + r


def _error(el, cause: str) -> ScenarioError:
    src = getattr(el, "source", None)
    if src is not None and (src.file or src.line):
        return ScenarioError(cause, file=src.file, line=src.line, element=src.element)
    return ScenarioError(cause, element=type(el).__name__)


class PositionResolver:
    """Resolves positions against the current world (``engine``: entities, road, routes)."""

    STATIC = ("WorldPosition", "LanePosition", "RoadPosition", "GeoPosition")
    """Position types that name no entity: their pose never changes, so it is resolved once
    (a DistanceCondition to a WorldPosition would otherwise search the road every step)."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self._geo = None
        self._static: dict[int, tuple[object, ResolvedPose]] = {}
        self._choices: dict[int, tuple[object, object]] = {}

    def resolve(self, position, actor: str | None = None) -> ResolvedPose:
        got = self._choices.get(id(position))  # ``choice`` scans the element's fields on every call
        if got is not None and got[0] is position:
            choice = got[1]
        else:
            choice = position.choice
            self._choices[id(position)] = (position, choice)
        if choice is None:
            raise _error(position, "a Position element without any position type")
        name = type(choice).__name__
        if name in self.STATIC:
            hit = self._static.get(id(choice))
            if hit is not None and hit[0] is choice:
                pose = hit[1]
            else:
                pose = self._resolve(choice, actor)
                self._static[id(choice)] = (choice, pose)
            c = pose.cursor
            if c is None:
                return pose
            # a fresh cursor per caller (a Teleport moves it); built directly: dataclasses.replace
            # inspects the fields on every call
            return ResolvedPose(pose.x, pose.y, pose.z, pose.h, pose.p, pose.r,
                                LaneCursor(c.road_id, c.lane_id, c.s, c.offset), pose.road_frame)
        return self._resolve(choice, actor)

    def _resolve(self, choice, actor: str | None) -> ResolvedPose:
        method = getattr(self, "_" + type(choice).__name__, None)
        if method is None:
            raise _error(choice, f"{type(choice).__name__} is not supported")
        try:
            return method(choice, actor)
        except ScenarioError:
            raise
        except (KeyError, ValueError, IndexError) as exc:
            raise _error(choice, f"cannot resolve {type(choice).__name__}: {exc}") from None

    # ----------------------------------------------------------- helpers
    def _entity(self, name: str, el):
        table = self.engine.table
        i = table.index.get(name)
        if i is None:
            raise _error(el, f"unknown entity {name!r}")
        return i

    def _facing(self, i: int, road_id: str, lane: int) -> int:
        """+1 when entity ``i`` goes along increasing s, -1 against: the way its lane cursor travels
        when it follows a lane, else its heading's way along the road (esmini's IsAngleForward)."""
        road = self.engine.road
        m = self.engine.controller.motions[i]
        c = m.cursor
        if m.mode == "lane" and c is not None and c.road_id == road_id:
            return road.travel(c)
        return road.sense(road_id, lane, float(self.engine.table.lane_s[i]), float(self.engine.table.heading[i]))

    def _with_lane(self, x, y, z, h, p, r) -> ResolvedPose:
        road = self.engine.road
        cursor = None
        if road is not None and road.net is not None:
            lp = road.locate(x, y, None)
            if lp is not None:
                cursor = LaneCursor(lp.road_id, lp.lane_id, lp.s, lp.offset)
        return ResolvedPose(x, y, z, h, p, r, cursor)

    def _on_lane(self, road_id: str, lane_id: int, s: float, offset: float, orientation, el) -> ResolvedPose:
        road = self.engine.road
        if road is None or road.net is None:
            raise _error(el, "a lane position needs a road network (RoadNetwork/LogicFile)")
        if road_id not in road.net.roads:
            raise _error(el, f"the road network has no road {road_id!r}")
        length = road.road_length(road_id)
        if not -1e-6 <= s <= length + 1e-6:
            raise _error(el, f"s={s:g} is off road {road_id!r} (length {length:g} m)")
        s = min(max(s, 0.0), length)
        if lane_id not in road.net.lane_ids(road_id, s):
            raise _error(el, f"road {road_id!r} has no lane {lane_id} at s={s:g}")
        cursor = LaneCursor(road_id, lane_id, s, offset)
        x, y, z, h, p, r = road.cursor_pose(cursor)  # heading in the lane's driving direction
        if orientation is not None and road.direction(road_id, lane_id) < 0:
            # a stated relative orientation is relative to the road's reference line (+s),
            # not to the driving direction (OSC 1.2 §6.6; esmini): undo the lane's flip first
            h, p, r = wrap_angle(h + math.pi), -p, -r
        h, p, r = _orient(orientation, h, p, r)
        return ResolvedPose(x, y, z, h, p, r, cursor, True)

    # ------------------------------------------------------------ types
    def _WorldPosition(self, el, actor) -> ResolvedPose:
        z = el.z
        base = self._with_lane(el.x, el.y, 0.0, el.h or 0.0, el.p or 0.0, el.r or 0.0)
        if z is None and base.cursor is not None:
            z = self.engine.road.lane_pose(base.cursor.road_id, base.cursor.lane_id, base.cursor.s, base.cursor.offset).z
        return ResolvedPose(el.x, el.y, z or 0.0, wrap_angle(el.h or 0.0), el.p or 0.0, el.r or 0.0, base.cursor)

    def _RelativeWorldPosition(self, el, actor) -> ResolvedPose:
        t = self.engine.table
        i = self._entity(el.entity_ref, el)
        x, y = t.x[i] + el.dx, t.y[i] + el.dy
        z = t.z[i] + (el.dz or 0.0)
        h, p, r = _orient(el.orientation, float(t.heading[i]))
        base = self._with_lane(float(x), float(y), float(z), h, p, r)
        return base

    def _RelativeObjectPosition(self, el, actor) -> ResolvedPose:
        t = self.engine.table
        i = self._entity(el.entity_ref, el)
        c, s = math.cos(t.heading[i]), math.sin(t.heading[i])
        x = t.x[i] + c * el.dx - s * el.dy
        y = t.y[i] + s * el.dx + c * el.dy
        h, p, r = _orient(el.orientation, float(t.heading[i]))
        return self._with_lane(float(x), float(y), float(t.z[i] + (el.dz or 0.0)), h, p, r)

    def _RoadPosition(self, el, actor) -> ResolvedPose:
        road = self.engine.road
        if road is None or road.net is None or el.road_id not in road.net.roads:
            raise _error(el, f"the road network has no road {el.road_id!r}")
        length = road.road_length(el.road_id)
        if not -1e-6 <= el.s <= length + 1e-6:
            raise _error(el, f"s={el.s:g} is off road {el.road_id!r} (length {length:g} m)")
        pose = road.road_pose(el.road_id, el.s, el.t)
        h, p, r = _orient(el.orientation, pose.heading, pose.pitch, pose.roll)
        cursor = None
        lp = road.locate(pose.x, pose.y, pose.z)
        if lp is not None:
            cursor = LaneCursor(lp.road_id, lp.lane_id, lp.s, lp.offset)
            if road.direction(lp.road_id, lp.lane_id) < 0 and el.orientation is None:
                pass  # a RoadPosition's default heading is the road's, whatever the lane direction
        return ResolvedPose(pose.x, pose.y, pose.z, h, p, r, cursor, True)

    def _RelativeRoadPosition(self, el, actor) -> ResolvedPose:
        t = self.engine.table
        i = self._entity(el.entity_ref, el)
        road_id = t.lane_road[i]
        if road_id is None:
            raise _error(el, f"entity {el.entity_ref!r} is not on a road; RelativeRoadPosition needs one")
        s = float(t.lane_s[i]) + el.ds
        t_new = float(t.road_t[i]) + el.dt
        from simplatform.openscenario.model.positions import RoadPosition  # local: model import is heavy

        return self._RoadPosition(RoadPosition(road_id=road_id, s=s, t=t_new, orientation=el.orientation, source=el.source), actor)

    def _LanePosition(self, el, actor) -> ResolvedPose:
        try:
            lane_id = int(el.lane_id)
        except ValueError:
            raise _error(el, f"laneId {el.lane_id!r} is not an integer") from None
        return self._on_lane(el.road_id, lane_id, el.s, el.offset or 0.0, el.orientation, el)

    def _RelativeLanePosition(self, el, actor) -> ResolvedPose:
        t = self.engine.table
        i = self._entity(el.entity_ref, el)
        road_id = t.lane_road[i]
        if road_id is None:
            raise _error(el, f"entity {el.entity_ref!r} is not on a road; RelativeLanePosition needs one")
        lane = int(t.lane_id[i])
        # dLane counts lanes across the centre lane 0, positive to the left of the reference line
        target = lane + el.d_lane
        if lane > 0 >= target or lane < 0 <= target:
            target += -1 if el.d_lane < 0 else 1
        ds = el.ds if el.ds is not None else (el.ds_lane or 0.0)
        # dsLane runs "in the direction the reference entity is facing" (OSC 1.3 RelativeLanePosition):
        # its lane's driving direction, or against it for an entity going the wrong way
        direction = self._facing(i, road_id, lane) if el.ds is None else 1
        s = float(t.lane_s[i]) + (ds * direction if el.ds is None else ds)
        return self._on_lane(road_id, target, s, el.offset or 0.0, el.orientation, el)

    def _GeoPosition(self, el, actor) -> ResolvedPose:
        road = self.engine.road
        header = getattr(road.net, "header", None) if road is not None and road.net is not None else None
        if header is None or not header.geo_reference:
            raise _error(el, "a GeoPosition needs the OpenDRIVE header's geoReference")
        if self._geo is None:
            from pyproj import Transformer

            self._geo = Transformer.from_crs("EPSG:4326", header.geo_reference.strip(), always_xy=True)
        lat = el.latitude_deg if el.latitude_deg is not None else math.degrees(el.latitude or 0.0)
        lon = el.longitude_deg if el.longitude_deg is not None else math.degrees(el.longitude or 0.0)
        x, y = self._geo.transform(lon, lat)
        off = header.offset
        # OpenDRIVE §6.4: inertial = rotate(projected − offset translation, −hdg)
        dx, dy = x + off.x, y + off.y
        c, s = math.cos(off.hdg), math.sin(off.hdg)
        xi, yi = c * dx - s * dy, s * dx + c * dy
        z = el.altitude if el.altitude is not None else (el.height or 0.0)
        h, p, r = _orient(el.orientation, 0.0)
        if el.orientation is None or el.orientation.type is None or str(el.orientation.type) == "relative":
            base = self._with_lane(xi, yi, z, 0.0, 0.0, 0.0)
            if base.cursor is not None:
                _, _, _, rh, _, _ = self.engine.road.cursor_pose(base.cursor)
                h, p, r = _orient(el.orientation, rh)
            return ResolvedPose(xi, yi, z, h, p, r, base.cursor)
        return self._with_lane(xi, yi, z, h, p, r)

    def _TrajectoryPosition(self, el, actor) -> ResolvedPose:
        from simplatform.engine.trajectory import build_trajectory

        traj_el = el.trajectory_ref.trajectory or getattr(el.trajectory_ref.catalog_reference, "resolved", None)
        if traj_el is None:
            raise _error(el, "TrajectoryRef without a trajectory")
        path = build_trajectory(traj_el, self, actor)
        x, y, z, h = path.pose_at(el.s)
        off = el.t or 0.0
        x, y = x - math.sin(h) * off, y + math.cos(h) * off
        h, p, r = _orient(el.orientation, h)
        return self._with_lane(x, y, z, h, p, r)

    def _RoutePosition(self, el, actor) -> ResolvedPose:
        irp = el.in_route_position
        choice = irp.choice
        if choice is None:
            raise _error(el, "RoutePosition without InRoutePosition")
        if type(choice).__name__ == "PositionOfCurrentEntity":
            i = self._entity(choice.entity_ref, choice)
            t = self.engine.table
            h, p, r = _orient(el.orientation, float(t.heading[i]))
            return self._with_lane(float(t.x[i]), float(t.y[i]), float(t.z[i]), h, p, r)
        route_el = el.route_ref.route or getattr(el.route_ref.catalog_reference, "resolved", None)
        route = self.engine.routes.build(route_el, actor)
        path_s = choice.path_s
        seg, s_on = _segment_at(route, path_s, el)
        if type(choice).__name__ == "PositionInLaneCoordinates":
            lane_id = int(choice.lane_id)
            return self._on_lane(seg.road_id, lane_id, s_on, choice.lane_offset or 0.0, el.orientation, el)
        pose = self.engine.road.road_pose(seg.road_id, s_on, choice.t)
        h, p, r = _orient(el.orientation, pose.heading)
        return self._with_lane(pose.x, pose.y, pose.z, h, p, r)


def _segment_at(route, path_s: float, el):
    """The route segment holding ``path_s`` (m from the route's start) and s on its road."""
    walked = 0.0
    for seg in route.segments:
        length = abs(seg.s_end - seg.s_start)
        if path_s <= walked + length + 1e-9:
            direction = 1.0 if seg.s_end >= seg.s_start else -1.0
            return seg, seg.s_start + direction * (path_s - walked)
        walked += length
    raise _error(el, f"pathS={path_s:g} is beyond the route's end ({walked:g} m)")
