"""The suite's blocks leave no reference cycle (issue #7, in situ GC): a block whose road view was
read is freed when the suite drops it, by reference counting, not at the collector's next pass
(which then paid for freeing its ~1,000 snapshots); the view reads the block as before while the
block lives, and a view built on its own keeps its block alive."""

from __future__ import annotations

import gc
import math
import weakref
from pathlib import Path

import numpy as np
import pytest

import metrics.block as block_module
from metrics import MetricSuite, ScenarioContext
from metrics.block import StepBlock
from metrics.road_block import EgoRoadBlock
from simplatform.opendrive import load_opendrive
from simplatform.world import EntityKind, LaneLocation, WorldSnapshot

MAP = Path(__file__).resolve().parents[2] / "scenarios" / "maps" / "urban_corridor.xodr"


@pytest.fixture(scope="module")
def net():
    return load_opendrive(MAP)


def _snapshots(net, steps: int = 40) -> list[WorldSnapshot]:
    rid = next(r for r in net.road_id_list if -1 in net.lane_ids(r, 0.0) and net.roads[r].length > 20)
    s = np.linspace(1.0, 15.0, steps)
    poses = net.lane_poses(rid, -1, s, np.zeros(steps))
    one = lambda v: np.array([float(v), float(v) + 8.0])  # noqa: E731
    return [WorldSnapshot(
        time=k * 0.01, step=k, names=("ego", "car"), kinds=(EntityKind.VEHICLE,) * 2, categories=("car",) * 2,
        x=one(poses.x[k]), y=one(poses.y[k]), z=one(0), heading=one(poses.heading[k] + 0.1 * math.sin(k / 7)),
        pitch=one(0), roll=one(0), speed=one(10), vx=one(10), vy=one(0), ax=one(0), ay=one(0), yaw_rate=one(0),
        length=one(4.5), width=one(1.9), height=one(1.5), bbox_center_x=one(1.4), bbox_center_y=one(0),
        bbox_center_z=one(0.75), visible=np.array([True, True]), ego="ego", signals={},
        lanes=(LaneLocation(rid, -1, float(s[k]), 0.0), None)) for k in range(steps)]


def test_a_block_with_a_road_view_is_freed_without_the_collector(net):
    snaps = _snapshots(net)
    block = StepBlock(snaps, ScenarioContext(road=net))
    view = block.ego_road
    assert view is not None and view.block.size == block.size
    wrong_way = view.wrong_way.copy()   # reads the block's heading through the view
    np.testing.assert_array_equal(wrong_way, EgoRoadBlock.build(StepBlock(snaps, ScenarioContext(road=net))).wrong_way)
    ref = weakref.ref(block)
    enabled = gc.isenabled()
    gc.disable()
    try:
        del block, view
        assert ref() is None   # no cycle: gone with its last reference
    finally:
        if enabled:
            gc.enable()


def test_a_view_built_on_its_own_keeps_its_block(net):
    view = EgoRoadBlock.build(StepBlock(_snapshots(net), ScenarioContext(road=net)))
    gc.collect()
    assert view.block.size == 40 and view.wrong_way.shape == (40,)


def test_the_suite_frees_each_block_at_its_flush(net, monkeypatch):
    made: list[weakref.ref] = []
    original = StepBlock.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        made.append(weakref.ref(self))

    monkeypatch.setattr(block_module.StepBlock, "__init__", init)
    suite = MetricSuite(ScenarioContext(road=net))
    enabled = gc.isenabled()
    gc.disable()
    try:
        for snap in _snapshots(net):
            suite.observe(snap)
        suite.flush()
        assert made and all(ref() is None for ref in made)
    finally:
        if enabled:
            gc.enable()
    assert suite.finish().metrics
