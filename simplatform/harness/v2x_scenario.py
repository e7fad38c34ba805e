"""What a scenario says about V2X, read once before the run (/work/notes/v2x_convention.md).

* Roadside units: ``MiscObject``s with ``v2x.role=rsu``; ``v2x.range`` (m,
  default 300), ``v2x.spat`` (comma-separated OpenDRIVE controller ids,
  OpenSCENARIO TrafficSignalController names or signal ids: SPaT and MAP of
  those signals at 10 Hz), ``v2x.perception=true`` (roadside perception as
  RSMs, objects within ``v2x.perception_range`` m, default the radio range;
  ``ideal`` or ``realistic`` instead of ``true`` sets this unit's perception
  over the radio's ``rsu_perception``, ``sensors.v2x_rsu_perception``).
* Equipped entities: ``v2x.equipped=true`` (BSMs at 10 Hz), ``v2x.range``.
* Event messages: every ``CustomCommandAction type="simplatform.v2x"`` of
  the storyboard, checked here with its file and line so that a bad message
  is reported before the run, not half-way through it.

The signals' next-change times for SPaT ``minEndTime`` (SAE J2735 §7.91,
TimeMark) are read off the OpenSCENARIO phase plans (§7.5 "Traffic signal
controllers") and the engine's current phase (``signal_controller_timing``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from sensors.v2x import RoadsideUnit
from sensors.v2x_messages import MapLane
from simplatform.engine.signals import signal_color
from simplatform.errors import ScenarioError

V2X_COMMAND = "simplatform.v2x"
RSU_ANTENNA_HEIGHT = 5.0
"""Antenna above a roadside unit's position when its box gives no height (m): a signal-gantry mount."""
DEFAULT_RANGE = 300.0


@dataclass(frozen=True)
class V2XEntity:
    name: str
    role: str
    """``rsu`` or ``vehicle`` (any equipped entity that is not a roadside unit)."""
    range_m: float = DEFAULT_RANGE
    spat: tuple[str, ...] = ()
    perception_range_m: float = 0.0
    source: Any = None
    perception: str | None = None
    """``v2x.perception=ideal|realistic``: this unit's perception mode; None (``true``): the radio's."""


@dataclass(frozen=True)
class V2XCommand:
    """One storyboard message: its JSON content and where it was written."""

    content: Mapping[str, Any]
    file: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class ScenarioV2X:
    entities: tuple[V2XEntity, ...] = ()
    commands: tuple[V2XCommand, ...] = ()
    ego_equipped: bool = False
    """The ego carries ``v2x.equipped=true`` (informative: the rig's radio decides)."""

    @property
    def any(self) -> bool:
        return bool(self.entities or self.commands)

    @property
    def units(self) -> tuple[V2XEntity, ...]:
        return tuple(e for e in self.entities if e.role == "rsu")

    @property
    def equipped(self) -> tuple[V2XEntity, ...]:
        return tuple(e for e in self.entities if e.role != "rsu")


def _properties(scenario: Any, name: str) -> dict[str, str]:
    try:
        obj = scenario.entity_object(name)
    except (KeyError, LookupError):
        return {}
    props = obj.properties.properties if obj is not None and getattr(obj, "properties", None) is not None else ()
    return {str(p.name): str(p.value) for p in props}


def _error(cause: str, source: Any, element: str) -> ScenarioError:
    return ScenarioError(cause, file=getattr(source, "file", None), line=getattr(source, "line", None),
                         element=element)


def _number(props: dict[str, str], key: str, default: float, source: Any) -> float:
    raw = props.get(key)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not value > 0 or not math.isfinite(value):
        raise _error(f"property {key} must be a positive number of metres, got {raw!r}", source, "Property")
    return value


def _flag(props: dict[str, str], key: str, source: Any) -> bool:
    raw = props.get(key, "false").strip().lower()
    if raw not in ("true", "false", "1", "0"):
        raise _error(f"property {key} must be true or false, got {props[key]!r}", source, "Property")
    return raw in ("true", "1")


PERCEPTION_MODES = ("ideal", "realistic")
"""The perception modes a unit may name itself (``sensors.v2x_rsu_perception``); ``true`` leaves it to the radio."""


