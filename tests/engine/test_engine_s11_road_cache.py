"""A map rewritten in place is parsed again, even when its size and timestamp did not change.

The engine keeps parsed maps per process so that a batch of variants parses its map once; the cache was
keyed by (path, mtime, size), so a same-size rewrite within one timestamp tick was served stale.
"""

from __future__ import annotations

import os

import pytest
from scenariogeneration import xodr

from simplatform.engine.run import cached_road_network
from simplatform.errors import RoadNetworkError


def _straight(path, length: float) -> None:
    odr = xodr.OpenDrive("cache")
    odr.add_road(xodr.create_road([xodr.Line(length)], id=0, left_lanes=1, right_lanes=1))
    odr.adjust_roads_and_lanes()
    odr.write_xml(str(path))


def test_a_same_size_rewrite_with_the_same_timestamp_is_parsed_again(tmp_path):
    path = tmp_path / "map.xodr"
    _straight(path, 100.0)
    stamp, size = path.stat().st_mtime_ns, path.stat().st_size
    first = cached_road_network(path)
    _straight(path, 200.0)                              # "100.0" -> "200.0": the same number of bytes
    os.utime(path, ns=(stamp, stamp))
    assert path.stat().st_size == size
    second = cached_road_network(path)
    assert second is not first
    assert [round(r.length) for r in second.roads.values()] == [200]


def test_an_unchanged_map_is_parsed_once_and_a_missing_one_is_a_located_error(tmp_path):
    path = tmp_path / "map.xodr"
    _straight(path, 100.0)
    assert cached_road_network(path) is cached_road_network(path)
    with pytest.raises(RoadNetworkError, match="cannot read file"):
        cached_road_network(tmp_path / "missing.xodr")
