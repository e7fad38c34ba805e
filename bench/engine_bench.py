"""Real-time factors of the native engine (simulated s / wall s, scenario loading included).

Cases (dt = 0.01, one core): a 20 s two-vehicle cut-in; the same with 20
traffic vehicles; a batch of 50 parameter variants (TargetSpeed) of the cut-in
in one process; a stack-driven ego (a constant AckermannCommand) on the
dynamic and the kinematic single track.  Module imports are done before timing
(a process pays them once).  Each figure is the best of 3 runs, with the
CPU-time factor beside it: on a shared machine the wall factor moves with the
load.

The batch row is ``simplatform.engine.batch.run_variants``: the 50 variants
are loaded (each scenario bound with its parameter value; the road network
and its lane tables once) and stepped in lockstep, the default controller's
lane motion and kinematics of all of them in one compiled pass (each variant
bit-identical to its lone run).  Its compiled loops are loaded from numba's
on-disk cache before timing, as imports are (~15 ms of CPU once numba is
initialised in the process, which the traffic case has done).  The row
"50 variants one by one" is ``run_scenario`` per variant, for comparison.
The 20 traffic vehicles drive under driver-model controllers (ObjectController
with IDM+MOBIL properties): moved by the native backend's vehicle fleet.

Last case: the engine's share of a harness run (``simplatform.harness.run_test``
with the reference stack, sensors and metrics) of a continuous urban library
scenario at dt = 0.05: the median engine step and snapshot in µs (medians
resist the load of a shared machine better than sums) and their share of the
run's CPU time.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "engine"))

import engine_scenario_files as scenarios  # noqa: E402
from scenariogeneration import xosc  # noqa: E402

from simplatform.engine.batch import run_variants  # noqa: E402
from simplatform.engine.run import RunConfig, ScenarioSpec, run_scenario  # noqa: E402


def _with_traffic(directory: Path, n: int) -> Path:
    base = scenarios.cut_in(directory)
    text = base.read_text()
    ents, inits = [], []
    for k in range(n):
        name = f"Traffic{k}"
        ents.append(f'<ScenarioObject name="{name}">' + _vehicle_xml(name) + '<ObjectController><Controller '
                    'name="TrafficDriver"><Properties><Property name="model" value="idm_mobil"/></Properties>'
                    "</Controller></ObjectController></ScenarioObject>")
        lane = (-1, -2, 1, 2)[k % 4]
        s = 100 + 40 * (k // 4) if lane < 0 else 900 - 40 * (k // 4)
        inits.append(
            f'<Private entityRef="{name}"><PrivateAction><TeleportAction><Position>'
            f'<LanePosition roadId="0" laneId="{lane}" s="{s}" offset="0"/></Position></TeleportAction></PrivateAction>'
            f'<PrivateAction><LongitudinalAction><SpeedAction><SpeedActionDynamics dynamicsShape="step" '
            f'value="0" dynamicsDimension="time"/><SpeedActionTarget><AbsoluteTargetSpeed value="{15 + k % 5}"/>'
            f"</SpeedActionTarget></SpeedAction></LongitudinalAction></PrivateAction></Private>"
        )
    text = text.replace("</Entities>", "".join(ents) + "</Entities>", 1)
    text = text.replace("</Actions>", "".join(inits) + "</Actions>", 1)
    out = directory / "cut_in_traffic.xosc"
    out.write_text(text)
    return out


def _vehicle_xml(name: str) -> str:
    return (f'<Vehicle name="{name}" vehicleCategory="car"><BoundingBox><Center x="1.4" y="0" z="0.9"/>'
            '<Dimensions width="1.8" length="4.5" height="1.5"/></BoundingBox>'
            '<Performance maxSpeed="69" maxAcceleration="10" maxDeceleration="10"/>'
            '<Axles><FrontAxle maxSteering="0.5" wheelDiameter="0.8" trackWidth="1.68" positionX="2.98" positionZ="0.4"/>'
            '<RearAxle maxSteering="0" wheelDiameter="0.8" trackWidth="1.68" positionX="0" positionZ="0.4"/></Axles>'
            "</Vehicle>")


def _time(spec, cfg, repeats: int = 3) -> tuple[float, float, float]:
    """(simulated s, best wall s, best CPU s) over ``repeats`` runs: on a shared machine the
    best of a few and the process CPU time are the figures that say something about the code."""
    best_wall = best_cpu = float("inf")
    sim = 0.0
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        r = run_scenario(spec, cfg)
        best_wall = min(best_wall, time.perf_counter() - w0)
        best_cpu = min(best_cpu, time.process_time() - c0)
        sim = r.sim_time
    return sim, best_wall, best_cpu


class _Cruise:
    """A stack that holds 20 m/s straight ahead (the ego then moves by the vehicle model)."""

    def setup(self, rig, route) -> None:
        return None

    def step(self, snapshot):
        from simplatform.control import AckermannCommand

        return AckermannCommand(speed=20.0)


def _stack_ego(directory: Path, road: Path) -> Path:
    entities = xosc.Entities()
    entities.add_scenario_object("Ego", scenarios._vehicle("ego"))
    init = xosc.Init()
    step = xosc.TransitionDynamics(xosc.DynamicsShapes.step, xosc.DynamicsDimension.time, 0)
    init.add_init_action("Ego", xosc.TeleportAction(xosc.LanePosition(50, 0, -1, 0)))
    init.add_init_action("Ego", xosc.AbsoluteSpeedAction(20.0, step))
    sb = xosc.StoryBoard(init, xosc.ValueTrigger("stop", 0, xosc.ConditionEdge.rising,
                                                 xosc.SimulationTimeCondition(20, xosc.Rule.greaterThan), "stop"))
    sce = xosc.Scenario("ego", "bench", xosc.ParameterDeclarations(), entities, sb, xosc.RoadNetwork(road.name),
                        xosc.Catalog())
    out = directory / "stack_ego.xosc"
    sce.write_xml(str(out))
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        cut_in = scenarios.cut_in(d)
        traffic = _with_traffic(d, 20)
        run_scenario(cut_in, RunConfig(max_time=0.1))  # imports, caches of the process
        for label, path in (("cut-in, 2 vehicles", cut_in), ("cut-in + 20 traffic", traffic)):
            for out in (None, d / "out"):
                sim, wall, cpu = _time(ScenarioSpec(path), RunConfig(dt=0.01, out_dir=out))
                tag = "with CSV log" if out else "no log"
                print(f"{label:24s} {tag:13s} {sim:6.2f} s sim / {wall:6.3f} s wall = {sim / wall:7.1f}x "
                      f"(CPU {sim / cpu:7.1f}x)")
        variants = [{"TargetSpeed": 24.0 + 0.05 * k} for k in range(50)]
        run_variants(cut_in, variants[:2], RunConfig(dt=0.01, max_time=0.1))  # its compiled loops, from the cache
        best_wall = best_cpu = float("inf")
        for _ in range(3):
            t0, c0 = time.perf_counter(), time.process_time()
            results = run_variants(cut_in, variants, RunConfig(dt=0.01))
            best_wall, best_cpu = min(best_wall, time.perf_counter() - t0), min(best_cpu, time.process_time() - c0)
        sim_total = sum(r.sim_time for r in results)
        print(f"{'batch of 50 variants':24s} {'no log':13s} {sim_total:6.1f} s sim / {best_wall:6.3f} s wall = "
              f"{sim_total / best_wall:7.1f}x (CPU {sim_total / best_cpu:7.1f}x)")
        sim_total, t0, c0 = 0.0, time.perf_counter(), time.process_time()
        for params in variants:
            sim, _, _ = _time(ScenarioSpec(cut_in, params), RunConfig(dt=0.01), repeats=1)
            sim_total += sim
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        print(f"{'50 variants one by one':24s} {'no log':13s} {sim_total:6.1f} s sim / {wall:6.3f} s wall = "
              f"{sim_total / wall:7.1f}x (CPU {sim_total / cpu:7.1f}x)")
        road = scenarios.straight_road(d / "ego_road.xodr", length=2000.0)
        ego = _stack_ego(d, road)
        for model in ("dynamic", "kinematic"):
            sim, wall, cpu = _time(ScenarioSpec(ego), RunConfig(dt=0.01, stack=_Cruise(), vehicle_model=model))
            print(f"{'stack ego, ' + model:24s} {'no log':13s} {sim:6.2f} s sim / {wall:6.3f} s wall = "
                  f"{sim / wall:7.1f}x (CPU {sim / cpu:7.1f}x)")

    _harness_share()


def _harness_share(path: str = "scenarios/continuous/cnt_urb_v40_c60_green_wave_day.xosc", repeats: int = 3) -> None:
    import statistics

    from simplatform.engine.engine import ScenarioEngine
    from simplatform.harness import TestConfig, run_test

    root = Path(__file__).resolve().parents[1]
    spec = root / path
    times: dict[str, list[float]] = {"step": [], "snapshot": []}
    originals = {name: getattr(ScenarioEngine, name) for name in times}

    def timed(name):
        original = originals[name]

        def call(self, *args, **kwargs):
            c0 = time.process_time()
            out = original(self, *args, **kwargs)
            times[name].append(time.process_time() - c0)
            return out
        return call

    run_test(spec, TestConfig(dt=0.05, csv=False, max_time=2.0))  # imports, caches
    for name in times:
        setattr(ScenarioEngine, name, timed(name))
    try:
        cpu_runs = []
        for _ in range(repeats):
            c0 = time.process_time()
            run_test(spec, TestConfig(dt=0.05, csv=False, max_time=60.0))
            cpu_runs.append(time.process_time() - c0)
    finally:
        for name, original in originals.items():
            setattr(ScenarioEngine, name, original)
    steps = len(times["step"]) // repeats
    step_us = statistics.median(times["step"]) * 1e6
    snap_us = statistics.median(times["snapshot"]) * 1e6 * len(times["snapshot"]) / len(times["step"])
    run_us = min(cpu_runs) / steps * 1e6
    print(f"{'harness run, urban':24s} {'dt 0.05':13s} engine step {step_us:5.0f} us + snapshot {snap_us:4.0f} us "
          f"of {run_us:5.0f} us CPU per step = {100 * (step_us + snap_us) / run_us:4.1f} % ({steps} steps)")


if __name__ == "__main__":
    main()
