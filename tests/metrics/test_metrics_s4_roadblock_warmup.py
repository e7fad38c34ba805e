"""Session 4: after ``metrics.warmup.warm_up`` no metrics kernel compiles on first use in a run:
background traffic on a route (``route_kernels.mean_speeds``, ``running_sum``), a one-entity block
(contiguous ego columns) and the road block's compiled lane borders included."""

from __future__ import annotations

import importlib
import math
import pkgutil
import sys

import numpy as np
from numba.core.registry import CPUDispatcher

import metrics
from simplatform.world import BoundingBox, EntityKind, EntityState, LaneLocation, WorldSnapshot


def signatures() -> dict[str, set[str]]:
    for info in pkgutil.iter_modules(metrics.__path__):
        importlib.import_module(f"metrics.{info.name}")
    out: dict[str, set[str]] = {}
    for name, module in list(sys.modules.items()):
        if name == "metrics" or name.startswith("metrics."):
            for value in vars(module).values():
                if isinstance(value, CPUDispatcher):
                    out[f"{value.py_func.__module__}.{value.__name__}"] = set(map(str, value.signatures))
    return out


def run(context, cars, steps: int = 250) -> None:
    suite = metrics.MetricSuite(context)
    box = BoundingBox(4.5, 1.8, 1.5, 1.4, 0.0, 0.75)
    for k in range(steps):
        t = 0.01 * k
        states = [EntityState(name, EntityKind.VEHICLE, "car", x0 + v * t, y, 0.0, 0.0, 0.0, 0.0, v, v, 0.0,
                              0.2 * math.cos(t), 0.0, 0.0, box, LaneLocation("1", -1, x0 + v * t, y + 1.75),
                              is_ego=name == "ego")
                  for name, x0, v, y in cars]
        suite.observe(WorldSnapshot.from_states(t, k, states, ego="ego", signals={"S": "green"}))
    suite.finish()


def test_a_run_after_the_warm_up_compiles_nothing():
    from metrics import warmup

    warmup.warm_up()
    before = signatures()
    for name in ("mean_speeds", "running_sum"):
        assert before[f"metrics.route_kernels.{name}"], name
    for name in ("lane_borders", "reference_headings", "record_interval"):
        assert before[f"metrics.road_kernels.{name}"], name
    road = warmup._road()
    route = metrics.RoutePath.from_points(np.stack([np.linspace(0, 200, 101), np.full(101, -1.75)], axis=1))
    zone = metrics.ConflictZone("Z", ((40, -7), (45, -7), (45, 0), (40, 0)))
    line = metrics.StopLine("L", (60, -7), (60, 0), 0.0, signal_id="S")
    for extra in ({"road": road}, {}):
        context = metrics.ScenarioContext(route=route, goal=metrics.GoalRegion(190, -1.75, 3), stop_lines=(line,),
                                          conflict_zones=(zone,), acc_set_speed=14.0, background=("b1", "b2"), **extra)
        run(context, [("ego", 5.0, 13.0, -1.75), ("b1", 30.0, 9.0, -1.75), ("b2", 50.0, 11.0, -5.25),
                      ("c", 20.0, 12.0, -5.25)])
        run(context, [("ego", 5.0, 13.0, -1.9)])
    after = signatures()
    new = {name: sigs - before.get(name, set()) for name, sigs in after.items() if sigs - before.get(name, set())}
    assert not new, new
