"""Entities driven from outside the scenario (the ego under a stack), moved by vehicle dynamics.

The issue's rule: "entities with an assigned controller or the ego under test
are moved by the backend's vehicle model".  Each driven vehicle is one row of
a :class:`vehicle_models.VehicleFleet` — the dynamic single-track model
(Rajamani 2012 §2.3, nonlinear tyres, actuator lags, powertrain and brakes)
by default, the kinematic one (Rajamani §2.2) when asked — with parameters
from the entity's OpenSCENARIO Performance, Axles, BoundingBox and mass
(:func:`vehicle_models.vehicle_parameters_from_scenario`).

Commands are what a stack sends: :class:`~simplatform.control.Control`
pedals, :class:`~simplatform.control.AckermannCommand` targets, or the bridge
messages of the same meaning (``ackermann_msgs/AckermannDrive[Stamped]``,
``carla_msgs/CarlaEgoVehicleControl``).  Until a vehicle's first command it
holds the speed it had when it was taken over (cruise at the Init speed).

Every step the road's grade under the vehicle (minus the ISO 8855 pitch of
the road along the vehicle's heading) enters the longitudinal dynamics, and
the road's grip under each vehicle — RoadCondition@frictionScaleFactor times the
OpenDRIVE lane material's friction (:mod:`road_friction`) — scales its tyres'
peak friction (``VehicleFleet.set_road_friction``); the table row gets the fleet's pose, signed speed, world velocity, world
acceleration (the IMU model differentiates nothing: it reads ``ax, ay``),
yaw rate and road-wheel angle; the lane position is tracked
(:mod:`lane_tracking`).

Per-step cost: the step's fixed overheads are what a lone ego pays for, not
arithmetic, so the table write (pose, velocities, accelerations, odometer,
wheel rotation) and the "did the scenario move it" check are one compiled
call each (:mod:`vehicle_models.table_rows`, same bits as the numpy
formulation) and the lane tracking's common step is one compiled call
(:mod:`lane_tracking`): about 24 µs of CPU per step at dt 0.05 in a harness
run of a library urban scenario, from about 100 µs.

The fleet owns the state.  If the scenario moves a driven entity itself (a
TeleportAction, a SpeedAction on the ego), the table no longer holds what
the fleet last wrote; the vehicle is then reset to the table's pose and speed
before the step, so the scenario's explicit action wins, as in esmini.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from simplatform.backends.lane_tracking import track_entity
from simplatform.backends.road_friction import FrictionLatch
from simplatform.backends.vehicle_params import vehicle_parameters
from simplatform.control import AckermannCommand, Control
from simplatform.errors import ConfigError, StackError
from simplatform.world import EntityKind
from vehicle_models import VehicleFleet
from vehicle_models.table_rows import rows_moved, write_rows

MODELS = ("dynamic", "kinematic")


def as_command(command: Any) -> Control | AckermannCommand:
    """A ``Control``/``AckermannCommand``, or the bridge message that means the same."""
    if isinstance(command, (Control, AckermannCommand)):
        return command
    drive = getattr(command, "drive", command)
    if all(hasattr(drive, f) for f in ("speed", "steering_angle")):
        return AckermannCommand(speed=float(drive.speed), steering_angle=float(drive.steering_angle),
                                acceleration=float(getattr(drive, "acceleration", 0.0) or 0.0),
                                jerk=float(getattr(drive, "jerk", 0.0) or 0.0),
                                steering_angle_velocity=float(getattr(drive, "steering_angle_velocity", 0.0) or 0.0))
    if all(hasattr(command, f) for f in ("throttle", "brake", "steer")):
        return Control(throttle=float(command.throttle), brake=float(command.brake), steer=float(command.steer),
                       reverse=bool(getattr(command, "reverse", False)),
                       hand_brake=bool(getattr(command, "hand_brake", False)))
    raise StackError(f"the stack sent a {type(command).__name__}; expected Control, AckermannCommand or "
                     "an ackermann_msgs/AckermannDrive(Stamped) or carla_msgs/CarlaEgoVehicleControl message")


class DrivenVehicles:
    """The backend's fleet of externally commanded vehicles (a batch of one for a lone ego)."""

    def __init__(self, engine, model: str = "dynamic") -> None:
        if model not in MODELS:
            raise ConfigError(f"ego vehicle model must be one of {', '.join(MODELS)}, not {model!r}")
        self.engine = engine
        self.model = model
        self.members: list[int] = []
        self.commands: dict[int, Control | AckermannCommand] = {}
        self.fleet: VehicleFleet | None = None
        self._written = np.zeros((4, 0))
        self._disp = np.zeros((2, 0))
        self._idx = np.zeros(0, dtype=np.int64)
        self._sel: slice | np.ndarray = self._idx
        self._grip = FrictionLatch(engine)

    def __contains__(self, i: int) -> bool:
        return i in self.members

    def add(self, i: int) -> None:
        """Hand entity ``i`` to the vehicle model, from its current pose and speed."""
        t = self.engine.table
        if i in self.members:
            return
        if t.kinds[i] is not EntityKind.VEHICLE:
            raise ConfigError(f"{t.names[i]!r} is a {t.kinds[i].value}: only vehicles can be driven by a stack")
        old = self.fleet
        old_members = list(self.members)
        self.members.append(i)
        self._idx = np.array(self.members, dtype=np.int64)
        lo = int(self._idx.min())
        # adjacent rows (a lone ego always): a slice reads and writes the columns without a gather
        contiguous = np.array_equal(self._idx, np.arange(lo, lo + len(self._idx)))
        self._sel = slice(lo, lo + len(self._idx)) if contiguous else self._idx
        fleet = VehicleFleet([vehicle_parameters(t.specs[k]) for k in self.members], model=self.model)
        if old is not None:
            fleet.state[:, :len(old_members)] = old.state
            fleet.accel_body[:, :len(old_members)] = old.accel_body
        k = len(self.members) - 1
        fleet.reset(k, x=float(t.x[i]), y=float(t.y[i]), heading=float(t.heading[i]), speed=float(t.speed[i]))
        self.fleet = fleet
        for j in self.members:  # inputs are latched in the fleet: re-apply them on the new one
            self._apply(j)
        if self.engine.controller.motions[i].cursor is None:
            self.engine.controller.relocate(i)
        self._written = self._table_state()
        self._disp = np.zeros((2, len(self.members)))

    def command(self, i: int, command: Any) -> None:
        self.commands[i] = as_command(command)
        self._apply(i)

    def _apply(self, i: int) -> None:
        k = self.members.index(i)
        cmd = self.commands.get(i)
        if cmd is None:  # no command yet: hold the take-over speed, straight ahead
            cmd = AckermannCommand(speed=float(self.fleet.speed[k]))
        if isinstance(cmd, Control):
            self.fleet.apply_control(k, cmd)
        else:
            self.fleet.apply_ackermann(k, cmd)

    def _table_state(self) -> np.ndarray:
        t = self.engine.table
        idx = self._sel
        return np.array((t.x[idx], t.y[idx], t.heading[idx], t.speed[idx]))

    def step(self, dt: float) -> None:
        if not self.members:
            return
        eng = self.engine
        t = eng.table
        f = self.fleet
        rows = self._idx
        if rows_moved(rows, t.x, t.y, t.heading, t.speed, self._written, 1e-9):
            moved = (np.abs(self._table_state() - self._written) > 1e-9).any(axis=0)
            for k in np.nonzero(moved)[0]:  # the scenario placed or sped the vehicle itself
                i = self.members[k]
                f.reset(int(k), x=float(t.x[i]), y=float(t.y[i]), heading=float(t.heading[i]),
                        speed=float(t.speed[i]), steering=float(f.steering_angle[k]))
                self._apply(i)
        self._grip.apply(f, self.members)
        old = f.state
        f.step(dt, grade=-t.pitch[self._sel])
        disp = self._disp
        write_rows(old, f.state, f.accel_body, f.params.lr, f.params.wheel_radius, rows, t.x, t.y, t.heading,
                   t.speed, t.vx, t.vy, t.ax, t.ay, t.yaw_rate, t.wheel_angle, t.odometer, t.wheel_rot,
                   self._written, disp)
        active = t.active
        for k, i in enumerate(self.members):
            if active[i]:
                track_entity(eng, i, float(disp[0, k]), float(disp[1, k]))
