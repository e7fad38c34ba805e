"""Synchronize, routing, trajectory, controller, appearance and global actions.

SynchronizeAction (§7.x): the actor's speed is set each step so that it
reaches its TargetPosition when the master reaches TargetPositionMaster,
ending at FinalSpeed if given (average-speed rule: with a linear final ramp
v = 2·d/T − v_final), bounded by the actor's Performance.
FollowTrajectoryAction: polyline vertices (positions resolved at start);
with ``Timing`` and shape times the pose is interpolated in time (trajectory
time = scale · (t − t_ref) + offset, t_ref the action start when relative),
otherwise the actor moves along at its current speed.  With
``TrajectoryFollowingMode@followingMode="follow"`` the actor is not placed on the
path but driven along it (trajectory.PurePursuitFollower: steering towards a
look-ahead point within its steering and friction limits; with Timing its
speed tracks the timed reference point within its Performance).  Global
actions change the engine's stores: parameters, variables, environment,
signals, entity activity, user values.
"""

from __future__ import annotations

import math
from dataclasses import replace

from simplatform.engine.actions_longitudinal import _PerActor
from simplatform.engine.road import wrap_angle
from simplatform.errors import ScenarioError


def _err(el, cause: str) -> ScenarioError:
    s = el.source
    return ScenarioError(cause, file=s.file, line=s.line, element=s.element or type(el).__name__)


class SynchronizeRunner(_PerActor):
    def start(self) -> bool:
        self.master = self.engine.entity_index(self.el.master_entity_ref, self.el)
        self.target = self.engine.positions.resolve(self.el.target_position, self.actor)
        self.target_m = self.engine.positions.resolve(self.el.target_position_master, self.el.master_entity_ref)
        fs = self.el.final_speed
        self.final = None
        if fs is not None and fs.absolute_speed is not None:
            self.final = float(fs.absolute_speed.value)
        elif fs is not None and fs.relative_speed_to_master is not None:
            self.rel = fs.relative_speed_to_master
            self.final = "relative"
        return False

    def _final(self) -> float | None:
        if self.final == "relative":
            vm = float(self.engine.table.speed[self.master])
            r = self.rel
            return vm * r.value if str(r.speed_target_value_type) == "factor" else vm + r.value
        return self.final

    def step(self, dt: float) -> bool:
        t = self.engine.table
        dm = math.hypot(self.target_m.x - t.x[self.master], self.target_m.y - t.y[self.master])
        da = math.hypot(self.target.x - t.x[self.i], self.target.y - t.y[self.i])
        vm = float(t.speed[self.master])
        tol_m = self.el.target_tolerance_master if self.el.target_tolerance_master is not None else 1.0
        final = self._final()
        if dm <= max(tol_m, vm * dt):
            if final is not None:
                t.speed[self.i] = final
            return True
        if vm <= 1e-6:
            return False
        time_left = dm / vm
        v = 2 * da / time_left - final if final is not None else da / time_left
        v = min(max(v, 0.0), float(t.max_speed[self.i]))
        v0 = float(t.speed[self.i])
        dv = max(-t.max_deceleration[self.i] * dt, min(t.max_acceleration[self.i] * dt, v - v0))
        t.speed[self.i] = v0 + dv
        return False


