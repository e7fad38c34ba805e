"""Parameter presets: compact car, mid-size sedan, SUV/van, bus, truck — with sources.

Sources, abbreviated in each ``sources`` entry:

* **CR-n**: Althoff & Würsching, "CommonRoad: Vehicle Models (Version 2020a)",
  TU München, Tab. 6/7, as shipped in ``commonroad-vehicle-models`` 3.0
  (``parameters_vehicle<n>.yaml``; vehicle 1 = Ford Escort, 2 = BMW 320i,
  3 = VW Vanagon; data from the US DOT vehicle dynamics database).  Using them
  makes the cross-check against that package a same-parameter comparison.
* **CR-tyre**: the same report's Magic Formula tyre set (``parameters_tire.yaml``,
  from the ADAMS handbook), used for the passenger-car tyres.
* **Wong**: J.Y. Wong, *Theory of Ground Vehicles*, 4th ed., 2008 (rolling
  resistance §1.2, drag §3.2).
* **MB-Citaro**: Mercedes-Benz Citaro (O 530) solo bus technical data sheet
  (dimensions, wheelbase, engine OM 936h 220 kW / 1200 N m).
* **est.**: an engineering estimate, stated as such — e.g. the bus yaw inertia
  from a uniform box ``m (L² + W²) / 12``.  The powertrains are representative
  of each class (CommonRoad has no powertrain): engine maps and ratios are
  rounded published figures for the named engines, marked est. where rounded
  beyond the data sheet.

Brake force limits are set so that with the preset's brake balance neither
axle exceeds its friction limit at full braking on dry asphalt (the model's
quasi-static slip then delivers the demanded force; beyond the limit it
saturates as an ABS would).
"""

from __future__ import annotations

import math

from dataclasses import replace

from vehicle_models.parameters import (
    CyclistParameters,
    PedestrianParameters,
    PowertrainParameters,
    TyreParameters,
    VehicleParameters,
)

_RPM = math.pi / 30.0

PASSENGER_TYRE = TyreParameters(
    mu_y=1.0489, shape_y=1.3507, curvature_y=-0.0074722, cornering_stiffness_per_load=21.92,
    mu_x=1.1739, shape_x=1.6411, curvature_x=0.46403, slip_stiffness_per_load=22.303,
)
"""CR-tyre: p_Dy1, p_Cy1, p_Ey1, -p_Ky1, p_Dx1, p_Cx1, p_Ex1, p_Kx1 (and r_* defaults)."""

PASSENGER_FRONT_AXLE = replace(PASSENGER_TYRE, cornering_stiffness_per_load=0.75 * 21.92)
"""est.: the front axle's effective cornering stiffness is lowered by steering-system
compliance (Pacejka 2012 §1.3 "compliance steer"; Gillespie, *Fundamentals of Vehicle
Dynamics*, 1992, §6: production cars understeer); 25 % gives an understeer
gradient of about 0.9 deg/g with the CR-tyre on the rear axle."""

HEAVY_TYRE = TyreParameters(
    mu_y=0.8, shape_y=1.3, curvature_y=-0.5, cornering_stiffness_per_load=9.0,
    mu_x=0.85, shape_x=1.6, curvature_x=0.4, slip_stiffness_per_load=14.0,
)
"""est.: 315/80 R22.5 truck tyres reach lower peak friction and about half the
normalised cornering stiffness of car tyres (Wong §1.4; Pacejka 2012 §4.3 fig. 4.12)."""

HEAVY_REAR_AXLE = replace(HEAVY_TYRE, cornering_stiffness_per_load=1.2 * 9.0)
"""est.: twin rear tyres, no steering compliance."""


def _petrol(peak_nm: float, peak_rpm: float, redline_rpm: float) -> tuple[tuple, tuple]:
    """A full-load curve shaped like a naturally aspirated petrol engine (est.)."""
    rpm = (800.0, 0.4 * peak_rpm + 0.6 * 800.0, peak_rpm, 0.5 * (peak_rpm + redline_rpm), redline_rpm)
    frac = (0.65, 0.88, 1.0, 0.94, 0.78)
    return tuple(r * _RPM for r in rpm), tuple(f * peak_nm for f in frac)


