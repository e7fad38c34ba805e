"""Roadside perception: what a roadside unit's own sensors see, shared as RSM objects.

Why not every object in range: a roadside unit perceives through a camera,
lidar or radar on its pole (typically 5–7 m up), so it misses what a truck or
a building hides from that point, measures positions and velocities with
error, misses some objects outright and needs time to process a frame.
The RSU's perception is therefore an object-list sensor
(``sensors.object_list.ObjectListSensor``: field of view, range, occlusion by
15 sample rays per box against the actors' boxes and the static world,
Gaussian noise, detection probability scaled by the visible fraction) mounted
on the unit instead of on the ego — the common phenomenological model of
the ADAS literature (Hanke et al., IEEE ITSC 2017, §II), as the J2735 RSM /
ETSI TS 103 324 Collective Perception Message describe the output of such a
sensor: objects with a measurement time, in the map frame.

Modes (``rsu_perception`` of the radio, ``perception`` of one unit):

* ``realistic`` (default): per sensor head, an object-list sensor with the
  defaults of :data:`REALISTIC_DEFAULTS` — a 360° × 180° field of view (a
  head sees all around and straight down; narrow it with
  ``horizontal_fov_deg``/``vertical_fov_deg`` and a ``yaw_deg`` per mount),
  range = the unit's perception range (``v2x.perception_range``, else its radio
  range), position σ 0.3 m, velocity σ 0.3 m/s, heading σ 3°, detection
  probability 0.95 (times the visible fraction), at least 15 % of the object
  visible, 0.1 s from measurement to the RSM that carries it.  These are
  assumptions of the order reported for roadside lidar/camera fusion, not a
  measured device: change them per scenario rig.
* ``ideal``: every entity whose reference point lies within the perception
  range in the plane, exactly, at once (the model before occlusion existed).

Sensor heads (``mounts``): offsets ``x``, ``y``, ``z`` (m) and ``yaw_deg`` from
the unit's antenna (the top of its pole: the scenario's box height, else
5 m); default one head at the antenna.  An object seen by several heads is
reported once, from the head that sees the largest share of it.  Each head
draws from its own generator, seeded (run seed, scenario id,
``rsu/<unit>[/<head>]``): same seed, same RSMs; two units are independent.

The RSU's own box (and every other unit's pole) is left out of the scene:
the sensor sits on it.  Reported ``x``/``y`` are the object's reference point
(as in ``ideal``), displaced by the measured box centre's error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from sensors.base import SensorConfig
from sensors.frames import Transform
from sensors.latency import DelayLine
from sensors.object_list import ObjectList, ObjectListSensor
from sensors.scene import SensorScene, StaticWorld
from sensors.v2x_messages import PerceivedObject
from simplatform.errors import ConfigError
from simplatform.world import WorldSnapshot

MODES = ("realistic", "ideal")
REALISTIC_DEFAULTS: dict[str, Any] = {
    "horizontal_fov_deg": 360.0, "vertical_fov_deg": 180.0, "max_range_m": None, "min_visible_fraction": 0.15,
    "position_noise_m": 0.3, "velocity_noise_mps": 0.3, "yaw_noise_deg": 3.0, "detection_probability": 0.95,
    "visibility_scales_detection": True, "latency_s": 0.1, "occlusion": True,
}
"""Object-list parameters of a realistic roadside head; ``max_range_m`` None: the unit's perception range."""
_MOUNT_KEYS = {"x", "y", "z", "yaw_deg"}


@dataclass(frozen=True)
class SensorMount:
    """One sensor head on a roadside unit: offset from its antenna (m) and the direction it faces (rad)."""

    dx: float = 0.0
    dy: float = 0.0
    dz: float = 0.0
    yaw: float = 0.0


@dataclass(frozen=True)
class PerceptionSettings:
    """A unit's perception as configured: the mode, the object-list parameters and the heads."""

    mode: str = "realistic"
    parameters: Mapping[str, Any] | None = None
    mounts: tuple[SensorMount, ...] = (SensorMount(),)


def _who(unit: str) -> str:
    return f"roadside unit {unit!r}" if unit else "the roadside units"


