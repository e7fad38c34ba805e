"""Sensor rigs declared in YAML, and the sensors built from them.

A rig file::

    rig: roof_and_bumper           # optional name
    sensors:
      - name: top                  # unique; also seeds the sensor's noise
        type: lidar                # lidar | radar | camera | objects | gnss | imu | v2x
        preset: HDL-64E            # optional (lidar, radar)
        rate_hz: 10                # a divisor of the engine rate
        mount: {x: 1.3, y: 0, z: 1.9, roll_deg: 0, pitch_deg: 0, yaw_deg: 0}   # on the rear-axle centre
        parameters: {range_noise_m: 0.02}

Mount angles are in degrees (``*_deg``) as a human writes them and become
radians inside (DESIGN.md).  Errors name the file, the sensor and the key.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping

import math
import yaml

from sensors.base import SensorConfig
from sensors.frames import MountPose
from simplatform.errors import ConfigError

SENSOR_TYPES = ("lidar", "radar", "camera", "objects", "gnss", "imu", "v2x")
_SENSOR_KEYS = {"name", "type", "preset", "rate_hz", "mount", "parameters"}
_MOUNT_KEYS = {"x", "y", "z", "roll_deg", "pitch_deg", "yaw_deg"}


@dataclass(frozen=True)
class RigConfig:
    name: str
    sensors: tuple[SensorConfig, ...]
    source: str | None = None

    def with_seed(self, seed: int, scenario_id: str = "") -> "RigConfig":
        return replace(self, sensors=tuple(replace(s, seed=seed, scenario_id=scenario_id) for s in self.sensors))


def _error(cause: str, source: str | None, element: str, line: int | None = None) -> ConfigError:
    return ConfigError(cause, file=source, line=line, element=element)


def _lines(text: str) -> dict[int, int]:
    """Line of each sensor entry (1-based), from the YAML node tree."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return {}
    out: dict[int, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == "sensors" and isinstance(value, yaml.SequenceNode):
                for k, item in enumerate(value.value):
                    out[k] = item.start_mark.line + 1
    return out


def parse_rig(text: str, source: str | None = None) -> RigConfig:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise _error(f"not valid YAML: {getattr(exc, 'problem', exc)}", source, "rig",
                     mark.line + 1 if mark else None) from None
    if not isinstance(data, Mapping) or not isinstance(data.get("sensors"), list):
        raise _error("a rig is a mapping with a 'sensors' list", source, "rig")
    lines = _lines(text)
    sensors, seen = [], set()
    for k, entry in enumerate(data["sensors"]):
        line = lines.get(k)
        where = f"sensors[{k}]"
        if not isinstance(entry, Mapping):
            raise _error("each sensor is a mapping", source, where, line)
        unknown = sorted(set(entry) - _SENSOR_KEYS)
        if unknown:
            raise _error(f"unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(_SENSOR_KEYS))}", source, where, line)
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise _error("every sensor needs a non-empty 'name'", source, where, line)
        where = f"sensors[{name}]"
        if name in seen:
            raise _error(f"two sensors are named {name!r}", source, where, line)
        seen.add(name)
        kind = entry.get("type")
        if kind not in SENSOR_TYPES:
            raise _error(f"type must be one of {', '.join(SENSOR_TYPES)}, got {kind!r}", source, where + ".type", line)
        mount = entry.get("mount") or {}
        if not isinstance(mount, Mapping) or set(mount) - _MOUNT_KEYS:
            raise _error(f"mount takes {', '.join(sorted(_MOUNT_KEYS))}", source, where + ".mount", line)
        try:
            pose = MountPose(float(mount.get("x", 0)), float(mount.get("y", 0)), float(mount.get("z", 0)),
                             math.radians(float(mount.get("roll_deg", 0))), math.radians(float(mount.get("pitch_deg", 0))),
                             math.radians(float(mount.get("yaw_deg", 0))))
            rate = float(entry.get("rate_hz", 10.0))
        except (TypeError, ValueError) as exc:
            raise _error(f"mount and rate_hz must be numbers ({exc})", source, where, line) from None
        if rate <= 0:
            raise _error("rate_hz must be positive", source, where + ".rate_hz", line)
        params = entry.get("parameters") or {}
        if not isinstance(params, Mapping):
            raise _error("parameters must be a mapping", source, where + ".parameters", line)
        preset = entry.get("preset")
        sensors.append(SensorConfig(name=name, type=kind, mount=pose, rate_hz=rate,
                                    preset=str(preset) if preset is not None else None,
                                    parameters=dict(params), source=source))
    return RigConfig(str(data.get("rig", Path(source).stem if source else "rig")), tuple(sensors), source)


def load_rig(path: str | Path) -> RigConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the sensor rig: {exc.strerror}", file=path) from None
    return parse_rig(text, str(path))


def build_sensor(config: SensorConfig, geo_reference: Any = None):
    """The sensor object for one config (imports lazily: a rig without cameras loads no camera code)."""
    if config.type == "lidar":
        from sensors.lidar import Lidar
        return Lidar(config)
    if config.type == "radar":
        from sensors.radar import Radar
        return Radar(config)
    if config.type == "camera":
        from sensors.camera import Camera
        return Camera(config)
    if config.type == "objects":
        from sensors.object_list import ObjectListSensor
        return ObjectListSensor(config)
    if config.type == "gnss":
        from sensors.gnss import Gnss
        return Gnss(config, geo_reference)
    if config.type == "imu":
        from sensors.imu import Imu
        return Imu(config)
    if config.type == "v2x":
        from sensors.v2x import V2XRadio
        return V2XRadio(config)
    raise config.error(f"unknown sensor type {config.type!r}", "type")


def build_rig(rig: RigConfig, geo_reference: Any = None) -> dict[str, Any]:
    return {c.name: build_sensor(c, geo_reference) for c in rig.sensors}
