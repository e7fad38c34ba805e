"""V2X radio: delivery of messages between entities and roadside units.

Channel model (per message and receiver, independent draws):
- no delivery beyond the sender's range (its own ``range_m``, else the
  channel's ``range_m``);
- packet error P = p₀ + (1 − p₀)·(d / range)^γ, a monotone fit of measured
  DSRC packet-delivery ratio against distance (Bai, Stancil, Krishnan,
  "Toward understanding characteristics of Dedicated Short Range
  Communications (DSRC) from a perspective of vehicular network engineers",
  MobiCom 2010, Fig. 4), plus ``nlos_loss`` when the static world (buildings,
  walls) blocks the line of sight between the antennas.  Vehicles do not
  block the radio: at 5.9 GHz a vehicle between the antennas costs a few dB
  and rarely the packet at these ranges (Meireles, Boban, Steenkiste, Tonguz,
  Barros, "Experimental study on the impact of vehicular obstructions in
  VANETs", IEEE VNC 2010) — which is why a hazard hidden from the cameras
  behind a truck is still announced by radio;
- latency = ``latency_s`` + exponential jitter with mean ``jitter_s``
  (access delay of 802.11p/C-V2X mode 4 under load).

``V2XRadio`` is the rig sensor on the ego: every step it lets each equipped
vehicle broadcast a BSM at ``bsm_rate_hz``, each roadside unit send SPaT of
its signals and, if it has them, its MAP and its roadside perception at
``rsu_rate_hz`` (what the unit's pole-mounted sensors see, occluded, noisy and
late: ``sensors.v2x_rsu_perception``; ``rsu_perception: ideal`` for every
entity in range, exactly), transmits (and repeats while valid) the event messages the
scenario posted (:meth:`V2XRadio.post`), and returns what reached the ego by now.  Standing
alone it takes its roadside units from its parameters and treats every other
vehicle as equipped; :meth:`V2XRadio.configure` gives it the scenario's
(``simplatform.harness.v2x`` does so from the entities' ``v2x.*`` properties).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from sensors.base import SensorConfig, TypedParameters
from sensors.frames import sensor_transform
from sensors.v2x_messages import (
    BasicSafetyMessage, EventMessage, MapData, MapLane, MovementState, RoadsideSafetyMessage, SignalPhaseAndTiming,
    movement_state,
)
from sensors.v2x_rsu_perception import (
    RoadsidePerception, check_settings, ideal_objects, perception_scene, perception_settings,
)
from simplatform.world import WorldSnapshot

VEHICLE_ANTENNA_HEIGHT = 1.5
"""Roof antenna above a vehicle's reference point (m)."""
SignalTiming = Callable[[str, float], "float | None"]
"""(signal id, now) → simulation time of the signal's next change (SPaT ``minEndTime``), or None."""


@dataclass(frozen=True)
class RoadsideUnit:
    name: str
    x: float
    y: float
    z: float = 5.0
    signals: tuple[str, ...] = ()
    """Signal ids whose state the RSU broadcasts in SPaT (empty: none)."""
    intersection: str = ""
    map_lanes: tuple[MapLane, ...] = ()
    perception_range_m: float = 0.0
    """>0: the RSU shares what its sensors perceive within this range as RSMs (``sensors.v2x_rsu_perception``)."""
    range_m: float | None = None
    """The unit's radio range (``v2x.range``); None: the channel's."""
    perception: Any = None
    """This unit's perception settings over the radio's ``rsu_perception`` (``'ideal'``, ``'realistic'`` or a
    mapping, ``sensors.v2x_rsu_perception``); None: the radio's."""


@dataclass(frozen=True)
class ChannelModel:
    range_m: float = 300.0
    base_loss: float = 0.01
    loss_exponent: float = 3.0
    nlos_loss: float = 0.5
    latency_s: float = 0.02
    jitter_s: float = 0.005

    def loss_probability(self, distance: np.ndarray, blocked: np.ndarray,
                         range_m: np.ndarray | float | None = None) -> np.ndarray:
        reach = self.range_m if range_m is None else np.asarray(range_m, dtype=float)
        d = np.asarray(distance, dtype=float) / reach
        p = self.base_loss + (1 - self.base_loss) * np.clip(d, 0, 1) ** self.loss_exponent
        p = 1 - (1 - p) * np.where(blocked, 1 - self.nlos_loss, 1.0)
        return np.where(d > 1, 1.0, p)


@dataclass(order=True)
class _Pending:
    arrival: float
    seq: int
    receiver: str = field(compare=False)
    message: Any = field(compare=False)


