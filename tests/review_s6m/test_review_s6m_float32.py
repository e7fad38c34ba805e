"""Review (session 6, issue #7): the minimum-speed rule on a backend's float32 velocity columns.

Found (failed from 75d2cc0, fixed in b742f12): since 75d2cc0 ``MinimumSpeedRouteMetric`` reads the background speeds from ``block.kin`` (the
velocity rows converted to float64) instead of ``block.col("vx")``/``col("vy")``.  For snapshots
without a state matrix whose ``vx``/``vy`` are float32 (a ``WorldSnapshot`` built directly, or
``dataclasses.replace`` of one: any backend), ``col`` keeps float32, so fb91629 ran
``route_kernels.mean_speeds`` on float32 values (``math.hypot`` in single precision) and now runs it
in double: the speed sums differ in the last bits and a checkpoint ratio near a 0.005 rounding edge
moves by 0.01 (45.18 % at fb91629, 45.19 % now, for the speeds below).  The ego's speed is read
through ``block.ego_col``, which also changed dtype with the order of the reads (``col("vx")`` is no
longer called first), so the ego sum can move too.  ``45.18`` is fb91629's output (run in its own
tree: ``test_review_s6m_diff.py::test_float32_columns_equal_to_fb91629``)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

V_EGO, V_BACKGROUND = 3.4104945533075375, 7.547846749285817


def float32_stream(v_ego: float, v_bg: float, steps: int = 40):
    from simplatform.world import BoundingBox, EntityKind, EntityState, WorldSnapshot
    for k in range(steps):
        states = [EntityState(name=name, kind=EntityKind.VEHICLE, category="car", x=0.25 * k + 10.0 * i, y=0.1 * i,
                              z=0.0, heading=0.0, pitch=0.0, roll=0.0, speed=v, vx=v * math.cos(0.3),
                              vy=v * math.sin(0.3), ax=0.0, ay=0.0, yaw_rate=0.0,
                              bbox=BoundingBox(4.5, 1.9, 1.5, 1.4, 0.0, 0.75), lane=None, visible=True, is_ego=i == 0)
                  for i, (name, v) in enumerate((("ego", v_ego), ("bg", v_bg)))]
        snap = WorldSnapshot.from_states(0.1 * (k + 1), k, states, ego="ego")
        yield dataclasses.replace(snap, vx=snap.vx.astype(np.float32), vy=snap.vy.astype(np.float32))


def min_speed_route(v_ego: float = V_EGO, v_bg: float = V_BACKGROUND):
    from metrics import MetricSuite, ScenarioContext
    from metrics.context import RoutePath
    ctx = ScenarioContext(route=RoutePath.from_points([[0, 0], [5, 0], [10, 0], [20, 0]]), background=("bg",), ego="ego")
    suite = MetricSuite(ctx, all_metrics=False, extra_metrics=("min_speed_route",))
    for snap in float32_stream(v_ego, v_bg):
        suite.observe(snap)
    return suite.finish().metrics["min_speed_route"]


def test_float32_velocity_columns_keep_the_fb91629_checkpoint() -> None:
    result = min_speed_route()
    assert result.scalars["min_speed_route"] == 45.18
    assert [e.value for e in result.events] == [45.18]
