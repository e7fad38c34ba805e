"""V2X radio: delivery of messages between entities and roadside units.

Channel model (per message and receiver, independent draws):
- no delivery beyond ``range_m``;
- packet error P = p₀ + (1 − p₀)·(d / range)^γ, a monotone fit of measured
  DSRC packet-delivery ratio against distance (Bai, Stancil, Krishnan,
  "Toward understanding characteristics of Dedicated Short Range
  Communications (DSRC) from a perspective of vehicular network engineers",
  MobiCom 2010, Fig. 4), plus ``nlos_loss`` when the static world (buildings,
  walls) blocks the line of sight between the antennas;
- latency = ``latency_s`` + exponential jitter with mean ``jitter_s``
  (access delay of 802.11p/C-V2X mode 4 under load).

``V2XRadio`` is the rig sensor on the ego: every step it lets each other
vehicle broadcast a BSM at ``bsm_rate_hz``, each roadside unit send SPaT of
its signals and, if it has one, its MAP and its roadside perception, then
returns what reached the ego by now.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from sensors.base import SensorConfig, TypedParameters
from sensors.frames import sensor_transform
from sensors.scene import SensorScene
from sensors.v2x_messages import (
    BasicSafetyMessage, MapData, MapLane, MovementState, PerceivedObject, RoadsideSafetyMessage,
    SignalPhaseAndTiming, movement_state,
)
from simplatform.world import WorldSnapshot


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
    """>0: the RSU shares the entities within this range (ideal roadside perception) as RSMs."""


@dataclass(frozen=True)
class ChannelModel:
    range_m: float = 300.0
    base_loss: float = 0.01
    loss_exponent: float = 3.0
    nlos_loss: float = 0.5
    latency_s: float = 0.02
    jitter_s: float = 0.005

    def loss_probability(self, distance: np.ndarray, blocked: np.ndarray) -> np.ndarray:
        d = np.asarray(distance, dtype=float) / self.range_m
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
                 scene: SensorScene | None = None) -> None:
        names = [n for n in receivers if n != getattr(message, "sender", None)]
        if not names:
            return
        pos = np.array([receivers[n] for n in names], dtype=float)
        vec = pos - sender_pos
        dist = np.linalg.norm(vec, axis=1)
        blocked = np.zeros(len(names), dtype=bool)
        if scene is not None and self.channel.nlos_loss > 0:
            d = vec / np.maximum(dist[:, None], 1e-9)
            hits = scene.static.cast(np.concatenate([np.broadcast_to(sender_pos, d.shape), d], axis=1).astype(np.float32))
            blocked = hits["t_hit"] < dist - 0.5
        lost = self.rng.random(len(names)) < self.channel.loss_probability(dist, blocked)
        jitter = self.rng.exponential(self.channel.jitter_s, len(names)) if self.channel.jitter_s > 0 else np.zeros(len(names))
        for k in np.flatnonzero(~lost):
            self._seq += 1
            heapq.heappush(self._pending, _Pending(time + self.channel.latency_s + float(jitter[k]), self._seq, names[k], message))

    def receive(self, receiver: str, now: float) -> list[Any]:
        """Messages for ``receiver`` that have arrived by ``now`` (others stay queued)."""
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
}


def _rsu(entry: Mapping[str, Any], config: SensorConfig) -> RoadsideUnit:
    try:
        return RoadsideUnit(
            name=str(entry["name"]), x=float(entry["x"]), y=float(entry["y"]), z=float(entry.get("z", 5.0)),
            signals=tuple(str(s) for s in entry.get("signals", ())), intersection=str(entry.get("intersection", "")),
            map_lanes=tuple(MapLane(str(l["road"]), int(l["lane"]), l.get("signal_group")) for l in entry.get("map_lanes", ())),
            perception_range_m=float(entry.get("perception_range_m", 0.0)))
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
        units = p.raw("roadside_units")
        if not isinstance(units, list):
            raise config.error("roadside_units must be a list", "roadside_units")
        self.units = tuple(_rsu(u, config) for u in units)
        self.network = V2XNetwork(self.channel, config.rng())
        self._next_bsm = 0.0
        self._next_rsu = 0.0
        self._count = 0

    def sense(self, snapshot: WorldSnapshot, scene: SensorScene | None = None) -> list[Any]:
        ego = snapshot.ego or self.config.name
        antenna = sensor_transform(snapshot, self.config.mount).translation
        receivers = {ego: antenna}
        t = snapshot.time
        if t + 1e-9 >= self._next_bsm:
            self._next_bsm = t + self.bsm_period
            self._count = (self._count + 1) % 128
            for i, name in enumerate(snapshot.names):
                if name == ego or snapshot.kinds[i].value != "vehicle":
                    continue
                msg = BasicSafetyMessage(name, t, float(snapshot.x[i]), float(snapshot.y[i]), float(snapshot.z[i]),
                                         float(snapshot.speed[i]), float(snapshot.heading[i]),
                                         snapshot.entity(name).acceleration, float(snapshot.yaw_rate[i]),
                                         float(snapshot.length[i]), float(snapshot.width[i]), self._count)
                pos = np.array([snapshot.x[i], snapshot.y[i], snapshot.z[i] + 1.5])
                self.network.transmit(t, pos, msg, receivers, scene)
        if t + 1e-9 >= self._next_rsu:
            self._next_rsu = t + self.rsu_period
            for unit in self.units:
                pos = np.array([unit.x, unit.y, unit.z])
                for msg in self._rsu_messages(unit, snapshot, ego):
                    self.network.transmit(t, pos, msg, receivers, scene)
        return self.network.receive(ego, t)

    def _rsu_messages(self, unit: RoadsideUnit, snapshot: WorldSnapshot, ego: str) -> list[Any]:
        t = snapshot.time
        out: list[Any] = []
        if unit.signals:
            moves = tuple(MovementState(s, movement_state(str(snapshot.signals.get(s, "off")))) for s in unit.signals)
            out.append(SignalPhaseAndTiming(unit.name, t, unit.intersection or unit.name, moves))
        if unit.map_lanes:
            out.append(MapData(unit.name, t, unit.intersection or unit.name, unit.map_lanes))
        if unit.perception_range_m > 0:
            d = np.hypot(snapshot.x - unit.x, snapshot.y - unit.y)
            objs = tuple(PerceivedObject(snapshot.names[i], snapshot.categories[i], float(snapshot.x[i]),
                                         float(snapshot.y[i]), float(snapshot.heading[i]), float(snapshot.vx[i]),
                                         float(snapshot.vy[i]), float(snapshot.length[i]), float(snapshot.width[i]))
                         for i in np.flatnonzero(d <= unit.perception_range_m))
            out.append(RoadsideSafetyMessage(unit.name, t, objs))
        return out