class FollowTrajectoryRunner(_PerActor):
    domains = ("longitudinal", "lateral")

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
            raise _err(el, "FollowTrajectoryAction without a trajectory")
        self.path = build_trajectory(traj, self.engine.positions, self.actor)
        timing = el.time_reference.timing if el.time_reference is not None else None
        self.timing = timing if (timing is not None and self.path.times is not None) else None
        self.t0 = self.engine.time
        self.s = float(el.initial_distance_offset or 0.0)
        # Reversing (esmini issue #389, as esmini resolved it): an untimed path started at a negative
        # speed is driven tail first -- the entity moves along it by |v| per second and faces against
        # the path's direction.  It was held at the path's start (s += v dt < 0) until max_time
        # (ASAM's TrailerConnect.xosc backs a car onto its trailer along a clothoid at -4 m/s).
        self.reverse = self.timing is None and float(self.engine.table.speed[self.i]) < 0.0
        m = self.engine.controller.motions[self.i]
        self.prev_mode = m.mode
        m.mode = "trajectory"
        mode = el.trajectory_following_mode
        self.follower = None
        if mode is not None and str(mode.following_mode) == "follow":
            self.follower = self._follower()
            return False
        self._place(self.s)
        return False

    def _follower(self):
        """Follow mode: the entity keeps its pose and is driven onto the path (trajectory.py)."""
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

    def _local(self, time: float) -> float:
        """Trajectory time at simulation ``time`` (Timing: scale times the time since the reference, plus offset)."""
        tm = self.timing
        base = self.t0 if str(tm.domain_absolute_relative) == "relative" else 0.0
        return (time - base) * (tm.scale if tm.scale else 1.0) + tm.offset

    def _reference(self, time: float) -> float:
        """Arc length of the timed reference point at simulation ``time`` (follow mode, with Timing)."""
        return self.path.s_at_time_extended(self._local(time))

    def _follow_step(self, dt: float) -> bool:
        t, f, i = self.engine.table, self.follower, self.i
        friction = float(self.engine.environment_state.values(self.engine.time).get("road_friction", 1.0))
        if friction != self.friction:  # an EnvironmentAction changed the road's grip
            from simplatform.engine.trajectory import GRAVITY, NOMINAL_ROAD_FRICTION

            self.friction = friction
            f.limits = replace(f.limits, max_lateral_acceleration=NOMINAL_ROAD_FRICTION * friction * GRAVITY)
        v = float(t.speed[i])
        if self.timing is not None:
            now = self.engine.time
            ref_now, ref_next = self._reference(now), self._reference(now + dt)
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
        if f.finished and (self.timing is None or self._local(self.engine.time + dt) >= float(self.path.times[-1])):
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
            now = self.engine.time + dt
            tm = self.timing
            # trajectory time = scale · (simulation time since the reference) + offset (esmini's reading
            # of Timing; the reference is the action's start for "relative", t = 0 for "absolute")
            base = self.t0 if str(tm.domain_absolute_relative) == "relative" else 0.0
            local = (now - base) * (tm.scale if tm.scale else 1.0) + tm.offset
            s = self.path.s_at_time(local)
            t.speed[self.i] = max((s - self.s) / dt, 0.0)
            # A timed path's end is its last time stamp: vertices that repeat the last position at
            # later times (bicycle_fall_over.xosc: s = 130 at 3.5 s and at 4 s) hold the entity there.
            held = local < float(self.path.times[-1])
        elif self.reverse:
            s = self.s + abs(float(t.speed[self.i])) * dt
        else:
            s = self.s + float(t.speed[self.i]) * dt
        s = min(s, self.path.length)
        t.odometer[self.i] += abs(s - self.s)
        self.s = s
        self._place(self.s)
        self.engine.controller.relocate(self.i)
        if self.s >= self.path.length - 1e-9 and not held:
            self._release()
            # the pose of this step is the trajectory's end: the default controller moves it from the next step
            self.engine.controller.motions[self.i].placed = True
            return True
        return False

    def _release(self) -> None:
        """Hand the entity back: to the stack, to lane following, or to free motion.

        Lane following moves an entity in its lane's driving direction.  A trajectory that ends
        facing against that direction -- esmini's lane-change-by-clothoid example crosses into
        the oncoming lane and ends heading the way it came -- would be turned round by it, so
        such an entity drives on along its heading instead (esmini keeps its heading too).
        "Against" is the quadrant around the reverse direction (more than 135 degrees off): an
        entity ending across its lane (a pedestrian at a crossing) keeps lane following."""
        m = self.engine.controller.motions[self.i]
        if self.prev_mode == "external":
            m.mode = "external"
        elif m.cursor is not None and not self._faces_against_lane(m.cursor):
            m.mode = "lane"
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


class AssignRouteRunner(_PerActor):
    domains = ("routing",)

    def start(self) -> bool:
        el = self.el
        route = el.route or getattr(el.catalog_reference, "resolved", None)
        if route is None:
            raise _err(el, "AssignRouteAction without a route")
        self.engine.routes.assign(self.i, route, self.actor)
        return True


class AcquirePositionRunner(_PerActor):
    domains = ("routing",)

    def start(self) -> bool:
        self.target = self.engine.positions.resolve(self.el.position, self.actor)
        self.engine.routes.acquire(self.i, self.target)
        return False

    def step(self, dt: float) -> bool:
        t = self.engine.table
        return math.hypot(self.target.x - t.x[self.i], self.target.y - t.y[self.i]) < max(1.0, abs(t.speed[self.i]) * dt)


class VisibilityRunner(_PerActor):
    domains = ()

    def start(self) -> bool:
        el = self.el
        self.engine.table.visible[self.i] = bool(el.sensors)
        self.engine.visibility[self.actor] = {"graphics": el.graphics, "traffic": el.traffic, "sensors": el.sensors}
        return True


class ControllerRunner(_PerActor):
    """AssignController / ActivateController / OverrideControllerValue (§7.x ControllerAction)."""

    domains = ()

    def start(self) -> bool:
        el = self.el
        kind = type(el).__name__
        eng = self.engine
        if kind == "ControllerAction":
            for sub in (el.assign_controller_action, el.activate_controller_action, el.override_controller_value_action):
                if sub is not None:
                    ControllerRunner(eng, self.actor, sub).start()
            return True
        if kind == "AssignControllerAction":
            ctrl = el.controller or getattr(el.catalog_reference, "resolved", None)
            if ctrl is None and el.object_controller is not None:
                oc = el.object_controller
                ctrl = oc.controller or getattr(oc.catalog_reference, "resolved", None)
            lon, lat = el.activate_longitudinal, el.activate_lateral
            if lon is None and lat is None:  # 1.0/1.1: an assigned controller is active
                lon = lat = True
            eng.assign_controller(self.i, ctrl, bool(lon), bool(lat))
            return True
        if kind == "ActivateControllerAction":
            lon, lat = el.longitudinal, el.lateral
            if lon is None and lat is None:
                lon = lat = True
            eng.activate_controller(self.i, bool(lon), bool(lat))
            return True
        if kind == "OverrideControllerValueAction":
            eng.record("OverrideControllerValue", self.actor, _describe(el))
            eng.overrides[self.actor] = el
            eng.override_controller_values(self.i, override_values(el))
            return True
        return True