class V2XNetwork:
    """Messages in flight between named nodes; deterministic given its generator."""

    def __init__(self, channel: ChannelModel, rng: np.random.Generator) -> None:
        self.channel = channel
        self.rng = rng
        self._pending: list[_Pending] = []
        self._seq = 0

    def transmit(self, time: float, sender_pos: np.ndarray, message: Any, receivers: Mapping[str, np.ndarray],
                 scene: Any = None, range_m: float | None = None) -> None:
        """One message from ``sender_pos`` sent at ``time`` (see :meth:`transmit_many`)."""
        self.transmit_many([time], np.asarray(sender_pos, dtype=float)[None, :], [message], receivers, scene,
                           None if range_m is None else [range_m])

    def transmit_many(self, times: Sequence[float], sender_pos: np.ndarray, messages: Sequence[Any],
                      receivers: Mapping[str, np.ndarray], occluder: Any = None,
                      ranges: Sequence[float | None] | None = None) -> None:
        """Messages k sent at ``times[k]`` from ``sender_pos[k]`` to every receiver but their own sender.

        ``occluder``: the static world (anything with ``cast(rays)``, or a
        ``SensorScene`` whose ``static`` is one); all sender → receiver lines
        of sight are cast in one batch."""
        names = list(receivers)
        if not messages or not names:
            return
        m, r = len(messages), len(names)
        src = np.asarray(sender_pos, dtype=float).reshape(m, 3)
        dst = np.array([receivers[n] for n in names], dtype=float).reshape(r, 3)
        vec = dst[None, :, :] - src[:, None, :]
        dist = np.linalg.norm(vec, axis=2)
        own = np.array([[getattr(msg, "sender", None) == n for n in names] for msg in messages])
        reach = np.array([[self.channel.range_m if ranges is None or ranges[k] is None else ranges[k]]
                          for k in range(m)], dtype=float)
        blocked = np.zeros((m, r), dtype=bool)
        caster = getattr(occluder, "static", occluder)
        if caster is not None and self.channel.nlos_loss > 0:
            unit = vec / np.maximum(dist[:, :, None], 1e-9)
            rays = np.concatenate([np.broadcast_to(src[:, None, :], vec.shape), unit], axis=2).reshape(-1, 6)
            t_hit = caster.cast(rays.astype(np.float32))["t_hit"].reshape(m, r)
            blocked = t_hit < dist - 0.5
        lost = self.rng.random((m, r)) < self.channel.loss_probability(dist, blocked, reach)
        jitter = (self.rng.exponential(self.channel.jitter_s, (m, r)) if self.channel.jitter_s > 0
                  else np.zeros((m, r)))
        for k, j in zip(*np.nonzero(~lost & ~own)):
            self._seq += 1
            arrival = float(times[k]) + self.channel.latency_s + float(jitter[k, j])
            heapq.heappush(self._pending, _Pending(arrival, self._seq, names[j], messages[k]))

    def receive(self, receiver: str, now: float) -> list[Any]:
        """Messages for ``receiver`` that have arrived by ``now``, in arrival order (others stay queued)."""
        out, keep = [], []
        while self._pending and self._pending[0].arrival <= now + 1e-9:
            item = heapq.heappop(self._pending)
            (out if item.receiver == receiver else keep).append(item)
        for item in keep:
            heapq.heappush(self._pending, item)
        return [item.message for item in out]


_DEFAULTS = {
    "range_m": 300.0, "base_loss": 0.01, "loss_exponent": 3.0, "nlos_loss": 0.5, "latency_s": 0.02,
    "jitter_s": 0.005, "bsm_rate_hz": 10.0, "rsu_rate_hz": 10.0, "roadside_units": [], "frame_id": None,
    "event_repeat_s": 0.1, "rsu_perception": "realistic",
}


def _rsu(entry: Mapping[str, Any], config: SensorConfig) -> RoadsideUnit:
    try:
        return RoadsideUnit(
            name=str(entry["name"]), x=float(entry["x"]), y=float(entry["y"]), z=float(entry.get("z", 5.0)),
            signals=tuple(str(s) for s in entry.get("signals", ())), intersection=str(entry.get("intersection", "")),
            map_lanes=tuple(MapLane(str(lane["road"]), int(lane["lane"]), lane.get("signal_group"))
                            for lane in entry.get("map_lanes", ())),
            perception_range_m=float(entry.get("perception_range_m", 0.0)),
            range_m=float(entry["range_m"]) if entry.get("range_m") is not None else None,
            perception=entry.get("perception"))
    except (KeyError, TypeError, ValueError) as exc:
        raise config.error(f"bad roadside unit {entry!r}: {exc}", "roadside_units") from None


