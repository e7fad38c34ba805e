"""V2X message sets used by cooperative scenarios, shaped after SAE J2735 (2016).

Only the fields a driving stack acts on are kept, in SI units and in the map's
inertial frame (a real radio sends WGS-84; the GNSS model shows the
conversion); ``sender`` names the transmitting entity or roadside unit.
- ``BasicSafetyMessage``: BSM Part I core data (§5.2.1 BSMcoreData): position,
  speed, heading, acceleration, yaw rate, vehicle size.
- ``SignalPhaseAndTiming``: SPaT (§5.16) movement states per signal group with
  the time to the next change (``minEndTime``).
- ``MapData``: MAP (§5.11), reduced to the lanes of an intersection and the
  signal group that controls each.
- ``RoadsideSafetyMessage``: roadside perception shared as objects, in the
  spirit of the J2735 RSM / ETSI TS 103 324 Collective Perception Message:
  what the unit's own sensors see (``sensors.v2x_rsu_perception``), with the
  time they measured it.
- ``EventMessage``: an event the scenario's storyboard sends (simplatform V2X
  convention, /work/notes/v2x_convention.md): ETSI EN 302 637-3 DENM, ETSI
  TS 103 301 IVI, or an application-level warning carried by another set;
  ``x``/``y`` are the event position (DENM ``eventPosition``), filled from
  the named entity's pose when the scenario names an entity instead.

Every message has a ``message`` field naming its set (``BSM``, ``SPAT``,
``MAP``, ``RSM``, or the event's own ``DENM``/``IVI``/...): the key a stack
dispatches on in the ``/v2x/<n>`` JSON documents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping


@dataclass(frozen=True)
class BasicSafetyMessage:
    sender: str
    time: float
    x: float
    y: float
    z: float
    speed: float
    heading: float
    longitudinal_acceleration: float
    yaw_rate: float
    length: float
    width: float
    message_count: int = 0
    message: str = field(default="BSM", init=False)


@dataclass(frozen=True)
class MovementState:
    signal_group: str
    state: str
    """J2735 MovementPhaseState name, e.g. ``protected-Movement-Allowed`` (green) or ``stop-And-Remain`` (red)."""
    min_end_time: float | None = None


@dataclass(frozen=True)
class SignalPhaseAndTiming:
    sender: str
    time: float
    intersection: str
    movements: tuple[MovementState, ...] = ()
    message: str = field(default="SPAT", init=False)


@dataclass(frozen=True)
class MapLane:
    road_id: str
    lane_id: int
    signal_group: str | None = None


@dataclass(frozen=True)
class MapData:
    sender: str
    time: float
    intersection: str
    lanes: tuple[MapLane, ...] = ()
    message: str = field(default="MAP", init=False)


@dataclass(frozen=True)
class PerceivedObject:
    object_id: str
    category: str
    x: float
    y: float
    heading: float
    vx: float
    vy: float
    length: float
    width: float


@dataclass(frozen=True)
class RoadsideSafetyMessage:
    sender: str
    time: float
    objects: tuple[PerceivedObject, ...] = field(default_factory=tuple)
    measurement_time: float | None = None
    """When the objects were measured (CPM ``referenceTime`` of its perceived objects, ETSI TS 103 324):
    ``time`` less the roadside perception's latency; None while the unit has no processed frame yet."""
    message: str = field(default="RSM", init=False)


@dataclass(frozen=True)
class EventMessage:
    """An event message fired by the storyboard (``CustomCommandAction type="simplatform.v2x"``)."""

    sender: str
    time: float
    message: str
    """The message set: ``DENM``, ``IVI``, ``BSM``, ``RSM``, ``SPAT``... as the scenario wrote it."""
    application: str = ""
    cause: str = ""
    x: float | None = None
    y: float | None = None
    entity: str | None = None
    heading: float | None = None
    """The named entity's heading and speed at sending time (DENM ``eventHeading``/``eventSpeed``)."""
    speed: float | None = None
    validity_s: float = 10.0
    payload: Mapping[str, Any] = field(default_factory=dict)

    @property
    def position(self) -> dict[str, float] | None:
        return None if self.x is None or self.y is None else {"x": self.x, "y": self.y}


# OpenSCENARIO / OpenDRIVE signal state words → J2735 MovementPhaseState
PHASE_STATES = {
    "red": "stop-And-Remain", "green": "protected-Movement-Allowed", "yellow": "protected-clearance",
    "amber": "protected-clearance", "off": "dark", "flashing": "caution-Conflicting-Traffic",
}


def movement_state(value: str) -> str:
    word = value.strip().lower()
    if ";" in word:  # OpenDRIVE lamp triples "off;off;on" (red;yellow;green)
        lamps = word.split(";")
        names = ("red", "yellow", "green")
        lit = [names[k] for k, lamp in enumerate(lamps[:3]) if lamp == "on"]
        word = lit[0] if len(lit) == 1 else ("red" if "red" in lit else "off")
    return PHASE_STATES.get(word, "unavailable")
