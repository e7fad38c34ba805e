"""Conformance: every Position type places an entity where the standard says (TeleportAction at t = 1 s)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_engine_conformance import _event, scenario  # noqa: E402

from simplatform.cli import main  # noqa: E402
from simplatform.engine.run import RunConfig, run_scenario  # noqa: E402

AT1 = '<ByValueCondition><SimulationTimeCondition value="1" rule="greaterOrEqual"/></ByValueCondition>'
ROUTE = ('<Route name="r" closed="false"><Waypoint routeStrategy="shortest"><Position><LanePosition roadId="0" '
         'laneId="-1" s="100"/></Position></Waypoint><Waypoint routeStrategy="shortest"><Position><LanePosition '
         'roadId="0" laneId="-1" s="900"/></Position></Waypoint></Route>')
TRAJ = ('<Trajectory name="t" closed="false"><Shape><Polyline><Vertex><Position><WorldPosition x="0" y="0"/></Position>'
        '</Vertex><Vertex><Position><WorldPosition x="100" y="0"/></Position></Vertex></Polyline></Shape></Trajectory>')

# position XML → expected (x, y, heading) with ``ex, ey`` the Ego's place at t = 1 s
POSITIONS = {
    "World": ('<WorldPosition x="100" y="5" h="0.3"/>', lambda ex, ey: (100.0, 5.0, 0.3)),
    "RelativeWorld": ('<RelativeWorldPosition entityRef="Ego" dx="10" dy="2"/>', lambda ex, ey: (ex + 10, ey + 2, 0.0)),
    "RelativeObject": ('<RelativeObjectPosition entityRef="Ego" dx="10" dy="3"/>', lambda ex, ey: (ex + 10, ey + 3, 0.0)),
    "Road": ('<RoadPosition roadId="0" s="200" t="-4.5"/>', lambda ex, ey: (200.0, -4.5, 0.0)),
    "RelativeRoad": ('<RelativeRoadPosition entityRef="Ego" ds="20" dt="-3"/>', lambda ex, ey: (ex + 20, ey - 3, 0.0)),
    "Lane": ('<LanePosition roadId="0" laneId="1" s="300" offset="0.5"/>', lambda ex, ey: (300.0, 2.0, math.pi)),
    "RelativeLane": ('<RelativeLanePosition entityRef="Ego" dLane="-1" ds="10" offset="0"/>',
                     lambda ex, ey: (ex + 10, -4.5, 0.0)),
    "Trajectory": (f'<TrajectoryPosition s="40" t="2"><TrajectoryRef>{TRAJ}</TrajectoryRef></TrajectoryPosition>',
                   lambda ex, ey: (40.0, 2.0, 0.0)),
    "Route": (f'<RoutePosition><RouteRef>{ROUTE}</RouteRef><InRoutePosition><FromLaneCoordinates pathS="150" '
              'laneId="-1"/></InRoutePosition></RoutePosition>', lambda ex, ey: (250.0, -1.5, 0.0)),
}


@pytest.mark.parametrize("name", sorted(POSITIONS))
def test_teleport_to_each_position_type(tmp_path, name):
    xml, expected = POSITIONS[name]
    tele = f'<PrivateAction><TeleportAction><Position>{xml}</Position></TeleportAction></PrivateAction>'
    path = scenario(tmp_path, _event("tele", AT1, tele, actor="Other"), duration=1.5)
    seen = {}

    def watch(engine):
        t = engine.table
        if abs(engine.time - 1.0) < 1e-9:
            seen["ego"] = (float(t.x[0]), float(t.y[0]))
        if abs(engine.time - 1.01) < 1e-9:
            seen["other"] = (float(t.x[1]), float(t.y[1]), float(t.heading[1]))

    run_scenario(path, RunConfig(on_step=watch))
    x, y, h = expected(*seen["ego"])
    ox, oy, oh = seen["other"]
    assert (ox, oy) == (pytest.approx(x, abs=1e-3), pytest.approx(y, abs=1e-3))
    assert math.cos(oh - h) == pytest.approx(1.0, abs=1e-6)


def test_geo_position_without_geo_reference_is_a_clear_input_error(tmp_path, capsys):
    tele = ('<PrivateAction><TeleportAction><Position><GeoPosition latitudeDeg="48.1" longitudeDeg="11.5"/>'
            '</Position></TeleportAction></PrivateAction>')
    path = scenario(tmp_path, _event("tele", AT1, tele, actor="Other"), duration=1.5)
    # --out in tmp_path: the default ./out is the repository's, shared by every run and xdist worker (the run
    # writes its CSV until the teleport fails)
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "geoReference" in err and "Traceback" not in err and "conformance.xosc" in err
