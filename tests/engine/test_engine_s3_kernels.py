"""The engine step's compiled kernels against the Python formulations they replaced, bit for bit."""

from __future__ import annotations

import math

import numpy as np

from simplatform.engine.collision import overlapping_pairs_numpy
from simplatform.engine.collision_kernels import table_pairs_kernel
from simplatform.engine.derive_kernels import derive_kinematics
from simplatform.engine.motion import derive_kinematics_python


def _bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=float).view(np.int64)


def test_derive_kernel_equals_the_scalar_loop_bit_for_bit():
    """Headings across ±π, speeds around the wheel-angle and standstill thresholds, negative and
    NaN speeds, skipped (external) rows left untouched: every output bit equal."""
    rng = np.random.default_rng(11)
    for trial in range(300):
        n = int(rng.integers(1, 40))
        heading = rng.uniform(-3.5, 3.5, n)
        prev_heading = heading + rng.normal(0.0, 0.05 if trial % 2 else 3.0, n)
        speed = rng.choice([0.0, 0.05, 0.1, -0.1, 0.1000001, 1e-5, -3.0, 13.7, 42.0], n) + \
            (rng.normal(0.0, 5.0, n) if trial % 3 == 0 else 0.0)
        if n > 2 and trial % 5 == 0:
            speed[1] = np.nan
        prev_speed = speed + rng.normal(0.0, 0.4, n)
        wheelbase = rng.uniform(1.0, 6.0, n)
        skip = rng.random(n) < 0.2
        dt = float(rng.choice([0.01, 0.05, 1 / 60]))
        outs = []
        for f in (derive_kinematics, derive_kinematics_python):
            cols = [np.full(n, 7.25) for _ in range(6)]
            f(heading, speed, prev_heading, prev_speed, wheelbase, skip, dt, *cols)
            outs.append(cols)
        for got, want in zip(*outs):
            assert np.array_equal(_bits(got), _bits(want))
        assert all((col[skip] == 7.25).all() for col in outs[0])


def _table_centres(x, y, heading, bcx, bcy):
    """``EntityTable.bbox_centers``' numpy formulation."""
    c, s = np.cos(heading), np.sin(heading)
    return x + c * bcx - s * bcy, y + s * bcx + c * bcy


def test_table_pair_kernel_equals_the_gathered_numpy_formulation():
    """Crowds with inactive rows and offset box centres: the same pairs in the same order, in table
    row numbers, as the numpy SAT on the active rows' centres (what the engine did before)."""
    rng = np.random.default_rng(5)
    contacts = 0
    for trial in range(300):
        n = int(rng.integers(0, 30))
        x, y = rng.uniform(0, 30, n), rng.uniform(0, 12, n)
        heading = rng.uniform(-math.pi, math.pi, n)
        bcx, bcy = rng.uniform(-0.5, 2.0, n), rng.uniform(-0.2, 0.2, n)
        length, width = rng.uniform(0.5, 12, n), rng.uniform(0.5, 2.6, n)
        active = rng.random(n) < (1.0 if trial % 2 else 0.7)
        if n > 3:
            x[2] = np.nan
        cx, cy = _table_centres(x, y, heading, bcx, bcy)
        sel = np.nonzero(active)[0]
        want = [(int(sel[a]), int(sel[b])) for a, b in
                overlapping_pairs_numpy(cx[sel], cy[sel], heading[sel], length[sel], width[sel])]
        out = np.empty((max(n * (n - 1) // 2, 0), 2), dtype=np.int64)
        count = table_pairs_kernel(x, y, heading, bcx, bcy, length, width, active, out)
        assert [tuple(p) for p in out[:count].tolist()] == want
        contacts += count
    assert contacts > 500


def test_inlined_rising_trigger_answers_as_the_condition_runtime():
    """A one-condition trigger with a rising edge and no delay (evaluated inline) answers, step for
    step, what ConditionRuntime.evaluate answers, triggering entities included."""
    from simplatform.engine.triggers import ConditionRuntime, TriggerRuntime

    rng = np.random.default_rng(2)
    raws = [bool(v) for v in rng.random(400) < 0.4]
    whos = [tuple(rng.choice(["A", "B", "A"], int(rng.integers(0, 3)))) for _ in raws]

    def checker():
        it = iter(zip(raws, whos))
        return lambda ctx: next(it)

    inline = TriggerRuntime([[ConditionRuntime("c", "rising", 0.0, checker())]])
    assert inline.groups[0][0].plain_rising
    reference = ConditionRuntime("c", "rising", 0.0, checker())
    fired = 0
    for k in range(len(raws)):
        got = inline.evaluate(None, 0.05 * k)
        want = reference.evaluate(None, 0.05 * k)
        assert got == want
        assert inline.triggering == (tuple(dict.fromkeys(reference.triggering)) if want else ())
        assert inline.groups[0][0].last_value == reference.last_value
        fired += bool(got)
    assert fired > 20


def test_derive_clocks_follow_the_states_step_by_step():
    """Standstill and off-road clocks (skipped when no state changed) equal the per-entity rule at
    every call: the time the state began, -1 outside it; a grown table is followed."""
    from simplatform.engine.entities import EntitySpec, EntityTable
    from simplatform.engine.motion import DefaultController
    from simplatform.world import EntityKind

    rng = np.random.default_rng(9)
    specs = [EntitySpec(f"e{k}", EntityKind.VEHICLE, "car", 4.5, 1.8, 1.5) for k in range(6)]
    table = EntityTable(specs)
    ctrl = DefaultController(table, None)
    want_still = [-1.0] * 6
    want_off = [-1.0] * 6
    for step in range(300):
        time = 0.05 * step
        if step == 150:  # a spawned row
            table.add(EntitySpec("late", EntityKind.VEHICLE, "car", 4.5, 1.8, 1.5))
            ctrl.grow()
            want_still.append(-1.0)
            want_off.append(-1.0)
        n = len(table)
        if rng.random() < 0.3:
            k = int(rng.integers(0, n))
            table.speed[k] = float(rng.choice([0.0, 5e-5, 3.0]))
        if rng.random() < 0.2:
            k = int(rng.integers(0, n))
            table.lane_road[k] = None if table.lane_road[k] is not None else "1"
        ctrl.derive(0.05, time)
        for i in range(n):
            if abs(float(table.speed[i])) < 1e-4:
                want_still[i] = time if want_still[i] < 0 else want_still[i]
            else:
                want_still[i] = -1.0
            if table.lane_road[i] is None:
                want_off[i] = time if want_off[i] < 0 else want_off[i]
            else:
                want_off[i] = -1.0
        assert [m.standstill_since for m in ctrl.motions] == want_still
        assert [m.offroad_since for m in ctrl.motions] == want_off
