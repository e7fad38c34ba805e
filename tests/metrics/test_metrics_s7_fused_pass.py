"""``metrics.step_pass``: the geometry, contacts and ego pairs of a block in one pass, bit for bit
the three separate kernels' (``centre_kernel.state_geometry``, ``contact_sweep``, ``ego_pass``)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from metrics import ScenarioContext
from metrics.block import CLOSEST_APPROACH_HORIZON, StepBlock
from metrics.centre_kernel import state_geometry
from metrics.contact_sweep import block_contacts_boxes
from metrics.ego_pass import ego_pass
from metrics.frame import NEAR_RANGE
from metrics.step_pass import step_pass
from simplatform.world import STATE_INDEX, STATE_ROWS, WorldSnapshot


def _state(rng, T, N, spread, *, nans=False):
    """A (T, rows, N) stacked state: entities crowded in ``spread`` metres (contacts, near misses),
    some keeping their heading (the geometry's repeated-heading shortcut), velocities along it."""
    kin = np.zeros((T, len(STATE_ROWS), N))
    x, y = rng.uniform(0, spread, N), rng.uniform(0, spread / 4, N)
    h = rng.uniform(-math.pi, math.pi, N)
    fixed = rng.random(N) < 0.3
    v = rng.uniform(0, 12, N)
    for k in range(T):
        h = np.where(fixed, h, h + rng.normal(0, 0.05, N))
        x, y = x + 0.01 * v * np.cos(h), y + 0.01 * v * np.sin(h)
        for name, col in (("x", x), ("y", y), ("heading", h), ("vx", v * np.cos(h)), ("vy", v * np.sin(h))):
            kin[k, STATE_INDEX[name]] = col
    if nans:
        kin[T // 2, STATE_INDEX["x"], 1] = np.nan
        kin[T // 3, STATE_INDEX["vx"], 2] = np.nan
    view = kin.view()
    view.flags.writeable = False
    return view


def _rows(rng, T, N, per_step):
    shape = (T, N) if per_step else (1, N)
    return {"length": rng.uniform(0.5, 6, shape), "width": rng.uniform(0.5, 2.5, shape),
            "bx": rng.uniform(-1, 1.5, shape), "by": rng.uniform(-0.2, 0.2, shape)}


def _separate(kin, rows, radius, e):
    r = [STATE_INDEX[n] for n in ("x", "y", "heading", "vx", "vy")]
    geo = state_geometry(kin, kin.view(np.int64), r[0], r[1], r[2], rows["bx"], rows["by"])
    cx, cy, c, s = geo
    found = block_contacts_boxes(cx, cy, radius, c, s, rows["length"], rows["width"])
    pairs = ego_pass(e, cx, cy, kin, r[3], r[4], c, s, rows["length"], rows["width"], radius,
                     NEAR_RANGE, CLOSEST_APPROACH_HORIZON)
    return (*geo, found, *pairs)


def _fused(kin, rows, radius, e):
    r = [STATE_INDEX[n] for n in ("x", "y", "heading", "vx", "vy")]
    return step_pass(kin, kin.view(np.int64), *r, rows["bx"], rows["by"], rows["length"], rows["width"], radius,
                     e, NEAR_RANGE, CLOSEST_APPROACH_HORIZON)


def _same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("per_step", [False, True])
def test_the_fused_pass_is_the_three_passes_bit_for_bit(seed, per_step):
    rng = np.random.default_rng(seed)
    T, N = (1, 2, 40, 120, 300, 77)[seed], (1, 2, 3, 12, 22, 30)[seed]
    kin = _state(rng, T, N, 8.0 + 6 * N, nans=seed == 3)
    rows = _rows(rng, T, N, per_step)
    radius = 0.5 * np.hypot(rows["length"], rows["width"])
    e = int(rng.integers(N))
    want, got = _separate(kin, rows, radius, e), _fused(kin, rows, radius, e)
    _same(want, got)
    if seed >= 3:
        assert len(got[4]) > 0   # contacts found


def test_more_contacts_than_the_first_array_holds():
    """Crowded enough that the contacts outgrow max(64, 2T) rows: the pass grows its array."""
    rng = np.random.default_rng(7)
    kin = _state(rng, 20, 25, 6.0)
    rows = _rows(rng, 20, 25, False)
    radius = 0.5 * np.hypot(rows["length"], rows["width"])
    want, got = _separate(kin, rows, radius, 3), _fused(kin, rows, radius, 3)
    assert len(want[4]) > 64
    _same(want, got)


def _block_snapshots(rng, T, N):
    kin = _state(rng, T, N, 10.0 * N)
    names = tuple(["ego"] + [f"c{i}" for i in range(1, N)])
    box = {"length": np.full(N, 4.5), "width": np.full(N, 1.9), "height": np.full(N, 1.5),
           "bbox_center_x": np.full(N, 1.4), "bbox_center_y": np.zeros(N), "bbox_center_z": np.full(N, 0.75)}
    for a in box.values():
        a.flags.writeable = False
    from simplatform.world import EntityKind
    return [WorldSnapshot.from_state_matrix(0.01 * k, k, names, (EntityKind.VEHICLE,) * N, ("car",) * N,
                                            np.ascontiguousarray(kin[k]), box, (None,) * N, (None,) * N,
                                            np.ones(N, bool), ego="ego") for k in range(T)]


@pytest.mark.parametrize("first", ["contacts", "neighbours"])
def test_a_block_fuses_unless_its_geometry_came_first(first):
    snaps = _block_snapshots(np.random.default_rng(11), 50, 9)
    fused, apart = StepBlock(snaps, ScenarioContext()), StepBlock(snaps, ScenarioContext())
    apart.centers   # the geometry first: three separate passes
    getattr(fused, first)
    assert {"_geometry", "contacts", "neighbours"} <= fused.__dict__.keys()
    assert "contacts" not in apart.__dict__
    _same(fused._geometry, apart._geometry)
    _same([fused.contacts], [apart.contacts])
    assert len(fused.contacts) > 0
    _same(list(vars(fused.neighbours).values()), list(vars(apart.neighbours).values()))


def test_a_block_without_an_ego_keeps_the_separate_passes():
    snaps = _block_snapshots(np.random.default_rng(12), 10, 4)
    block = StepBlock(snaps, ScenarioContext(ego="nobody"))
    assert block.ego_index is None
    block.contacts
    assert "neighbours" not in block.__dict__


def test_warmup_compiles_the_fused_and_the_separate_passes():
    from metrics import centre_kernel, contact_sweep, ego_pass as ego_module, step_pass as fused_module, warmup

    warmup.warm_up()
    for f in (fused_module.step_pass, centre_kernel.state_geometry, contact_sweep._sweep_boxes, ego_module.ego_pass):
        assert f.signatures, f.__name__


def test_runs_of_is_the_buffers_and_none_for_a_block_of_snapshots():
    """``StepBlock.runs_of`` (what ``collision_pass`` reads instead of the block's private buffer):
    None for a block of snapshots, whose collision stretches and kinds are then scanned per step."""
    from metrics import collision_pass

    snaps = _block_snapshots(np.random.default_rng(13), 6, 3)
    block = StepBlock(snaps, ScenarioContext())
    assert block.runs_of("collisions") is None and block.runs_of("kinds") is None
    assert collision_pass.collision_stretches(block) == [(0, 6, snaps[0].collisions)]
    assert collision_pass.kinds_at(block)(5) == snaps[5].kinds
