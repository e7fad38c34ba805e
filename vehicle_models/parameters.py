"""Parameter sets of the vehicle models, as frozen dataclasses.

Why frozen: a parameter set is a fact about a vehicle (a catalogue entry) and
is shared by every fleet that moves such a vehicle; changing it is making a
new one (``dataclasses.replace``), never mutating one in place.

Geometry follows the OpenSCENARIO convention: the reference point is the centre
of the rear axle, ``x`` forward.  The centre of gravity (CoG) lies
``cog_to_rear_axle`` ahead of it on the vehicle's x axis (single-track model:
no lateral CoG offset).  The presets with the source of each number are in
:mod:`vehicle_models.presets`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

GRAVITY = 9.81
"""m/s², the value the CommonRoad models use, so that cross-checks compare like with like."""

AIR_DENSITY = 1.225
"""kg/m³, ISA sea level (ISO 2533)."""


@dataclass(frozen=True)
class TyreParameters:
    """Per-axle Magic Formula coefficients (Pacejka, *Tire and Vehicle Dynamics*, 3rd ed. 2012, §4.3).

    The peak force is ``D = mu * Fz`` and the slip stiffness is
    ``K = stiffness_per_load * Fz``; both are linear in the vertical load, the
    simplification CommonRoad's single-track model uses (Althoff & Würsching,
    "CommonRoad: Vehicle Models", 2020, §5), so ``B = K / (C * D)`` does not
    depend on the load.  ``linear=True`` drops the saturation (``F = K * slip``):
    the linear tyre of the analytic single-track model (Rajamani, *Vehicle
    Dynamics and Control*, 2nd ed. 2012, §2.3), used to validate against it.

    The combined-slip weighting functions follow Pacejka 2012, eq. (4.E50)-(4.E67)
    without the shift terms: ``G_yk = cos(C_yk atan(B_yk kappa))`` with
    ``B_yk = r_by1 cos(atan(r_by2 alpha))`` and likewise for ``G_xa``.
    """

    mu_y: float
    """Lateral peak friction coefficient (MF ``p_Dy1``)."""
    shape_y: float
    """Lateral shape factor C (``p_Cy1``)."""
    curvature_y: float
    """Lateral curvature factor E (``p_Ey1``)."""
    cornering_stiffness_per_load: float
    """Cornering stiffness divided by the vertical load (1/rad; ``-p_Ky1`` in CommonRoad's use)."""
    mu_x: float
    """Longitudinal peak friction coefficient (``p_Dx1``)."""
    shape_x: float
    """Longitudinal shape factor (``p_Cx1``)."""
    curvature_x: float
    """Longitudinal curvature factor (``p_Ex1``)."""
    slip_stiffness_per_load: float
    """Longitudinal slip stiffness divided by the vertical load (``p_Kx1``)."""
    r_by1: float = 7.1433
    r_by2: float = 9.1916
    r_cy1: float = 1.0719
    r_bx1: float = 13.276
    r_bx2: float = -13.778
    r_cx1: float = 1.2568
    linear: bool = False


@dataclass(frozen=True)
class PowertrainParameters:
    """Engine (or motor) torque over speed, gear ratios, final drive, efficiency.

    The maximum drive force at the wheels at road speed ``v`` is the best over
    the gears of ``T(omega_e) * i_g * i_f * eta / r_w`` with
    ``omega_e = v * i_g * i_f / r_w`` clamped up to ``launch_speed`` (clutch or
    converter slip at launch) and zero above ``max_engine_speed`` — an ideal
    shift strategy that always uses the gear with the most force (Wong, *Theory
    of Ground Vehicles*, 4th ed. 2008, §3.1, tractive effort envelope).  A single
    ratio (electric drive) is a one-element ``gear_ratios``.
    """

    engine_speed: tuple[float, ...]
    """Engine speeds of the full-load torque map (rad/s), increasing."""
    max_torque: tuple[float, ...]
    """Full-load engine torque at those speeds (N m)."""
    gear_ratios: tuple[float, ...]
    final_drive: float
    efficiency: float = 0.9
    launch_speed: float = 150.0
    """Lowest engine speed used for force at launch (rad/s): the clutch slips below it."""

    @property
    def max_engine_speed(self) -> float:
        return float(self.engine_speed[-1])

    def max_wheel_force(self, speed: float | np.ndarray, wheel_radius: float) -> np.ndarray:
        """Tractive effort envelope at road speed(s), N (a scalar helper for one vehicle)."""
        v = np.abs(np.asarray(speed, dtype=float))[..., None]
        ratios = np.asarray(self.gear_ratios) * self.final_drive
        omega = np.maximum(v * ratios / wheel_radius, self.launch_speed)
        torque = np.interp(omega, self.engine_speed, self.max_torque, right=0.0)
        force = torque * ratios * self.efficiency / wheel_radius
        force = np.where(v * ratios / wheel_radius > self.max_engine_speed, 0.0, force)
        return force.max(axis=-1)


@dataclass(frozen=True)
class VehicleParameters:
    """Everything the single-track models need about one vehicle.

    Lengths in m, masses in kg, angles in rad.  ``wheelbase = cog_to_front_axle
    + cog_to_rear_axle``.  Drive split and brake balance are the front-axle
    fractions.  Actuators: steering is a rate-limited first-order servo, drive
    and brake forces follow their demands with first-order lags.
    """

    name: str
    category: str
    """OpenSCENARIO vehicleCategory (car, van, truck, bus, ...)."""
    mass: float
    yaw_inertia: float
    cog_to_front_axle: float
    cog_to_rear_axle: float
    cog_height: float
    length: float
    width: float
    height: float
    rear_overhang: float
    """Rear bumper to rear axle, m: places the bounding box relative to the reference point."""
    track_width: float
    wheel_radius: float
    max_steering_angle: float
    max_steering_rate: float
    steering_time_constant: float
    max_speed: float
    max_reverse_speed: float
    drive_split_front: float
    brake_balance_front: float
    max_brake_force: float
    """Total service brake force limit at the wheels (N)."""
    drive_time_constant: float
    brake_time_constant: float
    drag_area: float
    """Drag coefficient times frontal area, c_d A (m²)."""
    rolling_resistance: float
    tyre: TyreParameters
    powertrain: PowertrainParameters
    rear_tyre: TyreParameters | None = None
    """Rear-axle tyre when it differs from ``tyre`` (front). Axle-effective cornering
    stiffnesses differ front to rear in real cars (steering compliance, roll steer),
    which is what makes them understeer (Rajamani 2012 §3.3)."""
    sources: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    """Where each number comes from, keyed by field name (shown by ``describe``)."""

    @property
    def wheelbase(self) -> float:
        return self.cog_to_front_axle + self.cog_to_rear_axle

    @property
    def max_deceleration(self) -> float:
        """Deceleration from the brake force limit alone (m/s²), bounded by tyre friction."""
        return min(self.max_brake_force / self.mass,
                   min(self.tyre.mu_x, self.tyre_rear.mu_x) * GRAVITY)

    @property
    def front_cornering_stiffness(self) -> float:
        """Static front-axle cornering stiffness (N/rad) for the analytic linear model."""
        return self.tyre.cornering_stiffness_per_load * self.static_axle_load()[0]

    @property
    def rear_cornering_stiffness(self) -> float:
        return self.tyre_rear.cornering_stiffness_per_load * self.static_axle_load()[1]

    @property
    def tyre_rear(self) -> TyreParameters:
        return self.rear_tyre if self.rear_tyre is not None else self.tyre

    def static_axle_load(self, grade: float = 0.0) -> tuple[float, float]:
        """Front and rear vertical loads at rest on a level road (N)."""
        weight = self.mass * GRAVITY * np.cos(grade)
        return (
            weight * self.cog_to_rear_axle / self.wheelbase,
            weight * self.cog_to_front_axle / self.wheelbase,
        )

    def describe(self) -> str:
        """A table of the parameters with their sources, for reports and docs."""
        lines = [f"{self.name} ({self.category})"]
        for key in ("mass", "yaw_inertia", "cog_to_front_axle", "cog_to_rear_axle",
                    "cog_height", "max_steering_angle", "max_brake_force", "drag_area"):
            lines.append(f"  {key} = {getattr(self, key):g}  [{self.sources.get(key, 'see presets')}]")
        return "\n".join(lines)


@dataclass(frozen=True)
class PedestrianParameters:
    """Point mass with speed and acceleration limits, turning freely.

    Default numbers: walking speeds from Fruin's and the HCM's pedestrian studies
    (free walking 1.2-1.5 m/s; running up to ~5 m/s used for scenario dashes);
    acceleration limits as in pedestrian models of the Social Force literature
    (Helbing & Molnár 1995 relaxation time 0.5 s → about 2.5 m/s² to reach
    1.3 m/s).
    """

    name: str = "pedestrian"
    max_speed: float = 5.0
    max_acceleration: float = 2.5
    max_deceleration: float = 4.0
    max_yaw_rate: float = 4.0
    length: float = 0.5
    width: float = 0.6
    height: float = 1.8


@dataclass(frozen=True)
class CyclistParameters:
    """Kinematic bicycle (rear-wheel reference point) with limits.

    Wheelbase and steering lock of a city/touring bicycle; accelerations from
    measured cyclist behaviour (Twaddle & Grigoropoulos 2016: mean acceleration
    about 1 m/s², braking up to ~3 m/s² comfortably, ~5 m/s² hard).
    """

    name: str = "bicycle"
    wheelbase: float = 1.05
    max_steering_angle: float = 0.6
    max_steering_rate: float = 2.0
    max_speed: float = 12.0
    max_acceleration: float = 1.5
    max_deceleration: float = 5.0
    length: float = 1.8
    width: float = 0.65
    height: float = 1.7
    rear_overhang: float = 0.35
