"""FollowTrajectoryAction: an entity placed on, or driven along, a trajectory.

Polyline vertices (positions resolved at start); with ``Timing`` and shape times the pose is
interpolated in time (trajectory time = scale · (t − t_ref) + offset, t_ref the action start when
relative), otherwise the actor moves along at its current speed.  With
``TrajectoryFollowingMode@followingMode="follow"`` the actor is not placed on the path but driven
along it (trajectory.PurePursuitFollower: steering towards a look-ahead point within its steering
and friction limits; with Timing its speed tracks the timed reference point within its
Performance).  ``initialDistanceOffset`` starts the entity that far along the path, and a timed
path's clock at the time it reaches that point.  An entity that no Init action places starts on
its Init trajectory in either mode.  At a timed path's end (position mode) the entity is handed
on at the pace of the path's last interval that takes time, as esmini does.  The trajectory's
geometry lives in trajectory.py; this module is the action's life over time: start, step, hand
the entity back.
"""

from __future__ import annotations

import math
from dataclasses import replace

from simplatform.engine.action_errors import action_error
from simplatform.engine.actions_longitudinal import _PerActor
from simplatform.engine.road import wrap_angle


class FollowTrajectoryRunner(_PerActor):
    domains = ("longitudinal", "lateral")
    time_shift = 0.0
    """Trajectory time of the initial distance offset, from the path's first time stamp (Timing)."""

    def __init__(self, engine, actor: str, el) -> None:
        super().__init__(engine, actor, el)
        # ASAM OpenSCENARIO 1.3 §6.9 ("Trajectories") and Annex A: a trajectory followed without its
        # time dimension (TimeReference/None) "does not specify the speed along the path. This approach
        # allows for the separate control of speed" -- it takes the lateral domain only, so a SpeedAction
        # started beside it (esmini's pedestrian.xosc: walk speed and walk path in one event) keeps
        # driving the entity along the path instead of being replaced by it.
        tr = el.time_reference
        if tr is None or tr.timing is None:
            self.domains = ("lateral",)

    def start(self) -> bool:
        from simplatform.engine.trajectory import build_trajectory

        el = self.el
        traj = el.trajectory or (el.trajectory_ref.trajectory if el.trajectory_ref else None)
        if traj is None:
            ref = el.catalog_reference or (el.trajectory_ref.catalog_reference if el.trajectory_ref else None)
            traj = getattr(ref, "resolved", None)
        if traj is None:
            raise action_error(el, "FollowTrajectoryAction without a trajectory")
        self.path = build_trajectory(traj, self.engine.positions, self.actor)
        timing = el.time_reference.timing if el.time_reference is not None else None
        self.timing = timing if (timing is not None and self.path.times is not None) else None
        self.step0 = self.engine.step_index
        self.s = float(el.initial_distance_offset or 0.0)
        # Reversing (esmini issue #389, as esmini resolved it): an untimed path started at a negative
        # speed is driven tail first -- the entity moves along it by |v| per second and faces against
        # the path's direction.  It was held at the path's start (s += v dt < 0) until max_time
        # (ASAM's TrailerConnect.xosc backs a car onto its trailer along a clothoid at -4 m/s).
        self.reverse = self.timing is None and float(self.engine.table.speed[self.i]) < 0.0
        m = self.engine.controller.motions[self.i]
        self.prev_mode = m.mode
        m.mode = "trajectory"
        if self.timing is not None and self.s > 0.0:
            # OpenSCENARIO 1.3, FollowTrajectoryAction@initialDistanceOffset: the trajectory is
            # "logically truncated" to start at the offset, and "the time that would be taken to
            # reach this point is deducted from all calculated waypoint time values" -- the path's
            # clock starts that much ahead (esmini: time = GetTimeAtS(offset)).  It started at the
            # path's beginning: ASAM's CloseVehicleCrossing.xosc jumped A1, placed at s = 10 of its
            # trajectory and following it from initialDistanceOffset = 10, back 10 m.
            self.time_shift = self.path.time_at_s(self.s) - float(self.path.times[0])
        mode = el.trajectory_following_mode
        self.follower = None
        # An entity that nothing in Init has placed and whose Init follows a trajectory starts
        # where the trajectory starts -- at initialDistanceOffset along it, facing along it -- in
        # either following mode: the standard's truncated trajectory "starts at that distance
        # offset", and esmini puts the entity there in every mode.  Follow mode otherwise keeps the
        # entity's own pose; an unplaced one had none but the table's origin and drove from (0, 0).
        # A reversing entity (untimed, negative speed) is moved along the path as in position mode in
        # either mode: the pure-pursuit follower drives forwards only, and esmini's
        # follow_trajectory_reverse.xosc (follow mode, -22 m/s) turned round and left the road.
        follow = mode is not None and str(mode.following_mode) == "follow" and not self.reverse
        if self.actor in self.engine.unplaced:
            self._start_on_path()
        elif not follow:
            self._place(self.s)
        if follow:
            self.follower = self._follower()
        return False

    def _start_on_path(self) -> None:
        """Place the entity at the path's start (its initial offset) and locate it on the road."""
        self._place(self.s)
        self.engine.unplaced.discard(self.actor)
        self.engine.controller.relocate(self.i)

    def _follower(self):
        """Follow mode: the entity keeps its pose and is driven onto the path (trajectory.py); one
        that Init has not placed starts on it (``_start_on_path``)."""
        from simplatform.engine.trajectory import GRAVITY, NOMINAL_ROAD_FRICTION, FollowLimits, PurePursuitFollower

        t, eng = self.engine.table, self.engine
        axle = t.specs[self.i].front_axle
        friction = self.friction = float(eng.environment.get("road_friction", 1.0))
        limits = FollowLimits(
            wheelbase=float(t.wheelbase[self.i]), max_steering=axle[0] if axle is not None and axle[0] > 0 else None,
            max_speed=float(t.max_speed[self.i]), max_acceleration=float(t.max_acceleration[self.i]),
            max_deceleration=float(t.max_deceleration[self.i]),
            max_lateral_acceleration=NOMINAL_ROAD_FRICTION * friction * GRAVITY)
        return PurePursuitFollower(self.path, limits, self.s)

    def _local(self, ahead: int) -> float:
        """Trajectory time ``ahead`` steps after the present step's start (Timing: scale times the time
        since the reference, plus offset; esmini's reading of Timing).

        The reference is t = 0 for "absolute" and the action's start for "relative".  The relative
        time is counted in steps, (steps since the start) x dt: the difference of the two simulation
        times rounds (from a start at 25.86 s, 33.05 + 0.01 - 25.86 = 7.199999999999996), so the
        step that reaches a last time stamp on the step grid fell short of it, held the entity
        7e-15 m before the end, and the next one ended the path having moved that far: the entity
        was handed on at 7e-13 m/s instead of its pace (ALKS 4.2_3's crossing pedestrian, which
        its lane following then turned to the lane's direction).  An integer times dt is the
        correctly rounded product, never below a stamp written in decimals on the grid (fl(dt) >= dt
        for 0.01, 0.02, 0.05, 0.1).  "absolute" keeps time + dt: the library's trajectories are
        timed so, and their results stay bit for bit."""
        tm, eng = self.timing, self.engine
        if str(tm.domain_absolute_relative) == "relative":
            elapsed = (eng.step_index + ahead - self.step0) * eng.dt
        else:
            elapsed = eng.time + ahead * eng.dt
        return elapsed * (tm.scale if tm.scale else 1.0) + tm.offset + self.time_shift

    def _reference(self, ahead: int) -> float:
        """Arc length of the timed reference point ``ahead`` steps on (follow mode, with Timing)."""
        return self.path.s_at_time_extended(self._local(ahead))

    def _follow_step(self, dt: float) -> bool:
        t, f, i = self.engine.table, self.follower, self.i
        friction = float(self.engine.environment_state.values(self.engine.time).get("road_friction", 1.0))
        if friction != self.friction:  # an EnvironmentAction changed the road's grip
            from simplatform.engine.trajectory import GRAVITY, NOMINAL_ROAD_FRICTION

            self.friction = friction
            f.limits = replace(f.limits, max_lateral_acceleration=NOMINAL_ROAD_FRICTION * friction * GRAVITY)
        v = float(t.speed[i])
        if self.timing is not None:
            ref_now, ref_next = self._reference(0), self._reference(1)
            v = f.speed_demand(v, ref_now, (ref_next - ref_now) / dt, dt)
            t.speed[i] = v
        x0, y0 = float(t.x[i]), float(t.y[i])
        x, y, h = f.step(x0, y0, float(t.heading[i]), v, dt)
        t.x[i], t.y[i], t.heading[i] = x, y, wrap_angle(h)
        z = self.path.pose_at(f.progress)[2]
        if z is not None:
            t.z[i] = z
        t.odometer[i] += math.hypot(x - x0, y - y0)
        self.engine.controller.relocate(i)
        # as in position mode, a timed path ends at its last time stamp: a trailing hold keeps the
        # follower (its speed demand falls to the hold's zero pace) until then
        if f.finished and (self.timing is None or self._local(1) >= float(self.path.times[-1])):
            self._release()
            self.engine.controller.motions[i].placed = True
            return True
        return False

    def _place(self, s: float) -> None:
        t = self.engine.table
        x, y, z, h = self.path.pose_at(s)
        if self.reverse:
            h = wrap_angle(h + math.pi)
        t.x[self.i], t.y[self.i], t.heading[self.i] = x, y, h
        if z is not None:
            t.z[self.i] = z

    def step(self, dt: float) -> bool:
        if self.follower is not None:
            return self._follow_step(dt)
        t = self.engine.table
        held = False
        if self.timing is not None:
            local = self._local(1)
            s = self.path.s_at_time(local)
            t.speed[self.i] = max((s - self.s) / dt, 0.0)
            # A timed path's end is its last time stamp: vertices that repeat the last position at
            # later times (bicycle_fall_over.xosc: s = 130 at 3.5 s and at 4 s) hold the entity there.
            held = local < float(self.path.times[-1])
        elif self.reverse:
            # facing against the path: a negative speed moves the entity along it, a positive one
            # (after a SpeedAction through zero) back towards its start, as esmini does
            s = max(self.s - float(t.speed[self.i]) * dt, 0.0)
        else:
            s = self.s + float(t.speed[self.i]) * dt
        s = min(s, self.path.length)
        t.odometer[self.i] += abs(s - self.s)
        self.s = s
        self._place(self.s)
        self.engine.controller.relocate(self.i)
        back_at_start = self.reverse and self.s <= 0.0 and float(t.speed[self.i]) > 0.0
        if (self.s >= self.path.length - 1e-9 and not held) or back_at_start:
            if self.timing is not None:
                t.speed[self.i] = self._end_speed()
            self._release()
            # the pose of this step is the trajectory's end: the default controller moves it from the next step
            self.engine.controller.motions[self.i].placed = True
            return True
        return False

    def _end_speed(self) -> float:
        """The speed a timed path hands its entity on with: the pace of its last interval that takes
        time (SampledPath.end_pace, 0 after a trailing hold) times Timing@scale, the rate of
        trajectory time per second.  Not the average of the step that ended the path: a last stamp
        that falls inside a step leaves only part of that step to move, and the entity was handed
        on at a fraction of its pace (the urban zebra walkers at 0.56 m/s instead of 1.11)."""
        tm = self.timing
        return self.path.end_pace() * (tm.scale if tm.scale else 1.0)

    def _release(self) -> None:
        """Hand the entity back: to the stack, to lane following, or to free motion.

        Lane following moves an entity in its lane's driving direction.  A trajectory that ends
        facing against that direction -- esmini's lane-change-by-clothoid example crosses into
        the oncoming lane and ends heading the way it came -- would be turned round by it, so
        such an entity drives on along its heading instead (esmini keeps its heading too).
        "Against" is the quadrant around the reverse direction (more than 135 degrees off): an
        entity ending across its lane (a pedestrian at a crossing) keeps lane following.

        The pose the trajectory left is the lane controller's own (``hold_pose``): an entity that
        stands from here on -- a timed path that ends in a hold, a walker that stops at its end --
        keeps it, heading included, as an entity placed turned from its lane does; lane following
        recomputed the pose from the lane at the first step and turned a pedestrian that had
        crossed to the lane's direction where it stood.  Moving, it follows its lane."""
        m = self.engine.controller.motions[self.i]
        if self.prev_mode == "external":
            m.mode = "external"
        elif m.cursor is not None and not self._faces_against_lane(m.cursor):
            m.mode = "lane"
            self.engine.controller.hold_pose(self.i)
        else:
            m.mode = "free"

    def _faces_against_lane(self, cursor) -> bool:
        road = self.engine.road
        if road is None or road.net is None:
            return False
        lane_h = road.cursor_pose(cursor)[3]
        return abs(wrap_angle(float(self.engine.table.heading[self.i]) - lane_h)) > 0.75 * math.pi

    def stop(self) -> None:
        self._release()
