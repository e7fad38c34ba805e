"""The native engine's snapshots share their road-id tuple while no entity changes road (issue #7,
in situ GC: the metrics hold up to 1,000 snapshots, and a fresh tuple each step was one more
GC-tracked container a step); the values are always ``tuple(table.lane_road)`` of the moment,
in the all-active path and the subset path, and a snapshot's lanes say the same."""

from __future__ import annotations

from simplatform.engine.entities import EntitySpec, EntityTable
from simplatform.world import EntityKind


def _table(n: int = 5) -> EntityTable:
    t = EntityTable([EntitySpec(f"e{k}", EntityKind.VEHICLE, "car", 4.0, 1.8, 1.4, is_ego=k == 0) for k in range(n)])
    for k in range(n):
        if k != 2:
            t.set_lane(k, str(10 + k % 2), -1, 5.0 * k, 0.0, -1.5)
    return t


def _check(snap, table, rows=None) -> None:
    want = tuple(table.lane_road) if rows is None else tuple(table.lane_road[i] for i in rows)
    assert snap.lane_roads == want
    assert [None if loc is None else loc.road_id for loc in snap.lanes] == list(want)


def test_unchanged_roads_share_one_tuple_and_a_change_makes_a_new_one():
    t = _table()
    a = t.snapshot(0.0, 0)
    b = t.snapshot(0.01, 1)
    _check(a, t), _check(b, t)
    assert b.lane_roads is a.lane_roads
    t.set_lane(1, "12", -1, 6.0, 0.0, -1.5)   # e1 changes road
    c = t.snapshot(0.02, 2)
    _check(c, t)
    assert c.lane_roads is not b.lane_roads and b.lane_roads[1] == "11" and c.lane_roads[1] == "12"
    t.lane_road[3] = None   # written in place, as the batched motion does
    d = t.snapshot(0.03, 3)
    _check(d, t)
    assert d.lane_roads[3] is None and d.lanes[3] is None and c.lanes[3] is not None
    t.lane_road[3] = "11"   # back: a new tuple equal to the old one
    e = t.snapshot(0.04, 4)
    _check(e, t)
    assert e.lane_roads == c.lane_roads


def test_equal_strings_of_other_objects_count_as_unchanged():
    t = _table()
    a = t.snapshot(0.0, 0)
    t.lane_road[0] = "".join(["1", "0"])   # "10", another str object
    b = t.snapshot(0.01, 1)
    _check(b, t)
    assert b.lane_roads is a.lane_roads


def test_subset_of_active_rows():
    t = _table()
    t.set_active(1, False)
    a = t.snapshot(0.0, 0)
    b = t.snapshot(0.01, 1)
    rows = (0, 2, 3, 4)
    _check(a, t, rows), _check(b, t, rows)
    assert b.lane_roads is a.lane_roads
    t.set_lane(3, "12", -1, 6.0, 0.0, -1.5)
    c = t.snapshot(0.02, 2)
    _check(c, t, rows)
    assert c.lane_roads[2] == "12"
    t.set_active(1, True)
    t.set_active(4, False)
    d = t.snapshot(0.03, 3)
    _check(d, t, (0, 1, 2, 3))
    t.add(EntitySpec("late", EntityKind.VEHICLE, "car", 4.0, 1.8, 1.4))
    t.set_active(4, True)
    f = t.snapshot(0.04, 4)
    _check(f, t)
    assert len(f.lane_roads) == 6 and f.lane_roads[5] is None