_escort_map = _petrol(160.0, 4000.0, 6500.0)
COMPACT_CAR = VehicleParameters(
    name="compact_car", category="car",
    mass=1225.887846725, yaw_inertia=1538.853371356,
    cog_to_front_axle=0.88392, cog_to_rear_axle=1.50876, cog_height=0.557784,
    length=4.298, width=1.674, height=1.40, rear_overhang=0.85, track_width=1.389888,
    wheel_radius=0.344, max_steering_angle=0.91, max_steering_rate=0.4,
    steering_time_constant=0.05, max_speed=45.8, max_reverse_speed=13.9,
    drive_split_front=1.0, brake_balance_front=0.76, max_brake_force=1225.9 * 7.5,
    drive_time_constant=0.25, brake_time_constant=0.15,
    drag_area=0.34 * 1.90, rolling_resistance=0.012, tyre=PASSENGER_FRONT_AXLE, rear_tyre=PASSENGER_TYRE,
    powertrain=PowertrainParameters(
        engine_speed=_escort_map[0], max_torque=_escort_map[1],
        gear_ratios=(3.42, 2.14, 1.45, 1.03, 0.77), final_drive=3.82,
    ),
    sources={
        "mass": "CR-1", "yaw_inertia": "CR-1", "cog_to_front_axle": "CR-1 a",
        "cog_to_rear_axle": "CR-1 b", "cog_height": "CR-1 h_cg", "length": "CR-1",
        "width": "CR-1", "track_width": "CR-1 T_f", "wheel_radius": "CR-1 R_w",
        "max_steering_angle": "CR-1 steering.max", "max_steering_rate": "CR-1 steering.v_max",
        "max_speed": "CR-1 longitudinal.v_max", "drive_split_front": "CR-1 T_se (FWD)",
        "brake_balance_front": "CR-1 T_sb", "max_brake_force": "est. 7.5 m/s² (see module doc)",
        "drag_area": "Wong Tab. 3.2 c_d 0.34 × est. 1.9 m²", "rolling_resistance": "Wong §1.2",
        "powertrain": "est. 1.8 l petrol, 5-speed", "height": "est.", "rear_overhang": "est.",
    },
)

_bmw_map = _petrol(190.0, 4200.0, 6500.0)
MIDSIZE_SEDAN = VehicleParameters(
    name="midsize_sedan", category="car",
    mass=1093.295233467, yaw_inertia=1791.599530012,
    cog_to_front_axle=1.1561957064, cog_to_rear_axle=1.4227170936, cog_height=0.5748689544,
    length=4.508, width=1.61, height=1.39, rear_overhang=0.93, track_width=1.38684,
    wheel_radius=0.344, max_steering_angle=1.066, max_steering_rate=0.4,
    steering_time_constant=0.05, max_speed=50.8, max_reverse_speed=13.9,
    drive_split_front=0.0, brake_balance_front=0.66, max_brake_force=1093.295233467 * 8.0,
    drive_time_constant=0.25, brake_time_constant=0.15,
    drag_area=0.31 * 1.90, rolling_resistance=0.012, tyre=PASSENGER_FRONT_AXLE, rear_tyre=PASSENGER_TYRE,
    powertrain=PowertrainParameters(
        engine_speed=_bmw_map[0], max_torque=_bmw_map[1],
        gear_ratios=(4.23, 2.52, 1.66, 1.22, 1.00), final_drive=3.23,
    ),
    sources={
        "mass": "CR-2", "yaw_inertia": "CR-2", "cog_to_front_axle": "CR-2 a",
        "cog_to_rear_axle": "CR-2 b", "cog_height": "CR-2 h_cg", "length": "CR-2",
        "width": "CR-2", "track_width": "CR-2 T_f", "wheel_radius": "CR-2 R_w",
        "max_steering_angle": "CR-2 steering.max", "max_steering_rate": "CR-2 steering.v_max",
        "max_speed": "CR-2 longitudinal.v_max", "drive_split_front": "CR-2 T_se (RWD)",
        "brake_balance_front": "CR-2 T_sb", "max_brake_force": "est. 8.0 m/s² (see module doc)",
        "drag_area": "BMW E36 c_d 0.31 × est. 1.9 m²", "rolling_resistance": "Wong §1.2",
        "powertrain": "BMW M50B20 190 N m, E36 5-speed ratios, final 3.23 (est. curve shape)",
        "height": "est.", "rear_overhang": "est.",
    },
)