def override_values(el) -> dict:
    """The active overrides as numbers: pedals in [0, 1], steering wheel in rad, gear as an integer
    (negative reverse, 0 neutral), parking brake and clutch as fractions (OpenSCENARIO 1.2 §7.4.5)."""
    out: dict = {}
    for name in ("throttle", "brake", "clutch", "steering_wheel"):
        v = getattr(el, name, None)
        if v is not None and v.active:
            value = getattr(v, "value", None)
            if value is None:
                for sub in ("brake_percent", "brake_force"):
                    b = getattr(v, sub, None)
                    if b is not None:
                        value = b.value if sub == "brake_percent" else min(b.value / 10000.0, 1.0)
            out[name] = float(value or 0.0)
    pb = el.parking_brake
    if pb is not None and pb.active:
        value = pb.value
        if value is None:
            b = pb.brake_percent or pb.brake_force
            value = (b.value if pb.brake_percent is not None else min(b.value / 10000.0, 1.0)) if b else 1.0
        out["parking_brake"] = float(value)
    g = el.gear
    if g is not None and g.active:
        if g.number is not None:
            out["gear"] = int(g.number)
        elif g.manual_gear is not None:
            out["gear"] = int(g.manual_gear.number)
        elif g.automatic_gear is not None:
            auto = str(g.automatic_gear.gear)
            out["gear"] = {"r": -1, "n": 0, "p": 0, "d": 1}.get(auto.lower()[:1], 1)
    return out


def _describe(el) -> str:
    parts = []
    for name in ("throttle", "brake", "clutch", "parking_brake", "steering_wheel", "gear"):
        v = getattr(el, name, None)
        if v is not None:
            parts.append(f"{name}={'on' if v.active else 'off'}:{getattr(v, 'value', '')}")
    return " ".join(parts)


class RecordRunner(_PerActor):
    """LightState, Animation, Appearance, Trailer: recorded, they move nothing."""

    domains = ()

    def start(self) -> bool:
        self.engine.record(type(self.el).__name__, self.actor, "")
        return True


# ------------------------------------------------------------------ global actions
class GlobalRunner:
    """One global or user-defined action; instant except a traffic-signal phase that runs on."""

    def __init__(self, engine, el) -> None:
        self.engine = engine
        self.el = el

    def start(self, engine, actors) -> bool:
        from simplatform.engine.build import located

        with located(self.el):
            return self._start()

    def _start(self) -> bool:
        el = self.el
        kind = type(el).__name__
        eng = self.engine
        if kind == "ParameterAction":
            name = el.parameter_ref
            if name not in eng.parameters:
                raise _err(el, f"unknown parameter {name!r}")
            eng.parameters[name] = _modify(eng.parameters[name], el.set_action, el.modify_action)
        elif kind == "VariableAction":
            name = el.variable_ref
            if name not in eng.variables:
                raise _err(el, f"unknown variable {name!r}")
            eng.variables[name] = _modify(eng.variables[name], el.set_action, el.modify_action)
        elif kind == "EnvironmentAction":
            env = el.environment or getattr(el.catalog_reference, "resolved", None)
            eng.set_environment(env)
        elif kind == "EntityAction":
            i = eng.entity_index(el.entity_ref, el)
            if el.add_entity_action is not None:
                eng.table.set_active(i, True)
                eng.controller.place(i, eng.positions.resolve(el.add_entity_action.position, el.entity_ref))
            else:
                eng.table.set_active(i, False)
        elif kind == "InfrastructureAction":
            sig = el.traffic_signal_action
            if sig.traffic_signal_state_action is not None:
                a = sig.traffic_signal_state_action
                eng.signals[a.name] = a.state
            else:
                a = sig.traffic_signal_controller_action
                eng.set_signal_phase(a.traffic_signal_controller_ref, a.phase, el)
        elif kind == "UserDefinedAction":
            cmd = el.custom_command_action
            eng.custom_command(cmd.type, cmd.content)
        elif kind == "TrafficAction":
            eng.traffic_action(el)
        elif kind == "SetMonitorAction":
            eng.monitors[el.monitor_ref] = bool(el.value)
        else:
            raise _err(el, f"{kind} is not supported")
        return True

    def step(self, engine, dt) -> bool:
        return True

    def stop(self, engine) -> None:
        pass


def _modify(current, set_action, modify_action):
    """SetAction keeps the declared type of the parameter/variable (OpenSCENARIO 1.2 §7.5.2)."""
    if set_action is not None:
        value = set_action.value
        if isinstance(current, bool):
            return str(value).strip().lower() == "true"
        if isinstance(current, int):
            return int(float(value))
        if isinstance(current, float):
            return float(value)
        return value
    rule = modify_action.rule
    x = float(current)
    if rule.add_value is not None:
        return x + rule.add_value.value
    return x * rule.multiply_by_value.value
