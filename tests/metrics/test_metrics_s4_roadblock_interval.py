"""Session 4: ``RoadView.interval`` on the blocks' arrays (int64 lanes, float s: the compiled
``road_kernels.record_interval``) answers as its numpy path does (any other dtype takes it), on
s at, a hair from and ``ATTRIBUTE_MARGIN`` from the record starts, NaN, infinities, signed zeros,
mixed lanes and one step."""

from __future__ import annotations

import numpy as np

from metrics import road_kernels
from metrics.road_view import ATTRIBUTE_MARGIN, RoadView
from simplatform.opendrive import parse_opendrive

ROAD = """<?xml version="1.0"?>
<OpenDRIVE><header revMajor="1" revMinor="8"/>
  <road id="a" length="120" junction="-1">
    <type s="0" type="town"><speed max="50" unit="km/h"/></type>
    <type s="60" type="rural"/>
    <planView><geometry s="0" x="0" y="0" hdg="0" length="120"><line/></geometry></planView>
    <lanes>
      <laneSection s="0">
        <center><lane id="0" type="none"/></center>
        <right><lane id="-1" type="driving"><width sOffset="0" a="3.5" b="0" c="0" d="0"/>
          <speed sOffset="20" max="10"/></lane></right>
      </laneSection>
      <laneSection s="40">
        <center><lane id="0" type="none"/></center>
        <right><lane id="-1" type="driving"><width sOffset="0" a="3.5" b="0" c="0" d="0"/></lane></right>
      </laneSection>
    </lanes>
  </road>
</OpenDRIVE>"""


def test_compiled_interval_equals_the_numpy_path():
    view = RoadView(parse_opendrive(ROAD, "s4_interval.xodr"))
    rng = np.random.default_rng(7)
    starts = [0.0, 20.0, 40.0, 60.0]
    special = [v + d for v in starts for d in (0.0, -1e-12, 1e-12, ATTRIBUTE_MARGIN, -ATTRIBUTE_MARGIN,
                                               2 * ATTRIBUTE_MARGIN, np.nextafter(ATTRIBUTE_MARGIN, 1))]
    special += [-0.0, -5.0, 130.0, np.nan, np.inf, -np.inf]
    cases = []
    for _ in range(400):
        n = int(rng.integers(1, 6))
        s = rng.choice(special, n) if rng.random() < 0.5 else rng.uniform(-1, 70, n)
        if rng.random() < 0.5:
            base = rng.uniform(0, 60)
            s = base + rng.uniform(0, 15, n)
        lanes = np.full(n, -1, dtype=np.int64)
        if rng.random() < 0.15:
            lanes[rng.integers(0, n)] = -2
        cases.append((lanes, np.asarray(s, dtype=float)))
    cases += [(np.array([-1], dtype=np.int64), np.array([v])) for v in special]   # each alone
    seen = set()
    for lanes, s in cases:
        got = view.interval("a", lanes, s)
        want = view.interval("a", lanes.astype(np.int32), s)   # not the blocks' dtype: the numpy path
        assert got == want, (lanes, s)
        seen.add(None if got is None else got[2])
    assert None in seen and len(seen) >= 4   # the cases reach several intervals and the refusals


def test_kernel_refuses_nan_infinity_and_mixed_lanes_and_accepts_signed_zero():
    breaks = np.array([0.0, 20.0])
    one = np.array([-1], dtype=np.int64)
    for v in (np.nan, np.inf, -np.inf):
        assert road_kernels.record_interval(one, np.array([v]), breaks, ATTRIBUTE_MARGIN) == -1
    assert road_kernels.record_interval(np.array([-1, -2]), np.array([5.0, 6.0]), breaks, ATTRIBUTE_MARGIN) == -1
    assert road_kernels.record_interval(np.array([-1, -1]), np.array([5.0, 6.0]), breaks, ATTRIBUTE_MARGIN) == 1
    assert road_kernels.record_interval(one, np.array([-0.0]), np.array([1.0]), ATTRIBUTE_MARGIN) == 0
    assert road_kernels.record_interval(one, np.array([3.0]), np.zeros(0), ATTRIBUTE_MARGIN) == 0
    # exactly the margin from either end is inside (the test is "nearer than the margin")
    edges = np.array([0.0, 2 * ATTRIBUTE_MARGIN])
    assert road_kernels.record_interval(one, np.array([ATTRIBUTE_MARGIN]), edges, ATTRIBUTE_MARGIN) == 1
    assert road_kernels.record_interval(one, np.array([np.nextafter(ATTRIBUTE_MARGIN, 0)]), edges,
                                        ATTRIBUTE_MARGIN) == -1
