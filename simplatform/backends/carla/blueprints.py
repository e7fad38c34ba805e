"""Which CARLA blueprint stands for a scenario entity.

OpenSCENARIO 1.x describes an entity by class, not by asset: ``Vehicle@vehicleCategory``,
``Pedestrian@pedestrianCategory``, ``MiscObject@miscObjectCategory`` (§7.3.2,
§7.3.3, §7.3.4), plus a free ``name`` and, since 1.1, ``model3d``.  CARLA
ScenarioRunner's convention is that the Vehicle ``name`` (or ``model3d``) *is*
the blueprint id ("vehicle.lincoln.mkz_2017", or a wildcard like
"vehicle.*"); we honour that first and fall back to one documented blueprint per
category (:data:`CATEGORY_BLUEPRINTS`).  A string that looks like a blueprint
id (``vehicle.``/``walker.``/``static.`` prefix) but is not in the server's
library is an error, not a silent substitution: the user meant that model.

A category that has no body in CARLA (road markings, parking spaces, patches,
wind) maps to ``None``: no actor is spawned and the entity exists only in the
platform's own world (the snapshot row comes from the engine).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

import numpy as np

from simplatform.errors import ScenarioError
from simplatform.world import EntityKind

BLUEPRINT_PREFIXES = ("vehicle.", "walker.", "static.")

CATEGORY_BLUEPRINTS: dict[tuple[EntityKind, str], str | None] = {
    # Vehicle@vehicleCategory (OpenSCENARIO 1.x VehicleCategory enumeration)
    (EntityKind.VEHICLE, "car"): "vehicle.tesla.model3",
    (EntityKind.VEHICLE, "van"): "vehicle.mercedes.sprinter",
    (EntityKind.VEHICLE, "truck"): "vehicle.carlamotors.carlacola",
    (EntityKind.VEHICLE, "trailer"): "vehicle.carlamotors.carlacola",      # CARLA has no trailers
    (EntityKind.VEHICLE, "semitrailer"): "vehicle.carlamotors.carlacola",
    (EntityKind.VEHICLE, "bus"): "vehicle.mitsubishi.fusorosa",
    (EntityKind.VEHICLE, "motorbike"): "vehicle.yamaha.yzf",
    (EntityKind.VEHICLE, "bicycle"): "vehicle.diamondback.century",
    # Pedestrian@pedestrianCategory
    (EntityKind.PEDESTRIAN, "pedestrian"): "walker.pedestrian.0001",
    (EntityKind.PEDESTRIAN, "wheelchair"): "walker.pedestrian.0001",        # no wheelchair asset
    # MiscObject@miscObjectCategory
    (EntityKind.MISC_OBJECT, "none"): "static.prop.box01",
    (EntityKind.MISC_OBJECT, "obstacle"): "static.prop.streetbarrier",
    (EntityKind.MISC_OBJECT, "barrier"): "static.prop.streetbarrier",
    (EntityKind.MISC_OBJECT, "railing"): "static.prop.chainbarrier",
    (EntityKind.MISC_OBJECT, "pole"): "static.prop.streetsign",
    (EntityKind.MISC_OBJECT, "streetLamp"): "static.prop.streetsign",
    (EntityKind.MISC_OBJECT, "tree"): "static.prop.plantpot01",
    (EntityKind.MISC_OBJECT, "vegetation"): "static.prop.plantpot01",
    (EntityKind.MISC_OBJECT, "building"): "static.prop.kiosk_01",
    (EntityKind.MISC_OBJECT, "trafficIsland"): "static.prop.constructioncone",
    (EntityKind.MISC_OBJECT, "soundBarrier"): "static.prop.streetbarrier",
    (EntityKind.MISC_OBJECT, "gantry"): "static.prop.streetsign",
    (EntityKind.MISC_OBJECT, "parkingSpace"): None,
    (EntityKind.MISC_OBJECT, "patch"): None,
    (EntityKind.MISC_OBJECT, "crosswalk"): None,
    (EntityKind.MISC_OBJECT, "roadMark"): None,
    (EntityKind.MISC_OBJECT, "wind"): None,
}
"""(kind, OpenSCENARIO category) → blueprint id; None: nothing to spawn."""


@dataclass(frozen=True)
class BlueprintChoice:
    blueprint_id: str | None
    reason: str
    """"explicit", "wildcard" or "category" (or "no body" when ``blueprint_id`` is None)."""


def _candidates(body) -> list[str]:
    names = []
    for attr in ("model3d", "model", "name"):
        value = getattr(body, attr, None)
        if isinstance(value, str) and value.strip():
            names.append(value.strip())
    return names


def choose_blueprint(library_ids: list[str] | tuple[str, ...], entity: str, kind: EntityKind, category: str,
                     body=None, rng: np.random.Generator | None = None, file: str | None = None) -> BlueprintChoice:
    """The blueprint id for one entity, given the ids the server's library holds.

    ``body`` is the OpenSCENARIO Vehicle/Pedestrian/MiscObject (its ``model3d``,
    ``model`` and ``name`` are tried in that order).  A wildcard draws one match
    with ``rng`` (seeded by the caller), sorted first so the draw depends on the
    seed only.
    """
    known = set(library_ids)
    for name in _candidates(body):
        if name in known:
            return BlueprintChoice(name, "explicit")
        if any(ch in name for ch in "*?["):
            matches = sorted(i for i in library_ids if fnmatch.fnmatchcase(i, name))
            if matches:
                pick = matches[int(rng.integers(len(matches)))] if rng is not None else matches[0]
                return BlueprintChoice(pick, "wildcard")
        if name.startswith(BLUEPRINT_PREFIXES):
            raise ScenarioError(f"entity {entity!r} names the CARLA blueprint {name!r}, which the CARLA server's "
                                "blueprint library does not hold", file=file, element=type(body).__name__)
    key = (kind, category)
    if key not in CATEGORY_BLUEPRINTS:
        raise ScenarioError(f"entity {entity!r}: a {kind.value} of category {category!r} has no CARLA blueprint; "
                            "name one (e.g. 'vehicle.tesla.model3') in its model3d or name attribute",
                            file=file, element=type(body).__name__ if body is not None else None)
    bp = CATEGORY_BLUEPRINTS[key]
    if bp is None:
        return BlueprintChoice(None, "no body")
    if bp not in known:
        raise ScenarioError(f"entity {entity!r}: the CARLA server's blueprint library lacks {bp!r}, the blueprint "
                            f"for a {category}; name another in its model3d or name attribute",
                            file=file, element=type(body).__name__ if body is not None else None)
    return BlueprintChoice(bp, "category")
