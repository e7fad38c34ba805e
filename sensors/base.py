"""What every sensor shares: its configuration, its schedule and its randomness.

A sensor is built from a ``SensorConfig`` (DESIGN.md "Sensor" protocol) and
answers ``sense(snapshot, scene)`` with a message.  It runs at a rate that is
a whole multiple of the engine step, so ``is_due(step, dt)`` is integer maths
and never drifts.

Randomness (DESIGN.md): every sensor draws only from its own
``numpy.random.Generator`` seeded with ``[run seed, crc32(scenario id),
crc32(sensor name)]``.  The same run seed reproduces every output bit for bit;
two sensors of one rig get independent streams because their names differ,
and the streams do not depend on the order in which sensors are built or run.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol, runtime_checkable

import numpy as np

from sensors.frames import MountPose
from simplatform.errors import ConfigError
from simplatform.world import WorldSnapshot


def sensor_rng(seed: int, scenario_id: str, sensor_name: str) -> np.random.Generator:
    """The documented seeding rule: ``default_rng([seed, crc32(scenario_id), crc32(name)])``."""
    return np.random.default_rng(
        [int(seed) & 0xFFFFFFFF, zlib.crc32(scenario_id.encode()), zlib.crc32(sensor_name.encode())]
    )


@dataclass(frozen=True)
class SensorConfig:
    """One sensor of a rig as the YAML declares it (see ``sensors.rig``).

    ``parameters`` keeps the type-specific keys (with unit suffixes such as
    ``_deg`` and ``_m``); each sensor class turns them into its own typed
    settings and reports unknown keys as a ``ConfigError``.
    """

    name: str
    type: str
    mount: MountPose = field(default_factory=MountPose)
    rate_hz: float = 10.0
    preset: str | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    seed: int = 0
    scenario_id: str = ""
    source: str | None = None
    """File the config came from, for error messages."""

    def rng(self) -> np.random.Generator:
        return sensor_rng(self.seed, self.scenario_id, self.name)

    def error(self, cause: str, key: str | None = None) -> ConfigError:
        element = f"sensors[{self.name}]" + (f".{key}" if key else "")
        return ConfigError(cause, file=self.source, element=element)


def period_steps(rate_hz: float, dt: float) -> int:
    """Engine steps between two outputs; the rate must divide the step rate exactly."""
    steps = 1.0 / (rate_hz * dt)
    n = int(round(steps))
    if n < 1 or abs(steps - n) > 1e-6 * max(1.0, steps):
        raise ConfigError(
            f"sensor rate {rate_hz} Hz is not a whole divisor of the engine rate {1.0 / dt:g} Hz "
            f"(step {dt} s); choose a rate such that 1/(rate·dt) is an integer"
        )
    return n


def is_due(config: SensorConfig, step: int, dt: float) -> bool:
    """True on the steps at which the sensor produces an output (step 0 included)."""
    return step % period_steps(config.rate_hz, dt) == 0


class TypedParameters:
    """Reads ``config.parameters`` with type checks and reports leftovers as errors."""

    def __init__(self, config: SensorConfig, defaults: Mapping[str, Any]) -> None:
        self.config = config
        unknown = sorted(set(config.parameters) - set(defaults))
        if unknown:
            raise config.error(
                f"unknown parameter(s) {', '.join(unknown)} for a {config.type}; "
                f"known: {', '.join(sorted(defaults))}", "parameters")
        self.values = {**defaults, **config.parameters}

    def float(self, key: str, *, minimum: float | None = None, maximum: float | None = None) -> float:
        value = self.values[key]
        try:
            out = float(value)
        except (TypeError, ValueError):
            raise self.config.error(f"{key} must be a number, got {value!r}", key) from None
        if minimum is not None and out < minimum:
            raise self.config.error(f"{key} must be ≥ {minimum}, got {out}", key)
        if maximum is not None and out > maximum:
            raise self.config.error(f"{key} must be ≤ {maximum}, got {out}", key)
        return out

    def int(self, key: str, *, minimum: int | None = None) -> int:
        value = self.values[key]
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise self.config.error(f"{key} must be an integer, got {value!r}", key)
        if minimum is not None and value < minimum:
            raise self.config.error(f"{key} must be ≥ {minimum}, got {value}", key)
        return int(value)

    def bool(self, key: str) -> bool:
        value = self.values[key]
        if not isinstance(value, bool):
            raise self.config.error(f"{key} must be true or false, got {value!r}", key)
        return value

    def floats(self, key: str, length: int | None = None) -> tuple[float, ...] | None:
        value = self.values[key]
        if value is None:
            return None
        try:
            out = tuple(float(v) for v in value)
        except (TypeError, ValueError):
            raise self.config.error(f"{key} must be a list of numbers, got {value!r}", key) from None
        if length is not None and len(out) != length:
            raise self.config.error(f"{key} must have {length} numbers, got {len(out)}", key)
        return out

    def raw(self, key: str) -> Any:
        return self.values[key]


@runtime_checkable
class Sensor(Protocol):
    """DESIGN.md protocol: one object per sensor of the rig, holding its state over time."""

    config: SensorConfig

    def sense(self, snapshot: WorldSnapshot, scene: Any) -> Any:
        """The sensor's output at ``snapshot.time``, a ROS-shaped message."""
        ...
