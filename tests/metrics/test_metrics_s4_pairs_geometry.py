"""The box-row kernels (one (1, N) row of box sizes for every step, x/y/vx/vy read in the stacked
state) give the reference kernels' answers bit for bit; a block's box rows and stacked columns."""

from __future__ import annotations

import math

import numpy as np
import pytest

from metrics import kernels
from metrics.block import StepBlock
from metrics.centre_kernel import block_centres, corners_from_rows, state_geometry
from metrics.context import ScenarioContext
from metrics.contact_sweep import block_contacts_boxes
from simplatform.world import STATE_ROWS, EntityKind, WorldSnapshot


def crowd(rng: np.random.Generator, T: int, N: int, spread: float, varying: bool):
    cx, cy = rng.uniform(0, spread, (T, N)), rng.uniform(0, spread / 3, (T, N))
    h = rng.uniform(-math.pi, math.pi, (T, N))
    length = np.repeat(rng.uniform(1, 5, (1, N)), T, axis=0)
    width = np.repeat(rng.uniform(0.5, 2.5, (1, N)), T, axis=0)
    if varying:
        width = width * (1.0 + 0.3 * np.sin(np.arange(T)))[:, None]
    return cx, cy, np.cos(h), np.sin(h), length, width


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("N,spread", [(1, 5.0), (2, 3.0), (8, 10.0), (30, 20.0)])
@pytest.mark.parametrize("varying", [False, True])
def test_contacts_from_box_rows_are_the_all_pairs_contacts(seed, N, spread, varying):
    cx, cy, c, s, length, width = crowd(np.random.default_rng(seed), 50, N, spread, varying)
    if N > 3:
        cx[4, 2] = np.nan
        cx[6, :] = 1.0            # ties along the sort
        cx[7:9, 3] = np.inf
    radius = 0.5 * np.hypot(length, width)
    want = kernels.block_contacts(cx, cy, radius, kernels.block_corners(cx, cy, c, s, length, width))
    rows = (radius, length, width) if varying else (radius[:1], length[:1], width[:1])
    got = block_contacts_boxes(cx, cy, rows[0], c, s, rows[1], rows[2])
    assert got.dtype == want.dtype and np.array_equal(got, want)
    if N == 30:
        assert len(want) > 64   # crowded: more contacts than the first guess has room for


@pytest.mark.parametrize("varying", [False, True])
def test_corners_from_box_rows_are_block_corners(varying):
    cx, cy, c, s, length, width = crowd(np.random.default_rng(4), 30, 6, 10.0, varying)
    cx[3, 2], length[:, 4] = np.nan, np.inf
    want = kernels.block_corners(cx, cy, c, s, length, width)
    got = corners_from_rows(cx, cy, c, s, length[:1], width if varying else width[:1])
    assert got.shape == want.shape and got.tobytes() == want.tobytes()


def test_compiled_cos_and_sin_are_numpys():
    """``math.cos``/``math.sin`` in a kernel and numpy's ufuncs call the same C library functions here:
    this fails on a numpy build that vectorises them differently (then ``state_geometry`` must not)."""
    rng = np.random.default_rng(0)
    T, N = 4000, 25
    for scale in (math.pi, 50.0, 1e6, 1e-4):
        state = np.zeros((T, 3, N))
        state[:, 2] = rng.uniform(-scale, scale, (T, N))
        view = state.view()
        view.flags.writeable = False
        zeros = np.zeros((1, N))
        _, _, c, s = state_geometry(view, view.view(np.int64), 0, 1, 2, zeros, zeros)
        assert c.tobytes() == np.cos(state[:, 2]).tobytes() and s.tobytes() == np.sin(state[:, 2]).tobytes()


@pytest.mark.parametrize("varying", [False, True])
def test_state_geometry_is_numpys_trigonometry_and_the_centres(varying):
    """Headings that repeat (taken from the step before), −0.0 after 0.0 (other bits: sin keeps the
    sign), NaN and infinities, offsets that change or one row for every step."""
    rng = np.random.default_rng(9)
    T, N = 60, 7
    state = rng.normal(0.0, 50.0, (T, 15, N))
    state[:, 3] = rng.uniform(-4, 4, (T, N))
    state[10:30, 3, 1] = state[10, 3, 1]
    state[5:40:2, 3, 2], state[6:40:2, 3, 2] = 0.0, -0.0
    state[12, 3, 3], state[13:16, 3, 3], state[20, 3, 4] = np.nan, np.inf, -np.inf
    state[30:, 3, 5] = np.pi / 2
    state[40, 0, 6] = np.nan
    bx = np.repeat(rng.uniform(-2, 2, (1, N)), T, axis=0)
    by = np.repeat(rng.normal(0.0, 0.2, (1, N)), T, axis=0)
    if varying:
        bx = bx * (1.0 + 0.1 * np.arange(T))[:, None]
    with np.errstate(invalid="ignore"):
        c, s = np.cos(state[:, 3]), np.sin(state[:, 3])
    want = block_centres(np.ascontiguousarray(state[:, 0]), np.ascontiguousarray(state[:, 1]), c, s, bx, by)
    view = state.view()
    view.flags.writeable = False
    got = state_geometry(view, view.view(np.int64), 0, 1, 3, bx if varying else bx[:1], by[:1])
    assert got[0].tobytes() == want[0].tobytes() and got[1].tobytes() == want[1].tobytes()
    assert got[2].tobytes() == c.tobytes() and got[3].tobytes() == s.tobytes()


