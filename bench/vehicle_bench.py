"""Steps per second of the vehicle models for 1, 10, 100 vehicles (vectorised across vehicles).

Run: ``.venv/bin/python bench/vehicle_bench.py [--seconds S] [--repeats R] [--cold]``.
Prints, per model and fleet size, fleet steps per CPU-second of this process
at dt = 0.01 s (best of ``R`` timed blocks; CPU time, so that waiting for a
core on a shared machine does not count; wall-clock steps/s beside it), the
real-time factor (simulated seconds per wall second) and whether 100 vehicles
meet the target from the issue: faster than 100× real time on one core, i.e.
at least 10,000 fleet steps/s.  Also prints what the compiled kernels cost a
new process (loading numba's on-disk cache; with ``--cold`` also compiling
from nothing) and what the scalar per-vehicle input calls cost next to the
vectorised ones.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from simplatform.control import AckermannCommand, Control
from vehicle_models import COMPACT_CAR, MIDSIZE_SEDAN, SUV, VehicleFleet
from vehicle_models.drivers import DriverConfig, TrafficContext, TrafficDriver

DT = 0.01
TARGET_STEPS_PER_SECOND = 1.0 / DT * 100.0  # 100 vehicles at 100× real time
ROOT = Path(__file__).resolve().parents[1]


def _fleet(model: str, n: int, mode: str) -> VehicleFleet:
    presets = [MIDSIZE_SEDAN, COMPACT_CAR, SUV]
    fleet = VehicleFleet([presets[i % 3] for i in range(n)], model=model)
    fleet.reset(x=np.arange(n) * 10.0, speed=np.linspace(10.0, 25.0, n))
    idx = np.arange(n)
    if mode == "ackermann":
        fleet.apply_ackermann_targets(idx, 20.0, 0.01 * (idx % 3))
    elif mode == "acceleration":
        fleet.apply_acceleration(idx, 0.3, 0.01)
    else:
        fleet.apply_pedals(idx, 0.3, 0.0, 0.02)
    return fleet


def _best_rate(step, seconds: float, repeats: int) -> tuple[float, float]:
    """Best (CPU-time, wall-time) steps/s over ``repeats`` blocks of about ``seconds / repeats`` each.

    CPU time is this process's time on its core: on a shared machine it leaves
    out the time the process waited for a core, which wall time includes.
    """
    step()
    best_cpu = best_wall = 0.0
    for _ in range(repeats):
        steps = 0
        wall, cpu = time.perf_counter(), time.process_time()
        while time.perf_counter() - wall < seconds / repeats:
            for _ in range(20):
                step()
            steps += 20
        best_cpu = max(best_cpu, steps / max(time.process_time() - cpu, 1e-9))
        best_wall = max(best_wall, steps / (time.perf_counter() - wall))
    return best_cpu, best_wall


def measure(model: str, n: int, mode: str, seconds: float, repeats: int) -> tuple[float, float]:
    fleet = _fleet(model, n, mode)
    return _best_rate(lambda: fleet.step(DT), seconds, repeats)


def measure_traffic(n: int, seconds: float, repeats: int) -> tuple[float, float]:
    """IDM/MOBIL decisions + kinematic fleet through the low-level controller, per step.

    Every vehicle has a leader, a follower and a left lane with traffic that
    makes a change unattractive, so MOBIL evaluates both sides' incentives
    (all nine IDM terms) every step: the worst case for the decision's cost.
    """
    driver = TrafficDriver([DriverConfig(model="idm_mobil")] * n, DT)
    fleet = _fleet("kinematic", n, "acceleration")
    ctx = TrafficContext.free_road(fleet.speed, 25.0)
    ctx.leader_gap = np.full(n, 30.0)
    ctx.leader_speed = np.full(n, 18.0)
    ctx.follower_gap = np.full(n, 25.0)
    ctx.follower_speed = np.full(n, 20.0)
    ctx.left_available = np.ones(n, dtype=bool)
    ctx.left_leader_gap = np.full(n, 20.0)
    ctx.left_leader_speed = np.full(n, 15.0)
    ctx.left_follower_gap = np.full(n, 15.0)
    ctx.left_follower_speed = np.full(n, 20.0)
    idx = np.arange(n)

    def step() -> None:
        ctx.speed = fleet.speed
        decision = driver.decide(ctx)
        fleet.apply_acceleration(idx, decision.acceleration, 0.0)
        fleet.step(DT)

    rate = _best_rate(step, seconds, repeats)
    assert not np.any(driver.since_change < 1.0), "the bench's context must not trigger lane changes"
    return rate


def input_call_costs(n: int = 100) -> dict[str, float]:
    """CPU µs per call: one scalar per-vehicle input and one vectorised call for all ``n`` vehicles."""
    fleet = _fleet("dynamic", n, "pedals")
    idx = np.arange(n)
    throttle = np.full(n, 0.3)
    control = Control(throttle=0.3, steer=0.02)
    command = AckermannCommand(speed=20.0, steering_angle=0.01)
    calls = {
        "apply_control(i, Control)": lambda: fleet.apply_control(7, control),
        "apply_ackermann(i, AckermannCommand)": lambda: fleet.apply_ackermann(7, command),
        f"apply_pedals(idx, ...) for {n}": lambda: fleet.apply_pedals(idx, throttle, 0.0, 0.02),
        f"apply_ackermann_targets(idx, ...) for {n}": lambda: fleet.apply_ackermann_targets(idx, throttle, 0.01),
        f"apply_acceleration(idx, ...) for {n}": lambda: fleet.apply_acceleration(idx, throttle, 0.01),
    }
    costs = {}
    for name, call in calls.items():
        best = math.inf
        for _ in range(5):
            start = time.process_time()
            for _ in range(2000):
                call()
            best = min(best, (time.process_time() - start) / 2000 * 1e6)
        costs[name] = best
    return costs


def numpy_call_cost() -> float:
    """µs of one small numpy call (hypot of two 100-vectors): how fast this machine is right now."""
    a = np.random.default_rng(0).random(100)
    best = math.inf
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(20000):
            np.hypot(a, a)
        best = min(best, (time.perf_counter() - start) / 20000 * 1e6)
    return best


_FIRST_USE = """
import time
t0, c0 = time.perf_counter(), time.process_time()
import numpy as np
from vehicle_models import MIDSIZE_SEDAN, VehicleFleet
from vehicle_models.drivers import DriverConfig, TrafficContext, TrafficDriver
t1, c1 = time.perf_counter(), time.process_time()
for model in ("dynamic", "kinematic"):
    fleet = VehicleFleet([MIDSIZE_SEDAN], model=model)
    fleet.step(0.01)
