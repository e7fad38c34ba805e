"""Init actions set the state instantaneously: the first snapshot reports no acceleration."""

from pathlib import Path

import numpy as np

from simplatform.engine.run import RunConfig, play_to

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios"


def test_init_speed_is_not_an_acceleration():
    # Ego starts at 30 km/h by its Init SpeedAction; the target stands still.
    snapshot, _ = play_to(LIBRARY / "typical" / "typ_aeb_ccrs_v30_ov100.xosc", 0.0, RunConfig())
    ego = snapshot.entity("Ego")
    assert ego.speed > 8.0
    assert np.allclose(snapshot.ax, 0.0) and np.allclose(snapshot.ay, 0.0)
    assert np.allclose(snapshot.yaw_rate, 0.0)