class V2XRadio:
    def __init__(self, config: SensorConfig) -> None:
        self.config = config
        p = TypedParameters(config, _DEFAULTS)
        self.channel = ChannelModel(p.float("range_m", minimum=0.1), p.float("base_loss", minimum=0, maximum=1),
                                    p.float("loss_exponent", minimum=0.0), p.float("nlos_loss", minimum=0, maximum=1),
                                    p.float("latency_s", minimum=0.0), p.float("jitter_s", minimum=0.0))
        self.bsm_period = 1.0 / p.float("bsm_rate_hz", minimum=1e-3)
        self.rsu_period = 1.0 / p.float("rsu_rate_hz", minimum=1e-3)
        self.event_repeat = p.float("event_repeat_s", minimum=0.0)
        units = p.raw("roadside_units")
        if not isinstance(units, list):
            raise config.error("roadside_units must be a list", "roadside_units")
        self.units = tuple(_rsu(u, config) for u in units)
        self.rsu_perception = p.raw("rsu_perception")
        check_settings(self.rsu_perception, config)     # a bad rig fails when it is built, not at the first unit
        self._perception: dict[str, RoadsidePerception | None] = {}
        self._build_perception()
        self.equipped: frozenset[str] | None = None
        """Entities that broadcast BSMs (None: every vehicle but the ego)."""
        self.ranges: dict[str, float] = {}
        self.occluder: Any = None
        self.signal_timing: SignalTiming | None = None
        self.network = V2XNetwork(self.channel, config.rng())
        self._events: list[tuple[float, EventMessage]] = []
        self._next_bsm = 0.0
        self._next_rsu = 0.0
        self._count = 0

    def configure(self, *, units: Sequence[RoadsideUnit] | None = None, equipped: Sequence[str] | None = None,
                  ranges: Mapping[str, float] | None = None, occluder: Any = None,
                  signal_timing: SignalTiming | None = None) -> None:
        """The scenario's V2X world: its roadside units, its equipped entities (with their own radio
        ranges), the static world that blocks the line of sight, the signals' next-change times."""
        if units is not None:
            self.units = tuple(units)
            self._build_perception()
        if equipped is not None:
            self.equipped = frozenset(equipped)
        self.ranges.update(ranges or {})
        self.occluder = occluder if occluder is not None else self.occluder
        self.signal_timing = signal_timing if signal_timing is not None else self.signal_timing

    def _build_perception(self) -> None:
        """Each perceiving unit's realistic perception (None: ``ideal``), its settings checked now."""
        self._perception = {}
        for unit in self.units:
            if unit.perception_range_m <= 0:
                continue
            settings = perception_settings(self.rsu_perception, unit.perception, unit.name, self.config)
            self._perception[unit.name] = None if settings.mode == "ideal" else RoadsidePerception(
                unit.name, (unit.x, unit.y, unit.z), unit.perception_range_m, settings, self.config)

    def post(self, event: EventMessage) -> None:
        """An event message sent at ``event.time``: transmitted at the next ``sense`` from its sender's
        position then (the RSU's, or the entity's), with its own send time, so latency counts from it.

        The sender repeats it every ``event_repeat_s`` while it is valid (0: once), as a DENM's
        originating station does (ETSI EN 302 637-3 §6.1.2.3, ``repetitionInterval`` within
        ``validityDuration``): at the edge of the range one copy is likely lost, the repetitions
        get through.  The repetitions are the same message (same object, same event time)."""
        self._events.append((event.time, event))

    def sense(self, snapshot: WorldSnapshot, scene: Any = None) -> list[Any]:
        ego = snapshot.ego or self.config.name
        t = snapshot.time
        if t + 1e-9 < min([self._next_bsm, self._next_rsu] + [when for when, _ in self._events]):
            return self.network.receive(ego, t)  # nothing to send this step: only deliveries
        antenna = np.asarray(sensor_transform(snapshot, self.config.mount).translation, dtype=float)
        receivers = {ego: antenna}
        times: list[float] = []
        senders: list[np.ndarray] = []
        messages: list[Any] = []
        ranges: list[float | None] = []

        def send(when: float, pos: np.ndarray, msg: Any, name: str) -> None:
            times.append(when)
            senders.append(pos)
            messages.append(msg)
            unit = next((u for u in self.units if u.name == name), None)
            ranges.append(unit.range_m if unit is not None and unit.range_m is not None else self.ranges.get(name))

        pending = []
        for when, event in self._events:
            if when > t + 1e-9:
                pending.append((when, event))
                continue
            send(when, self._sender_position(event, snapshot, antenna), event, event.sender)
            following = when + self.event_repeat
            while self.event_repeat > 0 and following <= t + 1e-9:
                following += self.event_repeat  # the radio was not sensed for a while: the skipped copies are gone
            if self.event_repeat > 0 and following <= event.time + event.validity_s + 1e-9:
                pending.append((following, event))
        self._events = pending
        if t + 1e-9 >= self._next_bsm:
            self._next_bsm = t + self.bsm_period
            self._count = (self._count + 1) % 128
            for i in self._equipped_indices(snapshot, ego):
                name = snapshot.names[i]
                msg = BasicSafetyMessage(name, t, float(snapshot.x[i]), float(snapshot.y[i]), float(snapshot.z[i]),
                                         float(snapshot.speed[i]), float(snapshot.heading[i]),
                                         snapshot.entity(name).acceleration, float(snapshot.yaw_rate[i]),
                                         float(snapshot.length[i]), float(snapshot.width[i]), self._count)
                send(t, np.array([snapshot.x[i], snapshot.y[i], snapshot.z[i] + VEHICLE_ANTENNA_HEIGHT]), msg, name)
        if t + 1e-9 >= self._next_rsu:
            self._next_rsu = t + self.rsu_period
            world = scene if scene is not None else self.occluder
            looking: list[Any] = []       # the roadside sensors' scene, built once when one is due

            def roadside_scene() -> Any:
                if not looking:
                    looking.append(perception_scene(world, snapshot, {u.name for u in self.units}))
                return looking[0]

            for unit in self.units:
                pos = np.array([unit.x, unit.y, unit.z])
                for msg in self._rsu_messages(unit, snapshot, roadside_scene):
                    times.append(t)
                    senders.append(pos)
                    messages.append(msg)
                    ranges.append(unit.range_m)
        if messages:
            self.network.transmit_many(times, np.array(senders), messages, receivers,
                                       scene if scene is not None else self.occluder, ranges)
        return self.network.receive(ego, t)

    def _equipped_indices(self, snapshot: WorldSnapshot, ego: str) -> list[int]:
        if self.equipped is None:
            return [i for i, name in enumerate(snapshot.names)
                    if name != ego and snapshot.kinds[i].value == "vehicle"]
        return [i for i, name in enumerate(snapshot.names) if name != ego and name in self.equipped]

    def _sender_position(self, event: EventMessage, snapshot: WorldSnapshot, antenna: np.ndarray) -> np.ndarray:
        """The sender's antenna: a roadside unit's, an entity's roof, else the event position
        (a message from nowhere is heard as if sent beside the receiver)."""
        for unit in self.units:
            if unit.name == event.sender:
                return np.array([unit.x, unit.y, unit.z])
        if event.sender in snapshot.names:
            i = snapshot.index(event.sender)
            return np.array([snapshot.x[i], snapshot.y[i], snapshot.z[i] + VEHICLE_ANTENNA_HEIGHT])
        if event.x is not None and event.y is not None:
            return np.array([event.x, event.y, antenna[2]])
        return antenna.copy()

    def _rsu_messages(self, unit: RoadsideUnit, snapshot: WorldSnapshot, scene: Callable[[], Any]) -> list[Any]:
        t = snapshot.time
        out: list[Any] = []
        if unit.signals:
            timing = self.signal_timing
            moves = tuple(MovementState(s, movement_state(str(snapshot.signals.get(s, "off"))),
                                        timing(s, t) if timing is not None else None) for s in unit.signals)
            out.append(SignalPhaseAndTiming(unit.name, t, unit.intersection or unit.name, moves))
        if unit.map_lanes:
            out.append(MapData(unit.name, t, unit.intersection or unit.name, unit.map_lanes))
        if unit.perception_range_m > 0:
            if unit.name not in self._perception:      # ``units`` replaced without configure()
                self._build_perception()
            perception = self._perception[unit.name]
            if perception is None:
                objs, measured = ideal_objects(unit.x, unit.y, unit.perception_range_m, snapshot,
                                               {u.name for u in self.units}), t
            else:      # sent every period, empty until the first frame is processed: the channel's draws stay alike
                frame = perception.sense(snapshot, scene())
                measured, objs = frame if frame is not None else (None, ())
            out.append(RoadsideSafetyMessage(unit.name, t, objs, measured))
        return out