TrafficDriver([DriverConfig()], 0.01).decide(TrafficContext.free_road([10.0], 20.0))
print(f"{t1 - t0:.2f} {time.perf_counter() - t1:.2f} {time.process_time() - c1:.2f}")
"""


def first_use_seconds(cache_dir: str | None = None) -> tuple[float, float, float]:
    """(import, first fleet steps + first decision, the same in CPU time) seconds in a new interpreter."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    out = subprocess.run([sys.executable, "-c", _FIRST_USE], env=env, cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.split()
    return float(out[0]), float(out[1]), float(out[2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.5, help="wall time per measurement")
    parser.add_argument("--repeats", type=int, default=5, help="timed blocks per measurement (best is kept)")
    parser.add_argument("--cold", action="store_true", help="also time compiling the kernels from nothing")
    args = parser.parse_args()
    print(f"dt = {DT} s; steps/s per CPU-second of this process (wall-clock steps/s beside it); "
          f"real-time factor = steps/s × dt; best of {args.repeats} blocks; "
          f"one small numpy call costs {numpy_call_cost():.2f} µs here (≈0.5–1 µs on an idle desktop core)")
    print(f"{'model':<10} {'input':<13} {'N':>4} {'steps/s':>10} {'× real time':>12} {'vehicle-steps/s':>16}"
          f" {'wall steps/s':>13}  target (CPU time, one core)")
    rows = [(model, mode, n, *measure(model, n, mode, args.seconds, args.repeats))
            for model, mode in (("kinematic", "pedals"), ("dynamic", "pedals"), ("dynamic", "ackermann"))
            for n in (1, 10, 100)]
    rows += [("kinematic", "idm_mobil", n, *measure_traffic(n, args.seconds, args.repeats)) for n in (1, 10, 100)]
    for model, mode, n, rate, wall in rows:
        verdict = ("met" if rate >= TARGET_STEPS_PER_SECOND else "MISSED") if n == 100 else ""
        print(f"{model:<10} {mode:<13} {n:>4} {rate:>10.0f} {rate * DT:>12.1f} {rate * n:>16.0f} "
              f"{wall:>13.0f}  {verdict}")
    print("input calls (CPU µs per call; a step of 100 vehicles is listed above):")
    for name, cost in input_call_costs().items():
        print(f"  {name:<44} {cost:8.2f}")
    imported, first, cpu = first_use_seconds()
    print(f"new process: import {imported:.2f} s, first steps + decision (numba cache load) {first:.2f} s "
          f"({cpu:.2f} s CPU)")
    if args.cold:
        with tempfile.TemporaryDirectory() as cache:
            imported, first, cpu = first_use_seconds(cache)
        print(f"new process, empty cache: import {imported:.2f} s, first steps + decision (compile) {first:.2f} s "
              f"({cpu:.2f} s CPU)")


if __name__ == "__main__":
    main()
