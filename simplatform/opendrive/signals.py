"""Signals of a road network: placed in the world, with their references and controllers.

Sources: ASAM OpenDRIVE 1.7/1.8 §14 (signals): a ``<signal>`` stands on one
road at (s, t) and is valid for the lanes of its ``<validity>`` in the
direction its ``orientation`` names ("+" traffic driving with s, "-" against
s, "none" both); a ``<signalReference>`` (§14.7) makes the same signal valid
on another road at another (s, t); ``<positionInertial>``/``<positionRoad>``
(§14.3) say where it physically stands when that is not its logical place; a
``<controller>`` (§14.8) switches dynamic signals together.

Stop lines: the German catalogue's sign 294 ("Haltlinie", OpenDRIVE's usual
encoding of a stop line as a signal, as CARLA's maps do) is reported by
``stop_lines``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from simplatform.errors import RoadNetworkError
from simplatform.opendrive import model as m
from simplatform.opendrive import topology
from simplatform.opendrive.positions import LanePosition, Pose

STOP_LINE_TYPES = frozenset({"294"})
TRAFFIC_LIGHT_TYPES = frozenset({"1000001", "1000002", "1000007", "1000008", "1000009", "1000010",
                                 "1000011", "1000012", "1000013", "1000014", "1000015", "1000016",
                                 "1000020"})


class PosedNetwork(topology.HasRoads, Protocol):
    controllers: dict[str, m.Controller]

    def road_pose(self, road_id: str, s: float, t: float = 0.0) -> Pose: ...


@dataclass(frozen=True)
class SignalPlacement:
    """Where a signal is logically valid: on ``road_id`` at (s, t), for traffic in
    ``orientation``, on the ``validity`` lanes (empty: every lane)."""

    road_id: str
    s: float
    t: float
    orientation: str
    validity: tuple[m.LaneValidity, ...]
    is_reference: bool = False

    def applies_to(self, lane_id: int, direction: int) -> bool:
        """Valid for traffic in ``lane_id`` driving in ``direction`` (+1 with s)?"""
        if self.orientation == "+" and direction < 0 or self.orientation == "-" and direction > 0:
            return False
        if not self.validity:
            return True
        return any(min(v.from_lane, v.to_lane) <= lane_id <= max(v.from_lane, v.to_lane) for v in self.validity)


@dataclass(frozen=True)
class NetworkSignal:
    """One signal with its world pose, every placement (its own first, then its
    references) and the controllers that switch it.  ``pose.heading`` points
    along the traffic it addresses (road heading, +π for orientation "-",
    plus hOffset)."""

    id: str
    record: m.Signal
    pose: Pose
    placements: tuple[SignalPlacement, ...]
    controller_ids: tuple[str, ...]

    # the record's fields people ask for most
    @property
    def road_id(self) -> str:
        return self.record.road_id

    @property
    def s(self) -> float:
        return self.record.s

    @property
    def t(self) -> float:
        return self.record.t

    @property
    def orientation(self) -> str:
        return self.record.orientation

    @property
    def type(self) -> str:
        return self.record.type

    @property
    def subtype(self) -> str:
        return self.record.subtype

    @property
    def country(self) -> str | None:
        return self.record.country

    @property
    def dynamic(self) -> bool:
        return self.record.dynamic

    @property
    def name(self) -> str | None:
        return self.record.name

    @property
    def value(self) -> float | None:
        return self.record.value

    @property
    def unit(self) -> str | None:
        return self.record.unit

    @property
    def validity(self) -> tuple[m.LaneValidity, ...]:
        return self.record.validity

    @property
    def is_traffic_light(self) -> bool:
        return self.record.dynamic and self.record.type in TRAFFIC_LIGHT_TYPES

    @property
    def is_stop_line(self) -> bool:
        return self.record.type in STOP_LINE_TYPES


@dataclass(frozen=True)
class SignalAhead:
    """A signal met ``distance`` metres ahead along the lanes, at ``placement``."""

    distance: float
    signal: NetworkSignal
    placement: SignalPlacement


def _world_pose(net: PosedNetwork, sig: m.Signal) -> Pose:
    if sig.position_inertial is not None:
        p = sig.position_inertial
        return Pose(p.x, p.y, p.z, p.hdg, p.pitch, p.roll)
    if sig.position_road is not None:
        p = sig.position_road
        base = net.road_pose(p.road_id, p.s, p.t)
        return Pose(base.x, base.y, base.z + p.z_offset, base.heading + p.h_offset, p.pitch, p.roll)
    base = net.road_pose(sig.road_id, sig.s, sig.t)
    heading = base.heading + (math.pi if sig.orientation == "-" else 0.0) + sig.h_offset
    heading = math.atan2(math.sin(heading), math.cos(heading))
    return Pose(base.x, base.y, base.z + sig.z_offset, heading, sig.pitch, sig.roll)


def build_signals(net: PosedNetwork) -> dict[str, NetworkSignal]:
    """Every signal of the network by id, references and controllers resolved.

    A reference to a signal the file does not define raises ``RoadNetworkError``
    naming the road and line."""
    records: dict[str, m.Signal] = {}
    placements: dict[str, list[SignalPlacement]] = {}
    for road in net.roads.values():
        for sig in road.signals:
            records[sig.id] = sig
            placements.setdefault(sig.id, []).insert(
                0, SignalPlacement(road.id, sig.s, sig.t, sig.orientation, sig.validity))
    for road in net.roads.values():
        for ref in road.signal_references:
            if ref.id not in records:
                raise RoadNetworkError(f"road {road.id}: signalReference names signal {ref.id!r} "
                                       "which does not exist", file=getattr(net, "source", None),
                                       line=ref.line, element="signalReference")
            placements[ref.id].append(SignalPlacement(road.id, ref.s, ref.t, ref.orientation,
                                                      ref.validity, is_reference=True))
    controlled: dict[str, list[str]] = {}
    for controller in net.controllers.values():
        for signal_id in controller.signal_ids:
            controlled.setdefault(signal_id, []).append(controller.id)
    return {
        sid: NetworkSignal(sid, sig, _world_pose(net, sig), tuple(placements[sid]),
                           tuple(controlled.get(sid, ())))
        for sid, sig in records.items()
    }


# ------------------------------------------------------------------ queries
def signals_on_road(signals: dict[str, NetworkSignal], road_id: str) -> list[tuple[NetworkSignal, SignalPlacement]]:
    """Signals valid on ``road_id`` (own placements and references), by s."""
    out = [(sig, p) for sig in signals.values() for p in sig.placements if p.road_id == str(road_id)]
    return sorted(out, key=lambda item: item[1].s)


def traffic_lights(net: PosedNetwork, signals: dict[str, NetworkSignal], controller_id: str) -> list[NetworkSignal]:
    """The signals controller ``controller_id`` switches, in its order (§14.8)."""
    controller = net.controllers.get(str(controller_id))
    if controller is None:
        raise RoadNetworkError(f"no controller {controller_id!r} in the network")
    return [signals[sid] for sid in controller.signal_ids if sid in signals]


def dynamic_signals(signals: dict[str, NetworkSignal]) -> list[NetworkSignal]:
    return [sig for sig in signals.values() if sig.dynamic]


def stop_lines(signals: dict[str, NetworkSignal]) -> list[NetworkSignal]:
    return [sig for sig in signals.values() if sig.is_stop_line]


def signals_ahead(net: PosedNetwork, signals: dict[str, NetworkSignal], position: LanePosition,
                  distance: float) -> list[SignalAhead]:
    """Signals valid for traffic in ``position``'s lane met within ``distance``
    metres ahead, following the lane's successors through junctions (every
    branch), nearest first.  Distances are along the reference lines (s)."""
    by_road: dict[str, list[tuple[NetworkSignal, SignalPlacement]]] = {}
    for sig in signals.values():
        for p in sig.placements:
            by_road.setdefault(p.road_id, []).append((sig, p))
    road = topology.road(net, str(position.road_id))
    start = (road.id, topology.section_index(road, position.s), int(position.lane_id))
    topology.lane_in(road, start[1], start[2])
    found: dict[str, SignalAhead] = {}
    frontier = [(start, float(position.s), 0.0)]  # lane section, s where we are in it, distance so far
    seen: set = set()
    while frontier:
        key, s_here, travelled = frontier.pop()
        if (key, round(s_here, 6)) in seen or travelled > distance:
            continue
        seen.add((key, round(s_here, 6)))
        r = net.roads[key[0]]
        direction = topology.driving_direction(net, key[0], key[2])
        section = r.lane_sections[key[1]]
        s_exit = section.s_end if direction > 0 else section.s
        for sig, p in by_road.get(key[0], ()):
            ahead = (p.s - s_here) * direction
            in_section = min(section.s, section.s_end) - 1e-9 <= p.s <= max(section.s, section.s_end) + 1e-9
            if in_section and ahead >= -1e-9 and travelled + ahead <= distance and p.applies_to(key[2], direction):
                d = travelled + max(ahead, 0.0)
                if sig.id not in found or d < found[sig.id].distance:
                    found[sig.id] = SignalAhead(d, sig, p)
        left = travelled + abs(s_exit - s_here)
        if left <= distance:
            for nxt in topology.lane_successors(net, key):
                nxt_road = net.roads[nxt[0]]
                nxt_sec = nxt_road.lane_sections[nxt[1]]
                entry = nxt_sec.s if topology.driving_direction(net, nxt[0], nxt[2]) > 0 else nxt_sec.s_end
                frontier.append((nxt, entry, left))
    return sorted(found.values(), key=lambda a: a.distance)
