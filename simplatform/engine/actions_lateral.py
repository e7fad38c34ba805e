"""Lateral private actions and position-setting actions on the default controller.

LaneChangeAction: the lateral position blends from the source lane (current
offset) to the target lane's centre (+ targetLaneOffset) along the
TransitionDynamics shape, over time or distance; the entity's lane id
switches when its reference point crosses into the target lane.  The target
lane may run the other way (an overtake through the oncoming lane, esmini's
alks_cut-in.xosc car cutting from the oncoming lane into the Ego's): the entity
keeps travelling its way along s, now against its lane (``LaneCursor.reverse``),
as esmini's lane change does (it only moves the lane id; the way along the road
stays the heading's).  RelativeTargetLane counts ``value`` lanes to the left
(> 0) or right of the lane the reference entity is in, as that entity faces
(OpenSCENARIO 1.3 leaves the side to the entity's frame, "signed number of lanes
that is offset the reference entity's current lane"; the lane-relative position
types it sits beside measure "in the direction the reference entity is facing",
and esmini counts the same way: ``IsAngleForward(GetHRelative())``), over the
centre lane into the other direction's lanes where the count reaches them.
LaneOffsetAction: blends the offset to the target; the duration follows from
``maxLateralAcc`` for the shape (cubic: T = √(6Δ/a), sinusoidal:
T = π·√(Δ/(2a)), linear: bang-bang T = 2√(Δ/a)), as in esmini.
LateralDistanceAction: moves the offset so the lateral distance to the
reference entity reaches ``distance``, at most at the constraints' rates.
TeleportAction: places the actor at the resolved Position.
"""

from __future__ import annotations

import math

from simplatform.engine.actions_longitudinal import _PerActor
from simplatform.engine.dynamics import Transition
from simplatform.errors import ScenarioError


def _no_lane(el, actor: str) -> ScenarioError:
    src = el.source
    return ScenarioError(f"entity {actor!r} is not on a lane; a lateral action needs a lane",
                         file=src.file, line=src.line, element=src.element or type(el).__name__)


class _LaneRunner(_PerActor):
    """Base of the lateral actions on the default controller: they move the entity's lane cursor."""

    domains = ("lateral",)

    def _stack_driven(self) -> bool:
        """True (and recorded) when the stack under test drives the actor: its lateral motion is
        the stack's, so the action ends at once without moving it -- as a speed action on it
        does, whose speed the motion step does not apply to a stack-driven entity.  esmini's
        example files script their Ego's lane changes; run under a stack, those are the stack's
        to make (without a stack the file plays as scripted)."""
        if self.engine.controller.motions[self.i].mode != "external":
            return False
        self.engine.record(type(self.el).__name__, self.actor, "not applied: driven by the stack under test")
        return True

    def _lane_motion(self):
        """The actor's motion state; a lateral action needs the actor on a lane (lane mode)."""
        m = self.engine.controller.motions[self.i]
        if m.cursor is None or m.mode != "lane":
            raise _no_lane(self.el, self.actor)
        return m


def _facing(eng, i: int) -> int:
    """+1 when entity ``i`` goes (faces) along increasing s of its road, -1 against it: its lane
    cursor's direction of travel when the default controller moves it along a lane, else its heading's."""
    t = eng.table
    m = eng.controller.motions[i]
    c = m.cursor
    if m.mode == "lane" and c is not None and c.road_id == t.lane_road[i]:
        return eng.road.travel(c)
    return eng.road.sense(t.lane_road[i], int(t.lane_id[i]), float(t.lane_s[i]), float(t.heading[i]))


