"""The network-level questions of ``RoadNetwork`` that other modules answer.

Why a mixin of thin forwards: topology, lane graph, routing, signals and
objects are separate modules (one job each) that read only the data model;
``RoadNetwork`` exposes them as methods so callers have one object to ask,
and builds the expensive ones (lane graph, signals, objects) once, on demand.
"""

from __future__ import annotations

from functools import cached_property
from typing import Sequence


class NetworkFeatures:
    """Forwards to ``topology``, ``lane_graph``, ``routing``, ``signals``, ``objects``."""

    def driving_direction(self, road_id: str, lane_id: int) -> int:
        """+1 when traffic in the lane moves with increasing s, -1 against."""
        from simplatform.opendrive import topology

        return topology.driving_direction(self, road_id, lane_id)

    def neighbour_lane(self, road_id: str, lane_id: int, s: float, side: int) -> int | None:
        """The drivable lane of the same direction to the driver's left (+1) or right (-1)."""
        from simplatform.opendrive import topology

        return topology.neighbour_lane(self, road_id, lane_id, s, side)

    def successors(self, road_id: str, lane_id: int) -> list[tuple[str, int]]:
        """Lanes that follow in the driving direction (through junctions too)."""
        from simplatform.opendrive import topology

        return topology.successors(self, road_id, lane_id)

    def predecessors(self, road_id: str, lane_id: int) -> list[tuple[str, int]]:
        """Lanes that lead into this one in the driving direction."""
        from simplatform.opendrive import topology

        return topology.predecessors(self, road_id, lane_id)

    @cached_property
    def lane_graph(self):
        """The lane graph, built on first use."""
        from simplatform.opendrive.lane_graph import build_lane_graph

        return build_lane_graph(self)

    def route(self, start, goal, via: Sequence = ()):
        """Shortest route by length from ``start`` through ``via`` to ``goal``."""
        from simplatform.opendrive import routing

        return routing.route(self, self.lane_graph, start, goal, via)

    def route_path(self, route, spacing: float = 1.0):
        """Lane-centre points along ``route`` headed the way it is driven (``route_path`` module)."""
        from simplatform.opendrive.route_path import route_path

        return route_path(self, route, spacing)

    def route_distance(self, a, b) -> float:
        """Length of the shortest route from ``a`` to ``b``."""
        from simplatform.opendrive import routing

        return routing.route_distance(self, self.lane_graph, a, b)

    @property
    def junction_groups(self):
        """<junctionGroup>s by id (``JunctionGroup``: e.g. the junctions of a roundabout)."""
        return self.document.junction_groups

    def structures_at(self, road_id: str, s: float, lane_id: int | None = None) -> list:
        """The tunnels and bridges (``RoadTunnel``/``RoadBridge``) that cover road
        coordinate ``s`` — on lane ``lane_id`` when given, honouring their <validity>
        records; none covers s outside [s, s + length]."""
        road = self.roads.get(road_id)
        if road is None:
            from simplatform.errors import RoadNetworkError

            raise RoadNetworkError(f"the road network has no road {road_id!r}", file=self.source)
        s = float(s)
        out = []
        for item in (*road.tunnels, *road.bridges):
            if not item.s - 1e-9 <= s <= item.s + item.length + 1e-9:
                continue
            if lane_id is not None and item.validity and not any(
                    min(v.from_lane, v.to_lane) <= lane_id <= max(v.from_lane, v.to_lane) for v in item.validity):
                continue
            out.append(item)
        return out

    @cached_property
    def signals(self):
        """Signals by id with signal references resolved and world poses (``signals`` module)."""
        from simplatform.opendrive import signals

        return signals.build_signals(self)

    @cached_property
    def objects(self):
        """Road objects with repeats expanded and outlines in the world frame (``objects`` module)."""
        from simplatform.opendrive import objects

        return objects.build_objects(self)
