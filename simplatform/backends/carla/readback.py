"""Read the CARLA world back after a tick: actor states, traffic lights, collisions.

``world.get_snapshot()`` is one message holding every actor's transform,
velocity, angular velocity and acceleration at the tick's frame; reading it
costs no further round trips.  The per-actor accessors are Python calls into
the client, so they are gathered into arrays once and converted to our frame
vectorised (:mod:`frames`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from simplatform.backends.carla.frames import angular_velocity_from_carla, pose_from_carla, vector_from_carla
from simplatform.engine.signals import signal_color


@dataclass(frozen=True)
class ActorStates:
    """States of a set of actors in our frame; position is the *actor origin* (not yet our reference point)."""

    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    heading: np.ndarray
    pitch: np.ndarray
    roll: np.ndarray
    vx: np.ndarray
    vy: np.ndarray
    vz: np.ndarray
    ax: np.ndarray
    ay: np.ndarray
    yaw_rate: np.ndarray
    found: np.ndarray
    """False where the snapshot had no such actor (destroyed behind our back)."""


def read_states(snapshot, actor_ids: list[int]) -> ActorStates:
    raw = np.zeros((len(actor_ids), 15))
    found = np.zeros(len(actor_ids), dtype=bool)
    for k, aid in enumerate(actor_ids):
        s = snapshot.find(aid)
        if s is None:
            continue
        found[k] = True
        tf, v, a, w = s.get_transform(), s.get_velocity(), s.get_acceleration(), s.get_angular_velocity()
        loc, rot = tf.location, tf.rotation
        raw[k] = (loc.x, loc.y, loc.z, rot.roll, rot.pitch, rot.yaw, v.x, v.y, v.z, a.x, a.y, a.z, w.x, w.y, w.z)
    x, y, z, heading, pitch, roll = pose_from_carla(*(raw[:, j] for j in range(6)))
    vx, vy, vz = vector_from_carla(raw[:, 6], raw[:, 7], raw[:, 8])
    ax, ay, _ = vector_from_carla(raw[:, 9], raw[:, 10], raw[:, 11])
    _, _, yaw_rate = angular_velocity_from_carla(raw[:, 12], raw[:, 13], raw[:, 14])
    return ActorStates(x, y, z, heading, pitch, roll, vx, vy, vz, ax, ay, yaw_rate, found)


# ------------------------------------------------------------------ traffic lights
def state_word(carla, state) -> str:
    """``carla.TrafficLightState`` → the colour word of :mod:`simplatform.engine.signals`."""
    S = carla.TrafficLightState
    return {S.Red: "red", S.Yellow: "yellow", S.Green: "green", S.Off: "off"}.get(state, "unknown")


def carla_state(carla, state: str):
    """A scenario's signal state (colour word or lamp triple) → ``carla.TrafficLightState``; None if unknown."""
    S = carla.TrafficLightState
    return {"red": S.Red, "amber": S.Yellow, "green": S.Green, "off": S.Off}.get(signal_color(state))


def traffic_lights(world) -> dict[str, object]:
    """OpenDRIVE signal id → CARLA traffic light (CARLA builds its lights from the map's signals)."""
    out = {}
    for tl in world.get_actors().filter("traffic.traffic_light*"):
        try:
            odr = tl.get_opendrive_id()
        except RuntimeError:
            continue
        if odr:
            out[str(odr)] = tl
    return out


# ------------------------------------------------------------------ collisions
@dataclass(frozen=True)
class CollisionEvent:
    """One ``sensor.other.collision`` event, named in scenario terms where possible."""

    frame: int
    time: float
    entity: str
    other: str
    """The other entity's name, or ``carla:<type_id>`` for map geometry and actors not of the scenario."""
    impulse: float
    """|normal impulse| (N·s)."""


class CollisionListener:
    """Collects the events of a collision sensor; callbacks arrive on the client's thread pool."""

    def __init__(self, entity: str) -> None:
        self.entity = entity
        self._lock = threading.Lock()
        self._raw: list[tuple[int, int, str, float]] = []

    def __call__(self, event) -> None:
        other = event.other_actor
        imp = event.normal_impulse
        magnitude = float(np.sqrt(imp.x ** 2 + imp.y ** 2 + imp.z ** 2))
        with self._lock:
            self._raw.append((int(event.frame), int(getattr(other, "id", 0) or 0),
                              str(getattr(other, "type_id", "") or "unknown"), magnitude))

    def drain(self, names_by_actor: dict[int, str], time: float) -> list[CollisionEvent]:
        with self._lock:
            raw, self._raw = self._raw, []
        return [CollisionEvent(frame, time, self.entity, names_by_actor.get(aid, f"carla:{type_id}"), imp)
                for frame, aid, type_id, imp in raw]
