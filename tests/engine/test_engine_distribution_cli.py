"""``simplatform run DISTRIBUTION.xosc`` plays every concrete run of a parameter value distribution in
one process (the lockstep batch engine) and writes a log per run plus a table tying logs to values."""

from __future__ import annotations

import csv
from pathlib import Path

from simplatform.cli import main
from simplatform.engine.run import RunConfig, ScenarioSpec, run_scenario

DATA = Path(__file__).resolve().parents[1] / "openscenario" / "data" / "xosc"


def test_a_deterministic_distribution_runs_every_variant_like_a_lone_run(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(DATA / "sweep_deterministic.xosc"), "--out", str(out), "--max-time", "3"]) == 0
    printed = capsys.readouterr().out
    assert "12 runs" in printed and "aggregate" in printed
    with open(out / "sweep_deterministic_runs.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["index"]) for r in rows] == list(range(12))
    # the distribution's grid: 3 speeds × 2 value sets × 2 vehicles
    assert {(r["EgoSpeed"], r["HeadwayTime"], r["EgoVehicle"]) for r in rows} == {
        (s, h, v) for s in ("20.0", "25.0", "30.0") for h in ("0.5", "1.0") for v in ("sedan", "truck")}
    for row in (rows[0], rows[7]):
        params = {k: row[k] for k in ("EgoSpeed", "EgoVehicle", "HeadwayTime", "TargetSpeedFactor")}
        lone = run_scenario(ScenarioSpec(DATA / "highway_cut_in.xosc", params, scenario_id="lone"),
                            RunConfig(out_dir=tmp_path / "lone", max_time=3.0))
        assert Path(row["log"]).read_bytes() == Path(lone.artifacts["trajectory_csv"]).read_bytes()


def test_a_scenario_file_given_as_distribution_input_still_runs_alone(tmp_path, capsys):
    assert main(["run", str(DATA / "highway_cut_in.xosc"), "--out", str(tmp_path), "--max-time", "1"]) == 0
    assert "end reason" in capsys.readouterr().out
