"""Steps per second of the vehicle models for 1, 10, 100 vehicles (vectorised across vehicles).

Run: ``.venv/bin/python bench/vehicle_bench.py [--seconds S]``.  Prints, per
model and fleet size, fleet steps per second at dt = 0.01 s and the resulting
real-time factor (simulated seconds per wall second).  Target from the issue:
100 vehicles at dt = 0.01 faster than 100× real time on one core.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from simplatform.control import AckermannCommand
from vehicle_models import COMPACT_CAR, MIDSIZE_SEDAN, SUV, VehicleFleet
from vehicle_models.drivers import DriverConfig, TrafficContext, TrafficDriver

DT = 0.01


def _fleet(model: str, n: int, mode: str) -> VehicleFleet:
    presets = [MIDSIZE_SEDAN, COMPACT_CAR, SUV]
    fleet = VehicleFleet([presets[i % 3] for i in range(n)], model=model)
    fleet.reset(x=np.arange(n) * 10.0, speed=np.linspace(10.0, 25.0, n))
    idx = np.arange(n)
    if mode == "ackermann":
        for i in idx:
            fleet.apply_ackermann(int(i), AckermannCommand(speed=20.0, steering_angle=0.01 * (i % 3)))
    elif mode == "acceleration":
        fleet.apply_acceleration(idx, 0.3, 0.01)
    else:
        fleet.apply_pedals(idx, 0.3, 0.0, 0.02)
    return fleet


def measure(model: str, n: int, mode: str, seconds: float) -> float:
    fleet = _fleet(model, n, mode)
    fleet.step(DT)
    steps = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(50):
            fleet.step(DT)
        steps += 50
    return steps / (time.perf_counter() - start)


def measure_traffic(n: int, seconds: float) -> float:
    """IDM/MOBIL decisions + kinematic fleet through the low-level controller, per step."""
    driver = TrafficDriver([DriverConfig(model="idm_mobil")] * n, DT)
    fleet = _fleet("kinematic", n, "acceleration")
    ctx = TrafficContext.free_road(fleet.speed, 25.0)
    ctx.leader_gap = np.full(n, 30.0)
    ctx.leader_speed = np.full(n, 18.0)
    idx = np.arange(n)
    steps = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(50):
            ctx.speed = fleet.speed
            decision = driver.decide(ctx)
            fleet.apply_acceleration(idx, decision.acceleration, 0.0)
            fleet.step(DT)
        steps += 50
    return steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.5, help="wall time per measurement")
    args = parser.parse_args()
    print(f"dt = {DT} s; real-time factor = steps/s × dt")
    print(f"{'model':<10} {'input':<13} {'N':>4} {'steps/s':>10} {'× real time':>12} {'vehicle-steps/s':>16}")
    for model, mode in (("kinematic", "pedals"), ("dynamic", "pedals"), ("dynamic", "ackermann")):
        for n in (1, 10, 100):
            rate = measure(model, n, mode, args.seconds)
            print(f"{model:<10} {mode:<13} {n:>4} {rate:>10.0f} {rate * DT:>12.1f} {rate * n:>16.0f}")
    for n in (1, 10, 100):
        rate = measure_traffic(n, args.seconds)
        print(f"{'kinematic':<10} {'idm_mobil':<13} {n:>4} {rate:>10.0f} {rate * DT:>12.1f} {rate * n:>16.0f}")


if __name__ == "__main__":
    main()
