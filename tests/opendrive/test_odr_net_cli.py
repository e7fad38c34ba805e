"""``simplatform map info`` and ``simplatform map export``, in process and as a command."""

from __future__ import annotations

import json
import subprocess
import sys

import open3d as o3d
import pytest

from scenarios.maps import map_path
from simplatform.cli import main
from simplatform.opendrive import parse_opendrive
from simplatform.opendrive.summary import find_problems


def test_info_summarises_the_urban_grid(capsys):
    assert main(["map", "info", str(map_path("urban_grid"))]) == 0
    out = capsys.readouterr().out
    assert "junctions 4 (default 4)" in out
    assert "signals   9 (4 dynamic, 1 references, 2 controllers)" in out
    assert "objects   3 (17 placed with repeats)" in out
    assert "problems  0" in out


def test_info_json(capsys):
    assert main(["map", "info", str(map_path("highway_straight")), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["roads"] == 2 and data["junctions"] == 0
    assert data["total_length_m"] == 1000.0
    assert data["lanes_by_type"] == {"driving": 12, "shoulder": 4}
    assert data["geometry_counts"] == {"line": 2}
    # 3 lanes x 3.5 m + 2.5 m shoulder = 13 m each side of the reference line
    box = data["bounding_box"]
    assert [box[k] for k in ("west", "south", "east", "north")] == pytest.approx([0.0, -13.0, 1000.0, 13.0])
    assert data["problems"] == []


def test_export_writes_a_mesh(tmp_path, capsys):
    out = tmp_path / "roundabout.ply"
    assert main(["map", "export", str(map_path("roundabout")), "--mesh", str(out), "--step", "2"]) == 0
    assert "triangles" in capsys.readouterr().out
    assert len(o3d.io.read_triangle_mesh(str(out)).triangles) > 1000


def test_export_refuses_an_unknown_mesh_format(tmp_path, capsys):
    assert main(["map", "export", str(map_path("roundabout")), "--mesh", str(tmp_path / "x.stl")]) == 2
    assert ".ply or .obj" in capsys.readouterr().err


def test_problems_name_zero_width_lanes():
    text = map_path("highway_straight").read_text()
    # road 1's lane -2 gets zero width
    first = text.index('<lane id="-2"')
    width = text.index('<width a="3.5"', first)
    text = text[:width] + '<width a="0.0"' + text[width + len('<width a="3.5"'):]
    net = parse_opendrive(text, source="hw.xodr")
    problems = find_problems(net)
    assert any("road 1 lane -2" in p and "zero width" in p for p in problems)


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simplatform.cli", *args], capture_output=True, text=True,
                          timeout=120)


def test_bad_file_exits_2_with_a_located_message(tmp_path):
    bad = tmp_path / "bad.xodr"
    bad.write_text('<OpenDRIVE><header revMajor="1" revMinor="7"/>\n<road length="10"/></OpenDRIVE>')
    result = _run("map", "info", str(bad))
    assert result.returncode == 2
    assert "bad.xodr:2" in result.stderr and "Traceback" not in result.stderr
    missing = _run("map", "info", str(tmp_path / "missing.xodr"))
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


def test_usage_errors_exit_2():
    assert _run("map").returncode == 2
    assert _run("map", "export", str(map_path("junction_t"))).returncode == 2  # --mesh is required


def test_problems_name_lanes_that_stop_at_a_linked_end():
    text = map_path("highway_on_ramp").read_text()
    start = text.index('<connection incomingRoad="2"')
    end = text.index("</connection>", start) + len("</connection>")
    net = parse_opendrive(text[:start] + text[end:], source="ramp.xodr")
    assert find_problems(net) == [
        "road 2 lane -1: ends at the road's linked end (junction 100) without a successor lane"]
    assert find_problems(parse_opendrive(text)) == []
