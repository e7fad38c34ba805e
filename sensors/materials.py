"""Surface and object properties the sensor models read.

Why a table: every model needs a different property of the same surface —
lidar reflectivity at 905 nm, a diffuse RGB albedo for the camera, a semantic
class, a radar cross-section per square metre of surface.  The road mesh names
its materials (``RoadMesh.materials``: id → name such as ``"asphalt"`` or
``"lane_marking_white"``); ``material_for_name`` maps such a name to properties
by keywords so that new mesh material names degrade to a sensible default.

Semantic tags are CARLA's (0.9.14+, Cityscapes-derived) so the native and the
CARLA backend label images alike.  Reflectivities are diffuse values at
905 nm from Velodyne/Ouster calibration practice and the reflectance survey of
Wojtanowski et al., "Comparison of 905 nm and 1550 nm semiconductor laser
rangefinders' performance deterioration due to adverse environmental
conditions", Opto-Electron. Rev. 22(3), 2014: asphalt ≈ 0.1–0.2, white
road paint ≈ 0.5–0.7 (retro-reflective beads), car paint ≈ 0.2–0.6,
vegetation ≈ 0.4–0.5, concrete ≈ 0.3–0.4, retro-reflective signs ≈ 1 (Lambertian
equivalent capped at 1 here).
"""

from __future__ import annotations

from dataclasses import dataclass


class SemanticTag:
    """CARLA semantic segmentation tags (carla.CityObjectLabel values)."""

    UNLABELED = 0
    ROAD = 1
    SIDEWALK = 2
    BUILDING = 3
    WALL = 4
    FENCE = 5
    POLE = 6
    TRAFFIC_LIGHT = 7
    TRAFFIC_SIGN = 8
    VEGETATION = 9
    TERRAIN = 10
    SKY = 11
    PEDESTRIAN = 12
    RIDER = 13
    CAR = 14
    TRUCK = 15
    BUS = 16
    TRAIN = 17
    MOTORCYCLE = 18
    BICYCLE = 19
    STATIC = 20
    DYNAMIC = 21
    OTHER = 22
    WATER = 23
    ROAD_LINE = 24
    GROUND = 25
    BRIDGE = 26
    RAIL_TRACK = 27
    GUARD_RAIL = 28


@dataclass(frozen=True)
class Material:
    """What the sensors know of one surface kind."""

    name: str
    reflectivity: float
    """Diffuse (Lambertian) reflectivity at 905 nm, 0…1."""
    albedo: tuple[float, float, float]
    """Linear RGB diffuse albedo for the camera, 0…1."""
    semantic: int
    radar_rcs_per_m2: float = 0.0
    """Radar backscatter per m² of surface facing the radar (σ⁰, linear); 0 = radar-invisible."""
    is_actor: bool = False


# Keyword → material, first match wins (order matters: "lane_marking" before "road").
_STATIC_RULES: tuple[tuple[tuple[str, ...], Material], ...] = (
    (("marking", "roadmark", "road_line"), Material("road_marking", 0.6, (0.85, 0.85, 0.80), SemanticTag.ROAD_LINE)),
    (("guard", "barrier", "crash"), Material("guard_rail", 0.5, (0.60, 0.62, 0.65), SemanticTag.GUARD_RAIL, 1.0)),
    (("curb", "kerb"), Material("curb", 0.35, (0.60, 0.60, 0.58), SemanticTag.SIDEWALK)),
    (("sidewalk", "walk", "footway"), Material("sidewalk", 0.3, (0.55, 0.55, 0.53), SemanticTag.SIDEWALK)),
    (("grass", "vegetation", "tree", "bush"), Material("vegetation", 0.45, (0.20, 0.40, 0.15), SemanticTag.VEGETATION)),
    (("terrain", "soil", "gravel", "shoulder", "border", "median"), Material("terrain", 0.25, (0.45, 0.40, 0.32), SemanticTag.TERRAIN)),
    (("building",), Material("building", 0.3, (0.55, 0.50, 0.45), SemanticTag.BUILDING, 0.3)),
    (("wall", "concrete"), Material("wall", 0.35, (0.62, 0.60, 0.57), SemanticTag.WALL, 0.3)),
    (("fence",), Material("fence", 0.3, (0.50, 0.50, 0.50), SemanticTag.FENCE, 0.3)),
    (("pole", "post"), Material("pole", 0.4, (0.50, 0.50, 0.52), SemanticTag.POLE, 1.0)),
    (("trafficlight", "traffic_light", "signal_light"), Material("traffic_light", 0.3, (0.15, 0.15, 0.15), SemanticTag.TRAFFIC_LIGHT, 1.0)),
    (("sign", "signal"), Material("traffic_sign", 1.0, (0.80, 0.80, 0.80), SemanticTag.TRAFFIC_SIGN, 1.0)),
    (("asphalt", "road", "driving", "lane", "parking", "bik", "stop", "none", "restricted", "entry", "exit",
      "ramp", "bidirectional", "special", "tram", "rail", "bus", "taxi", "hov", "slip", "shared"), Material("asphalt", 0.15, (0.18, 0.18, 0.19), SemanticTag.ROAD)),
)

