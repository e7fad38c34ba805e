"""CsvTrajectoryLog writes byte for byte what the plain Python writer wrote (the oracle in
engine_csv_reference.py): moving state, inactive and spawned entities, entities off road,
invisible ones, non-ASCII names, values the compiled kernel declines (NaN, inf, huge),
signed zeros, strided columns, and several dt / decimals settings."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from simplatform.engine.entities import EntitySpec, EntityTable
from simplatform.recording.csv_log import CsvTrajectoryLog
from simplatform.world import EntityKind

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine_csv_reference import reference_header, reference_rows  # noqa: E402

_MOVING = ("x", "y", "z", "heading", "pitch", "roll", "speed", "vx", "vy", "ax", "ay", "yaw_rate", "wheel_angle",
           "wheel_rot", "lane_s", "lane_offset", "road_t")


def _spec(name: str, ego: bool = False, active: bool = True, length: float = 4.5) -> EntitySpec:
    return EntitySpec(name=name, kind=EntityKind.VEHICLE, category="car", length=length, width=1.8, height=1.5,
                      is_ego=ego, active=active)


def _table(rng: np.random.Generator) -> EntityTable:
    specs = [_spec("Ego", ego=True), _spec("Fußgänger 1", length=0.6), _spec("late", active=False)]
    specs += [_spec(f"T{k}", length=float(rng.uniform(3, 18))) for k in range(12)]
    return EntityTable(specs)


def _perturb(table: EntityTable, rng: np.random.Generator, k: int) -> None:
    n = len(table)
    for c in _MOVING:
        scale = 10.0 ** rng.integers(-7, 5)
        getattr(table, c)[:] = rng.normal(0, scale, n)
    table.z[rng.random(n) < 0.5] = 0.0
    table.pitch[rng.random(n) < 0.3] = -0.0
    for i in range(n):
        u = rng.random()
        road = None if u < 0.2 else ("" if u < 0.25 else (0 if u < 0.3 else str(rng.integers(0, 40))))
        table.set_lane(i, road, int(rng.integers(-4, 5)), float(table.lane_s[i]), float(table.lane_offset[i]),
                       float(table.road_t[i]))
    table.visible[:] = rng.random(n) < 0.8
    if k == 5:
        table.set_active(2, True)
    if k == 9:
        table.set_active(4, False)
    if k == 12:
        table.add(_spec("spawned"))
    if k == 15:
        table.x[3] = float("nan")
    if k == 16:
        table.vx[0] = float("inf")
    if k == 17:
        table.y[1] = 3e12
    if k == 18:
        table.x = np.ascontiguousarray(np.repeat(table.x, 2)[::2] + 0)  # fresh array object, same values
        table.y = np.repeat(table.y, 2)[::2]  # strided: not the kernel's signature


@pytest.mark.parametrize("dt,decimals", [(0.05, 6), (0.01, 6), (0.001, 6), (1.0, 6), (2.5, 6), (0.05, 4),
                                         (0.05, 9), (1e-14, 6), (0.05, 16)])
def test_bytes_equal_the_python_writer(tmp_path, dt, decimals):
    rng = np.random.default_rng(int(dt * 1000) + decimals)
    table = _table(rng)
    want = [reference_header()]
    with CsvTrajectoryLog(tmp_path / "log.csv", dt, decimals=decimals) as log:
        for k in range(25):
            _perturb(table, rng, k)
            log.write(table, k * dt)
            want.append(reference_rows(table, k * dt, dt, decimals))
    assert (tmp_path / "log.csv").read_bytes() == "".join(want).encode("utf-8")


def test_steps_with_declined_values_go_through_python_with_the_same_bytes(tmp_path):
    table = EntityTable([_spec("a"), _spec("b")])
    table.x[:] = [float("nan"), -float("inf")]
    table.y[:] = [1e300, -0.0]
    with CsvTrajectoryLog(tmp_path / "log.csv", 0.05) as log:
        log.write(table, 0.05)
    text = (tmp_path / "log.csv").read_text()
    assert text == reference_header() + reference_rows(table, 0.05, 0.05)
    assert ", nan, " in text and ", -inf, " in text and ", -0.000000, " in text
