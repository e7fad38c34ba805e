"""The default controller: moves entities exactly as their actions prescribe.

Like esmini's default controller, an entity that no model drives goes along
its lane at the commanded speed (``table.speed``, set by longitudinal
actions), at the lateral offset lateral actions command, following the lane
graph through road ends and junctions; an entity off the road network goes
straight along its heading; a trajectory-following entity is placed by its
trajectory runner.  Its way along the lane is its heading's, as in esmini
(``Position::MoveAlongS``: with or against increasing s as the heading
relative to the road's s axis says): an entity placed in road or lane
coordinates facing against its lane's driving direction follows that lane the
other way (a wrong-way driver), its cursor ``reverse`` (:mod:`road`); a lane
change into a lane of the other direction makes a car ``reverse`` the same way.
An entity given a world pose (WorldPosition, relative-object, geo, trajectory
positions) against its lane keeps going straight along its heading, as before
session 10: the library's head-on targets are placed so, one step before
their trajectory takes them (AEB_CCFhos: 3.5 m under a 2 % grade, where lane
following would lift them onto the road for that step and change 6 of the
15 scenarios' metrics), and their results stay those of session 3.  Entities with a model controller or under a stack are
``external``: the backend moves them and this controller leaves them alone.

A lane-following entity covers speed × dt along its own path — the lane centre
at its lateral offset — not along the road's reference line: its cursor goes
ds = v·dt / √((1 − κ·t)² + t'²) along s (``LaneTable.path_scale``, at the
entity's t; esmini: ``Position::DistanceToDS`` in ``MoveAlongS``).  Until
session 10 it went v·dt along s, so an entity at t = −8 m on a 250 m arc moved
3 % faster than its logged speed, and in a junction's 10–20 m turns 10–17 %.
On a straight road of constant width the factor is exactly 1.0: the same bits.

Heading follows the lane plus the slope of the lateral motion (a lane change
yaws the vehicle by atan(lateral speed / speed)); yaw rate, acceleration,
velocity, odometer and wheel angle (bicycle model: atan(L·ψ̇/v)) are derived
from consecutive poses so every consumer sees consistent kinematics.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simplatform.engine.derive_kernels import derive_kinematics
from simplatform.engine.entities import EntityTable
from simplatform.engine.lane_kernels import lane_move
from simplatform.engine.road import LaneCursor, RoadAdaptor, wrap_angle

WHEEL_RADIUS = 0.35
# A placed heading this far (rad) from its lane's is an explicit turn that a standing entity keeps
# (``hold_pose``); closer, it is the lane's direction written with rounding (h="3.141593" on a lane
# facing pi), which the first lane step aligns exactly, as before.
_TURNED = 1e-3
_TWO_PI = 2 * math.pi


@dataclass
class EntityMotion:
    """How one entity moves this step."""

    mode: str = "free"  # "lane" | "free" | "trajectory" | "external"
    cursor: LaneCursor | None = None
    lateral_rate: float = 0.0  # driver-left lateral speed from a running lateral action (m/s)
    end_of_road: bool = False
    end_of_road_since: float = -1.0
    offroad_since: float = -1.0
    standstill_since: float = -1.0
    controller: str | None = None  # name of an assigned controller (OpenSCENARIO ObjectController)
    controller_active: bool = False
    placed: bool = False  # an action already put the entity at this step's pose (skip one move)
    last_pose: tuple | None = None  # (cursor key, x, y, z, heading) this controller last wrote
    tracked_heading: tuple | None = None  # (cursor key, lane heading there) left by lane tracking
    located: tuple | None = None  # (x, y, z, cursor, lane state) after the last periodic relocate


class DefaultController:
    """Advances every non-external entity by ``dt``."""

    def __init__(self, table: EntityTable, road: RoadAdaptor | None) -> None:
        self.table = table
        self.road = road
        self.motions = [EntityMotion() for _ in range(len(table))]
        n = len(table)
        self._prev_speed = np.zeros(n)
        self._prev_heading = np.zeros(n)
        self.prefer: dict[int, set[str]] = {}
        self.legs: dict[int, tuple] = {}
        """Entity -> route legs that road-end successors miss (``RouteStore.legs``): such an entity
        moves by ``RoadAdaptor.advance`` (Python), every other one as before (compiled kernels)."""
        self._external: list[bool] = []
        self._still: list[bool] | None = None  # the states derive last saw (standstill, off road)
        self._off_road: list[bool] | None = None
        self._skip = np.zeros(0, dtype=np.bool_)
        self.batch_pose = None
        """Set by a batch (batch_motion): entity index -> the ``last_pose`` tuple it left."""

    def grow(self) -> None:
        """Follow the entity table's length (rows appended for spawned traffic)."""
        n = len(self.table)
        while len(self.motions) < n:
            self.motions.append(EntityMotion())
        if len(self._prev_speed) < n:
            extra = n - len(self._prev_speed)
            self._prev_speed = np.append(self._prev_speed, np.zeros(extra))
            self._prev_heading = np.append(self._prev_heading, np.zeros(extra))

    def place(self, i: int, pose) -> None:
        """Put entity ``i`` at a resolved pose (Teleport, AddEntity, initial positions)."""
        t = self.table
        t.x[i], t.y[i], t.z[i] = pose.x, pose.y, pose.z
        t.heading[i], t.pitch[i], t.roll[i] = pose.h, pose.p, pose.r
        m = self.motions[i]
        if pose.cursor is not None and self.road is not None:
            c = pose.cursor
            m.cursor = LaneCursor(c.road_id, c.lane_id, c.s, c.offset)
            # the entity follows its lane the way it faces (esmini: the heading relative to the
            # road's s axis decides): along the lane's driving direction, or against it where the
            # position was stated in road terms (see the module docstring for world poses)
            _, _, _, lane_h, _, _ = self.road.cursor_pose(m.cursor)
            turned = abs(wrap_angle(pose.h - lane_h))
            aligned = turned < math.pi / 2
            if m.mode != "external" and m.mode != "trajectory":
                m.mode = "lane" if aligned or pose.road_frame else "free"
                if not aligned and pose.road_frame:
                    m.cursor.reverse = True
                    turned = abs(wrap_angle(pose.h - lane_h - math.pi))
            self.update_lane(i)
            if m.mode == "lane" and turned > _TURNED:
                self.hold_pose(i)
        else:
            m.cursor = None
            if m.mode == "lane":
                m.mode = "free"
            t.set_lane(i, None, 0, 0.0, 0.0, 0.0)
        self._prev_heading[i] = pose.h

    def hold_pose(self, i: int) -> None:
        """Entity ``i`` in lane mode keeps its present pose while it stands (lane_step's
        standing-still check), instead of being snapped to its lane's heading by the first step.

        For an entity placed or handed back turned from its lane (an Orientation, e.g. the ALKS
        crossing pedestrian placed at h = 1.57 rad; a pedestrian whose crossing trajectory ended):
        a standing entity has no motion that would turn it.  Moving, it follows the lane."""
        m = self.motions[i]
        c = m.cursor
        if c is None:
            return
        t = self.table
        m.last_pose = ((c.road_id, c.lane_id, c.s, c.offset), t.x.item(i), t.y.item(i), t.z.item(i),
                       t.heading.item(i))

    def update_lane(self, i: int) -> None:
        m = self.motions[i]
        c = m.cursor
        if c is None or self.road is None:
            self.table.set_lane(i, None, 0, 0.0, 0.0, 0.0)
            return
        road_t = self.road.cursor_center_t(c) + c.offset
        self.table.set_lane(i, c.road_id, c.lane_id, c.s, c.offset, road_t)

    def relocate(self, i: int) -> None:
        """Global locate for an entity moved off-lane (free or trajectory motion)."""
        if self.road is None or self.road.net is None:
            return
        t = self.table
        lp = self.road.locate(float(t.x[i]), float(t.y[i]), float(t.z[i]))
        m = self.motions[i]
        if lp is None:
            m.cursor = None
            t.set_lane(i, None, 0, 0.0, 0.0, 0.0)
        else:
            m.cursor = LaneCursor(lp.road_id, lp.lane_id, lp.s, lp.offset)
            self.update_lane(i)

    def _lane_state(self, i: int) -> tuple:
        """What ``relocate`` writes: the cursor's fields and the table's lane columns."""
        t = self.table
        c = self.motions[i].cursor
        cur = (None, 0, 0.0, 0.0) if c is None else (c.road_id, c.lane_id, c.s, c.offset)
        return cur + (t.lane_road[i], t.lane_id.item(i), t.lane_s.item(i), t.lane_offset.item(i), t.road_t.item(i))

    def _relocate_if_moved(self, i: int) -> None:
        """The periodic relocate of a free entity, skipped when it stands exactly where the last
        one put it and nothing changed what that one wrote: ``locate`` is a function of the point,
        so it would write the same again (a waiting pedestrian costs a global search otherwise)."""
        t = self.table
        m = self.motions[i]
        point = (t.x.item(i), t.y.item(i), t.z.item(i))
        got = m.located
        if got is not None and got[1] is m.cursor and all(map(_same_value, point, got[0])) \
                and all(map(_same_value, self._lane_state(i), got[2])):
            return
        self.relocate(i)
        m.located = (point, m.cursor, self._lane_state(i))

    def step(self, dt: float, time: float, locate_every: int, step: int) -> None:
        t = self.table
        active, speed = t.active.tolist(), t.speed.tolist()  # list items: ~5x cheaper than ndarray items
        lane_step = self.lane_step
        pose = None  # the pose columns as lists, read once for the entities standing still
        for i, m in enumerate(self.motions):
            if not active[i]:
                continue
            mode = m.mode
            if mode == "external" or mode == "trajectory":
                continue
            if m.placed:
                m.placed = False
                continue
            v = speed[i]
            c = m.cursor
            if mode == "lane" and c is not None:
                ds = v * dt
                lp = m.last_pose
                if ds == 0.0 and m.lateral_rate == 0.0 and type(lp) is tuple:
                    # lane_step's standing-still check, on lists: a row is written by its own step
                    # only, so the columns read before the loop still hold row i's pose here
                    if pose is None:
                        pose = (t.x.tolist(), t.y.tolist(), t.z.tolist(), t.heading.tolist())
                    if lp[0] == (c.road_id, c.lane_id, c.s, c.offset) and lp[1] == pose[0][i] \
                            and lp[2] == pose[1][i] and lp[3] == pose[2][i] and lp[4] == pose[3][i]:
                        continue
                lane_step(i, m, v, ds, time)
            else:
                self.free_step(i, v * dt, locate_every, step)

    def lane_step(self, i: int, m: EntityMotion, v: float, ds: float, time: float) -> None:
        """One entity along its lane: ``ds`` metres along its own path (the lane centre at the cursor's
        offset; the cursor goes ds / ``LaneTable.path_scale`` along s, so on a curve an entity off the
        reference line moves at its logged speed), pose from the lane table."""
        t = self.table
        c = m.cursor
        if ds == 0.0 and m.lateral_rate == 0.0:
            # standing still where this controller left it: the pose is the one it wrote
            lp = m.last_pose
            if lp is not None and type(lp) is not tuple:  # left by a batch (batch_motion.BATCH_POSE)
                lp = self.batch_pose(i)
            if lp is not None and lp[0] == (c.road_id, c.lane_id, c.s, c.offset) and lp[1] == t.x[i] and lp[2] == t.y[i] \
                    and lp[3] == t.z[i] and lp[4] == t.heading[i]:
                return
        road = self.road
        tab = c.table
        if tab is None or tab.lane_id != c.lane_id or tab.road_id != c.road_id:
            tab = road.table(c)
        direction = tab.direction
        if c.reverse:  # travelling against the lane: along s the other way, facing that way
            direction = -direction
        legs = self.legs.get(i) if self.legs else None
        if direction and legs is None:  # the common case in one compiled call (lane_kernels: the same bits as below)
            got = lane_move(tab.packed(), tab.n, tab.ds, tab.inv_ds, tab.length, float(direction), float(c.s),
                            float(c.offset), ds, m.lateral_rate, v, WHEEL_RADIUS, i, t.x, t.y, t.z, t.heading,
                            t.pitch, t.roll, t.lane_s, t.lane_offset, t.road_t, t.lane_id, c.lane_id, t.odometer,
                            t.wheel_rot)
            if got[0]:
                if ds != 0.0:
                    c.s = got[1]
                    m.end_of_road = False
                    m.end_of_road_since = -1.0
                t.lane_road[i] = c.road_id
                m.last_pose = ((c.road_id, c.lane_id, c.s, c.offset), got[2], got[3], got[4], got[5])
                return
        if ds != 0.0:
            # RoadAdaptor.advance's first iteration (along_path), inlined: the cursor stays on its road
            s_new = c.s + direction * (ds / tab.path_scale(c.s, c.offset))
            if direction and 0.0 <= s_new <= tab.length and legs is None:
                c.s = s_new
                ok = True
            else:  # a road end, or a route leg that may end mid-road (a virtual junction's branch)
                ok = road.advance(c, ds, self.prefer.get(i), along_path=True, legs=legs)
                tab = road.table(c)
                direction = -tab.direction if c.reverse else tab.direction
            if not ok:
                m.end_of_road = True
                if m.end_of_road_since < 0:
                    m.end_of_road_since = time
            else:
                m.end_of_road = False
                m.end_of_road_since = -1.0
        got = tab.pose(c.s, c.offset) if tab.direction else None
        if got is None:
            x, y, z, h, p, r, road_t = road.cursor_pose_t(c)
        else:
            x, y, z, h, p, r, ct = got
            road_t = ct + c.offset
            if direction < 0:
                h, p, r = wrap_angle(h + math.pi), -p, -r
            else:
                h = wrap_angle(h)
        if m.lateral_rate != 0.0 and v != 0.0:
            h = wrap_angle(h + math.atan2(m.lateral_rate, abs(v)) * (1 if v > 0 else -1))
        t.x[i], t.y[i], t.z[i] = x, y, z
        t.heading[i], t.pitch[i], t.roll[i] = h, p, r
        t.set_lane(i, c.road_id, c.lane_id, c.s, c.offset, road_t)
        m.last_pose = ((c.road_id, c.lane_id, c.s, c.offset), x, y, z, h)
        # Python floats (``item``): the same IEEE results as numpy's scalar arithmetic, at half the cost
        t.odometer[i] = t.odometer.item(i) + abs(ds)
        t.wheel_rot[i] = (t.wheel_rot.item(i) + ds / WHEEL_RADIUS) % _TWO_PI

    def free_step(self, i: int, ds: float, locate_every: int, step: int) -> None:
        """One entity off the lanes: straight along its heading, re-located every ``locate_every`` steps."""
        t = self.table
        road = self.road
        h = float(t.heading[i])
        t.x[i] += ds * math.cos(h)
        t.y[i] += ds * math.sin(h)
        if road is not None and road.net is not None and step % locate_every == 0:
            self._relocate_if_moved(i)
        # Python floats (``item``): the same IEEE results as numpy's scalar arithmetic, at half the cost
        t.odometer[i] = t.odometer.item(i) + abs(ds)
        t.wheel_rot[i] = (t.wheel_rot.item(i) + ds / WHEEL_RADIUS) % _TWO_PI

    def remember(self) -> None:
        """Keep the current speeds and headings as the reference for ``derive``.

        Called at the start of every engine step, before the storyboard's actions
        run: a SpeedAction changes the speed itself, so the previous state must be
        taken before it does, or every action-driven acceleration reads as zero.
        Called once after Init too: Init sets speeds and headings instantaneously
        (OpenSCENARIO Init semantics), which is not an acceleration.
        """
        t = self.table
        prev_v, prev_h, speed, heading = self._prev_speed, self._prev_heading, t.speed, t.heading
        if len(prev_v) == len(speed):  # (always, but while a spawned row's growth is under way)
            np.copyto(prev_v, speed)
            np.copyto(prev_h, heading)
        else:
            np.copyto(prev_v, speed[: len(prev_v)])
            np.copyto(prev_h, heading[: len(prev_h)])

    def derive(self, dt: float, time: float) -> None:
        """Velocity, acceleration, yaw rate and wheel angle from this step's change.

        The standstill and off-road clocks per entity in Python (they live on the motions); the
        kinematics in one compiled pass over the columns (:mod:`derive_kernels`, the same bits as
        :func:`derive_kinematics_python`, the scalar loop it replaced).
        """
        t = self.table
        speed, lane_road, motions = t.speed.tolist(), t.lane_road, self.motions
        still = [abs(v) < 1e-4 for v in speed]
        off_road = [r is None for r in lane_road]
        if still != self._still or off_road != self._off_road:
            # a state began or ended somewhere (with the same states as at the last call, every clock
            # already holds what this loop would write: only derive and the batch's derive, which
            # writes the same, set them, and a grown table changes the lists' lengths)
            for i, m in enumerate(motions):
                if still[i]:
                    if m.standstill_since < 0:
                        m.standstill_since = time
                else:
                    m.standstill_since = -1.0
                if off_road[i]:
                    if m.offroad_since < 0:
                        m.offroad_since = time
                else:
                    m.offroad_since = -1.0
            if len(motions) == len(still):
                self._still, self._off_road = still, off_road
            else:  # rows appended, their motions not yet: look again next time
                self._still = self._off_road = None
        external = [m.mode == "external" for m in motions]
        if external != self._external:
            self._external = external
            self._skip = np.array(external, dtype=np.bool_)
        derive_kinematics(t.heading, t.speed, self._prev_heading, self._prev_speed, t.wheelbase, self._skip, dt,
                          t.yaw_rate, t.vx, t.vy, t.ax, t.ay, t.wheel_angle)


