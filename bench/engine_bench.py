"""Real-time factors of the native engine (simulated s / wall s, scenario loading included).

Cases (dt = 0.01, one core): a 20 s two-vehicle cut-in; the same with 20
traffic vehicles; a batch of 50 parameter variants of the cut-in in one
process.  Module imports are done before timing (a process pays them once).
The 20 traffic vehicles drive under driver-model controllers (ObjectController
with IDM+MOBIL properties): moved by the native backend's vehicle fleet.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "engine"))

import engine_scenario_files as scenarios  # noqa: E402
from scenariogeneration import xosc  # noqa: E402

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


def _time(spec, cfg) -> tuple[float, float]:
    t0 = time.perf_counter()
    r = run_scenario(spec, cfg)
    return r.sim_time, time.perf_counter() - t0


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        cut_in = scenarios.cut_in(d)
        traffic = _with_traffic(d, 20)
        run_scenario(cut_in, RunConfig(max_time=0.1))  # imports, caches of the process
        for label, path in (("cut-in, 2 vehicles", cut_in), ("cut-in + 20 traffic", traffic)):
            for out in (None, d / "out"):
                sim, wall = _time(ScenarioSpec(path), RunConfig(dt=0.01, out_dir=out))
                tag = "with CSV log" if out else "no log"
                print(f"{label:24s} {tag:13s} {sim:6.2f} s sim / {wall:6.3f} s wall = {sim / wall:7.1f}x")
        sim_total, t0 = 0.0, time.perf_counter()
        for k in range(50):
            spec = ScenarioSpec(cut_in, {"TargetSpeed": 24.0 + 0.05 * k})
            sim, _ = _time(spec, RunConfig(dt=0.01))
            sim_total += sim
        wall = time.perf_counter() - t0
        print(f"{'batch of 50 variants':24s} {'no log':13s} {sim_total:6.1f} s sim / {wall:6.3f} s wall = {sim_total / wall:7.1f}x")


if __name__ == "__main__":
    main()