def check_settings(radio_level: Any, config: SensorConfig) -> None:
    """The radio's ``rsu_perception`` checked when the rig is built, before any unit is known."""
    settings = perception_settings(radio_level, None, "", config)
    if settings.mode != "ideal":
        RoadsidePerception("", (0.0, 0.0, 0.0), 1.0, settings, config)


def _as_mapping(value: Any, what: str, config: SensorConfig) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, str):
        return {"mode": value}
    if isinstance(value, Mapping):
        return dict(value)
    raise config.error(f"{what} must be 'realistic', 'ideal' or a mapping, got {value!r}", "rsu_perception")


def perception_settings(radio_level: Any, unit_level: Any, unit: str, config: SensorConfig) -> PerceptionSettings:
    """The unit's settings: the radio's ``rsu_perception`` overridden key by key by the unit's ``perception``.

    ``unit``: the unit's name ("": the radio's settings alone).  Bad values raise ``ConfigError`` naming the radio's file, the element and the unit."""
    merged = {**_as_mapping(radio_level, "rsu_perception", config),
              **_as_mapping(unit_level, f"perception of {_who(unit)}", config)}
    mode = str(merged.pop("mode", "realistic")).strip().lower()
    if mode not in MODES:
        raise config.error(f"perception of {_who(unit)} must be one of {', '.join(MODES)}, got {mode!r}",
                           "rsu_perception")
    raw_mounts = merged.pop("mounts", None)
    unknown = sorted(set(merged) - set(REALISTIC_DEFAULTS))
    if unknown:
        raise config.error(f"unknown perception parameter(s) {', '.join(unknown)} of {_who(unit)}; "
                           f"known: mode, mounts, {', '.join(sorted(REALISTIC_DEFAULTS))}", "rsu_perception")
    mounts = _mounts(raw_mounts, unit, config)
    return PerceptionSettings(mode, {**REALISTIC_DEFAULTS, **merged}, mounts)


def _mounts(raw: Any, unit: str, config: SensorConfig) -> tuple[SensorMount, ...]:
    if raw is None:
        return (SensorMount(),)
    if not isinstance(raw, Sequence) or isinstance(raw, (str, bytes)) or not raw:
        raise config.error(f"mounts of {_who(unit)} must be a non-empty list, got {raw!r}", "rsu_perception")
    out = []
    for entry in raw:
        if not isinstance(entry, Mapping) or set(entry) - _MOUNT_KEYS:
            raise config.error(f"mount {entry!r} of {_who(unit)} must be a mapping of "
                               f"{', '.join(sorted(_MOUNT_KEYS))}", "rsu_perception")
        try:
            values = {k: float(entry.get(k, 0.0)) for k in _MOUNT_KEYS}
        except (TypeError, ValueError):
            raise config.error(f"mount {entry!r} of {_who(unit)}: values must be numbers",
                               "rsu_perception") from None
        out.append(SensorMount(values["x"], values["y"], values["z"], math.radians(values["yaw_deg"])))
    return tuple(out)


def ideal_objects(x: float, y: float, perception_range_m: float, snapshot: WorldSnapshot,
                  rsus: set[str]) -> tuple[PerceivedObject, ...]:
    """``ideal``: every entity but the units whose reference point is within range in the plane, exactly."""
    d = np.hypot(snapshot.x - x, snapshot.y - y)
    return tuple(PerceivedObject(snapshot.names[i], snapshot.categories[i], float(snapshot.x[i]),
                                 float(snapshot.y[i]), float(snapshot.heading[i]), float(snapshot.vx[i]),
                                 float(snapshot.vy[i]), float(snapshot.length[i]), float(snapshot.width[i]))
                 for i in np.flatnonzero(d <= perception_range_m) if snapshot.names[i] not in rsus)


class _RoadsideHead(ObjectListSensor):
    """The object-list sensor standing on a pole: its sensor → world transform is fixed, not the ego's."""

    def __init__(self, config: SensorConfig, to_world: Transform) -> None:
        super().__init__(config)
        self.to_world = to_world

    def sensor_to_world(self, snapshot: WorldSnapshot) -> Transform:  # noqa: ARG002 — the pole does not move
        return self.to_world