def _snapshots(T: int, matrix: bool, shared: bool):
    names, N = ("ego", "a", "b"), 3
    kinds = (EntityKind.VEHICLE, EntityKind.VEHICLE, EntityKind.PEDESTRIAN)
    box = {"length": np.array([4.5, 4.0, 0.6]), "width": np.array([1.9, 1.8, 0.6]), "height": np.ones(N),
           "bbox_center_x": np.array([1.4, 1.2, 0.0]), "bbox_center_y": np.zeros(N), "bbox_center_z": np.ones(N)}
    for k in range(T):
        t = 0.05 * k
        x, y = np.array([0.0, 8.0, 3.0]) + np.array([10.0, 6.0, 0.0]) * t, np.array([0.0, 0.2, -4.0 + 1.2 * t])
        h = np.array([0.3 * math.sin(0.7 * t), 0.05, math.pi / 2])
        v = np.array([10.0, 6.0, 1.2])
        b = box if shared else {**box, "length": box["length"] * (1 + 0.01 * k)}
        cols = dict(x=x, y=y, z=np.zeros(N), heading=h, pitch=np.zeros(N), roll=np.zeros(N), speed=v,
                    vx=v * np.cos(h), vy=v * np.sin(h), ax=np.array([1.5 * math.cos(t), 0.0, 0.0]),
                    ay=np.array([0.8 * math.sin(2 * t), 0.0, 0.0]), yaw_rate=np.zeros(N))
        if matrix:
            state = np.concatenate([cols[n] for n in STATE_ROWS[:12]] + [np.full(N, np.nan)] * 3).reshape(15, N)
            yield WorldSnapshot.from_state_matrix(t, k, names, kinds, ("car", "car", "ped"), state, b, (None,) * N,
                                                  (None,) * N, np.ones(N, bool), ego="ego")
        else:
            yield WorldSnapshot(time=t, step=k, names=names, kinds=kinds, categories=("car", "car", "ped"),
                                **cols, **b, lanes=(None,) * N, visible=np.ones(N, bool), ego="ego")


@pytest.mark.parametrize("shared", [True, False])
def test_a_block_reads_the_same_with_and_without_state_matrices(shared):
    snaps = list(_snapshots(60, True, shared))
    a = StepBlock(snaps, ScenarioContext())
    b = StepBlock(list(_snapshots(60, False, shared)), ScenarioContext())
    assert a.state is not None and b.state is None
    assert a.kin[0].flags.writeable is False and b.kin[0].flags.writeable is False
    for name in ("length", "width", "bbox_center_x", "bbox_center_y"):
        rows = a.box_rows[name]
        assert rows.shape == ((1, 3) if shared or name != "length" else (60, 3))
        assert rows.flags.writeable and rows.flags.c_contiguous and rows.dtype == np.float64
        column = np.stack([getattr(snap, name) for snap in snaps])
        assert np.array_equal(np.broadcast_to(rows, (60, 3)), column) and np.array_equal(a.col(name), column)
        assert np.array_equal(a.ego_col(name), column[:, 0]) and np.array_equal(b.ego_col(name), column[:, 0])
        assert np.array_equal(rows, b.box_rows[name])
    assert np.array_equal(a.radius, 0.5 * np.hypot(a.col("length"), a.col("width")))
    for x, y in zip(a.centers, b.centers):
        assert x.tobytes() == y.tobytes()
    assert np.array_equal(a.contacts, b.contacts) and len(a.contacts) > 0
    for f in ("distance", "ttc_path", "nearest", "minima", "lead", "lead_gap", "lead_closing"):
        assert np.array_equal(getattr(a.neighbours, f), getattr(b.neighbours, f))


@pytest.mark.parametrize("matrix", [True, False])
def test_the_egos_centre_and_frame_are_the_same_with_or_without_the_blocks_geometry(matrix):
    snaps = list(_snapshots(40, matrix, True))
    alone, shared = StepBlock(snaps, ScenarioContext()), StepBlock(snaps, ScenarioContext())
    shared.centers   # the block's geometry first: the ego's values are read out of it
    assert "_geometry" not in alone.__dict__
    for a, b in zip(alone.ego_centre + alone.ego_long_lat_accel, shared.ego_centre + shared.ego_long_lat_accel):
        assert a.tobytes() == b.tobytes() and a.flags.c_contiguous and b.flags.c_contiguous
    assert "_geometry" not in alone.__dict__


@pytest.mark.parametrize("shared", [True, False])
@pytest.mark.parametrize("ego", ["ego", "b"])
def test_the_egos_corners_are_its_column_of_the_blocks_corners(shared, ego):
    snaps = list(_snapshots(30, True, shared))
    alone, full = StepBlock(snaps, ScenarioContext(ego=ego)), StepBlock(snaps, ScenarioContext(ego=ego))
    want = np.ascontiguousarray(full.corners[:, full.ego_index])
    got = alone.ego_corners
    assert "corners" not in alone.__dict__
    assert got.shape == (30, 4, 2) and got.flags.c_contiguous and got.tobytes() == want.tobytes()
    assert full.ego_corners.tobytes() == want.tobytes()