class LaneChangeRunner(_LaneRunner):
    def start(self) -> bool:
        if self._stack_driven():
            return True
        eng, el = self.engine, self.el
        c = self._lane_motion().cursor
        target = el.lane_change_target.choice
        road = eng.road
        if type(target).__name__ == "RelativeTargetLane":
            ref = eng.entity_index(target.entity_ref, target)
            ref_road, ref_lane = eng.table.lane_road[ref], int(eng.table.lane_id[ref])
            if ref_road is None:
                raise _no_lane(el, target.entity_ref)
            steps = int(target.value)
            ref_s = float(eng.table.lane_s[ref])
            facing = _facing(eng, ref)
            dst = ref_lane if not steps else None
            if steps and facing == road.direction(ref_road, ref_lane):
                dst = road.neighbour(ref_road, ref_lane, ref_s, steps)  # among the lanes of its direction
            if dst is None and steps:  # on across the centre lane, or counted as a wrong-way reference faces
                dst = road.lane_across(ref_road, ref_lane, ref_s, steps * facing)
            if dst is None:
                raise ScenarioError(
                    f"lane change of {self.actor!r}: there is no drivable lane {steps:+d} from lane {ref_lane} of "
                    f"{target.entity_ref!r} on road {ref_road}, counted to the {'left' if steps > 0 else 'right'} "
                    f"of the way {target.entity_ref!r} faces (a shoulder, stop or border lane on the way is not "
                    "one -- ASAM's Overtaker.xosc)",
                    file=el.source.file, line=el.source.line, element="RelativeTargetLane")
        else:
            dst = int(target.value)
        if dst not in road.net.lane_ids(c.road_id, c.s) or dst == 0:
            raise ScenarioError(f"lane change of {self.actor!r}: no target lane from lane {c.lane_id} on road {c.road_id}",
                                file=el.source.file, line=el.source.line, element="LaneChangeAction")
        direction = road.direction(c.road_id, c.lane_id)
        # within one driving direction: lanes counted on the driver's side (RoadAdaptor.neighbour, as
        # always); into the other direction: counted on the road's t axis (RoadAdaptor.lane_across)
        self.one_way = dst == c.lane_id or road.direction(c.road_id, dst) == direction
        self.steps = (dst - c.lane_id) * direction
        self.t_steps = dst - c.lane_id - ((1 if dst > 0 else -1) if (dst > 0) != (c.lane_id > 0) else 0)
        self.dst = dst
        self.src = c.lane_id
        self.target_offset = float(el.target_lane_offset or 0.0)
        self.t_start = road.lane_center_t(c.road_id, c.lane_id, c.s) + c.offset
        dyn = el.lane_change_action_dynamics
        dim = str(dyn.dynamics_dimension)
        t_dst = road.lane_center_t(c.road_id, dst, c.s) + self.target_offset
        if dim == "rate":  # lateral speed
            self.transition = Transition.create(str(dyn.dynamics_shape), "rate", dyn.value, self.t_start, t_dst)
        else:
            self.transition = Transition.create(str(dyn.dynamics_shape), dim, dyn.value, 0.0, 1.0)
        self.fraction_only = dim != "rate"
        self.progress = 0.0
        self._last: tuple[float, float] | None = None  # (progress, transition value there)
        self.odo0 = float(eng.table.odometer[self.i])
        self.frame = (c.road_id, road.travel(c))
        if self.transition.extent <= 0:
            self._apply(1.0)
            return True
        return False

    def _follow_road_frame(self) -> None:
        """Keep the change's start and target in the frame of the road the cursor is on.

        They are road t values of the road the change began on; a road entered the other way round
        (a successor joined end to end, ``travel`` turned) has its t axis and lane ids mirrored.  They
        were used unchanged there, and esmini's test_action_dynamics.xosc (straight_2x100m_opposite:
        a lane change over the joint) jumped 1.1 m sideways at the joint; now the entity goes on
        to the same side of the road, as esmini's does."""
        c = self.engine.controller.motions[self.i].cursor
        travel = self.engine.road.travel(c)
        if c.road_id == self.frame[0] or travel == self.frame[1]:
            self.frame = (c.road_id, travel)
            return
        self.frame = (c.road_id, travel)
        self.t_start, self.target_offset = -self.t_start, -self.target_offset
        self.src, self.dst, self.t_steps = -self.src, -self.dst, -self.t_steps
        if not self.fraction_only:  # a rate transition runs in t itself
            tr = self.transition
            self.transition = type(tr)(tr.shape, tr.dimension, -tr.start, -tr.target, tr.extent)
            if self._last is not None:
                self._last = (self._last[0], -self._last[1])

    def _apply(self, f: float, centre: dict[int, float] | None = None) -> None:
        """Put the cursor at fraction ``f`` of the way; ``centre``: lane centre t at the cursor's
        s already asked for this step (by lane id; the cursor's road and s do not change here)."""
        eng = self.engine
        m = eng.controller.motions[self.i]
        c = m.cursor
        road = eng.road
        if self.one_way:
            if c.lane_id == self.dst:
                dst = c.lane_id
                src = road.neighbour(c.road_id, dst, c.s, -self.steps) or self.src
            else:
                src = c.lane_id
                dst = road.neighbour(c.road_id, src, c.s, self.steps) or self.dst
        elif c.lane_id == self.dst:
            dst = c.lane_id
            src = road.lane_across(c.road_id, dst, c.s, -self.t_steps) or self.src
        else:
            src = c.lane_id
            dst = road.lane_across(c.road_id, src, c.s, self.t_steps) or self.dst
        self.src, self.dst = src, dst
        centre = {} if centre is None else centre
        ct_src = centre.get(src)
        if ct_src is None:
            ct_src = centre[src] = road.lane_center_t(c.road_id, src, c.s)
        ct_dst = centre.get(dst)
        if ct_dst is None:
            ct_dst = centre[dst] = road.lane_center_t(c.road_id, dst, c.s)
        t_dst = ct_dst + self.target_offset
        t_abs = self.t_start + (t_dst - self.t_start) * f
        lane = dst if abs(t_abs - t_dst) <= abs(t_abs - ct_src) else src
        if self.one_way:
            c.lane_id = lane
        else:  # into the other direction: the entity keeps its way along s (LaneCursor.reverse)
            road.switch_lane(c, lane)
        c.offset = t_abs - (ct_dst if lane == dst else ct_src)

    def step(self, dt: float) -> bool:
        eng = self.engine
        t = eng.table
        m = eng.controller.motions[self.i]
        tr = self.transition
        prev_p = self.progress
        self._follow_road_frame()
        tr = self.transition
        if tr.dimension == "distance":
            self.progress = float(t.odometer[self.i]) - self.odo0 + abs(float(t.speed[self.i])) * dt
        else:
            self.progress += dt
        # the value at the previous progress is the one computed last step (same argument, same value)
        before = self._last if self._last is not None and self._last[0] == prev_p else (prev_p, tr.value_at(prev_p))
        now = tr.value_at(self.progress)
        self._last = (self.progress, now)
        if self.fraction_only:
            f = now
            df = f - before[1]
        else:
            span = tr.target - tr.start
            f = (now - tr.start) / span if span else 1.0
            df = (now - before[1]) / span if span else 0.0
        c = m.cursor
        ct_dst = eng.road.lane_center_t(c.road_id, self.dst, c.s)
        t_dst = ct_dst + self.target_offset
        # lateral_rate is to the driver's left: the t axis turned by the entity's way along s
        dlat = (t_dst - self.t_start) * df * eng.road.travel(c)
        m.lateral_rate = dlat / dt
        self._apply(f, {self.dst: ct_dst})
        if tr.done(self.progress):
            m.lateral_rate = 0.0
            return True
        return False

    def stop(self) -> None:
        self.engine.controller.motions[self.i].lateral_rate = 0.0


