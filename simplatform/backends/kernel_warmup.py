"""Compile, or load from numba's cache, the driver-model fleet's kernels (called by ``vehicle_models.warmup``).

Each kernel runs once on a one-lane, two-vehicle example with the argument
types :mod:`model_traffic`, :mod:`fleet_tracking` and :mod:`traffic_context`
pass (C-contiguous float64 / int64 / bool arrays), so a later run loads the
cached machine code instead of compiling.
"""

from __future__ import annotations

import numpy as np

from simplatform.backends import context_kernels as ck
from simplatform.backends import traffic_kernels as tk


def warm_up() -> None:
    n, samples = 2, 5
    s_grid = np.linspace(0.0, 20.0, samples)
    mat = np.zeros((9, samples))
    mat[tk.X], mat[tk.DX] = s_grid, 1.0
    meta = np.array([[0.0], [float(samples)], [5.0], [20.0]])
    lanes = np.zeros(n, dtype=np.int64)
    direction = np.ones(n)
    s = np.array([2.0, 8.0])
    rows = np.arange(n, dtype=np.int64)
    col = [np.zeros(n) for _ in range(12)]
    x, y, heading, speed, vx, vy, odometer, wheel_rot, lane_s, lane_offset, road_t, z = col
    x[:] = s
    out = np.empty((5, n))
    ok = np.empty(n, dtype=bool)
    tk.advance(mat, meta, lanes, direction, s, rows, x, y, np.array((x, y)), out, ok)
    tk.lane_columns(mat, meta, lanes, direction, s, np.zeros(n), rows, z, heading.copy(), heading.copy(), lane_s,
                    lane_offset, road_t, np.empty(n, dtype=bool))
    tk.pursuit_geometry(mat, meta, lanes, direction, s, rows, speed, x, y, heading, out)
    tk.pursuit_lever(np.arctan2(out[1], out[0]), out, np.full(n, 5.6))
    coef = np.zeros((3, 6, n))
    state = np.zeros((9, n))
    tk.model_outputs(state, np.zeros((2, n)), np.ones(n), np.arange(2, 7, dtype=np.int64), x.copy(), y.copy(), 0.01, 5,
                     coef, rows, x, y, vx.copy(), vy.copy(), heading.copy(), heading.copy())
    tk.extrapolate(coef, 0.01, rows, x, y, heading, speed, vx, vy, odometer, wheel_rot, lane_s, direction, True)
    entities = np.zeros((ck.ENTITY_ROWS, n))
    entities[ck.E_DIR] = 1.0
    facts = np.zeros((ck.FACT_ROWS, n))
    facts[ck.F_HI] = np.inf
    facts[ck.F_ON_ROAD] = 1.0
    ck.stale_facts(entities, lane_s, rows, facts, np.empty(n, dtype=bool))
    ck.perceive(entities, lane_s, np.zeros(n), np.full(n, 4.5), speed, rows, facts, np.full(n, 10.0), np.zeros(0),
                np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool), np.empty((4, n)),
                np.empty((ck.OUTPUT_ROWS, n)), np.empty((ck.FLAG_ROWS, n), dtype=bool))
