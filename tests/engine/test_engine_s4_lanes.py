"""The native engine's lazy ``snapshot.lanes`` (``simplatform.world.StateLanes``, issue #7): no
LaneLocation is built until read, and what a reader gets is what the table's ``lane_location``
said when the snapshot was made (type for type, signed zeros and NaN included), however late it
reads; the sequence behaves as the tuple it stands for (indexing, slices, iteration, equality both
ways, hash, repr, pickling, copies, ``dataclasses.replace``)."""

from __future__ import annotations

import copy
import math
import pickle
from dataclasses import replace

import numpy as np
import pytest

import simplatform.world as world
from simplatform.engine.entities import EntitySpec, EntityTable
from simplatform.world import STATE_ROWS, EntityKind, LaneLocation, StateLanes, WorldSnapshot


def _table(n: int = 6) -> EntityTable:
    specs = [EntitySpec(f"e{k}", EntityKind.VEHICLE if k % 3 else EntityKind.PEDESTRIAN, "car", 4.0, 1.8, 1.4,
                        is_ego=k == 0) for k in range(n)]
    t = EntityTable(specs)
    for k in range(n):
        if k != 2:   # e2 stays off road
            t.set_lane(k, str(10 + k % 2), (-1, 2, -3)[k % 3], 10.0 * k + 0.125, 0.25 - 0.1 * k, -1.5)
    return t


def _exact(loc: LaneLocation | None, want: LaneLocation | None) -> bool:
    """Same fields, same types, same bits (signed zeros and NaN told apart)."""
    if loc is None or want is None:
        return loc is want
    return (type(loc) is LaneLocation and loc.road_id == want.road_id and type(loc.lane_id) is int
            and loc.lane_id == want.lane_id and type(loc.s) is float and type(loc.t) is float
            and np.float64(loc.s).tobytes() == np.float64(want.s).tobytes()
            and np.float64(loc.t).tobytes() == np.float64(want.t).tobytes())


def test_a_snapshot_builds_no_lane_location_until_one_is_read(monkeypatch):
    built = []
    real = world.LaneLocation

    def counting(*args):
        built.append(args)
        return real(*args)

    monkeypatch.setattr(world, "LaneLocation", counting)
    t = _table()
    snaps = []
    for k in range(5):
        t.lane_s += 0.5
        snaps.append(t.snapshot(0.01 * k, k))
    assert built == [] and all(isinstance(s.lanes, StateLanes) for s in snaps)
    loc = snaps[1].lanes[3]
    assert len(built) == 1 and snaps[1].lanes[3] is loc   # one built, and kept
    assert snaps[1].entity("e3").lane is loc and len(built) == 1


def test_late_readers_get_what_the_table_said_when_the_snapshot_was_made():
    rng = np.random.default_rng(11)
    t = _table(8)
    snaps, wants = [], []
    for k in range(60):
        for i in rng.choice(8, size=3, replace=False).tolist():
            r = rng.random()
            if r < 0.15:
                t.set_lane(i, None, 0, math.nan, math.nan, math.nan)   # leaves the road
            elif r < 0.3:
                t.set_lane(i, "10", int(rng.integers(-3, 4)), float(rng.normal()), -0.0, 0.0)   # signed zero offset
            elif r < 0.4:
                t.set_lane(i, "11", 1, math.nan, 0.0, 0.0)   # on a road, s not known
            else:
                t.set_lane(i, str(rng.integers(10, 13)), int(rng.integers(-3, 4)),
                           float(rng.uniform(0, 500)), float(rng.normal()), 0.0)
        if k % 7 == 3:
            t.set_active(int(rng.integers(1, 8)), bool(k % 2))   # the subset path and back
        snaps.append(t.snapshot(0.01 * k, k))
        sel = np.nonzero(t.active)[0]
        wants.append(tuple(t.lane_location(i) for i in sel))
        if k % 5 == 0:   # some read at once (the memo across snapshots then holds something)
            snaps[-1].lanes[int(rng.integers(0, len(sel)))]
    for k in rng.permutation(len(snaps)).tolist():
        got = snaps[k].lanes
        assert len(got) == len(wants[k])
        assert all(_exact(a, b) for a, b in zip(got, wants[k])), k
        assert [loc.road_id if loc else None for loc in got] == list(snaps[k].lane_road_ids())


