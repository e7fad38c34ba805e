"""run_variants: each variant of a lockstep batch is bit-identical to running it alone."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from scenariogeneration import xosc

sys.path.insert(0, str(Path(__file__).resolve().parent))

import engine_scenario_files as files  # noqa: E402

from simplatform.engine.batch import run_variants  # noqa: E402
from simplatform.engine.run import RunConfig, ScenarioSpec, run_scenario  # noqa: E402
from simplatform.errors import ConfigError, InputError  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def _alone(path: Path, params: dict, out: Path, sid: str, config: RunConfig):
    cfg = RunConfig(dt=config.dt, max_time=config.max_time, out_dir=out)
    return run_scenario(ScenarioSpec(path, params, scenario_id=sid), cfg)


def _same(batch_results, path: Path, variants: list[dict], tmp: Path, config: RunConfig) -> None:
    """Logs byte for byte, and every field of the result but the wall time, as a lone run's."""
    for k, (params, got) in enumerate(zip(variants, batch_results)):
        sid = got.scenario_id
        want = _alone(path, params, tmp / "alone", sid, config)
        assert (tmp / "batch" / f"{sid}.csv").read_bytes() == (tmp / "alone" / f"{sid}.csv").read_bytes(), sid
        assert (got.end_reason, got.steps, got.sim_time, got.events, got.parameters, got.metrics) == \
            (want.end_reason, want.steps, want.sim_time, want.events, want.parameters, want.metrics), sid


def _with_parameter(path: Path, old: str, name: str, value: str) -> Path:
    """The scenario with one more global parameter standing for the attribute text ``old``."""
    text = path.read_text()
    assert old in text
    text = text.replace(old, old.split('"')[0] + f'"${name}"', 1)
    text = text.replace("<ParameterDeclarations>", f'<ParameterDeclarations><ParameterDeclaration name="{name}" '
                        f'parameterType="double" value="{value}"/>', 1)
    out = path.with_name(path.stem + f"_{name}.xosc")
    out.write_text(text)
    return out


def test_cut_in_variants_are_bit_identical_to_lone_runs(tmp_path):
    # speeds around the ego's: the lane change (offset, lateral rate) starts at different steps per variant,
    # one variant stands still (ds = 0: the scalar standing-still path) and one reverses
    path = files.cut_in(tmp_path, duration=13.0)
    variants = [{"TargetSpeed": v} for v in (25.0, 24.3, 26.1, 0.0, -3.0)]
    config = RunConfig(dt=0.05, max_time=30.0, out_dir=tmp_path / "batch")
    results = run_variants(path, variants, config)
    assert [r.scenario_id for r in results] == [f"cut_in_{k:03d}" for k in range(5)]
    assert all(r.end_reason == "stop_trigger" for r in results)
    assert results[0].events != results[1].events  # the lane change did start at another time
    _same(results, path, variants, tmp_path, config)


def test_variants_ending_at_different_steps(tmp_path):
    base = files.cut_in(tmp_path, duration=13.0)
    path = _with_parameter(base, 'value="13.0"', "Duration", "13.0")
    variants = [{"Duration": d} for d in (2.0, 11.5, 6.25)]
    config = RunConfig(dt=0.05, max_time=30.0, out_dir=tmp_path / "batch")
    results = run_variants(path, variants, config)
    assert [r.steps for r in results] == [42, 232, 127]  # the stop trigger fires in the step after t > Duration
    _same(results, path, variants, tmp_path, config)


def test_model_driven_and_max_time(tmp_path):
    # an IDM follower is moved by the backend (external rows are left to it); the run ends by max_time
    path = files.idm_follow(tmp_path, duration=60.0)
    variants = [{}, {}]
    config = RunConfig(dt=0.05, max_time=4.0, out_dir=tmp_path / "batch")
    results = run_variants(path, variants, config)
    assert [r.end_reason for r in results] == ["max_time", "max_time"]
    _same(results, path, variants, tmp_path, config)


def test_spawned_traffic_leaves_the_shared_arrays(tmp_path):
    # a traffic swarm adds rows to the entity table: that engine goes on alone, with the same result
    path = files.swarm(tmp_path, number=4, duration=3.0)
    variants = [{}]
    engines = []
    config = RunConfig(dt=0.05, max_time=10.0, out_dir=tmp_path / "batch", seed=3, on_start=engines.append)
    results = run_variants(path, variants, config)
    assert len(engines[0].table) > 1  # rows were added
    want = run_scenario(ScenarioSpec(path, {}, scenario_id=results[0].scenario_id),
                        RunConfig(dt=0.05, max_time=10.0, out_dir=tmp_path / "alone", seed=3))
    sid = results[0].scenario_id
    assert (tmp_path / "batch" / f"{sid}.csv").read_bytes() == (tmp_path / "alone" / f"{sid}.csv").read_bytes()
    assert results[0].events == want.events


@pytest.mark.parametrize("name", ["urban/urb_roundabout_v20_o20_lag0_x12.xosc", "urban/urb_left_unprotected_v20_o30_lag1_day.xosc"])
def test_library_scenarios_on_curves_and_junctions(tmp_path, name):
    # curved lanes (the heading's sine and cosine change every step), junction successors (the scalar
    # road-end path), pedestrians: two copies in one batch, each as the lone run
    path = ROOT / "scenarios" / name
    variants = [{}, {}]
    config = RunConfig(dt=0.05, max_time=12.0, out_dir=tmp_path / "batch")
    results = run_variants(path, variants, config, scenario_ids=["a", "b"])
    _same(results, path, variants, tmp_path, config)