def _perception(props: dict[str, str], source: Any) -> tuple[bool, str | None]:
    """``v2x.perception``: (shares what it perceives, its own mode or None for the radio's)."""
    raw = props.get("v2x.perception", "false").strip().lower()
    if raw in PERCEPTION_MODES:
        return True, raw
    if raw not in ("true", "false", "1", "0"):
        raise _error(f"property v2x.perception must be true, false, ideal or realistic, got "
                     f"{props['v2x.perception']!r}", source, "Property")
    return raw in ("true", "1"), None


def read_scenario(scenario: Any, ego: str | None = None) -> ScenarioV2X:
    """The roadside units, equipped entities and event messages of ``scenario``; bad values raise
    ``ScenarioError`` naming the file, line and element."""
    entities = []
    ego_equipped = False
    for obj in scenario.entities.scenario_objects:
        props = _properties(scenario, obj.name)
        if not any(k.startswith("v2x.") for k in props):
            continue
        source = obj.source
        role = props.get("v2x.role", "").strip().lower()
        if role not in ("", "rsu", "vehicle"):
            raise _error(f"property v2x.role of {obj.name!r} must be 'rsu', got {props['v2x.role']!r}", source,
                         "Property")
        equipped = _flag(props, "v2x.equipped", source)
        if role != "rsu" and not equipped:
            continue
        range_m = _number(props, "v2x.range", DEFAULT_RANGE, source)
        if obj.name == ego and role != "rsu":
            ego_equipped = True
            continue
        spat = tuple(s.strip() for s in props.get("v2x.spat", "").split(",") if s.strip())
        perceives, mode = _perception(props, source)
        perception = _number(props, "v2x.perception_range", range_m, source) if perceives else 0.0
        entities.append(V2XEntity(obj.name, "rsu" if role == "rsu" else "vehicle", range_m, spat, perception, source,
                                  mode))
    names = {obj.name for obj in scenario.entities.scenario_objects}
    commands = tuple(_command(el, names) for el in scenario.storyboard.walk()
                     if type(el).__name__ == "CustomCommandAction" and el.type == V2X_COMMAND)
    return ScenarioV2X(tuple(entities), commands, ego_equipped)


def parse_command(content: str, names: set[str] | None = None, source: Any = None) -> dict[str, Any]:
    """The JSON of one ``simplatform.v2x`` message, checked against the convention."""
    try:
        doc = json.loads(content)
    except json.JSONDecodeError as exc:
        raise _error(f"simplatform.v2x content is not JSON: {exc}", source, "CustomCommandAction") from None
    if not isinstance(doc, dict):
        raise _error("simplatform.v2x content must be a JSON object", source, "CustomCommandAction")
    for key in ("from", "message"):
        if not isinstance(doc.get(key), str) or not doc[key]:
            raise _error(f"simplatform.v2x message needs a string {key!r}", source, "CustomCommandAction")
    for key in ("from", "entity"):
        if names is not None and doc.get(key) is not None and doc[key] not in names:
            raise _error(f"simplatform.v2x {key!r} names no entity of the scenario: {doc[key]!r}", source,
                         "CustomCommandAction")
    pos = doc.get("position")
    if pos is not None and not (isinstance(pos, dict) and all(isinstance(pos.get(k), (int, float)) for k in "xy")):
        raise _error(f"simplatform.v2x position must be {{\"x\": m, \"y\": m}}, got {pos!r}", source,
                     "CustomCommandAction")
    validity = doc.get("validity_s", 10.0)
    if not isinstance(validity, (int, float)) or validity <= 0:
        raise _error(f"simplatform.v2x validity_s must be a positive number, got {validity!r}", source,
                     "CustomCommandAction")
    return doc


def _command(el: Any, names: set[str]) -> V2XCommand:
    src = el.source
    return V2XCommand(parse_command(el.content, names, src), getattr(src, "file", None), getattr(src, "line", None))


# ------------------------------------------------------------------ signals
def _osc_controllers(scenario: Any) -> dict[str, Any]:
    rn = scenario.road_network
    ts = getattr(rn, "traffic_signals", None) if rn is not None else None
    return {c.name: c for c in (ts.traffic_signal_controllers if ts is not None else ())}


