"""The road's grip under each vehicle, as a scale of its tyres' own peak friction.

Two standards state it:

* OpenSCENARIO 1.x §7.6 ``RoadCondition@frictionScaleFactor`` (``road_friction`` in the
  engine's environment, :mod:`simplatform.engine.environment`): a scenario-wide factor, changed by
  an EnvironmentAction at any time;
* OpenDRIVE 1.6+ §11.7.2 lane ``<material friction=...>`` (:class:`~simplatform.opendrive.model.LaneMaterial`):
  the surface's friction coefficient from ``sOffset`` (relative to the lane section's start) to the
  next entry; a lane without one has the reference surface.

The lane's coefficient is read against :data:`REFERENCE_SURFACE_FRICTION` — the dry reference surface
the tyres' Magic Formula peaks were measured on — so the tyre peak a vehicle gets is
``tyre mu × frictionScaleFactor × lane friction / REFERENCE_SURFACE_FRICTION``, applied through
:meth:`vehicle_models.VehicleFleet.set_road_friction` (Pacejka's ``lambda_mu``).  Off the road
network a vehicle has the reference surface (times the scenario's factor).
"""

from __future__ import annotations

from bisect import bisect_right

import numpy as np

REFERENCE_SURFACE_FRICTION = 1.0
"""Friction coefficient of the surface the tyre coefficients refer to (a lane material of 1.0 changes nothing)."""


class RoadFriction:
    """Lane-material friction of a road network, looked up by (road, lane, s)."""

    def __init__(self, network) -> None:
        # (road id, lane id) -> sorted starts (absolute s), ends (the section's end) and friction
        self._lanes: dict[tuple[str, int], tuple[list[float], list[float], list[float]]] = {}
        roads = getattr(network, "roads", None) or {}
        for road_id, road in roads.items():
            for section in road.lane_sections:
                for lane in section.lanes.values():
                    for mat in lane.materials:
                        starts, ends, values = self._lanes.setdefault((str(road_id), int(lane.id)), ([], [], []))
                        k = bisect_right(starts, section.s + mat.s_offset)
                        starts.insert(k, section.s + mat.s_offset)
                        ends.insert(k, section.s_end)
                        values.insert(k, float(mat.friction) / REFERENCE_SURFACE_FRICTION)

    @property
    def has_materials(self) -> bool:
        return bool(self._lanes)

    def lane_factor(self, road_id: str | None, lane_id: int, s: float) -> float:
        """The lane material's friction over the reference surface at (road, lane, s); 1 without one."""
        entry = self._lanes.get((road_id, int(lane_id))) if road_id is not None else None
        if entry is None:
            return 1.0
        starts, ends, values = entry
        k = bisect_right(starts, s) - 1
        if k < 0 or s > ends[k]:
            return 1.0
        return values[k]

    def scales(self, table, rows, scenario_factor: float) -> np.ndarray:
        """Road friction scale of the table's entities ``rows``: the scenario's factor times each lane's."""
        out = np.full(len(rows), float(scenario_factor))
        if self._lanes:
            road, lane, s = table.lane_road, table.lane_id, table.lane_s
            for k, i in enumerate(rows):
                out[k] *= self.lane_factor(road[i], lane[i], float(s[i]))
        return out


def scenario_friction(engine) -> float:
    """RoadCondition@frictionScaleFactor now (1 when the scenario states none)."""
    return float(engine.environment_state.static_value("road_friction", 1.0))


class FrictionLatch:
    """Keeps a vehicle fleet's tyres on the grip of the road under its vehicles (one per fleet owner).

    ``apply(fleet, rows)`` once per model step: the fleet (``VehicleFleet``) is rescaled only when
    the grip changed — an EnvironmentAction, a vehicle entering a lane of another material, or a new
    fleet object (rebuilt when vehicles join).  Without lane materials in the network the check is
    one float comparison.
    """

    def __init__(self, engine) -> None:
        self.engine = engine
        self._grip: RoadFriction | None = None  # built on first use (reads the whole network)
        self._fleet = None
        self._factor: float | None = None

    def apply(self, fleet, rows) -> None:
        if self._grip is None:
            self._grip = RoadFriction(getattr(self.engine.road, "net", None))
        factor = scenario_friction(self.engine)
        if not self._grip.has_materials:
            if factor == self._factor and fleet is self._fleet:
                return
            fleet.set_road_friction(slice(None), factor)
        else:
            scales = self._grip.scales(self.engine.table, rows, factor)
            if fleet is self._fleet and np.array_equal(scales, fleet.road_friction):
                return
            fleet.set_road_friction(slice(None), scales)
        self._fleet, self._factor = fleet, factor
