"""Model-driven entities: a vehicle fleet under driver models, moved by the native backend.

An entity whose assigned, active controller names a ``vehicle_models`` driver
model (OpenSCENARIO 1.x §7.4.4 Controller properties, read by
:func:`vehicle_models.drivers.driver_config_from_properties`) leaves the
default controller: every step its driver (IDM car following, MOBIL lane
changes, human perception errors; :class:`~vehicle_models.drivers.TrafficDriver`)
decides an acceleration and lane change from a :class:`TrafficContext` filled
from the road model (:mod:`traffic_context`), and a kinematic single-track
:class:`~vehicle_models.VehicleFleet` (Rajamani 2012 §2.2, through the fleet's
low-level controller and powertrain) moves it.  Steering is pure pursuit
(Coulter, "Implementation of the Pure Pursuit Path Tracking Algorithm",
CMU-RI-TR-92-01, 1992: δ = atan(2L·sin α / l_d)) on the target lane's centre.

Everything is vectorised over the driven vehicles.  Drivers decide every
``decision_interval`` (0.1 s: a driver's update rate, as in Treiber &
Kesting's simulations) and hold the decision.  The vehicle model integrates
every ``model_interval`` (0.05 s, RK4 on the kinematic single track, far inside
its stability and accuracy limits at road speeds); between two model steps
each vehicle moves on with the model's velocity, yaw rate and acceleration
(second-order extrapolation), so the world still advances every engine step.
Why: one fleet step costs ~0.3 ms whatever the fleet size, which at 100 Hz
would dominate a traffic scenario.
``OverrideControllerValueAction`` values (throttle, brake, steering wheel,
parking brake, clutch, gear) replace the model's pedals and steering while active.

The lane position is tracked, not searched: s advances by the displacement
projected on the lane direction, corrected by two projection-residual
(Newton) steps on the stacked lane tables, for the whole fleet at once
(:mod:`fleet_tracking`); the road model's lane graph is walked only by the
vehicles that cross a road end.
"""

from __future__ import annotations

import math

import numpy as np

from simplatform.backends.fleet_tracking import FleetLanes, advance_along, lane_pose_columns
from simplatform.backends.lane_tracking import walk_cursor
from simplatform.backends.road_friction import RoadFriction, scenario_friction
from simplatform.backends.traffic_context import DEFAULT_DESIRED_SPEED, ContextBuilder
from simplatform.engine.lane_tables import TableStack
from simplatform.backends.vehicle_params import vehicle_parameters
from vehicle_models import VehicleFleet
from vehicle_models.drivers import DriverConfig, TrafficDriver

STEERING_RATIO = 15.0
"""Steering-wheel angle / road-wheel angle for OverrideSteeringWheelAction (typical passenger car)."""


