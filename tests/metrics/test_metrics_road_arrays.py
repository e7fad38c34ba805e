"""The ego's road block asked through RoadNetwork's array queries answers exactly what the
scalar road queries answer, step by step (lane types, speed limits, corners on sidewalks)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from metrics import ScenarioContext
from metrics.block import StepBlock
from metrics.road_block import EgoRoadBlock, RoadView
from simplatform.opendrive import load_opendrive
from simplatform.world import EntityKind, LaneLocation, WorldSnapshot

MAP = Path(__file__).resolve().parents[2] / "scenarios" / "maps" / "urban_corridor.xodr"


class ScalarOnlyRoad:
    """The same road model without the array queries: ``RoadView`` must fall back to scalar calls."""

    SCALAR = ("locate_many", "lane_boundaries", "lane_type", "speed_limit", "road_heading", "road_curvature",
              "driving_direction", "roads")

    def __init__(self, net) -> None:
        self._net = net

    def __getattr__(self, name):
        if name not in self.SCALAR:
            raise AttributeError(name)
        return getattr(self._net, name)


@pytest.fixture(scope="module")
def net():
    return load_opendrive(MAP)


def weaving_ego(net, road_id: str, lane_id: int, with_lanes: bool, steps: int = 120) -> list[WorldSnapshot]:
    """The ego weaves ±3 m about a lane centre, so corners cross lane lines and reach the sidewalk."""
    s = np.linspace(1.0, net.roads[road_id].length - 1.0, steps)
    offset = 3.0 * np.sin(np.linspace(0.0, 4 * math.pi, steps))
    poses = net.lane_poses(road_id, lane_id, s, offset)
    one = lambda v: np.array([float(v)])  # noqa: E731
    return [WorldSnapshot(
        time=k * 0.01, step=k, names=("ego",), kinds=(EntityKind.VEHICLE,), categories=("car",),
        x=one(poses.x[k]), y=one(poses.y[k]), z=one(0), heading=one(poses.heading[k] + 0.2 * math.sin(k / 9)),
        pitch=one(0), roll=one(0), speed=one(10), vx=one(10), vy=one(0), ax=one(0), ay=one(0), yaw_rate=one(0),
        length=one(4.5), width=one(1.9), height=one(1.5), bbox_center_x=one(1.4), bbox_center_y=one(0),
        bbox_center_z=one(0.75), visible=np.array([True]), ego="ego", signals={},
        lanes=(LaneLocation(road_id, lane_id, float(s[k]), float(offset[k])),) if with_lanes else (None,))
        for k in range(steps)]


def sidewalk_lane(net) -> tuple[str, int]:
    for rid in net.road_id_list:
        ids = net.lane_ids(rid, 0.0)
        if any(net.lane_type(rid, lane, 0.0) == "sidewalk" for lane in ids) and -1 in ids:
            return rid, -1
    raise AssertionError("the corridor map has a road with a sidewalk")


@pytest.mark.parametrize("with_lanes", [True, False], ids=["engine lanes", "located"])
def test_array_and_scalar_road_models_give_the_same_block(net, with_lanes):
    rid, lane = sidewalk_lane(net)
    snaps = weaving_ego(net, rid, lane, with_lanes)
    arrays = EgoRoadBlock.build(StepBlock(snaps, ScenarioContext(road=net)))
    scalars = EgoRoadBlock.build(StepBlock(snaps, ScenarioContext(road=ScalarOnlyRoad(net))))
    assert arrays.view._arrays and not scalars.view._arrays
    assert arrays.road_ids == scalars.road_ids and arrays.lane_type == scalars.lane_type
    for name in ("on_road", "lane_id", "s", "t", "low", "high", "travel_heading", "offroad", "speed_limit"):
        np.testing.assert_array_equal(getattr(arrays, name), getattr(scalars, name), err_msg=name)
    a, b = arrays.corners, scalars.corners
    for name in ("margin", "departed", "sidewalk", "located"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert a.sidewalk.any() and a.departed.any() and not a.departed.all()   # the weave reaches both


def test_lane_type_and_speed_limit_per_step_are_the_scalar_queries(net):
    rid, lane = sidewalk_lane(net)
    st = EgoRoadBlock.build(StepBlock(weaving_ego(net, rid, lane, with_lanes=False), ScenarioContext(road=net)))
    on = np.flatnonzero(st.on_road)
    assert on.size > 0
    for k in on.tolist():
        rid_k, lane_k, s_k = st.road_ids[k], int(st.lane_id[k]), float(st.s[k])
        assert st.lane_type[k] == net.lane_type(rid_k, lane_k, s_k)
        limit = net.speed_limit(rid_k, lane_k, s_k)
        assert math.isnan(st.speed_limit[k]) if limit is None else st.speed_limit[k] == limit
    assert all(st.lane_type[k] is None for k in np.flatnonzero(~st.on_road).tolist())
    assert np.isnan(st.speed_limit[~st.on_road]).all()


def test_road_view_reports_missing_lanes_as_none_and_nan(net):
    view = RoadView(net)
    rid = net.road_id_list[0]
    assert view.lane_types(rid, np.array([-1, -99]), np.array([1.0, 1.0])) == [net.lane_type(rid, -1, 1.0), None]
    assert math.isnan(view.speed_limits(rid, np.array([-99]), np.array([1.0]))[0])
