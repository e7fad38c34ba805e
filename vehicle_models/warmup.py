"""Compile, or load from numba's on-disk cache, every kernel of the package: ``python -m vehicle_models.warmup``.

The first use of the compiled kernels in a process costs a cache load (about
half a second) or, when the cache is empty or stale, a compilation (several
seconds; see ``bench/vehicle_bench.py --cold``).  Workers started in parallel
on an empty cache (a suite runner's pool, pytest-xdist) would each compile;
running this once beforehand lets them all load the cache instead.
"""

from __future__ import annotations

import time

import numpy as np

from simplatform.control import AckermannCommand, Control


def warm_up() -> float:
    """Run every kernel once, with the argument types the package uses; returns the seconds it took."""
    from vehicle_models import COMPACT_CAR, MIDSIZE_SEDAN, VehicleFleet
    from vehicle_models import single_track as st
    from vehicle_models.drivers import DriverConfig, HumanParameters, TrafficContext, TrafficDriver
    from vehicle_models.drivers.idm import IDMArrays, IDMParameters, idm_acceleration

    start = time.perf_counter()
    for model in ("dynamic", "kinematic"):
        fleet = VehicleFleet([MIDSIZE_SEDAN, COMPACT_CAR, MIDSIZE_SEDAN, COMPACT_CAR], model=model)
        fleet.reset(speed=[0.0, 5.0, 10.0, 20.0])
        fleet.apply_control(0, Control(throttle=0.5))
        fleet.apply_pedals([1], 0.2, 0.0, 0.1)
        fleet.apply_ackermann(2, AckermannCommand(speed=12.0))
        fleet.apply_ackermann_targets([2], 12.0, 0.0)
        fleet.apply_acceleration([3], 1.0, 0.0)
        fleet.apply_reference_inputs(3, 0.0, 0.5)
        fleet.step(0.01, grade=0.01)
        fleet.controller.update(fleet.speed, np.zeros(fleet.n), 0.01)
        fleet._derivative(fleet.state, fleet.inputs, fleet.params)
        _warm_table_rows(fleet)
    fleet.params.max_drive_force(fleet.speed)
    driver = TrafficDriver([DriverConfig(), DriverConfig(model="human", human=HumanParameters())], 0.1, seed=0)
    context = TrafficContext.free_road([10.0, 12.0], 20.0)
    context.left_available[:] = True
    driver.decide(context)
    idm_acceleration(IDMArrays([IDMParameters()]), 10.0, 20.0, 30.0, 8.0)
    st.stiffness_bound(fleet.state, fleet.params)
    from simplatform.backends.kernel_warmup import warm_up as warm_up_traffic  # the native backend's fleet

    warm_up_traffic()
    from simplatform.backends.lane_tracking import warm_up as warm_up_lane_walk  # a stack-driven ego's

    warm_up_lane_walk()
    return time.perf_counter() - start


def _warm_table_rows(fleet) -> None:
    """The table write of a stack-driven vehicle (simplatform.backends.driven), on scratch columns."""
    from vehicle_models.table_rows import rows_moved, write_rows

    rows = np.arange(fleet.n, dtype=np.int64)
    columns = [np.zeros(fleet.n) for _ in range(12)]
    written = np.zeros((4, fleet.n))
    rows_moved(rows, *columns[:4], written, 1e-9)
    write_rows(fleet.state, fleet.state, fleet.accel_body, fleet.params.lr, fleet.params.wheel_radius, rows,
               *columns, written, np.zeros((2, fleet.n)))


if __name__ == "__main__":
    print(f"vehicle_models kernels ready in {warm_up():.2f} s")
