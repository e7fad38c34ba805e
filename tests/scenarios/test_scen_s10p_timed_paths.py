"""Timed paths in the library start on time: none is over, or part-way through, when its event starts.

OpenSCENARIO 1.3 Timing: with domainAbsoluteRelative="absolute" a vertex's time is simulation
time, with "relative" it counts from the action's start.  An absolutely timed path whose event
starts after its first time stamp has its entity jump, at the first step, to where the path
says it should be by then -- the urban route's walkers (started by the ego's travelled distance,
tens of seconds in, on paths timed 0..9.36 s) crossed the road in one step and walked off at
260 m/s; AEB_CPTA's adult (timed from -0.4 s) and the U-turner (from -1.8 s) jumped 0.56 m and
7.5 m at t = 0.
"""

from __future__ import annotations

import csv
import math

from lxml import etree

from scenarios.library.index import LIBRARY_ROOT


def _timed_paths():
    """(file, domain, first time stamp, start conditions) of every timed FollowTrajectoryAction."""
    for path in sorted(LIBRARY_ROOT.glob("*/*.xosc")):
        if path.parent.name == "catalogs":
            continue
        tree = etree.parse(str(path))
        for action in tree.iter("FollowTrajectoryAction"):
            timing = action.find(".//Timing")
            if timing is None:
                continue
            first = min(float(v.get("time")) for v in action.iter("Vertex"))
            event = next(a for a in action.iterancestors() if a.tag == "Event")
            conditions = [c for c in event.find("StartTrigger").iter() if c.tag.endswith("Condition") and len(c) == 0]
            yield path.name, timing.get("domainAbsoluteRelative"), first, conditions


def test_an_absolutely_timed_path_starts_no_later_than_its_first_time_stamp():
    seen, late = 0, []
    for name, domain, first, conditions in _timed_paths():
        seen += 1
        if domain == "relative":
            continue
        for c in conditions:
            if c.tag != "SimulationTimeCondition" or float(c.get("value")) > first:
                late.append((name, c.tag, c.get("value"), first))
    assert seen > 400
    assert late == [], f"{len(late)} absolutely timed paths start after their first time stamp, e.g. {late[:3]}"


def test_the_urban_route_walkers_are_timed_from_their_start():
    domains = {(name, domain) for name, domain, _, _ in _timed_paths() if name.startswith("cnt_urb_")}
    assert len(domains) == 64 and {d for _, d in domains} == {"relative"}


def test_an_urban_route_walker_crosses_at_walking_pace(tmp_path):
    """Walker1 of a 50 km/h route starts at 36.6 s and crosses its 13 m at 5 km/h (9.36 s)."""
    from simplatform.engine.run import RunConfig, run_scenario

    run_scenario(str(LIBRARY_ROOT / "continuous" / "cnt_urb_v50_c60_green_wave_day.xosc"),
                 RunConfig(out_dir=tmp_path, dt=0.05, max_time=47.0))
    (log,) = tmp_path.glob("*.csv")
    with open(log) as f:
        rows = [[c.strip() for c in r] for r in csv.reader(f)]
    col = {h: k for k, h in enumerate(rows[0])}
    walker = [(float(r[col["time"]]), float(r[col["x"]]), float(r[col["y"]])) for r in rows[1:]
              if r[col["name"]] == "Walker1"]
    steps = [(b[0], math.hypot(b[1] - a[1], b[2] - a[2]) / (b[0] - a[0])) for a, b in zip(walker, walker[1:])]
    moving = [t for t, v in steps if v > 1e-9]
    pace = 5.0 / 3.6
    assert max(v for _, v in steps) <= pace * 1.0001  # the file writes its time stamps to 0.1 ms
    assert moving[0] > 36.0
    y0 = walker[0][2]
    crossed = next(t for t, _, y in walker if y >= y0 + 13.0 - 1e-9)
    assert abs(crossed - (moving[0] - 0.05) - 13.0 / pace) <= 0.05 + 1e-9