class ModelTraffic:
    def __init__(self, engine, seed: int = 0, decision_interval: float = 0.1, model_interval: float = 0.05) -> None:
        self.engine = engine
        self.seed = seed
        self.every = max(1, int(round(decision_interval / engine.dt)))
        self.model_every = max(1, min(self.every, int(round(model_interval / engine.dt))))
        self.members: list[int] = []
        self.configs: dict[int, DriverConfig] = {}
        self.lane_changes: dict[int, bool] = {}
        self.fallback: dict[int, float] = {}
        self.overrides: dict[int, dict[str, float | bool]] = {}
        self.dirty = False
        self.fleet: VehicleFleet | None = None
        self.driver: TrafficDriver | None = None
        self.context = ContextBuilder(engine) if engine.road is not None and engine.road.net is not None else None
        self.stack = TableStack()
        self._lanes = FleetLanes(engine.road, self.stack) if engine.road is not None else None
        self.accel = np.zeros(0)
        self.target_lane: list[int | None] = []
        self._steps = 0

    # ------------------------------------------------------------ membership
    def add(self, i: int, config: DriverConfig, lane_changes: bool = True) -> None:
        eng = self.engine
        m = eng.controller.motions[i]
        if m.cursor is None:
            eng.controller.relocate(i)
        if i not in self.configs:
            self.members.append(i)
        self.configs[i] = config
        self.lane_changes[i] = lane_changes
        v = float(eng.table.speed[i])
        self.fallback[i] = v if v > 0.5 else DEFAULT_DESIRED_SPEED
        m.mode = "external"
        self.dirty = True

    def remove(self, i: int) -> None:
        if i not in self.configs:
            return
        self.members.remove(i)
        del self.configs[i]
        m = self.engine.controller.motions[i]
        m.mode = "lane" if m.cursor is not None else "free"
        m.lateral_rate = 0.0
        self.dirty = True

    def set_override(self, i: int, values: dict[str, float | bool]) -> None:
        self.overrides[i] = values

    def _rebuild(self) -> None:
        t = self.engine.table
        old = dict(zip(getattr(self, "_idx_list", []), self.target_lane))
        self.members = [i for i in self.members if t.active[i]]
        idx = np.array(self.members, dtype=np.int64)
        self._idx_list = list(self.members)
        self.idx = idx
        contiguous = len(idx) > 0 and np.array_equal(idx, np.arange(idx[0], idx[0] + len(idx)))
        # a slice reads and writes the table's columns without a gather (members are usually adjacent rows)
        self._sel = slice(int(idx[0]), int(idx[0]) + len(idx)) if contiguous else idx
        self.dirty = False
        self.target_lane = [old.get(i) for i in self.members]
        if not self.members:
            self.fleet = self.driver = None
            return
        self.fleet = VehicleFleet([vehicle_parameters(t.specs[i]) for i in self.members], model="kinematic")
        self.fleet.reset(x=t.x[idx], y=t.y[idx], heading=t.heading[idx], speed=np.maximum(t.speed[idx], 0.0))
        self.driver = TrafficDriver([self.configs[i] for i in self.members], self.engine.dt, seed=self.seed)
        self.driver.dt = self.every * self.engine.dt
        for k, i in enumerate(self.members):
            if not self.lane_changes[i]:
                self.driver.lane_changing[k] = False
        self.accel = np.zeros(len(idx))
        self._lane_dir = np.ones(len(idx))
        self._steps = 0
        if hasattr(self, "_track_x"):
            del self._track_x, self._track_y

    # ------------------------------------------------------------------ step
    def step(self, dt: float) -> None:
        if self.dirty:
            self._rebuild()
        if not self.members or self.fleet is None:
            return
        k = self._steps
        self._steps += 1
        if k % self.model_every != 0:
            self._extrapolate(dt)
            return
        eng = self.engine
        t = eng.table
        idx = self.idx
        cursors = [eng.controller.motions[i].cursor for i in self.members]
        if self.context is not None and k % self.every == 0:
            fallback = np.array([self.fallback[i] for i in self.members])
            ctx = self.context.build(idx, fallback)
            decision = self.driver.decide(ctx)
            self.accel = decision.acceleration
            self._lane_changes(decision.lane_change, cursors)
        steer = self._pure_pursuit(cursors)
        self.fleet.apply_acceleration(slice(None), self.accel, steer)
        self._apply_road_friction()  # hook: road grip under each vehicle (road_friction.py)
        self._apply_overrides(steer)
        f = self.fleet
        # the model runs from the state it left (the extrapolated table values are not fed back)
        x0, y0 = f.x.copy(), f.y.copy()
        f.step(dt * self.model_every, grade=-t.pitch[idx])
        self._ax, self._ay = f.acceleration_world
        self._vx, self._vy = f.velocity_world
        self._dv = f.ax_body
        self._r = f.yaw_rate.copy()
        # the table shows the state one engine step after the model's start
        self._tx, self._ty, self._th, self._tv = x0, y0, (f.heading - f.yaw_rate * dt * self.model_every), None
        t.x[idx], t.y[idx] = x0, y0
        self._extrapolate(dt, first=True)
        t.wheel_angle[idx] = f.steering_angle
        t.yaw_rate[idx] = f.yaw_rate
        self._track(cursors, t.x[idx] - self._track_x, t.y[idx] - self._track_y) if hasattr(self, "_track_x") \
            else self._track(cursors, t.x[idx] - x0, t.y[idx] - y0)
        self._track_x, self._track_y = t.x[idx].copy(), t.y[idx].copy()

    def _extrapolate(self, dt: float, first: bool = False) -> None:
        """Move on one engine step with the last model step's rates (x, y, heading, speed, s):
        constant yaw rate and acceleration over the model step, the model's own motion."""
        t = self.engine.table
        sel = self._sel
        if first:
            span = self.model_every * dt
            v0x = self._vx - self._ax * span
            v0y = self._vy - self._ay * span
            speed0 = self.fleet.speed - self._dv * span
            t.ax[sel], t.ay[sel] = self._ax, self._ay
            # rows x, y, heading, speed, vx, vy as c0 + c1·τ + c2·τ² (one evaluation per engine step)
            zero = np.zeros_like(v0x)
            self._c0 = np.array((self._tx, self._ty, self._th, speed0, v0x, v0y))
            self._c1 = np.array((v0x, v0y, self._r, self._dv, self._ax, self._ay))
            self._c2 = np.array((0.5 * self._ax, 0.5 * self._ay, zero, zero, zero, zero))
        tau = ((self._steps - 1) % self.model_every + 1) * dt  # time since the model step began
        x, y, h, v, vx, vy = self._c0 + tau * (self._c1 + tau * self._c2)
        moved = np.hypot(x - t.x[sel], y - t.y[sel])
        t.x[sel], t.y[sel] = x, y
        t.heading[sel] = (h + math.pi) % (2 * math.pi) - math.pi
        t.speed[sel] = v
        t.vx[sel], t.vy[sel] = vx, vy
        t.odometer[sel] += moved
        t.wheel_rot[sel] = (t.wheel_rot[sel] + moved / 0.35) % (2 * math.pi)
        if not first:
            t.lane_s[sel] += self._lane_dir * moved

    # ------------------------------------------------------------- lateral
    def _ids(self, cursors, lanes=None) -> np.ndarray:
        road = self.engine.road
        out = np.empty(len(cursors), dtype=np.int64)
        for k, c in enumerate(cursors):
            if lanes is not None and lanes[k] is not None and lanes[k] != c.lane_id:
                from simplatform.engine.lane_tables import lane_table

                out[k] = self.stack.id_of(lane_table(road.net, c.road_id, lanes[k]))
            else:
                out[k] = self.stack.id_of(road.table(c))
        return out

    def _lane_changes(self, change: np.ndarray, cursors) -> None:
        if self.context is None:
            return
        for k in np.nonzero(change)[0]:
            c = cursors[k]
            if c is None or self.target_lane[k] is not None:
                continue
            nb = self.context.neighbour(c.road_id, c.lane_id, c.s, int(change[k]))
            if nb is not None:
                self.target_lane[k] = nb
                self.engine.record("LaneChange", self.engine.table.names[self.members[k]],
                                   f"{c.road_id}:{c.lane_id}->{nb}")

    def _pure_pursuit(self, cursors) -> np.ndarray:
        t = self.engine.table
        idx = self.idx
        n = len(idx)
        if self.context is None or any(c is None for c in cursors):
            return np.zeros(n)
        road = self.engine.road
        direction = np.array([road.direction(c.road_id, c.lane_id) for c in cursors], dtype=float)
        s = np.array([c.s for c in cursors])
        v = np.abs(t.speed[idx])
        look = np.clip(0.8 * v + 4.0, 5.0, 40.0)
        ids = self._ids(cursors, self.target_lane)
        p = self.stack.poses(ids, s + direction * look, np.zeros(n))
        x, y, h = t.x[idx], t.y[idx], t.heading[idx]
        dx, dy = p["x"] - x, p["y"] - y
        alpha = np.arctan2(dy, dx) - h
        dist = np.maximum(np.hypot(dx, dy), 1.0)
        wheelbase = self.fleet.params.wheelbase
        delta = np.arctan2(2.0 * wheelbase * np.sin(alpha), dist)
        return np.nan_to_num(delta)

    def _apply_overrides(self, steer: np.ndarray) -> None:
        if not self.overrides:
            return
        f = self.fleet
        for k, i in enumerate(self.members):
            o = self.overrides.get(i)
            if not o:
                continue
            gear = o.get("gear")
            clutch = float(o.get("clutch", 0.0))
            throttle = float(o.get("throttle", 0.0)) if (gear is None or gear != 0) and clutch < 0.5 else 0.0
            brake = float(o.get("brake", 0.0))
            if o.get("parking_brake"):
                brake = max(brake, float(o["parking_brake"]))
            if "steering_wheel" in o:
                steer_frac = float(o["steering_wheel"]) / STEERING_RATIO / float(f.params.max_steer[k])
            else:
                steer_frac = float(steer[k]) / float(f.params.max_steer[k])
            pedals = any(name in o for name in ("throttle", "brake", "parking_brake", "clutch", "gear"))
            if pedals:
                f.apply_pedals(k, throttle, brake, steer_frac, reverse=gear is not None and gear < 0,
                               hand_brake=bool(o.get("parking_brake")))
            else:  # only the steering wheel: keep the model's longitudinal demand
                f.apply_acceleration(k, self.accel[k], float(o["steering_wheel"]) / STEERING_RATIO)

    # ------------------------------------------------------------- tracking
    def _track(self, cursors, dx: np.ndarray, dy: np.ndarray) -> None:
        """Advance every lane cursor by its displacement along the lane, all at once (fleet_tracking);
        the few that leave the road's s range walk the lane graph one by one."""
        eng = self.engine
        t = eng.table
        road = eng.road
        if road is None or road.net is None:
            return
        ctl = eng.controller
        for k, i in enumerate(self.members):
            if cursors[k] is None:
                ctl.relocate(i)
                cursors[k] = ctl.motions[i].cursor
        placed = [k for k, c in enumerate(cursors) if c is not None]
        if len(placed) < len(cursors):  # off the road network: nothing to track
            for k in range(len(cursors)):
                if cursors[k] is None:
                    t.set_lane(self.members[k], None, 0, 0.0, 0.0, 0.0)
            if not placed:
                return
        sel = np.array(placed, dtype=np.int64)
        live = [cursors[k] for k in placed]
        lanes = self._lanes
        lanes.refresh(live)
        idx = self.idx[sel]
        s0 = np.array([c.s for c in live])
        s_new, lateral, ok = advance_along(lanes, s0, dx[sel], dy[sel], t.x[idx], t.y[idx])
        for j, c in enumerate(live):
            k = placed[j]
            i = self.members[k]
            if ok[j]:
                c.s = float(s_new[j])
                c.offset = float(lateral[j]) * float(lanes.direction[j])
                m = ctl.motions[i]
                m.end_of_road = False
                m.end_of_road_since = -1.0
            else:
                self._walk(k, i, c, float(dx[k]), float(dy[k]))
            target = self.target_lane[k]
            if target is not None:
                ct_now = road.cursor_center_t(c)
                ct_target = road.lane_center_t(c.road_id, target, c.s)
                off_target = c.offset + ct_now - ct_target
                if abs(off_target) < abs(c.offset):
                    c.lane_id, c.offset = target, off_target
                if c.lane_id == target and abs(c.offset) < 0.15:
                    self.target_lane[k] = None
        lanes.refresh(live)
        s_arr = np.array([c.s for c in live])
        off = np.array([c.offset for c in live])
        cols = lane_pose_columns(lanes, s_arr, off)
        bad = ~np.isfinite(cols["z"])
        t.z[idx] = np.where(bad, t.z[idx], cols["z"])
        t.pitch[idx] = np.where(bad, t.pitch[idx], cols["pitch"])
        t.roll[idx] = np.where(bad, t.roll[idx], cols["roll"])
        t.lane_s[idx] = s_arr
        t.lane_offset[idx] = off
        t.road_t[idx] = cols["road_t"]
        for j, c in enumerate(live):
            i = int(idx[j])
            t.lane_road[i] = c.road_id
            t.lane_id[i] = c.lane_id
            if bad[j]:  # no table samples here: the road model answers
                _, _, z, _, p, r, road_t = road.cursor_pose_t(c)
                t.z[i], t.pitch[i], t.roll[i], t.road_t[i] = z, p, r, road_t
        self._lane_dir[sel] = lanes.direction

    def _walk(self, k: int, i: int, c, dx: float, dy: float) -> None:
        """The exact scalar walk (through road ends and junctions) for one vehicle."""
        eng = self.engine
        walk_cursor(eng, i, c, eng.road.cursor_pose_t(c)[3], dx, dy, newton_steps=2)

    # ------------------------------------------------------------------ road friction (hook, road_friction.py)
    def _apply_road_friction(self) -> None:
        """RoadCondition@frictionScaleFactor times the lane material's friction under each vehicle scales
        its tyres' peak friction (``VehicleFleet.set_road_friction``); the fleet is updated on a change only."""
        grip = getattr(self, "_grip", None)
        if grip is None:
            grip = self._grip = RoadFriction(getattr(self.engine.road, "net", None))
        scales = grip.scales(self.engine.table, self.members, scenario_friction(self.engine))
        if not np.array_equal(scales, self.fleet.road_friction):
            self.fleet.set_road_friction(slice(None), scales)