def spat_signals(entity: V2XEntity, scenario: Any, road: Any) -> tuple[str, ...]:
    """The signal ids a unit's ``v2x.spat`` names, controller by controller, in order."""
    osc = _osc_controllers(scenario)
    odr = getattr(road, "controllers", {}) if road is not None else {}
    known = set(getattr(road, "signals", {}) or {}) | {s.traffic_signal_id for c in osc.values()
                                                         for p in c.phases for s in p.traffic_signal_states}
    out: list[str] = []
    for ref in entity.spat:
        if ref in odr:
            ids = list(odr[ref].signal_ids)
        elif ref in osc:
            ids = [s.traffic_signal_id for p in osc[ref].phases for s in p.traffic_signal_states]
        elif ref in known:
            ids = [ref]
        else:
            raise _error(f"v2x.spat of {entity.name!r} names {ref!r}: no OpenDRIVE controller, OpenSCENARIO "
                         "TrafficSignalController or signal has that id", entity.source, "Property")
        out += [s for s in ids if s not in out]
    return tuple(out)


def map_lanes(road: Any, signals: tuple[str, ...]) -> tuple[MapLane, ...]:
    """MAP (J2735 §5.11, reduced): the driving lanes each signal governs, from its placements."""
    table = getattr(road, "signals", None) or {}
    lanes: list[MapLane] = []
    for sid in signals:
        sig = table.get(sid)
        for place in (sig.placements if sig is not None else ()):
            for lane_id in road.lane_ids(place.road_id, place.s):
                if lane_id == 0 or road.lane_type(place.road_id, lane_id, place.s) != "driving":
                    continue
                if place.applies_to(lane_id, road.driving_direction(place.road_id, lane_id)):
                    lanes.append(MapLane(place.road_id, int(lane_id), sid))
    return tuple(lanes)


def roadside_units(info: ScenarioV2X, scenario: Any, road: Any, snapshot: Any) -> tuple[RoadsideUnit, ...]:
    """The scenario's roadside units where the Init placed them, antenna on top of the pole."""
    out = []
    for e in info.units:
        if e.name not in snapshot.names:
            raise _error(f"roadside unit {e.name!r} has no position after Init (give it a TeleportAction)",
                         e.source, "ScenarioObject")
        i = snapshot.index(e.name)
        top = float(snapshot.height[i]) if float(snapshot.height[i]) > 0 else RSU_ANTENNA_HEIGHT
        signals = spat_signals(e, scenario, road)
        out.append(RoadsideUnit(e.name, float(snapshot.x[i]), float(snapshot.y[i]), float(snapshot.z[i]) + top,
                                signals, e.name, map_lanes(road, signals) if road is not None else (),
                                e.perception_range_m, e.range_m, e.perception))
    return tuple(out)


@dataclass
class SignalPlans:
    """Next-change times of signals from the OpenSCENARIO phase plans and the engine's current phase."""

    plans: dict[str, list[tuple[str, tuple[tuple[float, dict[str, str]], ...]]]] = field(default_factory=dict)
    timing: Callable[[str], tuple[int, float] | None] | None = None

    @classmethod
    def of(cls, scenario: Any, timing: Callable[[str], tuple[int, float] | None] | None) -> "SignalPlans":
        plans: dict[str, list] = {}
        for name, ctrl in _osc_controllers(scenario).items():
            phases = tuple((float(p.duration), {s.traffic_signal_id: s.state for s in p.traffic_signal_states})
                           for p in ctrl.phases)
            for sid in {s for _, states in phases for s in states}:
                plans.setdefault(sid, []).append((name, phases))
        return cls(plans, timing)

    def next_change(self, signal: str, now: float) -> float | None:
        """When ``signal`` next shows another colour if the plan runs on undisturbed; None if unknown."""
        if self.timing is None:
            return None
        for name, phases in self.plans.get(signal, ()):
            state = self.timing(name)
            if state is None or signal not in phases[state[0]][1]:
                continue
            index, start = state
            duration = phases[index][0]
            if not (duration > 0 and math.isfinite(duration)):
                continue  # a phase that holds for ever: no next change
            colour = signal_color(phases[index][1][signal])
            end = start + duration
            for k in range(1, len(phases) + 1):
                duration, states = phases[(index + k) % len(phases)]
                if signal in states and signal_color(states[signal]) != colour:
                    return max(end, now)
                if not (duration > 0 and math.isfinite(duration)):
                    break
                end += duration
        return None
