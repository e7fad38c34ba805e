"""The compiled table write of a fleet's step (vehicle_models.table_rows) against its numpy formulation."""

from __future__ import annotations

import math

import numpy as np

from vehicle_models import COMPACT_CAR, MIDSIZE_SEDAN, VehicleFleet
from vehicle_models.table_rows import rows_moved, write_rows

COLUMNS = ("x", "y", "heading", "speed", "vx", "vy", "ax", "ay", "yaw_rate", "wheel_angle", "odometer", "wheel_rot")


def _fleet(model: str) -> VehicleFleet:
    fleet = VehicleFleet([MIDSIZE_SEDAN, COMPACT_CAR, MIDSIZE_SEDAN], model=model)
    fleet.reset(x=[10.0, -3.0, 400.0], y=[2.0, 7.0, -50.0], heading=[3.1, -3.0, 0.4], speed=[20.0, -2.0, 0.0],
                steering=[0.05, -0.1, 0.0])
    fleet.steer[:] = [0.2, -0.3, 0.0]
    fleet.throttle[:] = [0.4, 0.3, 0.0]
    fleet.reverse[1] = True
    return fleet


def _numpy_write(f: VehicleFleet, x0, y0, cols: dict, idx) -> tuple[np.ndarray, np.ndarray]:
    """The formulation write_rows replaces (simplatform.backends.driven before it), column by column."""
    vx, vy = f.velocity_world
    ax, ay = f.acceleration_world
    cols["x"][idx], cols["y"][idx] = f.x, f.y
    cols["heading"][idx] = (f.heading + math.pi) % (2 * math.pi) - math.pi
    cols["speed"][idx] = f.speed
    cols["vx"][idx], cols["vy"][idx] = vx, vy
    cols["ax"][idx], cols["ay"][idx] = ax, ay
    cols["yaw_rate"][idx] = f.yaw_rate
    cols["wheel_angle"][idx] = f.steering_angle
    travelled = np.hypot(f.x - x0, f.y - y0)
    cols["odometer"][idx] += travelled
    cols["wheel_rot"][idx] = (cols["wheel_rot"][idx] + np.sign(f.speed) * travelled / f.params.wheel_radius) \
        % (2 * math.pi)
    return f.x - x0, f.y - y0


def test_write_rows_gives_the_numpy_formulation_bits() -> None:
    for model in ("dynamic", "kinematic"):
        a, b = _fleet(model), _fleet(model)
        rows = np.array([4, 1, 6], dtype=np.int64)
        rng = np.random.default_rng(3)
        ta = {c: rng.normal(size=8) for c in COLUMNS}
        tb = {c: v.copy() for c, v in ta.items()}
        written = np.zeros((4, 3))
        disp = np.zeros((2, 3))
        for _ in range(60):  # a turn past +-pi: the heading wrap is exercised
            x0, y0 = a.x.copy(), a.y.copy()
            a.step(0.05, grade=0.02)
            dx, dy = _numpy_write(a, x0, y0, ta, rows)
            old = b.state
            b.step(0.05, grade=0.02)
            write_rows(old, b.state, b.accel_body, b.params.lr, b.params.wheel_radius, rows,
                       *(tb[c] for c in COLUMNS), written, disp)
            for c in COLUMNS:
                assert ta[c].tobytes() == tb[c].tobytes(), (model, c)
            assert dx.tobytes() == disp[0].tobytes() and dy.tobytes() == disp[1].tobytes()
            expected = np.array((ta["x"][rows], ta["y"][rows], ta["heading"][rows], ta["speed"][rows]))
            assert expected.tobytes() == written.tobytes()
        assert np.all(np.abs(tb["heading"]) <= math.pi)
        untouched = np.setdiff1d(np.arange(8), rows)
        assert tb["x"][untouched].tobytes() == ta["x"][untouched].tobytes()


def test_rows_moved_sees_each_column_beyond_the_tolerance() -> None:
    rows = np.array([0, 2], dtype=np.int64)
    cols = [np.array([1.0, 9.0, 2.0]) for _ in range(4)]
    written = np.array([[1.0, 2.0]] * 4)
    assert not rows_moved(rows, *cols, written, 1e-9)
    for c in range(4):
        cols[c][2] += 2e-9
        assert rows_moved(rows, *cols, written, 1e-9)
        cols[c][2] -= 2e-9
    cols[1][1] = 100.0  # a row the fleet does not drive
    assert not rows_moved(rows, *cols, written, 1e-9)
