"""Vehicle-road cooperation in a test run: the scenario's V2X world around the ego's radio.

    wiring = V2XWiring()                            # before the run: its handler is registered
    custom_handlers = {**wiring.handlers()}         # storyboard simplatform.v2x messages come in here
    wiring.bind(engine, rig, dt=0.01, static_world=world)       # on_start: entities, radio, line of sight
    observations.update(wiring.observe(snapshot))   # each step: /v2x/<radio> when the radio is due
    wiring.new_warnings()                           # warnings first delivered to the ego this step

What it connects (/work/notes/v2x_convention.md):

* the scenario's roadside units and equipped entities (``v2x.*`` Properties,
  :mod:`.v2x_scenario`) become the senders of the ego's radios
  (``sensors.v2x.V2XRadio``, one per ``v2x`` sensor of the rig): BSMs of
  equipped vehicles at 10 Hz, SPaT (with the phase plan's next-change
  times) and MAP of the units' signals at 10 Hz, RSMs of units with
  roadside perception;
* storyboard ``simplatform.v2x`` messages go through :meth:`handle` into
  the radios as ``EventMessage``s sent from their sender's antenna at the
  firing time, so they arrive ``latency + jitter`` later when in range and
  not lost (seeded per radio: ``sensors.base.sensor_rng``).  A message that
  names an ``entity`` gets that entity's position, heading and speed at
  sending time (DENM ``eventPosition``), unless it gives a ``position``;
* the radio's deliveries reach the stack as ``/v2x/<radio name>``
  (``std_msgs/String``, one JSON list of messages, each with its ``message``
  set name) on the steps the radio is due, in the same observation dict as
  every other sensor, so in-process and rosbridge stacks get the same bytes;
* every event message that is a warning (:func:`is_warning`) is logged at
  its first delivery to the ego's stack, (time, ``application/message``):
  the ``v2x_reaction_time_max`` metric times the response from there.

The ego is equipped when the rig has a ``v2x`` sensor.  A run without a stack
(the storyboard drives the ego) has no rig: the ego then listens with
:func:`default_radio`, so that the warnings are still timed at delivery.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable

from sensors import MountPose, RigConfig, SensorConfig, is_due
from sensors.v2x import V2XRadio
from sensors.v2x_messages import EventMessage

from .observe import v2x_message
from .v2x_scenario import V2X_COMMAND, ScenarioV2X, SignalPlans, parse_command, read_scenario, roadside_units

WARNING_MESSAGES = frozenset({"DENM", "IVI"})
"""ETSI EN 302 637-3 decentralised notifications and ETSI TS 103 301 in-vehicle information."""
WARNING_APPLICATIONS = frozenset({"FCW", "EEBL", "ICW", "LTA", "BSW", "DNPW", "AVW", "CLW", "EVW", "VRUCW", "SLW",
                                  "HLW", "RLVW", "IVS", "TJW", "RWW"})
"""Day-one applications that warn the driver (CSAE 53-2017 / ETSI TR 102 638); GLOSA advises, it does not warn."""


def is_warning(event: EventMessage) -> bool:
    """A message the ego must answer: a warning application, or a DENM/IVI of any other application
    except speed advice (GLOSA)."""
    app = event.application.upper()
    return app in WARNING_APPLICATIONS or (event.message.upper() in WARNING_MESSAGES and app != "GLOSA")


def default_radio(rate_hz: float = 100.0, name: str = "v2x") -> SensorConfig:
    """The ego's V2X radio of the default rig: roof antenna, DSRC-like channel (``sensors.v2x`` defaults),
    its deliveries handed over at ``rate_hz`` (the step rate: no added delay)."""
    return SensorConfig(name=name, type="v2x", mount=MountPose(1.0, 0.0, 1.6), rate_hz=float(rate_hz))


def label(event: EventMessage) -> str:
    return "/".join(x for x in (event.application, event.message) if x)


class V2XWiring:
    """The V2X world of one run; see the module docstring."""

    def __init__(self) -> None:
        self.info = ScenarioV2X()
        self.radios: dict[str, V2XRadio] = {}
        self.dt = 0.01
        self._clock: Callable[[], float] = lambda: 0.0
        self._snapshot: Callable[[], Any] | None = None
        self._names: set[str] | None = None
        self._queued: list[EventMessage] = []
        self._warnings: list[tuple[float, str]] = []
        self._fresh: list[tuple[float, str]] = []
        self._delivered: set[int] = set()
        self.log: list[tuple[float, str, Any]] = []
        """(delivery time, radio, message) of every message the ego's radios handed over."""

    # ------------------------------------------------------------------ setup
    @classmethod
    def from_scenario(cls, engine: Any, rig: RigConfig | None, *, dt: float = 0.01, static_world: Any = None,
                      seed: int = 0, scenario_id: str = "") -> "V2XWiring":
        wiring = cls()
        wiring.bind(engine, rig, dt=dt, static_world=static_world, seed=seed, scenario_id=scenario_id)
        return wiring

    def bind(self, engine: Any, rig: RigConfig | None, *, dt: float = 0.01, static_world: Any = None,
             seed: int = 0, scenario_id: str = "") -> None:
        """Read the scenario's V2X entities and messages and build the ego's radios.

        ``engine``: the initialised ``ScenarioEngine`` (scenario, road, the
        Init's positions, the clock, the signal plans).  ``rig``: the ego's
        sensors (its ``v2x`` sensors are the radios); None: :func:`default_radio`
        when the scenario has any V2X.  ``static_world``: blocks the radio's line
        of sight (``sensors.StaticWorld``); None: open air."""
        scenario, road = engine.scenario, engine.road.net if engine.road is not None else None
        self.info = read_scenario(scenario, engine.ego)
        self.dt = dt
        self._clock = lambda: float(engine.time)
        self._snapshot = engine.snapshot
        self._names = {obj.name for obj in scenario.entities.scenario_objects}
        configs = [s for s in rig.sensors if s.type == "v2x"] if rig is not None else []
        if rig is None and self.info.any:
            configs = [replace(default_radio(round(1.0 / dt)), seed=seed, scenario_id=scenario_id)]
        if not configs:
            return
        snapshot = engine.snapshot()
        units = roadside_units(self.info, scenario, road, snapshot)
        plans = SignalPlans.of(scenario, getattr(engine, "signal_controller_timing", None))
        ranges = {e.name: e.range_m for e in self.info.entities}
        for config in configs:
            radio = V2XRadio(config)
            radio.configure(units=units, equipped=[e.name for e in self.info.equipped], ranges=ranges,
                            occluder=static_world, signal_timing=plans.next_change)
            self.radios[config.name] = radio
        for event in self._queued:
            self._post(event)
        self._queued = []

    def handlers(self) -> dict[str, Callable[[str, str], None]]:
        """The engine's ``custom_handlers`` entry for ``simplatform.v2x``."""
        return {V2X_COMMAND: self.handle}

    def other_sensors(self, rig: RigConfig) -> RigConfig:
        """``rig`` without the radios this wiring runs (so that the observer does not run them twice)."""
        return replace(rig, sensors=tuple(s for s in rig.sensors if s.name not in self.radios))

    # ------------------------------------------------------------------ run
    def handle(self, kind: str, content: str) -> None:  # noqa: ARG002 — the engine passes the type
        """A storyboard message fired now: sent from its sender at the engine's time."""
        doc = parse_command(content, self._names)
        now = self._clock()
        pos = doc.get("position")
        x, y = (float(pos["x"]), float(pos["y"])) if pos else (None, None)
        heading = speed = None
        entity = doc.get("entity")
        if entity is not None and self._snapshot is not None:
            state = self._snapshot()
            if entity in state.names:
                i = state.index(entity)
                heading, speed = float(state.heading[i]), float(state.speed[i])
                if x is None:
                    x, y = float(state.x[i]), float(state.y[i])
        event = EventMessage(str(doc["from"]), now, str(doc["message"]), str(doc.get("application", "")),
                             str(doc.get("cause", "")), x, y, entity, heading, speed,
                             float(doc.get("validity_s", 10.0)), dict(doc.get("payload") or {}))
        if self.radios:
            self._post(event)
        elif self._snapshot is None:
            self._queued.append(event)  # fired before bind (an Init action): sent once the radios exist

    def _post(self, event: EventMessage) -> None:
        for radio in self.radios.values():
            radio.post(event)

    def observe(self, snapshot: Any) -> dict[str, Any]:
        """``/v2x/<radio>`` for each radio due at this step; logs the warnings it delivers."""
        out: dict[str, Any] = {}
        for name, radio in self.radios.items():
            if not is_due(radio.config, snapshot.step, self.dt):
                continue
            items = radio.sense(snapshot)
            out[f"/v2x/{name}"] = v2x_message(items)
            for item in items:
                self.log.append((snapshot.time, name, item))
                if isinstance(item, EventMessage) and is_warning(item) and id(item) not in self._delivered:
                    self._delivered.add(id(item))
                    warning = (float(snapshot.time), label(item))
                    self._warnings.append(warning)
                    self._fresh.append(warning)
        return out

    def warnings(self) -> list[Any]:
        """Every warning first delivered to the ego so far, as ``metrics.V2XWarning`` (delivery time, label)."""
        from metrics import V2XWarning

        return [V2XWarning(t, m) for t, m in self._warnings]

    def new_warnings(self) -> list[Any]:
        """The warnings first delivered since the last call (to hand to the metrics as they come)."""
        if not self._fresh:
            return []  # nearly every step: no import, no new list
        from metrics import V2XWarning

        fresh, self._fresh = self._fresh, []
        return [V2XWarning(t, m) for t, m in fresh]

    @property
    def equipped(self) -> bool:
        return bool(self.radios)