class RoadsidePerception:
    """The realistic perception of one unit: its heads, fused per step, released after the latency."""

    def __init__(self, unit: str, position: Sequence[float], perception_range_m: float,
                 settings: PerceptionSettings, radio: SensorConfig) -> None:
        params = dict(settings.parameters or REALISTIC_DEFAULTS)
        latency = params.pop("latency_s")
        if params["max_range_m"] is None:
            params["max_range_m"] = perception_range_m
        self.unit = unit
        self.heads: list[_RoadsideHead] = []
        for k, mount in enumerate(settings.mounts):
            name = f"rsu/{unit}" if len(settings.mounts) == 1 else f"rsu/{unit}/{k}"
            head = SensorConfig(name=name, type="object_list", parameters={**params, "latency_s": 0.0},
                                seed=radio.seed, scenario_id=radio.scenario_id, source=radio.source)
            pose = Transform.from_pose(position[0] + mount.dx, position[1] + mount.dy, position[2] + mount.dz,
                                       0.0, 0.0, mount.yaw)
            try:
                self.heads.append(_RoadsideHead(head, pose))
            except ConfigError as exc:
                raise radio.error(f"perception of {_who(unit)}: {exc.cause}", "rsu_perception") from None
        try:
            self.delay: DelayLine[tuple[float, tuple[PerceivedObject, ...]]] = DelayLine(float(latency))
        except (TypeError, ValueError):
            raise radio.error(f"perception of {_who(unit)}: latency_s must be a number, got {latency!r}",
                              "rsu_perception") from None
        if self.delay.latency_s < 0:
            raise radio.error(f"perception of {_who(unit)}: latency_s must be ≥ 0", "rsu_perception")

    def sense(self, snapshot: WorldSnapshot, scene: SensorScene) -> tuple[float, tuple[PerceivedObject, ...]] | None:
        """(measurement time, objects) of the newest frame released by now; None before the first one.

        ``scene``: the static world and this snapshot's actors without the roadside units."""
        best: dict[int, tuple[float, PerceivedObject]] = {}
        for head in self.heads:                     # every head senses every frame: each stream advances alike
            out = head.sense(snapshot, scene)
            if out is None:
                continue
            for i, obj, seen in _world_objects(out, head.to_world, snapshot):
                if i not in best or seen > best[i][0]:
                    best[i] = (seen, obj)
        self.delay.push(snapshot.time, (snapshot.time, tuple(best[i][1] for i in sorted(best))))
        return self.delay.latest(snapshot.time)


def _world_objects(out: ObjectList, to_world: Transform,
                   snapshot: WorldSnapshot) -> list[tuple[int, PerceivedObject, float]]:
    """(entity index, object in the map frame, visible fraction) of each row of a head's object list.

    The head measures the box centre; the object's reference point is that
    measurement less the box centre's offset in the entity frame, so that the
    error of the measured centre is the error of the reported position."""
    rows = out.objects
    if not len(rows):
        return []
    centre = to_world.apply(np.stack([rows["x"], rows["y"], rows["z"]], axis=1))
    velocity = to_world.apply_vectors(np.stack([rows["vx"], rows["vy"], np.zeros(len(rows))], axis=1))
    head_yaw = math.atan2(to_world.rotation[1, 0], to_world.rotation[0, 0])
    result = []
    for j, i in enumerate(rows["actor"].tolist()):
        c, s = math.cos(snapshot.heading[i]), math.sin(snapshot.heading[i])
        bx, by = float(snapshot.bbox_center_x[i]), float(snapshot.bbox_center_y[i])
        x = float(centre[j, 0]) - (c * bx - s * by)
        y = float(centre[j, 1]) - (s * bx + c * by)
        heading = math.remainder(float(rows["yaw"][j]) + head_yaw, 2 * math.pi)
        obj = PerceivedObject(out.names[j], out.categories[j], x, y, heading, float(velocity[j, 0]),
                              float(velocity[j, 1]), float(rows["length"][j]), float(rows["width"][j]))
        result.append((int(i), obj, float(rows["visible_fraction"][j])))
    return result


def perception_scene(static: Any, snapshot: WorldSnapshot, units: set[str]) -> SensorScene:
    """This snapshot's actors (the ego among them) without the roadside units, over the static world
    (a ``StaticWorld``, a ``SensorScene``'s, or None: open air)."""
    world = getattr(static, "static", static)
    return SensorScene(world if isinstance(world, StaticWorld) else None, snapshot, exclude=units)
