"""Review (session 6, issue #7): the views that commits 0b39f92..HEAD changed, checked in this process
on attack streams (``m6driver.attack_stream``: every shared field of the arena snapshots kept, replaced
by an equal object or changed mid-block; arenas that stop following on; one-step blocks; the ego and
entities coming and going; goals entered at a block's edge; borderline and degenerate geometry).

Each block the suite evaluates is checked against a block of the snapshots it observed (the plain,
per-snapshot path, which session 6 did not change): ``BlockBuffer.field``/``runs_of`` (shared fields
per change), ``shared_quad``/``box_rows``, ``times``, ``ego_lanes`` (road ids per change),
``ego_inside`` (the goal once per block), ``kin``'s velocity rows (the minimum-speed rule reads them
in place) and ``last_step`` (the snapshot a V2X metric built mid-run starts from).  Bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

import m6driver
import mdriver

P = {"touch": 0.08, "coincide": 0.03, "toggle": 0.03, "ego_off": 0.02, "mode": 0.03, "kinds": 0.04, "cats": 0.04,
     "env": 0.05, "signals": 0.05, "box_new": 0.06, "box_change": 0.04, "collide": 0.06, "col_copy": 0.05,
     "roads_copy": 0.1, "skip_slot": 0.04, "new_arena": 0.03, "names_copy": 0.02, "same_time": 0.02}


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _check_block(block, observed, ctx, problems) -> None:
    from metrics.block import StepBlock
    from metrics.block_buffer import _SHARED
    buf = block._buffer
    plain = StepBlock(list(observed), ctx, block.previous_time)
    where = f"block of {block.size} at t={observed[0].time}"
    if not _same(block.times, plain.times):
        problems.append(f"{where}: times")
    for name in _SHARED:
        got = buf.field(name)
        if len(got) != len(observed) or any(g is not getattr(s, name) for g, s in zip(got, observed)):
            problems.append(f"{where}: field({name}) not the observed objects")
    if buf.slots is not None:
        for name in ("lane_roads", "signals", "kinds"):
            runs = buf.runs_of(name)
            flat = [v for start, stop, v in runs for _ in range(start, stop)]
            if runs[0][0] != 0 or runs[-1][1] != block.size or any(a is not getattr(s, name) for a, s in zip(flat, observed)):
                problems.append(f"{where}: runs_of({name})")
    for name, rows in block.box_rows.items():
        want = plain.box_rows[name]
        if not _same(rows, want) and not _same(np.broadcast_to(rows, (block.size, rows.shape[1])),
                                                 np.broadcast_to(want, (block.size, want.shape[1]))):
            problems.append(f"{where}: box_rows[{name}]")
    kin, _, _, _, rvx, rvy = block.kin
    for row, name in ((rvx, "vx"), (rvy, "vy")):
        if not _same(np.ascontiguousarray(kin[:, row]), plain.col(name).astype(np.float64)):
            problems.append(f"{where}: kin row {name} != col({name})")
    if block.ego_index is not None:
        got, want = block.ego_lanes, plain.ego_lanes
        if not (_same(got[0], want[0]) and list(got[1]) == list(want[1]) and all(map(_same, got[2:], want[2:]))):
            problems.append(f"{where}: ego_lanes")
        if ctx.goal is not None and not _same(block.ego_inside(ctx.goal),
                                              ctx.goal.contains_many(plain.ego_col("x"), plain.ego_col("y"))):
            problems.append(f"{where}: ego_inside")
    last = buf.last_step()()
    bad = mdriver.same_snapshot(last, observed[-1])
    if bad:
        problems.append(f"{where}: last_step() field {bad}")


@pytest.mark.parametrize("seed,extra", [
    (11, {}), (12, {"capacity": [1, 2, 3]}), (13, {"zero_box": True}), (14, {"capacity": [1]}),
    (15, {"offset": 5e12, "map": None}), (16, {"goal_step": 64, "capacity": [64]}),
])
def test_changed_views_equal_the_plain_blocks(seed: int, extra: dict) -> None:
    from metrics import MetricSuite
    from metrics.block import StepBlock
    job = {"seed": seed, "steps": 260, "max_n": 7, "p": P, **extra}
    world, ctx, reqs = m6driver.attack_world(job)
    suite = MetricSuite(ctx, reqs)
    pert = mdriver.Perturbed({"check": True, "flush": 0.03, "dup": 0.03, "v2x": 0.01}, seed)
    pert.install()
    try:
        rng = np.random.default_rng(seed + 99)
        for snap in m6driver.attack_stream(world, job, rng):
            suite.observe(snap)
        suite.finish()
    finally:
        mdriver.CURRENT = mdriver.Perturbed({}, 0)
    pert.check_blocks()
    assert not pert.problems, pert.problems
    problems: list[str] = []
    offset = 0
    arena = changed = 0
    for block in pert.blocks:
        observed = pert.observed[offset:offset + block.size]
        offset += block.size
        assert isinstance(block, StepBlock)
        _check_block(block, observed, suite.context, problems)
        arena += block._buffer.slots is not None
        changed += block._buffer.slots is not None and len(block._buffer.changes) > 1
    assert not problems, problems[:8]
    # the stream reached the arena paths it attacks (one-slot arenas: one-step blocks, no change within)
    assert arena >= 3 and (changed >= 1 or extra.get("capacity") == [1]), (arena, changed)
