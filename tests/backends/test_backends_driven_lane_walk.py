"""A stack-driven ego's compiled per-step paths give the bits of their Python formulations.

Two library scenarios (an unprotected left turn through a junction and a roundabout: curved
roads, road ends into connecting roads, lanes of both driving directions) run with the harness
and the reference stack, once with the compiled lane walk (lane_tracking._track_in_lane) and
once with the Python path only; every float column of the entity table is hashed after each
driven step and must match.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

import simplatform.backends.driven as driven
import simplatform.backends.lane_tracking as lane_tracking
from simplatform.harness import TestConfig, run_test

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ("scenarios/urban/urb_left_unprotected_v30_o30_lag1_day.xosc",
             "scenarios/urban/urb_roundabout_v20_o30_lagm1_x13.xosc")
COLUMNS = ("x", "y", "z", "heading", "pitch", "roll", "speed", "vx", "vy", "ax", "ay", "yaw_rate", "wheel_angle",
           "wheel_rot", "odometer", "lane_s", "lane_offset", "road_t", "lane_id")


def _run(path: str, model: str, monkeypatch, compiled: bool) -> tuple[str, int, int]:
    digest = hashlib.sha256()
    calls = {"fast": 0, "python": 0}
    step = driven.DrivenVehicles.step
    fast = lane_tracking._track_in_lane

    def counted(*args) -> bool:
        done = compiled and fast(*args)
        calls["fast" if done else "python"] += 1
        return done

    def hashed(self, dt: float) -> None:
        step(self, dt)
        t = self.engine.table
        for name in COLUMNS:
            digest.update(np.ascontiguousarray(getattr(t, name)).tobytes())
        digest.update(repr(list(t.lane_road)).encode())

    with monkeypatch.context() as m:
        m.setattr(lane_tracking, "_track_in_lane", counted)
        m.setattr(driven.DrivenVehicles, "step", hashed)
        run_test(ROOT / path, TestConfig(dt=0.05, csv=False, vehicle_model=model, max_time=25.0))
    return digest.hexdigest(), calls["fast"], calls["python"]


@pytest.mark.parametrize("path, model", [(SCENARIOS[0], "dynamic"), (SCENARIOS[0], "kinematic"),
                                         (SCENARIOS[1], "dynamic")])
def test_compiled_lane_walk_gives_the_python_paths_bits(path: str, model: str, monkeypatch) -> None:
    compiled, fast, slow = _run(path, model, monkeypatch, compiled=True)
    python, _, _ = _run(path, model, monkeypatch, compiled=False)
    assert compiled == python
    assert fast > 10 * slow  # the compiled walk takes the common step ...
    assert slow > 0  # ... and the road ends into the junction's roads go to the Python path
