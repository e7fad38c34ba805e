"""The per-step shortcuts keep the world exact: a standing entity's pose, the snapshot's shared box
columns and signal states, the tabulated lane half width."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_scenario_files import cut_in  # noqa: E402
from simplatform.engine.entities import EntityKind, EntitySpec
from simplatform.engine.lane_tables import lane_table
from simplatform.engine.run import RunConfig, _engine_and_backend, load_scenario_and_road


@pytest.fixture()
def engine(tmp_path):
    scenario, road = load_scenario_and_road(cut_in(tmp_path))
    eng, _, _ = _engine_and_backend(scenario, road, RunConfig(dt=0.05))
    eng.initialise()
    for _ in range(3):
        eng.step()
    return eng


def test_standing_entity_keeps_its_pose_and_follows_cursor_and_table_edits(engine):
    t = engine.table
    i = t.index["Target"]
    m = engine.controller.motions[i]
    t.speed[i] = 0.0
    engine.step()
    pose = (float(t.x[i]), float(t.y[i]), float(t.heading[i]))
    engine.step()
    assert (float(t.x[i]), float(t.y[i]), float(t.heading[i])) == pose
    expected = engine.road.cursor_pose_t(m.cursor)
    assert float(t.x[i]) == pytest.approx(expected[0]) and float(t.y[i]) == pytest.approx(expected[1])
    # an offset set while standing (a LaneOffsetAction at v = 0) moves it sideways at once
    m.cursor.offset += 1.0
    engine.step()
    moved = math.hypot(float(t.x[i]) - pose[0], float(t.y[i]) - pose[1])
    assert moved == pytest.approx(1.0, abs=1e-6)
    assert float(t.lane_offset[i]) == pytest.approx(m.cursor.offset)
    # someone else wrote the table: the lane-following controller puts it back on its cursor
    x_on_lane = float(t.x[i])
    t.x[i] += 5.0
    engine.step()
    assert float(t.x[i]) == pytest.approx(x_on_lane)


def test_snapshot_box_columns_are_shared_read_only_and_follow_added_rows(engine):
    t = engine.table
    a, b = engine.snapshot(), None
    assert not a.length.flags.writeable
    with pytest.raises(ValueError):
        a.width[0] = 9.0
    assert np.array_equal(a.length, t.length) and np.array_equal(a.bbox_center_x, t.bbox_center_x)
    t.add(EntitySpec("Truck", EntityKind.VEHICLE, "truck", 12.0, 2.5, 3.5, center_x=5.0))
    engine.controller.grow()
    b = t.snapshot(engine.time, engine.step_index)
    assert b.length.tolist() == a.length.tolist() + [12.0]
    assert b.bbox_center_x[-1] == 5.0 and len(a.length) == len(a.names)
    t.set_active(t.index["Target"], False)
    c = t.snapshot(engine.time, engine.step_index)
    assert "Target" not in c.names and c.length.tolist() == [a.length[0], 12.0]


def test_snapshot_signal_states_follow_changes_and_old_snapshots_keep_theirs(engine):
    engine.signals["S1"] = "off;off;on"
    engine.step()
    first = engine.snapshot()
    assert first.signals == {"S1": "off;off;on"}
    engine.step()
    assert engine.snapshot().signals is first.signals  # unchanged: no new copy
    engine.signals["S1"] = "on;off;off"
    engine.step()
    assert engine.snapshot().signals == {"S1": "on;off;off"}
    assert first.signals == {"S1": "off;off;on"}


def test_tabulated_half_width_matches_the_road_model(engine):
    net = engine.road.net
    for lane in (-1, -2):
        tab = lane_table(net, "0", lane)
        for s in (0.0, 13.3, 250.7, tab.length):
            assert tab.half_width(s) == pytest.approx(0.5 * net.lane_width("0", lane, s), abs=1e-6)


def test_snapshot_lane_locations_follow_the_lane_position(engine):
    t = engine.table
    ego, target = t.index["Ego"], t.index["Target"]
    t.speed[target] = 0.0
    engine.step()
    a = engine.snapshot()
    engine.step()
    b = engine.snapshot()
    assert b.lanes[target] is a.lanes[target]  # standing: the same location
    assert b.lanes[ego].s == pytest.approx(a.lanes[ego].s + 20.0 * engine.dt)
    assert b.lanes[ego] == t.lane_location(ego)
    engine.controller.motions[target].cursor.offset = 0.5
    engine.step()
    assert engine.snapshot().lanes[target].t == pytest.approx(0.5)


def test_overlapping_pairs_with_unplaced_boxes_still_finds_the_real_pair():
    from simplatform.engine.collision import overlapping_pairs

    nan = float("nan")
    cx = np.array([0.0, 3.0, nan, nan, 50.0])
    cy = np.zeros(5)
    pairs = overlapping_pairs(cx, cy, np.zeros(5), np.full(5, 4.5), np.full(5, 1.8))
    assert pairs == [(0, 1)]
    assert overlapping_pairs(np.array([0.0, 10.0, 20.0]), np.zeros(3), np.zeros(3), np.full(3, 4.5), np.full(3, 1.8)) == []


def test_compiled_collision_pairs_equal_the_numpy_formulation_on_random_crowds():
    """Dense random crowds (many contacts, touching and rotated boxes, a NaN pose): the compiled
    per-step kernel finds exactly the pairs, in the same order, that the numpy SAT finds."""
    from simplatform.engine.collision import overlapping_pairs, overlapping_pairs_numpy

    rng = np.random.default_rng(7)
    contacts = 0
    for _ in range(200):
        n = int(rng.integers(2, 30))
        cx, cy = rng.uniform(0, 30, n), rng.uniform(0, 12, n)
        heading = rng.uniform(-np.pi, np.pi, n)
        length, width = rng.uniform(0.5, 12, n), rng.uniform(0.5, 2.6, n)
        if n > 3:
            cx[2] = np.nan
        expected = overlapping_pairs_numpy(cx, cy, heading, length, width)
        assert overlapping_pairs(cx, cy, heading, length, width) == expected
        contacts += len(expected)
    assert contacts > 500  # the crowds really collide


def test_scalar_freespace_gap_equals_the_corner_projection_reference():
    """The per-step freespace distance along the entity axes (scalar corners) equals the numpy
    corner projection ``freespace_gap_along`` on random boxes, to rounding."""
    from types import SimpleNamespace

    from simplatform.engine.collision import freespace_gap_along
    from simplatform.engine.measure import _corners, relative_distance

    rng = np.random.default_rng(11)
    n = 300
    t = SimpleNamespace(x=rng.uniform(-30, 30, n), y=rng.uniform(-10, 10, n), heading=rng.uniform(-np.pi, np.pi, n),
                        bbox_center_x=rng.uniform(0, 2, n), bbox_center_y=rng.uniform(-0.2, 0.2, n),
                        length=rng.uniform(1, 12, n), width=rng.uniform(0.5, 2.6, n))
    engine = SimpleNamespace(table=t)
    touching = 0
    for a in range(0, n, 2):
        b = a + 1
        h = t.heading[a]
        for kind, axis in (("longitudinal", np.array([math.cos(h), math.sin(h)])),
                           ("lateral", np.array([-math.sin(h), math.cos(h)]))):
            d = (t.x[b] - t.x[a]) * axis[0] + (t.y[b] - t.y[a]) * axis[1]
            gap = freespace_gap_along(_corners(t, a), _corners(t, b), axis)
            expected = math.copysign(max(gap, 0.0), d)
            assert relative_distance(engine, a, b, kind, True) == pytest.approx(expected, abs=1e-9)
            touching += gap <= 0.0
    assert 0 < touching < n  # both overlapping and separated boxes were compared
