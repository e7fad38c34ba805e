"""The library's OpenSCENARIO catalogs (ASAM OpenSCENARIO 1.2 §9.3): vehicles,
pedestrians, misc objects and driver-model controllers.

Vehicles carry the numbers of the ``vehicle_models`` presets so that any
player sees the same body and limits the native engine simulates:
BoundingBox from length/width/height and the rear overhang (the reference
point is the rear-axle centre, §6.4), Axles from wheelbase, track and wheel
radius, Performance from the preset's top speed, launch traction force / mass
and brake force / mass, and the mass.  Controllers name a
``vehicle_models.drivers`` model by its documented properties
(``vehicle_models/drivers/properties.py``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from scenariogeneration import xosc

from vehicle_models import BICYCLE, PEDESTRIAN, VEHICLE_PRESETS, VehicleParameters

OSC_MINOR = 2
DATE = dt.datetime(2026, 1, 1, 0, 0, 0)
AUTHOR = "simplatform scenario library"
# scenariogeneration keeps the target version in a class attribute that decides how every element
# is written; the library writes OpenSCENARIO 1.2 throughout
xosc.VersionBase().setVersion(minor=OSC_MINOR)

VEHICLE_CATALOG = "VehicleCatalog"
PEDESTRIAN_CATALOG = "PedestrianCatalog"
MISC_CATALOG = "MiscObjectCatalog"
CONTROLLER_CATALOG = "ControllerCatalog"

# catalog entry -> (preset name, vehicle category)
CAR_ENTRIES = {"car_compact": "compact_car", "car_sedan": "midsize_sedan", "car_suv": "suv",
               "bus": "bus", "truck": "truck"}


@dataclass(frozen=True)
class Body:
    """What the builder needs to know of a catalog entry: size and reference-point offset."""

    length: float
    width: float
    height: float
    center_x: float  # bounding-box centre ahead of the reference point (m)
    category: str


def _preset_vehicle(entry: str, p: VehicleParameters, role: xosc.Role | None = None,
                    category: xosc.VehicleCategory | None = None) -> xosc.Vehicle:
    center_x = p.length / 2 - p.rear_overhang
    bb = xosc.BoundingBox(p.width, p.length, p.height, center_x, 0.0, p.height / 2)
    d = 2 * p.wheel_radius
    front = xosc.Axle(p.max_steering_angle, d, p.track_width, p.wheelbase, p.wheel_radius)
    rear = xosc.Axle(0.0, d, p.track_width, 0.0, p.wheel_radius)
    max_accel = float(p.powertrain.max_wheel_force(0.0, p.wheel_radius)) / p.mass
    cat = category or {"car": xosc.VehicleCategory.car, "bus": xosc.VehicleCategory.bus,
                       "truck": xosc.VehicleCategory.truck}[p.category]
    vehicle = xosc.Vehicle(entry, cat, bb, front, rear, round(p.max_speed, 3), round(max_accel, 3),
                           round(p.max_brake_force / p.mass, 3), mass=round(p.mass, 3), role=role)
    vehicle.add_property("simplatform.preset", p.name)
    return vehicle


def vehicles() -> list[xosc.Vehicle]:
    out = [_preset_vehicle(entry, VEHICLE_PRESETS[preset]) for entry, preset in CAR_ENTRIES.items()]
    out.append(_preset_vehicle("ambulance", VEHICLE_PRESETS["suv"], role=xosc.Role.ambulance,
                               category=xosc.VehicleCategory.van))
    # Euro NCAP Motorcyclist Target (EMT): a 2.2 m × 0.8 m scooter-class body (Euro NCAP AEB/LSS
    # VRU protocol, EMT specification); limits est. for a 125 cc class motorcycle
    emt = xosc.Vehicle("motorcycle", xosc.VehicleCategory.motorbike,
                       xosc.BoundingBox(0.8, 2.2, 1.5, 0.65, 0.0, 0.75),
                       xosc.Axle(0.6, 0.6, 0.0, 1.45, 0.3), xosc.Axle(0.0, 0.6, 0.0, 0.0, 0.3),
                       30.0, 4.0, 8.0, mass=200.0)
    emt.add_property("simplatform.preset", "motorcycle")
    out.append(emt)
    b = BICYCLE
    bike = xosc.Vehicle("bicycle", xosc.VehicleCategory.bicycle,
                        xosc.BoundingBox(b.width, b.length, b.height, b.length / 2 - b.rear_overhang, 0.0, b.height / 2),
                        xosc.Axle(b.max_steering_angle, 0.7, 0.0, b.wheelbase, 0.35),
                        xosc.Axle(0.0, 0.7, 0.0, 0.0, 0.35),
                        b.max_speed, b.max_acceleration, b.max_deceleration, mass=90.0)
    bike.add_property("simplatform.preset", "bicycle")
    out.append(bike)
    return out


def pedestrians() -> list[xosc.Pedestrian]:
    """Adult and child: the Euro NCAP pedestrian targets EPTa (1.80 m) and EPTc (1.154 m)
    (Euro NCAP AEB VRU test protocol §2, target specification)."""
    p = PEDESTRIAN
    adult = xosc.Pedestrian("adult", 75.0, xosc.PedestrianCategory.pedestrian,
                            xosc.BoundingBox(p.width, p.length, p.height, 0.0, 0.0, p.height / 2), model="adult")
    child = xosc.Pedestrian("child", 25.0, xosc.PedestrianCategory.pedestrian,
                            xosc.BoundingBox(0.45, 0.35, 1.154, 0.0, 0.0, 0.577), model="child")
    return [adult, child]


def misc_objects() -> list[xosc.MiscObject]:
    """Roadside unit (simplatform V2X convention: a pole), traffic cone, work-zone barrier,
    a stationary obstacle (UN R157 §5.2.5 test target: a lost load / object) and a parked-van box."""
    return [
        xosc.MiscObject("rsu", 50.0, xosc.MiscObjectCategory.pole, xosc.BoundingBox(0.3, 0.3, 5.0, 0, 0, 2.5)),
        xosc.MiscObject("cone", 1.0, xosc.MiscObjectCategory.obstacle, xosc.BoundingBox(0.3, 0.3, 0.75, 0, 0, 0.375)),
        xosc.MiscObject("barrier", 40.0, xosc.MiscObjectCategory.barrier, xosc.BoundingBox(0.4, 3.0, 1.0, 0, 0, 0.5)),
        xosc.MiscObject("obstacle", 100.0, xosc.MiscObjectCategory.obstacle, xosc.BoundingBox(1.0, 1.0, 0.8, 0, 0, 0.4)),
    ]


# entry -> driver-model properties (names and meanings: vehicle_models/drivers/properties.py)
CONTROLLERS: dict[str, dict[str, str]] = {
    "idm_mobil_normal": {"model": "idm_mobil", "style": "normal"},
    "idm_mobil_aggressive": {"model": "idm_mobil", "style": "aggressive"},
    "idm_mobil_cautious": {"model": "idm_mobil", "style": "cautious"},
    "idm_normal": {"model": "idm", "style": "normal"},
    "human_normal": {"model": "human", "style": "normal", "seed": "7"},
}


def controllers() -> list[xosc.Controller]:
    out = []
    for name, props in CONTROLLERS.items():
        properties = xosc.Properties()
        for k, v in props.items():
            properties.add_property(k, v)
        out.append(xosc.Controller(name, properties))
    return out


def bodies() -> dict[str, Body]:
    """Size of every vehicle/pedestrian/misc entry, by entry name (for placement arithmetic)."""
    out = {}
    for v in vehicles() + pedestrians() + misc_objects():
        bb = v.boundingbox
        category = str(getattr(v, "category", getattr(v, "vehicle_type", "misc")))
        out[v.name] = Body(float(bb.boundingbox.length), float(bb.boundingbox.width), float(bb.boundingbox.height),
                           float(bb.center.x), category)
    return out


def catalog_files() -> dict[str, tuple[str, list]]:
    """file stem -> (catalog name, entries)."""
    return {
        VEHICLE_CATALOG: (VEHICLE_CATALOG, vehicles()),
        PEDESTRIAN_CATALOG: (PEDESTRIAN_CATALOG, pedestrians()),
        MISC_CATALOG: (MISC_CATALOG, misc_objects()),
        CONTROLLER_CATALOG: (CONTROLLER_CATALOG, controllers()),
    }