_vanagon_map = _petrol(174.0, 2800.0, 5000.0)
SUV = VehicleParameters(
    name="suv", category="car",
    mass=1478.897963777, yaw_inertia=2473.117691556,
    cog_to_front_axle=1.1507916024, cog_to_rear_axle=1.3211363976, cog_height=0.7478167416,
    length=4.569, width=1.844, height=1.96, rear_overhang=1.00, track_width=1.574292,
    wheel_radius=0.344, max_steering_angle=1.023, max_steering_rate=0.4,
    steering_time_constant=0.05, max_speed=41.7, max_reverse_speed=11.2,
    drive_split_front=0.0, brake_balance_front=0.64, max_brake_force=1478.9 * 7.0,
    drive_time_constant=0.3, brake_time_constant=0.15,
    drag_area=0.44 * 2.8, rolling_resistance=0.013, tyre=PASSENGER_FRONT_AXLE, rear_tyre=PASSENGER_TYRE,
    powertrain=PowertrainParameters(
        engine_speed=_vanagon_map[0], max_torque=_vanagon_map[1],
        gear_ratios=(3.78, 2.06, 1.26, 0.88), final_drive=4.86,
    ),
    sources={
        "mass": "CR-3 (VW Vanagon: a tall, heavy body standing in for the SUV class)",
        "yaw_inertia": "CR-3", "cog_to_front_axle": "CR-3 a", "cog_to_rear_axle": "CR-3 b",
        "cog_height": "CR-3 h_cg", "length": "CR-3", "width": "CR-3", "track_width": "CR-3 T_f",
        "wheel_radius": "CR-3 R_w", "max_steering_angle": "CR-3 steering.max",
        "max_steering_rate": "CR-3 steering.v_max", "max_speed": "CR-3 longitudinal.v_max",
        "drive_split_front": "CR-3 T_se", "brake_balance_front": "CR-3 T_sb",
        "max_brake_force": "est. 7.0 m/s²", "drag_area": "est. c_d 0.44 × 2.8 m²",
        "rolling_resistance": "Wong §1.2", "powertrain": "VW 2.1 l 'MV' 174 N m, 4-speed (est. shape)",
        "height": "est.", "rear_overhang": "est.",
    },
)

_citaro_mass = 15000.0
BUS = VehicleParameters(
    name="bus", category="bus",
    mass=_citaro_mass, yaw_inertia=_citaro_mass * (12.135**2 + 2.55**2) / 12.0,
    cog_to_front_axle=0.62 * 5.845, cog_to_rear_axle=0.38 * 5.845, cog_height=1.2,
    length=12.135, width=2.55, height=3.12, rear_overhang=3.56, track_width=2.1,
    wheel_radius=0.5, max_steering_angle=0.75, max_steering_rate=0.5,
    steering_time_constant=0.1, max_speed=22.2, max_reverse_speed=2.8,
    drive_split_front=0.0, brake_balance_front=0.45, max_brake_force=_citaro_mass * 5.0,
    drive_time_constant=0.5, brake_time_constant=0.4,
    drag_area=0.6 * 7.5, rolling_resistance=0.007, tyre=HEAVY_TYRE, rear_tyre=HEAVY_REAR_AXLE,
    powertrain=PowertrainParameters(
        engine_speed=tuple(r * _RPM for r in (600.0, 1100.0, 1600.0, 2000.0, 2200.0)),
        max_torque=(700.0, 1200.0, 1200.0, 1000.0, 850.0),
        gear_ratios=(3.36, 1.91, 1.42, 1.00, 0.72, 0.62), final_drive=5.74, launch_speed=70.0,
    ),
    sources={
        "mass": "MB-Citaro, half laden (est. between 11 t kerb and 19 t GVW)",
        "yaw_inertia": "est. uniform box", "cog_to_front_axle": "MB-Citaro wheelbase 5.845 m, est. 38 % front load",
        "cog_height": "est.", "length": "MB-Citaro", "width": "MB-Citaro", "height": "MB-Citaro",
        "max_brake_force": "est. 5 m/s² (UN R13 type-0 minimum for M3)",
        "brake_time_constant": "est. air brakes", "drag_area": "est. c_d 0.6 × 7.5 m²",
        "rolling_resistance": "Wong §1.2 truck tyres", "powertrain": "MB-Citaro OM 936h, 6-speed automatic (est. ratios)",
    },
)

TRUCK = VehicleParameters(
    **{**BUS.__dict__, "name": "truck", "category": "truck", "length": 8.5, "height": 3.5,
       "rear_overhang": 2.2, "cog_to_front_axle": 0.6 * 4.8, "cog_to_rear_axle": 0.4 * 4.8,
       "yaw_inertia": _citaro_mass * (8.5**2 + 2.55**2) / 12.0,
       "sources": {**BUS.sources, "length": "est. 18 t rigid truck", "cog_to_front_axle": "est. 4.8 m wheelbase"}},
)
"""A rigid two-axle distribution truck: the bus driveline and tyres on a shorter body (est.)."""

PEDESTRIAN = PedestrianParameters()
BICYCLE = CyclistParameters()

VEHICLE_PRESETS: dict[str, VehicleParameters] = {
    p.name: p for p in (COMPACT_CAR, MIDSIZE_SEDAN, SUV, BUS, TRUCK)
}
