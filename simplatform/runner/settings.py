"""What a suite run is configured with, and the hash that makes resume safe.

Everything that can change a scenario's result (seed, step, time limit,
stack, rig, requirements, backend) goes into ``result_key`` and thus into
the config hash stored beside every result: a resumed run reuses a stored
result only when it was produced under the same hash.  How the suite is
executed (executor, jobs, address, output formats) is not in the hash —
results are identical across executors by construction (per-scenario seeds,
see ``simplatform.runner.task.derive_seed``).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from simplatform.errors import ConfigError

EXECUTORS = ("sequential", "pool", "ray")
REPORTS = ("junit", "json", "html")


@dataclass(frozen=True)
class RunSettings:
    seed: int = 0
    dt: float = 0.01
    max_time: float = 600.0
    backend: str = "native"
    stack: Any = "reference"
    """What ``simplatform.harness.stack_config`` reads: ``reference``, ``lidar``, ``none``/None,
    ``package.module:Class``, ``/abs/file.py:Class`` or a launch ``stack:`` block (a mapping)."""
    stack_params: dict[str, Any] = field(default_factory=dict)
    sensor_rig: str | None = None
    requirements: str | None = None
    route_length: float | None = None
    """Metres of lanes given to the stack as its route when a scenario has no goal; None: the
    harness's reach (``simplatform.harness.route_topics.reach_length``)."""
    ego: str | None = None
    """The name of the entity the stack drives and the metrics judge; None: the engine's rule
    (``simplatform.engine.build.guess_ego``: ego / hero / egovehicle / ego_vehicle, else the first
    Vehicle).  For other tools' scenarios whose ego is "Ego", "Car1", "Vehicle_1", ..."""
    executor: str = "pool"
    jobs: int = 0
    address: str | None = None
    timeout: float | None = 600.0
    memory_limit_mb: int | None = 4096
    csv: bool = True
    record: bool = False
    trace_hz: float = 10.0
    reports: tuple[str, ...] = REPORTS
    name: str = ""

    def __post_init__(self) -> None:
        if self.executor not in EXECUTORS:
            raise ConfigError(f"executor must be one of {', '.join(EXECUTORS)}, got {self.executor!r}")
        if self.backend != "native":
            raise ConfigError(f"backend {self.backend!r}: run_scenario drives only the native backend so far")
        if not 0 < self.dt <= 1.0:
            raise ConfigError(f"dt must be in (0, 1] s, got {self.dt}")
        if self.max_time <= 0:
            raise ConfigError(f"max_time must be positive, got {self.max_time}")
        if self.route_length is not None and not (math.isfinite(self.route_length) and self.route_length > 0):
            raise ConfigError(f"route_length must be a positive number of metres, got {self.route_length}")
        if self.ego is not None and (not isinstance(self.ego, str) or not self.ego.strip()):
            raise ConfigError(f"ego is the name of a scenario entity, got {self.ego!r}", element="ego")
        if self.timeout is not None and self.timeout <= 0:
            raise ConfigError(f"the per-scenario timeout must be positive, got {self.timeout}")
        if self.jobs < 0:
            raise ConfigError(f"jobs must be ≥ 1 (0 = all cores), got {self.jobs}")
        self.stack_config()  # a bad stack is a usage error now, not an error verdict per scenario
        bad = sorted(set(self.reports) - set(REPORTS))
        if bad:
            raise ConfigError(f"unknown report {bad[0]!r} (known: {', '.join(REPORTS)})")

    def stack_config(self) -> tuple[Any, dict[str, Any]]:
        """``(bridge.StackConfig or None, setup parameters)``: the block's own parameters, then ``stack_params``."""
        from simplatform.harness.stack_choice import stack_config

        config, parameters = stack_config(self.stack)
        return config, {**parameters, **dict(self.stack_params)}

    @property
    def workers(self) -> int:
        return self.jobs or os.cpu_count() or 1

    def result_key(self) -> dict[str, Any]:
        """The part of the settings a scenario result depends on (with file contents, not names)."""
        return {
            "seed": self.seed, "dt": self.dt, "max_time": self.max_time, "backend": self.backend,
            "stack": self.stack, "stack_params": self.stack_params,
            "sensor_rig": _file_digest(self.sensor_rig), "requirements": _file_digest(self.requirements),
            "record": self.record, "csv": self.csv, "trace_hz": self.trace_hz,
            # only when set: the runs stored before it existed keep their hash (and resume)
            **({"route_length": self.route_length} if self.route_length is not None else {}),
            **({"ego": self.ego} if self.ego is not None else {}),
        }

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["reports"] = list(self.reports)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "RunSettings":
        d = dict(d)
        d["reports"] = tuple(d.get("reports", REPORTS))
        return cls(**d)

    def with_execution(self, **kw: Any) -> "RunSettings":
        """The same run executed differently (executor, jobs, address): the hash does not change."""
        return replace(self, **{k: v for k, v in kw.items() if v is not None})


def _file_digest(path: str | None) -> str | None:
    if path is None:
        return None
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", file=path) from None


def settings_digest(settings: RunSettings) -> str:
    """sha256 of the result-relevant settings (``RunSettings.result_key``)."""
    blob = json.dumps(settings.result_key(), sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def scenario_key(digest: str, entry: dict[str, Any]) -> str:
    """The config hash of one scenario's result: run settings, the entry, and the .xosc file's content.

    Per scenario, so that editing one scenario file re-runs that scenario alone on resume.
    """
    blob = json.dumps({"settings": digest, "entry": entry, "xosc": _file_digest(entry["path"])},
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()