def _offset_duration(shape: str, delta: float, max_acc: float) -> float:
    delta = abs(delta)
    if delta == 0 or shape == "step":
        return 0.0
    if shape == "cubic":
        return math.sqrt(6 * delta / max_acc)
    if shape == "sinusoidal":
        return math.pi * math.sqrt(delta / (2 * max_acc))
    return 2 * math.sqrt(delta / max_acc)


class LaneOffsetRunner(_LaneRunner):
    """LaneOffsetAction.  After the transition a ``continuous`` action keeps the offset on its target
    (a relative target follows its reference entity) within ``maxLateralAcc``: the offset rate may
    change by at most a·dt a step and approaches the target no faster than it can stop on it, √(2a·|error|)
    on it (bang-bang, the time-optimal motion under that bound; a ``step`` shape follows at once).
    Before session 11 the offset was set to the target every step, so a target that moved jumped the
    entity sideways with no limit: CARLA ScenarioRunner's LaneOffsetActionExample, whose adversary
    keeps 2 m from its own offset, was 1,438 m off its lane after 10 s.  A target relative to the
    actor itself is sampled once, at the start (its offset then, plus ``value``): re-read each step it
    would run away from itself, which no author means (esmini samples every relative target once)."""

    def start(self) -> bool:
        if self._stack_driven():
            return True
        eng, el = self.engine, self.el
        m = self._lane_motion()
        self.continuous = bool(el.continuous)
        o0 = m.cursor.offset
        dyn = el.lane_offset_action_dynamics
        acc = dyn.max_lateral_acc or 0.5
        self.max_acc = float(acc)
        self.rate = 0.0  # the offset's rate while a continuous action tracks its target
        self.fixed_target: float | None = None
        target = self._target()
        target_el = el.lane_offset_target.choice
        if type(target_el).__name__ != "AbsoluteTargetLaneOffset" and eng.entity_index(target_el.entity_ref) == self.i:
            self.fixed_target = target
        self.shape = str(dyn.dynamics_shape)
        self.transition = Transition.create(self.shape, "time", _offset_duration(self.shape, target - o0, acc), o0, target)
        self.progress = 0.0
        if self.transition.extent <= 0:
            m.cursor.offset = target
            return not self.continuous
        return False

    def _target(self) -> float:
        if getattr(self, "fixed_target", None) is not None:
            return self.fixed_target
        el = self.el.lane_offset_target.choice
        if type(el).__name__ == "AbsoluteTargetLaneOffset":
            return float(el.value)
        ref = self.engine.entity_index(el.entity_ref, el)
        return float(self.engine.table.lane_offset[ref]) + float(el.value)

    def _track(self, offset: float, dt: float) -> float:
        """The next offset on the way to the (maybe moving) target, within ``max_acc`` (class doc)."""
        target = self._target()
        if self.shape == "step":
            self.rate = 0.0
            return target
        err = target - offset
        a = self.max_acc
        # the fastest rate r from which steps slowing by a·dt still stop on the target: r·dt now and the
        # stopping run after it cover r²/(2a) + r·dt/2 <= |err| (the discrete form of √(2a·|err|))
        half = 0.5 * a * dt
        wanted = math.copysign(math.sqrt(half * half + 2.0 * a * abs(err)) - half, err)
        rate = self.rate + max(-a * dt, min(a * dt, wanted - self.rate))
        if abs(err) <= abs(rate) * dt:  # this step reaches it
            self.rate = 0.0
            return target
        self.rate = rate
        return offset + rate * dt

    def step(self, dt: float) -> bool:
        m = self.engine.controller.motions[self.i]
        tr = self.transition
        before = m.cursor.offset
        d = self.engine.road.travel(m.cursor)  # to the driver's left, as the entity goes along s
        if tr.done(self.progress):  # a continuous action past its transition: tracking
            m.cursor.offset = self._track(before, dt)
            m.lateral_rate = (m.cursor.offset - before) / dt * d
            return False
        self.progress += dt
        m.cursor.offset = tr.value_at(self.progress)
        m.lateral_rate = (m.cursor.offset - before) / dt * d
        if tr.done(self.progress):
            m.lateral_rate = 0.0
            if self.continuous:
                m.cursor.offset = self._track(m.cursor.offset, dt)
                return False
            return True
        return False

    def stop(self) -> None:
        self.engine.controller.motions[self.i].lateral_rate = 0.0


