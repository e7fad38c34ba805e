"""``WorldSnapshot.shared_version`` (design proposal 17, issue #7): the native engine changes it
whenever it hands over another object in any field that snapshots share between steps
(``simplatform.world.SHARED_FIELDS``), so that the metrics compare one int a step instead of
twelve identities.  A bump that is missing would let the metrics keep a stale contact, fog or
signal without a word, so these scenarios make every such field change — contacts beginning and
ending, an EnvironmentAction, a TrafficSignalStateAction and a controller phase, an entity
deleted and added again, one teleported off the road, traffic spawned, an animated time of
day — and check every pair of consecutive snapshots: an equal version means the same twelve
objects.  The metric suite fed the versions must then keep exactly what it keeps when it
compares identities (``shared_version`` forced to None), step by step, and finish with the same
results."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

from scenariogeneration import xosc

sys.path.insert(0, str(Path(__file__).resolve().parent))
import engine_scenario_files as scenarios  # noqa: E402
from engine_story import at_time, event, place, write  # noqa: E402

from metrics import MetricSuite, ScenarioContext  # noqa: E402
from simplatform.engine.engine import ScenarioEngine  # noqa: E402
from simplatform.engine.entities import EntityTable  # noqa: E402
from simplatform.engine.run import ScenarioSpec, load_scenario_and_road  # noqa: E402
from simplatform.world import SHARED_FIELDS  # noqa: E402


def _engine(path: Path) -> ScenarioEngine:
    scenario, net = load_scenario_and_road(ScenarioSpec(path))
    engine = ScenarioEngine(scenario, net)
    engine.initialise()
    return engine


def _everything_changes(tmp_path: Path) -> Path:
    """Ego and A overlap from the start and A pulls away; B runs into Ego's back later (contacts
    begin and end); the fog thickens at 0.5 s, a signal turns at 1.2 s, Other is deleted at 1 s
    and added again at 2 s (another subset of rows: names, kinds, categories, box columns), and
    Far is teleported off the road at 1.4 s (the road ids, while a subset of rows is active) and
    back onto it at 2.5 s (all rows active).  Each of the signal, the fog and the road ids changes
    at a step where no other shared field does, so that each bump is checked on its own."""
    road = scenarios.straight_road(tmp_path / "straight.xodr", length=1000.0)
    init = xosc.Init()
    objects = {}
    for name, s, lane, v in (("Ego", 20.0, -1, 10.0), ("A", 22.0, -1, 12.0), ("B", 5.0, -1, 16.0),
                             ("Other", 100.0, -2, 5.0), ("Far", 200.0, -2, 8.0)):
        objects[name] = scenarios._vehicle(name.lower())
        place(init, name, xosc.LanePosition(s, 0, lane, 0), v)
    init.add_global_action(xosc.EnvironmentAction(xosc.Environment("clear", weather=xosc.Weather(fog=xosc.Fog(5000)))))
    init.add_global_action(xosc.TrafficSignalStateAction("7", "off;off;on"))
    fog = event("fog", {"fog": xosc.EnvironmentAction(xosc.Environment("foggy", weather=xosc.Weather(
        fog=xosc.Fog(80))))}, at_time("t_fog", 0.5))
    red = event("red", {"red": xosc.TrafficSignalStateAction("7", "on;off;off")}, at_time("t_red", 1.2))
    delete = event("delete", {"d": xosc.DeleteEntityAction("Other")}, at_time("t_del", 1.0))
    add = event("add", {"a": xosc.AddEntityAction("Other", xosc.LanePosition(300, 0, -2, 0))}, at_time("t_add", 2.0))
    off = event("off", {"off": xosc.TeleportAction(xosc.WorldPosition(400.0, 60.0, 0.0, 0.0))},
                at_time("t_off", 1.4))
    back = event("back", {"back": xosc.TeleportAction(xosc.LanePosition(420.0, 0, -2, 0))}, at_time("t_back", 2.5))
    events = [("Ego", fog), ("Ego", red), ("Ego", delete), ("Ego", add), ("Far", off), ("Far", back)]
    return write(tmp_path, "shared_changes", road, objects, init, events, 4.0)


def _snapshots(engine: ScenarioEngine, steps: int) -> list:
    snaps = [engine.snapshot()]
    for _ in range(steps):
        engine.step()
        snaps.append(engine.snapshot())
    return snaps


def _check_pairs(snaps, alone: list | None = None) -> set[str]:
    """Every consecutive pair: versions are ints that never go down, and an equal version means the
    same object in every shared field.  Returns the fields that changed at least once; ``alone``
    gets the field of each step where one field changed by itself."""
    changed: set[str] = set()
    for before, after in zip(snaps, snaps[1:]):
        assert isinstance(after.shared_version, int) and after.shared_version >= before.shared_version
        moved = {name for name in SHARED_FIELDS if getattr(after, name) is not getattr(before, name)}
        if after.shared_version == before.shared_version:
            assert not moved, f"step {after.step}: {sorted(moved)} replaced without a new shared_version"
        changed |= moved
        if alone is not None and len(moved) == 1:
            alone += moved
    return changed


def test_every_replaced_shared_field_bumps_the_version(tmp_path):
    snaps = _snapshots(_engine(_everything_changes(tmp_path)), 400)
    alone: list[str] = []
    changed = _check_pairs(snaps, alone)
    # the scenario replaces every shared field (else a missing bump could go unnoticed here), and
    # these by themselves (a bump of another field at the same step would hide a missing one)
    assert changed == set(SHARED_FIELDS)
    assert {"collisions", "environment", "signals", "lane_roads"} <= set(alone)
    values = {name: [getattr(s, name) for s in snaps] for name in ("collisions", "environment", "signals", "names")}
    assert () in values["collisions"] and any(values["collisions"])
    assert {e.get("fog_visual_range_m") for e in values["environment"]} == {5000.0, 80.0}
    assert {s["7"] for s in values["signals"]} == {"off;off;on", "on;off;off"}
    assert {len(n) for n in values["names"]} == {4, 5}
    assert any(None in s.lane_roads for s in snaps) and any(None not in s.lane_roads for s in snaps)
    # and most steps change nothing: the version is there to be equal
    same = sum(a.shared_version == b.shared_version for a, b in zip(snaps, snaps[1:]))
    assert same > 0.8 * (len(snaps) - 1)


def test_spawned_traffic_and_an_animated_time_of_day(tmp_path):
    """A swarm adds rows to the table (``EntityTable.add``: another kinds tuple, other box columns);
    an animated time of day makes another environment mapping every step."""
    path = scenarios.swarm(tmp_path, number=6, duration=3.0)
    engine = _engine(path)
    snaps = _snapshots(engine, 250)
    changed = _check_pairs(snaps)
    assert {"kinds", "categories", "length", "width", "lane_roads"} <= changed
    assert len(engine.table) > len(snaps[0].names) and snaps[-1].names != snaps[0].names   # rows added
    engine.set_environment(SimpleNamespace(time_of_day=SimpleNamespace(date_time=datetime(2026, 6, 1, 20, 0, 0),
                                                                       animation=True),
                                           weather=None, road_condition=None))
    snaps = _snapshots(engine, 20)
    _check_pairs(snaps)
    assert len({id(s.environment) for s in snaps[1:]}) == 20
    assert len({s.shared_version for s in snaps[1:]}) == 20


def test_repeated_snapshot_calls_and_unversioned_table_snapshots(tmp_path):
    engine = _engine(_everything_changes(tmp_path))
    engine.step()
    first = engine.snapshot()
    assert engine.snapshot() is first   # built once per step, one version
    # a table on its own (its owner has not opted in to versioning its signals, collisions and
    # environment) gives no version
    table = EntityTable(engine.table.specs)
    assert table.snapshot(0.0, 0, signals={}, collisions=(), environment={}).shared_version is None
    table.bump_shared()
    assert table.snapshot(0.01, 1).shared_version is None


def _observed_pair(snaps) -> tuple[MetricSuite, MetricSuite]:
    """Two suites over the same snapshots: one reads the versions, the other has them forced to None
    (identities compared, as for a backend without versions); both must keep the same objects at
    every step."""
    with_versions, without = MetricSuite(ScenarioContext()), MetricSuite(ScenarioContext())
    for snap in snaps:
        version = snap.shared_version
        with_versions.observe(snap)
        object.__setattr__(snap, "shared_version", None)
        without.observe(snap)
        object.__setattr__(snap, "shared_version", version)
        a, b = with_versions._buffer, without._buffer
        assert len(a.changes) == len(b.changes) and len(a) == len(b)
        assert all(x is y for x, y in zip(a.shared, b.shared)) and len(a.shared) == len(b.shared)
    return with_versions, without


def test_the_suite_keeps_with_versions_what_it_keeps_by_identity(tmp_path):
    snaps = _snapshots(_engine(_everything_changes(tmp_path)), 400)
    with_versions, without = _observed_pair(snaps)
    a, b = with_versions.finish(), without.finish()
    assert repr(a.scalars()) == repr(b.scalars())   # bit for bit (NaN included)
    assert repr(a.events) == repr(b.events) and repr(a.verdicts) == repr(b.verdicts)
    assert repr(a.coverage) == repr(b.coverage)
    # the run's contacts reached the collision metric through the versioned path
    assert a.scalars()["collisions"] >= 2 and a.scalars()["collisions_all"] >= 3