DEFAULT_STATIC = Material("static", 0.3, (0.5, 0.5, 0.5), SemanticTag.STATIC)


def material_for_name(name: str) -> Material:
    """Properties for a mesh material name (keyword match, case-insensitive), keeping the name."""
    key = name.lower().replace("-", "_").replace(" ", "_")
    for words, material in _STATIC_RULES:
        if any(w in key for w in words):
            return Material(name, material.reflectivity, material.albedo, material.semantic,
                            material.radar_rcs_per_m2)
    return Material(name, DEFAULT_STATIC.reflectivity, DEFAULT_STATIC.albedo, DEFAULT_STATIC.semantic)


# OpenSCENARIO categories (VehicleCategory, PedestrianCategory, MiscObjectCategory) → material.
_ACTOR_MATERIALS: dict[str, Material] = {
    "car": Material("car", 0.4, (0.55, 0.08, 0.08), SemanticTag.CAR, is_actor=True),
    "van": Material("van", 0.45, (0.75, 0.75, 0.78), SemanticTag.CAR, is_actor=True),
    "truck": Material("truck", 0.45, (0.30, 0.35, 0.55), SemanticTag.TRUCK, is_actor=True),
    "trailer": Material("trailer", 0.45, (0.60, 0.60, 0.62), SemanticTag.TRUCK, is_actor=True),
    "semitrailer": Material("semitrailer", 0.45, (0.60, 0.60, 0.62), SemanticTag.TRUCK, is_actor=True),
    "bus": Material("bus", 0.45, (0.80, 0.70, 0.10), SemanticTag.BUS, is_actor=True),
    "tram": Material("tram", 0.45, (0.80, 0.80, 0.80), SemanticTag.TRAIN, is_actor=True),
    "train": Material("train", 0.45, (0.80, 0.80, 0.80), SemanticTag.TRAIN, is_actor=True),
    "motorbike": Material("motorbike", 0.35, (0.10, 0.10, 0.10), SemanticTag.MOTORCYCLE, is_actor=True),
    "bicycle": Material("bicycle", 0.3, (0.10, 0.30, 0.60), SemanticTag.BICYCLE, is_actor=True),
    "pedestrian": Material("pedestrian", 0.3, (0.45, 0.35, 0.30), SemanticTag.PEDESTRIAN, is_actor=True),
    "wheelchair": Material("wheelchair", 0.3, (0.30, 0.30, 0.30), SemanticTag.PEDESTRIAN, is_actor=True),
    "animal": Material("animal", 0.3, (0.40, 0.30, 0.20), SemanticTag.DYNAMIC, is_actor=True),
}


def material_for_category(category: str) -> Material:
    """Actor material by OpenSCENARIO category; unknown categories are generic dynamic objects."""
    found = _ACTOR_MATERIALS.get(category.lower())
    if found is not None:
        return found
    return Material(category.lower() or "object", 0.3, (0.45, 0.45, 0.45), SemanticTag.DYNAMIC, is_actor=True)
