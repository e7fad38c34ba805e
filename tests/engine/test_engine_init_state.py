"""Init actions set the state instantaneously: the first snapshot reports no acceleration."""

from pathlib import Path

import numpy as np
import pytest

from simplatform.engine.run import RunConfig, play_to

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios"


def test_init_speed_is_not_an_acceleration():
    # Ego starts at 30 km/h by its Init SpeedAction; the target stands still.
    snapshot, _ = play_to(LIBRARY / "typical" / "typ_aeb_ccrs_v30_ov100.xosc", 0.0, RunConfig())
    ego = snapshot.entity("Ego")
    assert ego.speed > 8.0
    assert np.allclose(snapshot.ax, 0.0) and np.allclose(snapshot.ay, 0.0)
    assert np.allclose(snapshot.yaw_rate, 0.0)


def test_a_speed_action_reports_its_acceleration(tmp_path):
    """A linear SpeedAction at 2 m/s² shows as ax = 2 m/s² in the snapshot (it used to read 0:
    the previous speed was taken after the action had already changed it)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "engine_conformance", Path(__file__).with_name("test_engine_conformance.py"))
    conformance = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conformance)
    path = conformance.scenario(tmp_path, "")  # Ego: 10 m/s, then +2 m/s² from t = 0
    snapshot, _ = play_to(path, 1.0, RunConfig())
    ego = snapshot.entity("Ego")
    assert ego.speed == pytest.approx(12.0, abs=0.03)
    assert ego.acceleration == pytest.approx(2.0, abs=1e-6)
