"""Launch files (``launch/*.yaml``): a whole campaign in one file.

::

    name: highway-smoke
    backend: native                 # the only backend run_scenario drives so far
    stack: reference                # reference (default) | lidar | none | package.module:Class | file.py:Class
                                    # | a block: {transport: rosbridge, command: [...], step_timeout: 5, ...}
    stack_params: {}                #   parameters given to the stack's setup (StackSetup.parameters)
    sensor_rig: rigs/sedan_full.yaml
    suite:
      library: true                 # or  index: PATH  |  directory: PATH
      family: [cut_in]              # filters (lists or single values)
      tag: [highway]
      id: ["cut_in.00*"]
      per_logical: 1                #   then at most N concrete scenarios per logical scenario
    requirements: reqs/strict.yaml  # merged by id over each family's set
    route_length: 8000              # metres of route given to the stack where a scenario has no goal
                                    #   (default: as far as the ego could drive in max_time)
    ego: Car1                       # the entity the stack drives and the metrics judge, in every scenario
                                    #   (default: ego / hero / egovehicle / ego_vehicle, else the first Vehicle)
    executor: {kind: pool, jobs: 2, timeout: 120, memory_limit_mb: 4096}   # or just: pool
    seed: 7
    dt: 0.01
    max_time: 120
    outputs: {dir: ../out/runs/highway-smoke, record: false, csv: true, trace_hz: 10,
              reports: [junit, json, html]}

Relative paths are relative to the launch file.  Unknown keys are errors
naming the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simplatform.errors import ConfigError
from simplatform.runner.settings import RunSettings
from simplatform.runner.suite import SuiteEntry, default_library_index, load_directory, load_index, select
from simplatform.runner.yamlio import check_keys, line_of, load_located

_TOP = {"name", "backend", "stack", "stack_params", "sensor_rig", "suite", "requirements", "executor", "seed",
        "dt", "max_time", "outputs", "route_length", "ego"}
_SUITE = {"library", "index", "directory", "family", "tag", "id", "per_logical"}
_EXECUTOR = {"kind", "jobs", "address", "timeout", "memory_limit_mb"}
_OUTPUTS = {"dir", "record", "csv", "trace_hz", "reports"}


@dataclass(frozen=True)
class Launch:
    settings: RunSettings
    entries: tuple[SuiteEntry, ...]
    run_dir: Path | None
    source: Path


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def load_launch(path: str | Path) -> Launch:
    path = Path(path)
    data = load_located(path)
    if not isinstance(data, dict):
        raise ConfigError("a launch file is a mapping (name, stack, suite, executor, ...)", file=path)
    check_keys(data, _TOP, file=path, element="launch")
    base = path.parent

    def rel(p: Any) -> str:
        return str((base / str(p)).resolve())

    suite = data.get("suite")
    if not isinstance(suite, dict):
        raise ConfigError("'suite' must be a mapping with library, index or directory", file=path,
                          line=line_of(data), element="suite")
    check_keys(suite, _SUITE, file=path, element="suite")
    sources = [k for k in ("library", "index", "directory") if suite.get(k)]
    if len(sources) != 1:
        raise ConfigError("'suite' needs exactly one of library: true, index: PATH, directory: PATH", file=path,
                          line=line_of(suite), element="suite")
    if sources[0] == "directory":
        entries = load_directory(rel(suite["directory"]), seed=int(data.get("seed", 0)))
    else:
        entries = list(load_index(default_library_index() if sources[0] == "library" else rel(suite["index"])).entries)
    try:
        per_logical = int(suite.get("per_logical") or 0)
    except (TypeError, ValueError):
        raise ConfigError("per_logical is a whole number", file=path, line=line_of(suite),
                          element="suite.per_logical") from None
    entries = select(entries, families=_list(suite.get("family")), tags=_list(suite.get("tag")),
                     ids=_list(suite.get("id")), per_logical=per_logical)

    executor = data.get("executor", "pool")
    if isinstance(executor, str):
        executor = {"kind": executor}
    if not isinstance(executor, dict):
        raise ConfigError("'executor' is a kind (sequential, pool, ray) or a mapping", file=path, element="executor")
    check_keys(executor, _EXECUTOR, file=path, element="executor")
    outputs = data.get("outputs") or {}
    if not isinstance(outputs, dict):
        raise ConfigError("'outputs' must be a mapping", file=path, element="outputs")
    check_keys(outputs, _OUTPUTS, file=path, element="outputs")
    rig = data.get("sensor_rig")
    if rig:
        from sensors.rig import load_rig

        load_rig(rel(rig))  # a bad rig fails now, naming its own file and line
    stack = data.get("stack", "reference")
    try:
        from simplatform.harness.stack_choice import stack_config

        if isinstance(stack, dict) or (isinstance(stack, str) and ".py:" in stack):
            config, _ = stack_config(stack, base=base)  # relative paths: from the launch file
            stack = _absolute(stack, config)
        settings = RunSettings(
            seed=int(data.get("seed", 0)), dt=float(data.get("dt", 0.01)), max_time=float(data.get("max_time", 600.0)),
            backend=str(data.get("backend", "native")), stack=stack, stack_params=dict(data.get("stack_params") or {}),
            sensor_rig=rel(rig) if rig else None,
            requirements=rel(data["requirements"]) if data.get("requirements") else None,
            route_length=float(data["route_length"]) if data.get("route_length") is not None else None,
            ego=_ego(data.get("ego")),
            executor=str(executor.get("kind", "pool")), jobs=int(executor.get("jobs", 0)),
            address=executor.get("address"),
            timeout=float(executor["timeout"]) if executor.get("timeout") is not None else 600.0,
            memory_limit_mb=int(executor["memory_limit_mb"]) if executor.get("memory_limit_mb") else 4096,
            csv=bool(outputs.get("csv", True)), record=bool(outputs.get("record", False)),
            trace_hz=float(outputs.get("trace_hz", 10.0)),
            reports=tuple(_list(outputs.get("reports")) or ("junit", "json", "html")),
            name=str(data.get("name", path.stem)))
    except ConfigError as exc:
        raise ConfigError(exc.cause, file=path, line=line_of(data), element=exc.location.element or "launch") from None
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"bad value: {exc}", file=path, line=line_of(data), element="launch") from None
    run_dir = Path(rel(outputs["dir"])) if outputs.get("dir") else None
    return Launch(settings, tuple(entries), run_dir, path)


def _ego(value: Any) -> str | None:
    """The launch ``ego:`` key: an entity name (YAML may read ``ego: 1`` as a number: its text is the name)."""
    if value is None:
        return None
    if isinstance(value, (dict, list, bool)):
        raise ConfigError(f"ego is the name of a scenario entity, got {value!r}", element="ego")
    return str(value)


def _absolute(stack: Any, config: Any) -> Any:
    """The launch file's stack with its relative paths made absolute (the run may start elsewhere)."""
    if isinstance(stack, str):
        return config.stack_class
    out = dict(stack)
    if out.get("class"):
        out["class"] = config.stack_class
    if out.get("cwd"):
        out["cwd"] = config.cwd
    return out
