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
Why: a model step (controller, powertrain, RK4, then the lane tracking) costs
~40 µs for 20 vehicles, an extrapolated step ~3 µs; at 100 Hz every step a
model step would be most of a traffic scenario's time.
``OverrideControllerValueAction`` values (throttle, brake, steering wheel,
parking brake, clutch, gear) replace the model's pedals and steering while active.

The lane position is tracked, not searched: s advances by the displacement
projected on the lane direction, corrected by two projection-residual
(Newton) steps on the stacked lane tables, for the whole fleet at once
(:mod:`fleet_tracking`); the road model's lane graph is walked only by the
vehicles that cross a road end.

Per-vehicle arithmetic (extrapolation, look-ahead geometry, tracking, the
perception search) runs in compiled loops (:mod:`traffic_kernels`,
:mod:`context_kernels`): with ~20 vehicles, numpy's per-call overhead was the
cost, not the arithmetic (the 20 s cut-in with 20 driver-model vehicles went
from ~190 to ~45 µs per engine step, trajectories bit-identical).
"""

from __future__ import annotations

import numpy as np

from simplatform.backends import traffic_kernels as tk
from simplatform.backends.fleet_tracking import CURSOR, LANE_KEY, S, FleetLanes, FleetTracker
from simplatform.backends.road_friction import FrictionLatch
from simplatform.backends.traffic_context import DEFAULT_DESIRED_SPEED, ContextBuilder
from simplatform.backends.vehicle_params import vehicle_parameters
from vehicle_models import VehicleFleet
from vehicle_models import single_track as st
from vehicle_models.drivers import DriverConfig, TrafficDriver

_STATE_ROWS = np.array([st.YAW, st.VX, st.VY, st.YAW_RATE, st.STEER], dtype=np.int64)
"""The fleet state's rows ``traffic_kernels.model_outputs`` reads."""
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
        has_net = engine.road is not None and engine.road.net is not None
        self.context = ContextBuilder(engine) if has_net else None
        self.tracker = FleetTracker(engine) if has_net else None
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
        self._s_per_m = self._lane_dir  # s per metre moved, for the extrapolated steps (_path_scales)
        self._steps = 0
        self._fallback = np.array([self.fallback[i] for i in self.members])
        self._two_wheelbase = 2.0 * self.fleet.params.wheelbase
        self._coef = np.zeros((3, 6, len(idx)))
        self._pursuit = np.empty((4, len(idx)))
        if self.tracker is not None:
            self.tracker.reset(len(idx))

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
        cursors = list(map(CURSOR, map(eng.controller.motions.__getitem__, self.members)))
        placed = False
        s = None
        if self.tracker is not None:
            try:
                keys = list(map(LANE_KEY, cursors))
                placed = True
            except AttributeError:  # a vehicle without a lane cursor (None): _track_some
                pass
            if placed:
                self.tracker.lanes.refresh(keys)
                s = np.array(list(map(S, cursors)))
        if self.context is not None and k % self.every == 0:
            ctx = self.context.build(idx, self._fallback)
            decision = self.driver.decide(ctx)
            self.accel = decision.acceleration
            self._lane_changes(decision.lane_change, cursors)
        if placed:
            steer = self._pure_pursuit(s, self.tracker.lanes, idx, self.target_lane, self._two_wheelbase)
        else:
            steer = self._pure_pursuit_some(cursors)
        self.fleet.apply_acceleration(slice(None), self.accel, steer)
        self._apply_road_friction()  # hook: road grip under each vehicle (road_friction.py)
        self._apply_overrides(steer)
        f = self.fleet
        # the model runs from the state it left (the extrapolated table values are not fed back)
        x0, y0 = f.x.copy(), f.y.copy()
        f.step(dt * self.model_every, grade=-t.pitch[idx])
        # the table shows the state one engine step after the model's start
        tk.model_outputs(f.state, f.accel_body, f.params.lr, _STATE_ROWS, x0, y0, dt, self.model_every, self._coef,
                         idx, t.x, t.y, t.ax, t.ay, t.wheel_angle, t.yaw_rate)
        self._extrapolate(dt, first=True)
        if self.tracker is not None:
            self.tracker.start(x0, y0)
            if placed:
                self.tracker.track(self.members, idx, cursors, s, self.target_lane, self._lane_dir)
            else:
                self._track_some(cursors)
            if self.model_every > 1:  # (the library's dt 0.05: every step is a model step, nothing extrapolated)
                self._s_per_m = self._lane_dir / self._path_scales()

    def _extrapolate(self, dt: float, first: bool = False) -> None:
        """Move on one engine step with the last model step's rates (x, y, heading, speed, s):
        constant yaw rate and acceleration over the model step, the model's own motion; s by the
        distance moved over the path scale where the last tracking left the vehicle."""
        t = self.engine.table
        tau = ((self._steps - 1) % self.model_every + 1) * dt  # time since the model step began
        tk.extrapolate(self._coef, tau, self.idx, t.x, t.y, t.heading, t.speed, t.vx, t.vy, t.odometer, t.wheel_rot,
                       t.lane_s, self._s_per_m, not first)

    def _path_scales(self) -> np.ndarray:
        """Metres travelled per metre of s where each vehicle's lane cursor is (``LaneTable.path_scale``:
        √((1 − κ·t)² + t'²) at its t; 1.0 without a cursor, and exactly 1.0 on a straight road of constant
        width): the extrapolated steps move s by the distance moved over it, as the default controller
        does, so that between two trackings s stays at the vehicle's foot point on a curve too."""
        road = self.engine.road
        motions = self.engine.controller.motions
        out = np.ones(len(self.members))
        if road is None or road.net is None:
            return out
        for k, i in enumerate(self.members):
            c = motions[i].cursor
            if c is not None:
                out[k] = road.table(c).path_scale(c.s, c.offset)
        return out

    # ------------------------------------------------------------- lateral
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

    def _pure_pursuit(self, s: np.ndarray, lanes: FleetLanes, rows: np.ndarray, targets: list[int | None],
                      two_wheelbase: np.ndarray) -> np.ndarray:
        """Steering angles (Coulter 1992: δ = atan(2L·sin α / l_d)) toward the look-ahead point on
        each vehicle's (target) lane; the angles by numpy's arctan2, as before the kernels (see
        :mod:`traffic_kernels` on why)."""
        t = self.engine.table
        tracker = self.tracker
        ids = tracker.pursuit_lanes(targets, lanes)
        mat, meta = tracker.stack.arrays()
        g = self._pursuit if len(rows) == self._pursuit.shape[1] else np.empty((4, len(rows)))
        tk.pursuit_geometry(mat, meta, ids, lanes.direction, s, rows, t.speed, t.x, t.y, t.heading, g)
        lever = np.arctan2(g[1], g[0])
        missing = tk.pursuit_lever(lever, g, two_wheelbase)
        delta = np.arctan2(lever, g[2])
        if missing:
            delta[np.isnan(delta)] = 0.0
        return delta

    def _pure_pursuit_some(self, cursors: list) -> np.ndarray:
        """Pure pursuit for the vehicles on a lane; those on none (no cursor) hold the wheel straight."""
        steer = np.zeros(len(cursors))
        placed = [k for k, c in enumerate(cursors) if c is not None]
        if self.tracker is None or not placed:
            return steer
        live = [cursors[k] for k in placed]
        lanes = FleetLanes(self.engine.road, self.tracker.stack)
        lanes.refresh([(c.road_id, c.lane_id) for c in live])
        sel = np.array(placed, dtype=np.int64)
        steer[sel] = self._pure_pursuit(np.array([c.s for c in live]), lanes, self.idx[sel],
                                        [self.target_lane[k] for k in placed], self._two_wheelbase[sel])
        return steer

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
    def _track_some(self, cursors: list) -> None:
        """Tracking when some vehicles have no lane cursor: those are located afresh; the ones still
        off the road network get no lane; the others are tracked as a smaller fleet."""
        eng = self.engine
        t = eng.table
        ctl = eng.controller
        idx = self.idx
        tracker = self.tracker
        for k, i in enumerate(self.members):
            if cursors[k] is None:
                ctl.relocate(i)
                cursors[k] = ctl.motions[i].cursor
        placed = [k for k, c in enumerate(cursors) if c is not None]
        for k in range(len(cursors)):
            if cursors[k] is None:
                t.set_lane(self.members[k], None, 0, 0.0, 0.0, 0.0)
        if placed:
            live = [cursors[k] for k in placed]
            lanes = FleetLanes(eng.road, tracker.stack)
            lanes.refresh([(c.road_id, c.lane_id) for c in live])
            targets = [self.target_lane[k] for k in placed]
            lane_dir = np.empty(len(placed))
            sel = np.array(placed, dtype=np.int64)
            tracker.track([self.members[k] for k in placed], idx[sel], live, np.array([c.s for c in live]), targets,
                          lane_dir, lanes=lanes, position=tracker.position[:, sel].copy())
            for j, k in enumerate(placed):
                self.target_lane[k] = targets[j]
            self._lane_dir[sel] = lane_dir
        tracker.position = np.array((t.x[idx], t.y[idx]))

    # ------------------------------------------------------------------ road friction (hook, road_friction.py)
    def _apply_road_friction(self) -> None:
        """RoadCondition@frictionScaleFactor times the lane material's friction under each vehicle scales
        its tyres' peak friction (``VehicleFleet.set_road_friction``), on a change only."""
        latch = getattr(self, "_grip", None)
        if latch is None:
            latch = self._grip = FrictionLatch(self.engine)
        latch.apply(self.fleet, self.members)