def derive_kinematics_python(heading, speed, prev_heading, prev_speed, wheelbase, skip, dt,
                             yaw_rate, vx, vy, ax, ay, wheel_angle) -> None:
    """The scalar formulation of ``derive_kernels.derive_kinematics`` (its reference in the tests):
    what ``derive`` did per entity before the kernel."""
    heading, speed = heading.tolist(), speed.tolist()
    prev_h, prev_v = prev_heading.tolist(), prev_speed.tolist()
    wheelbase = wheelbase.tolist()
    two_pi = 2 * math.pi
    cos, sin, atan = math.cos, math.sin, math.atan
    for i in range(len(skip)):
        if skip[i]:
            continue
        v = float(speed[i])
        h = float(heading[i])
        rate = ((h - prev_h[i] + math.pi) % two_pi - math.pi) / dt
        along = (v - prev_v[i]) / dt
        c, s = cos(h), sin(h)
        lateral = v * rate
        yaw_rate[i] = rate
        vx[i] = v * c
        vy[i] = v * s
        ax[i] = along * c - lateral * s
        ay[i] = along * s + lateral * c
        wheel_angle[i] = atan(wheelbase[i] * rate / v) if abs(v) > 0.1 else 0.0


def _same_value(a, b) -> bool:
    """Equal, and for floats to the sign of zero (0.0 and -0.0 compare equal but print apart)."""
    if type(a) is not type(b) or a != b:
        return False
    return type(a) is not float or a != 0.0 or math.copysign(1.0, a) == math.copysign(1.0, b)