def test_bad_variant_and_unbatchable_config(tmp_path):
    path = files.cut_in(tmp_path)
    with pytest.raises(InputError):
        run_variants(path, [{"TargetSpeed": 25.0}, {"NoSuchParameter": 1.0}], RunConfig())
    with pytest.raises(ConfigError):
        run_variants(path, [{}], RunConfig(stack=object()))
    with pytest.raises(ConfigError):
        run_variants(path, [{}, {}], RunConfig(), scenario_ids=["one"])
    assert run_variants(path, [], RunConfig()) == []
    assert xosc  # the scenario files are written with scenariogeneration


def test_shared_table_covers_every_float_column():
    # the batch shares the columns batch_kernels spells out; a table column added without it would
    # stay per engine (still correct) but the compiled loops' row numbers must stay the table's
    from simplatform.engine.batch_kernels import F_COLUMNS
    from simplatform.engine.entities import _STATE_COLUMNS

    assert F_COLUMNS == _STATE_COLUMNS + ("prev_speed", "prev_heading")


def _swarm_at(directory: Path) -> Path:
    """The ego at 20 m/s; a TrafficSwarmAction starts when the simulation time passes $SwarmAt."""
    odr = files.straight_road(directory / "straight.xodr", length=3000.0)
    params = xosc.ParameterDeclarations()
    params.add_parameter(xosc.Parameter("SwarmAt", xosc.ParameterType.double, "1.0"))
    entities = xosc.Entities()
    entities.add_scenario_object("Ego", files._vehicle("ego"))
    init = xosc.Init()
    step = xosc.TransitionDynamics(xosc.DynamicsShapes.step, xosc.DynamicsDimension.time, 1)
    init.add_init_action("Ego", xosc.TeleportAction(xosc.LanePosition(500, 0, -1, 0)))
    init.add_init_action("Ego", xosc.AbsoluteSpeedAction(20.0, step))
    td = xosc.TrafficDefinition("mix")
    td.add_vehicle(xosc.VehicleCategory.car, 1.0)
    td.add_controller(files.driver_controller("TrafficDriver", model="idm_mobil", style="normal"), 1.0)
    event = xosc.Event("swarm_event", xosc.Priority.parallel)
    event.add_action("swarm", xosc.TrafficSwarmAction(200, 40, 30, 0, 3, "Ego", td, velocity=xosc.Range(15, 25),
                                                      name="swarm"))
    event.add_trigger(xosc.ValueTrigger("at", 0, xosc.ConditionEdge.rising,
                                        xosc.SimulationTimeCondition("$SwarmAt", xosc.Rule.greaterThan)))
    man = xosc.Maneuver("m")
    man.add_event(event)
    mg = xosc.ManeuverGroup("g")
    mg.add_actor("Ego")
    mg.add_maneuver(man)
    act = xosc.Act("a")
    act.add_maneuver_group(mg)
    story = xosc.Story("s")
    story.add_act(act)
    sb = xosc.StoryBoard(init, xosc.ValueTrigger("stop", 0, xosc.ConditionEdge.rising,
                                                 xosc.SimulationTimeCondition(3.0, xosc.Rule.greaterThan), "stop"))
    sb.add_story(story)
    sce = xosc.Scenario("swarm_at", "simplatform", params, entities, sb, xosc.RoadNetwork(odr.name), xosc.Catalog(),
                        osc_minor_version=2)
    out = directory / "swarm_at.xosc"
    sce.write_xml(str(out))
    return out


def test_a_variant_that_spawns_mid_run_finishes_its_step_alone(tmp_path):
    # the swarm of variant 0 adds rows in the middle of a step (its event's action): that engine
    # finishes the step and the run alone; variant 1 (swarm after the end) stays in the batch
    path = _swarm_at(tmp_path)
    variants = [{"SwarmAt": 1.0}, {"SwarmAt": 99.0}]
    engines = []
    config = RunConfig(dt=0.05, max_time=10.0, out_dir=tmp_path / "batch", on_start=engines.append)
    results = run_variants(path, variants, config)
    assert len(engines[0].table) > 1 and len(engines[1].table) == 1
    _same(results, path, variants, tmp_path, config)


def test_recorded_variants_match_lone_recordings(tmp_path):
    path = files.cut_in(tmp_path, duration=2.0)
    variants = [{"TargetSpeed": 24.0}, {"TargetSpeed": 26.0}]
    config = RunConfig(dt=0.05, max_time=5.0, out_dir=tmp_path / "batch", record=True, record_every=4)
    results = run_variants(path, variants, config)
    for params, got in zip(variants, results):
        sid = got.scenario_id
        run_scenario(ScenarioSpec(path, params, scenario_id=sid),
                     RunConfig(dt=0.05, max_time=5.0, out_dir=tmp_path / "alone", record=True, record_every=4))
        assert (tmp_path / "batch" / f"{sid}.mcap").read_bytes() == (tmp_path / "alone" / f"{sid}.mcap").read_bytes()