class LateralDistanceRunner(_LaneRunner):
    def start(self) -> bool:
        if self._stack_driven():
            return True
        eng, el = self.engine, self.el
        self._lane_motion()
        self.ref = eng.entity_index(el.entity_ref, el)
        dc = el.dynamic_constraints
        self.max_rate = (dc.max_speed if dc and dc.max_speed else None)
        return False

    def _lateral(self) -> float:
        """Lateral distance of the actor from the reference, positive when the actor is to its left.

        Measured across the road (the difference of the reference points' t) when both stand on
        the same road: in the actor's own frame the distance would swing with the yaw the lateral
        motion itself causes (atan(v_lat / v)), a feedback the action must not see.  Elsewhere the
        entity frame is used."""
        from simplatform.engine.measure import _road_delta, relative_distance

        eng, el, t = self.engine, self.el, self.engine.table
        if t.lane_road[self.i] is not None and t.lane_road[self.i] == t.lane_road[self.ref]:
            d = -_road_delta(eng, self.i, self.ref)[1]
            if el.freespace:
                half = 0.5 * (float(t.width[self.i]) + float(t.width[self.ref]))
                d = math.copysign(max(abs(d) - half, 0.0), d)
            return d
        return -relative_distance(eng, self.i, self.ref, "lateral", el.freespace, el.coordinate_system)

    def step(self, dt: float) -> bool:
        eng, el = self.engine, self.el
        m = eng.controller.motions[self.i]
        d = self._lateral()
        disp = str(el.displacement) if el.displacement is not None else "any"
        want = float(el.distance or 0.0)
        if disp == "rightToReferencedEntity" or (disp == "any" and d < 0):
            want = -want
        err = want - d
        step = err if self.max_rate is None else max(-self.max_rate * dt, min(self.max_rate * dt, err))
        direction = eng.road.direction(m.cursor.road_id, m.cursor.lane_id)  # the frame of _lateral (measure)
        m.cursor.offset += step * direction
        m.lateral_rate = step / dt
        if m.cursor.reverse:  # _lateral's left is the lane's; the yaw wants the driver's, who faces the other way
            m.lateral_rate = -m.lateral_rate
        if abs(err) < 1e-3 and not el.continuous:
            m.lateral_rate = 0.0
            return True
        return False


class TeleportRunner(_PerActor):
    domains = ()

    def start(self) -> bool:
        pose = self.engine.positions.resolve(self.el.position, self.actor)
        self.engine.controller.place(self.i, pose)
        return True
