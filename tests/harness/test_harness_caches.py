"""What a pool worker keeps across scenarios: per map, the sensors' static world and the replay's road outline."""

from __future__ import annotations

from pathlib import Path

from simplatform.harness import run as harness_run
from simplatform.harness import trace
from simplatform.opendrive import load_opendrive

MAPS = Path(__file__).resolve().parents[2] / "scenarios" / "maps"


def test_road_outline_is_computed_once_per_network_and_equals_a_fresh_one():
    net = load_opendrive(MAPS / "junction_t.xodr")
    first = trace.road_outline(net)
    assert first and trace.road_outline(net) is first
    assert trace._outline(net, 2.0) == first
    other = load_opendrive(MAPS / "junction_t.xodr")               # another network object: its own entry
    assert trace.road_outline(other) is not first and trace.road_outline(other) == first
    assert trace.road_outline(None) == []


def test_static_world_is_built_once_per_network_and_kept_for_many_maps(monkeypatch):
    from simplatform.opendrive import mesh

    built = []
    real = mesh.build_road_mesh
    monkeypatch.setattr(mesh, "build_road_mesh", lambda net: built.append(net) or real(net))
    monkeypatch.setattr(harness_run, "_STATIC_WORLDS", {})
    names = ("junction_t.xodr", "highway_straight.xodr", "roundabout.xodr", "junction_4way.xodr", "highway_on_ramp.xodr")
    nets = [load_opendrive(MAPS / name) for name in names]
    worlds = [harness_run._static_world(net) for net in nets]
    again = [harness_run._static_world(net) for net in reversed(nets)]   # five maps interleaved: no rebuild
    assert all(a is b for a, b in zip(again, reversed(worlds)))
    assert len(built) == len(nets)


def test_the_tabulated_due_pattern_is_the_per_step_rule():
    """Topics and sensors due at each step, from the table over one cycle, equal the rates' own rule."""
    from sensors import MountPose, RigConfig, SensorConfig, is_due
    from simplatform.harness.observe import Observer, registry_for

    dt = 0.01
    rig = RigConfig("mixed", (
        SensorConfig(name="objects", type="objects", mount=MountPose(), rate_hz=10.0, parameters={"ideal": True}),
        SensorConfig(name="imu", type="imu", mount=MountPose(), rate_hz=25.0),
        SensorConfig(name="gnss", type="gnss", mount=MountPose(), rate_hz=4.0))).with_seed(0, "due")
    registry = registry_for(rig)
    observer = Observer(rig, registry, dt)
    for step in range(0, 700):
        topics, sensors = observer._due(step)
        assert topics == {spec.name for spec in registry.due(step, dt)}
        assert [c.name for c in sensors] == [c.name for c in rig.sensors if is_due(c, step, dt)]
    assert len(observer._schedule) == 100                             # lcm of the periods 10, 4, 25 steps
