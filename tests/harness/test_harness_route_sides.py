"""Route side-lane counts kept per lane section equal the counts taken at every waypoint."""

from __future__ import annotations

from pathlib import Path

import pytest

from simplatform.harness import route_topics
from simplatform.opendrive import load_opendrive

MAPS = Path(__file__).resolve().parents[2] / "scenarios" / "maps"


@pytest.mark.parametrize("name", ["highway_on_ramp.xodr", "junction_4way.xodr", "highway_long.xodr"])
def test_memoised_side_counts_equal_the_per_waypoint_walk(name):
    net = load_opendrive(MAPS / name)
    memo: dict = {}
    checked = 0
    for road_id, road in net.roads.items():
        for section in road.lane_sections:
            for lane_id in section.lanes:
                if lane_id == 0:
                    continue
                for s in (section.s, section.s + 0.5, float(road.length)):
                    for side in (1, -1):
                        try:
                            plain = route_topics._count_side(net, road_id, lane_id, s, side)
                        except Exception:  # noqa: BLE001 — the lane is not in the section at s
                            continue
                        assert route_topics._count_side(net, road_id, lane_id, s, side, memo) == plain
                        checked += 1
    assert checked > 20
    assert len(memo) < checked  # the memo did stand in for walks
