"""The other paths a wrong-way entity takes give what the default controller's lane step gives.

* the batch engine (``run_variants``) hands an entity travelling against its lane to the scalar
  lane step: each variant of the head-on cut-in is bit-identical to running it alone;
* lane tracking (a model- or backend-moved entity) walks a cursor that travels against its lane
  to the same lane position as one that goes the lane's way, compiled and in Python;
* RelativeLanePosition's dsLane runs the way the reference entity faces (OSC 1.3).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import test_engine_s10w_wrongway as w  # noqa: E402

from simplatform.backends import lane_tracking  # noqa: E402
from simplatform.engine.batch import run_variants  # noqa: E402
from simplatform.engine.road import LaneCursor  # noqa: E402
from simplatform.engine.run import RunConfig, ScenarioSpec, run_scenario  # noqa: E402


def _head_on_cut_in(tmp: Path) -> Path:
    """The alks cut-in of ``test_engine_s10w_wrongway`` with Other's speed a parameter."""
    road = w.straight(tmp / "r.xodr", 500.0)
    init = w.both(w.place("0", -1, 30, 20), w.place("0", 1, 150, 17, math.pi))
    init = init.replace('<AbsoluteTargetSpeed value="17"/>', '<AbsoluteTargetSpeed value="$OtherSpeed"/>')
    events = (w.event("cut", "Other", w.lane_change('<RelativeTargetLane entityRef="Ego" value="0"/>', 2, "cubic"),
                      w.at_time(1)) + w.event("crash", "Other", w.MARK, w.COLLISION))
    path = w.scenario(tmp, road, init, events, duration=7)
    text = path.read_text().replace("<CatalogLocations/>", '<ParameterDeclarations><ParameterDeclaration '
                                    'name="OtherSpeed" parameterType="double" value="17"/></ParameterDeclarations>'
                                    "<CatalogLocations/>")
    path.write_text(text)
    return path


def test_batch_variants_with_a_wrong_way_car_match_lone_runs(tmp_path):
    path = _head_on_cut_in(tmp_path)
    variants = [{"OtherSpeed": v} for v in (17.0, 12.5, 0.0)]
    config = RunConfig(dt=0.05, max_time=30.0, out_dir=tmp_path / "batch")
    results = run_variants(path, variants, config)
    crash = [w.started(r, "crash") for r in results]
    # fronts 7.3 m apart: (150 - v t) - (30 + 20 t) = 7.3 at t = 112.7 / (20 + v), the step after at dt = 0.05
    for v, t in zip((17.0, 12.5, 0.0), crash):
        assert t == pytest.approx(math.ceil(112.7 / (20 + v) / 0.05) * 0.05, abs=1e-9)
    for params, got in zip(variants, results):
        sid = got.scenario_id
        want = run_scenario(ScenarioSpec(path, params, scenario_id=sid),
                            RunConfig(dt=0.05, max_time=30.0, out_dir=tmp_path / "alone"))
        assert (tmp_path / "batch" / f"{sid}.csv").read_bytes() == (tmp_path / "alone" / f"{sid}.csv").read_bytes()
        assert (got.end_reason, got.steps, got.events, got.metrics) == \
            (want.end_reason, want.steps, want.events, want.metrics)


@pytest.mark.parametrize("compiled", [True, False])
def test_lane_tracking_of_a_cursor_against_its_lane_finds_the_same_lane_position(tmp_path, monkeypatch, compiled):
    """An entity on the arc (road 2, lane -1) moved from (s 60, t -1.45) to (s 60.8, t -1.35): tracked
    from a cursor going the lane's way and from one going against it, both end at s = 60.8 with
    offset 0.4 from lane -1's centre (t = -1.75); only the lane heading seen differs, by pi."""
    road = w.straight_then_arc(tmp_path / "r.xodr")
    engines = []
    run_scenario(w.scenario(tmp_path, road, w.both(w.place("1", -1, 10, 0), w.place("2", -1, 60, 0)), duration=0.05),
                 RunConfig(on_step=lambda e: engines.append(e)))
    eng = engines[-1]
    i = eng.table.index["Other"]
    if not compiled:
        monkeypatch.setattr(lane_tracking, "_track_in_lane", lambda *args: False)
    x0, y0, _ = w.arc_lane_point(60.0, -1.45)
    x1, y1, along = w.arc_lane_point(60.8, -1.35)
    got = {}
    for reverse in (False, True):
        m = eng.controller.motions[i]
        m.cursor = LaneCursor("2", -1, 60.0, 0.3, reverse=reverse)
        m.tracked_heading = None
        eng.table.x[i], eng.table.y[i] = x1, y1
        lane_tracking.track_entity(eng, i, x1 - x0, y1 - y0)
        got[reverse] = (m.cursor.s, m.cursor.offset, m.tracked_heading[1])
    for s, offset, _ in got.values():
        assert s == pytest.approx(60.8, abs=2e-4) and offset == pytest.approx(0.4, abs=2e-4)
    assert got[True][:2] == pytest.approx(got[False][:2], abs=1e-9)
    assert w.same_angle(got[False][2], along, 1e-3) and w.same_angle(got[True][2], along + math.pi, 1e-3)
    assert eng.table.lane_offset[i] == pytest.approx(0.4, abs=2e-4)


def test_relative_lane_position_ds_lane_runs_the_way_the_reference_faces(tmp_path):
    """Other drives west in lane -1 (against it) from s = 300 at 10 m/s; Ego is teleported at 1 s to
    dsLane = 20, dLane = 0 of Other: 20 m ahead of Other as Other faces, i.e. 20 m further west of where
    Other stood when the action ran (before Other's move of that step)."""
    road = w.straight(tmp_path / "r.xodr")
    teleport = ('<PrivateAction><TeleportAction><Position><RelativeLanePosition entityRef="Other" dLane="0" '
                'dsLane="20" offset="0"/></Position></TeleportAction></PrivateAction>')
    init = w.both(w.place("0", -1, 10, 0), w.place("0", -1, 300, 10, math.pi))
    trace = w.Trace()
    run_scenario(w.scenario(tmp_path, road, init, w.event("jump", "Ego", teleport, w.at_time(1)), duration=2),
                 RunConfig(on_step=trace))
    k = next(n for n, row in enumerate(trace.of("Ego")) if row[0] != 10.0)
    other_x = trace.of("Other")[k - 1][0]
    assert trace.of("Ego")[k][0] == pytest.approx(other_x - 20.0, abs=1e-6)