def test_a_standing_entity_keeps_one_location_but_a_signed_zero_is_not_reused():
    t = _table()
    a = t.snapshot(0.0, 0)
    b = t.snapshot(0.01, 1)
    assert b.lanes[1] is a.lanes[1]
    t.set_lane(1, "11", 2, 10.125, 0.0, 0.0)
    c = t.snapshot(0.02, 2)
    zero = c.lanes[1]
    t.set_lane(1, "11", 2, 10.125, -0.0, 0.0)
    d = t.snapshot(0.03, 3)
    assert d.lanes[1] is not zero and math.copysign(1.0, d.lanes[1].t) == -1.0
    assert math.copysign(1.0, c.lanes[1].t) == 1.0 and c.lanes[1] is zero


def test_the_lazy_lanes_behave_as_their_tuple():
    t = _table()
    snap = t.snapshot(0.0, 0)
    lanes = snap.lanes
    tup = tuple(t.lane_location(i) for i in range(len(t)))
    assert len(lanes) == 6 and list(lanes) == list(tup) and lanes[2] is None
    assert lanes == tup and tup == lanes and not (lanes != tup) and lanes != tup[:-1] and lanes != list(tup)
    assert lanes[-1] is lanes[5] and lanes[1:4] == tup[1:4] and type(lanes[1:4]) is tuple and lanes[::-2] == tup[::-2]
    with pytest.raises(IndexError):
        lanes[6]
    with pytest.raises(IndexError):
        lanes[-7]
    assert tup[3] in lanes and None in lanes and lanes.index(None) == 2 and lanes.count(None) == 1
    assert hash(lanes) == hash(tup) and repr(lanes) == repr(tup) and repr(snap) == repr(replace(snap, lanes=tup))
    assert lanes + (None,) == tup + (None,) and (None,) + lanes == (None,) + tup
    assert list(reversed(lanes)) == list(reversed(tup))
    for other in (pickle.loads(pickle.dumps(lanes)), copy.copy(lanes), copy.deepcopy(lanes)):
        assert type(other) is tuple and other == tup
    back = pickle.loads(pickle.dumps(snap))
    assert type(back.lanes) is tuple and back.lanes == snap.lanes and back.state.tobytes() == snap.state.tobytes()
    assert t.snapshot(0.01, 1).lanes == lanes   # nothing moved: equal, lazy to lazy


def test_a_replaced_snapshot_rebuilds_the_same_matrix_and_road_ids_from_the_lazy_lanes():
    t = _table()
    t.set_lane(4, "10", -1, 3.0, -0.0, 0.0)
    snap = t.snapshot(0.0, 0)
    moved = replace(snap, x=snap.x + 1.0)
    assert moved.state is None and moved.lanes is snap.lanes
    assert moved.state_matrix()[12:].tobytes() == snap.state[12:].tobytes()
    assert moved.lane_road_ids() == snap.lane_road_ids()
    short = replace(snap, lanes=snap.lanes[:2])
    assert np.isnan(short.state_matrix()[12:, 2:]).all() and short.lane_road_ids()[2:] == (None,) * 4


def test_state_lanes_over_any_matrix_without_a_memo():
    state = np.full((len(STATE_ROWS), 3), np.nan)
    state[12:, 0] = (5.5, -0.25, -2.0)
    state[12:, 2] = (0.0, 1.0, 3.0)
    lanes = StateLanes(state, ("r", None, "q"))
    assert lanes == (LaneLocation("r", -2, 5.5, -0.25), None, LaneLocation("q", 3, 0.0, 1.0))
    snap = WorldSnapshot.from_state_matrix(0.0, 0, ("a", "b", "c"), (EntityKind.VEHICLE,) * 3, ("car",) * 3, state,
                                           {n: np.ones(3) for n in ("length", "width", "height", "bbox_center_x",
                                                                    "bbox_center_y", "bbox_center_z")},
                                           lanes, ("r", None, "q"), np.ones(3, dtype=bool))
    assert snap.entity("a").lane == LaneLocation("r", -2, 5.5, -0.25) and snap.entity("b").lane is None
