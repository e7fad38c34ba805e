"""CPU cost of the CSV trajectory log per step (µs), for a 20-entity table.

The table is filled with moving state (x, y, heading, speeds change every step; z, pitch, roll
stay 0, boxes constant, like a road scenario) and the log is written to a temporary file.
Figures are ``time.process_time`` per step, best of 5 repeats of 2000 steps: on a shared
machine CPU time, best of a few, is the figure that says something about the code.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from simplatform.engine.entities import EntitySpec, EntityTable
from simplatform.recording.csv_log import CsvTrajectoryLog
from simplatform.world import EntityKind

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "engine"))
from engine_csv_reference import reference_header, reference_rows  # noqa: E402


def make_table(n: int = 20, seed: int = 1) -> EntityTable:
    specs = [EntitySpec(name="Ego" if k == 0 else f"Traffic{k}", kind=EntityKind.VEHICLE, category="car",
                        length=4.5, width=1.8, height=1.5, is_ego=k == 0) for k in range(n)]
    table = EntityTable(specs)
    rng = np.random.default_rng(seed)
    table.x[:] = rng.uniform(0, 1000, n)
    table.y[:] = rng.uniform(-10, 10, n)
    table.speed[:] = rng.uniform(5, 30, n)
    for i in range(n):
        table.set_lane(i, "0", (-1, -2, 1, 2)[i % 4], float(table.x[i]), 0.01 * i, -3.5 * (i % 4))
    return table


def advance(table: EntityTable, dt: float, k: int) -> None:
    table.x += table.speed * dt
    table.lane_s += table.speed * dt
    table.y += 0.001 * np.sin(k * 0.1 + np.arange(len(table)))
    table.heading[:] = 0.01 * np.sin(k * 0.05 + np.arange(len(table)))
    table.vx[:] = table.speed * np.cos(table.heading)
    table.vy[:] = table.speed * np.sin(table.heading)
    table.ax[:] = 0.1 * np.cos(k * 0.02 + np.arange(len(table)))
    table.yaw_rate[:] = 0.002 * np.cos(k * 0.05 + np.arange(len(table)))
    table.wheel_rot += table.speed * dt / 0.4


def bench(steps: int = 2000, repeats: int = 5, n: int = 20, dt: float = 0.05) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        # the states, prepared once, so only the writer is timed
        table = make_table(n)
        states = []
        for k in range(steps):
            advance(table, dt, k)
            states.append({c: getattr(table, c).copy() for c in ("x", "y", "heading", "vx", "vy", "ax",
                                                                  "yaw_rate", "wheel_rot", "lane_s")})

        def run(write) -> float:
            best = float("inf")
            for _ in range(repeats):
                tbl = make_table(n)
                c0 = time.process_time()
                for k, st in enumerate(states):
                    for c, v in st.items():
                        getattr(tbl, c)[:] = v
                    write(tbl, k * dt)
                best = min(best, time.process_time() - c0)
            return best

        def assign_only(tbl, t):
            return None

        base = run(assign_only)
        with open(Path(tmp) / "ref.csv", "w", encoding="utf-8", newline="\n") as f:
            f.write(reference_header())
            ref = run(lambda tbl, t: f.write(reference_rows(tbl, t, dt)))
        log = CsvTrajectoryLog(Path(tmp) / "new.csv", dt)
        new = run(log.write)
        log.close()
        us = 1e6 / steps
        print(f"CSV trajectory log, {n} entities, dt {dt}, CPU time per step (best of {repeats} x {steps} steps)")
        print(f"  reference writer (before): {(ref - base) * us:8.1f} µs/step")
        print(f"  CsvTrajectoryLog (now):    {(new - base) * us:8.1f} µs/step")


if __name__ == "__main__":
    bench()
