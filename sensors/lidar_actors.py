"""Which rays of a lidar sweep can reach which actor box: (ray, box) candidate pairs.

Why: the actor boxes are tested analytically (``sensors.actor_boxes``), so a
sweep only has to name, per box, the rays that may touch it.  Each box is
bounded, in the sensor frame, by an azimuth interval and an elevation
interval; a spinning head's rays are a regular grid (``GridLayout``), so the
rays inside such a window are a block of columns × rings read off with
arithmetic, and for the non-repetitive pattern they are looked up in the
azimuth-sorted table.

The window is conservative (a superset of the rays that can hit the box):
- azimuth: a convex box whose footprint does not contain the sensor's
  vertical axis spans the azimuths of its corners (the angular extent of a
  convex polygon seen from outside is reached at vertices);
- elevation: atan2(z, ρ) grows with z and, for z > 0, falls with the
  horizontal distance ρ, so it lies between atan2(z_min, ρ_min or ρ_max) and
  atan2(z_max, ρ_min or ρ_max) with z from the corners (exact for a convex
  box), ρ_max the farthest corner and ρ_min a lower bound of the footprint's
  distance (centre distance minus the footprint's circumradius).  Corner
  elevations alone are not enough: a near box's long edge dips below its
  corners' elevation in the middle;
- motion distortion widens the window by the yaw turned and the parallax
  travelled in one sweep.

The windows and the pair lists are compiled loops (``sensors.lidar_kernels``):
with twenty actors a numpy formulation is a few hundred calls on arrays of
twenty, which cost more than the small sweeps they serve.
"""

from __future__ import annotations

import numpy as np

from sensors.actor_boxes import ActorBoxes
from sensors.frames import Transform
from sensors.lidar_kernels import box_windows, grid_pairs, table_pairs
from sensors.lidar_windows import grid_blocks
from sensors.lidar_patterns import ScanPattern, pattern_tables

ANGLE_MARGIN = 2e-3
"""Radians added to each side of a window (float32 directions, float64 corners)."""


def candidate_pairs(boxes: ActorBoxes, pattern: ScanPattern, cast_position: np.ndarray, to_world: Transform,
                    max_range: float, motion: tuple[float, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(ray, offsets): cast-buffer rows that may hit box k are ``ray[offsets[k]:offsets[k + 1]]``.

    ``motion`` = (ego speed, yaw rate) when rays fire from the poses of the
    last sweep (motion distortion): the windows widen by the yaw turned and
    the parallax of the distance travelled in one sweep.
    """
    m = len(boxes)
    if m == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64)
    offsets = np.empty(m + 1, dtype=np.int64)
    grid = pattern.grid
    if grid is None:
        # one kernel: the windows, their spans and the rows inside them (``lidar_kernels.table_pairs``)
        tables = pattern_tables(pattern)
        if cast_position is not tables.cast_position:        # a caller's own cast order: rows in azimuth order
            position = np.ascontiguousarray(cast_position[pattern.azimuth_order])
        else:
            position = tables.azimuth_position
        speed, yaw_rate = motion if motion is not None else (0.0, 0.0)
        ray = table_pairs(boxes.rotation, boxes.centre, boxes.half, np.ascontiguousarray(to_world.rotation.T),
                          np.asarray(to_world.translation, dtype=np.float64), float(max_range), ANGLE_MARGIN,
                          float(speed), float(yaw_rate), float(pattern.period_s), pattern.sorted_azimuth,
                          tables.azimuth_elevation, position, offsets)
        return ray, offsets
    lo, hi, el_lo, el_hi = _windows(boxes, pattern, to_world, max_range, motion)
    r0, r1, first, last = grid_blocks(lo, hi, el_lo, el_hi, grid.elevations, float(grid.azimuth0),
                                      float(grid.step), grid.columns, grid.full_circle)
    ray = grid_pairs(r0, r1, first, last, grid.columns, grid.full_circle, offsets)
    return ray, offsets


def candidate_pairs_numpy(boxes: ActorBoxes, pattern: ScanPattern, cast_position: np.ndarray, to_world: Transform,
                          max_range: float, motion: tuple[float, float] | None = None
                          ) -> tuple[np.ndarray, np.ndarray]:
    """``candidate_pairs`` with the window lookups as numpy array operations: the reference the compiled
    lookups (``lidar_windows.grid_blocks``, ``azimuth_spans``) are tested against."""
    m = len(boxes)
    if m == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64)
    lo, hi, el_lo, el_hi = _windows(boxes, pattern, to_world, max_range, motion)
    near = el_lo <= el_hi
    offsets = np.zeros(m + 1, dtype=np.int64)
    grid = pattern.grid
    if grid is not None:
        r0 = np.maximum(np.searchsorted(grid.elevations, el_lo, side="left") - 1, 0)
        r1 = np.minimum(np.searchsorted(grid.elevations, el_hi, side="right") + 1, grid.channels)
        r1 = np.where(near, r1, 0)
        shifts = np.array([0.0]) if grid.full_circle else np.array([-2 * np.pi, 0.0, 2 * np.pi])
        # column c points at azimuth0 − c·step: [lo, hi] holds columns (azimuth0 − hi)/step … (azimuth0 − lo)/step
        first = np.floor((grid.azimuth0 - (hi[:, None] + shifts)) / grid.step).astype(np.int64) - 1
        last = np.ceil((grid.azimuth0 - (lo[:, None] + shifts)) / grid.step).astype(np.int64) + 1
        whole = (hi - lo) >= 2 * np.pi
        first[whole], last[whole] = 0, grid.columns - 1
        ray = grid_pairs(r0.astype(np.int64), r1.astype(np.int64), first, last, grid.columns, grid.full_circle,
                         offsets)
        return ray, offsets
    two_pi = 2 * np.pi
    whole = (hi - lo) >= two_pi
    a = (lo + np.pi) % two_pi - np.pi
    b = a + (hi - lo)
    # b is not clamped to π: float32 directions put the rear column at ±3.14159274, just past ±π
    i0 = np.where(whole, 0, np.searchsorted(pattern.sorted_azimuth, a, side="left"))
    i1 = np.where(whole, pattern.size, np.searchsorted(pattern.sorted_azimuth, b, side="right"))
    j1 = np.where(~whole & (b > np.pi), np.searchsorted(pattern.sorted_azimuth, b - two_pi, side="right"), 0)
    elevation = pattern_tables(pattern).elevation
    groups = []
    for k in range(m):
        idx = np.concatenate([pattern.azimuth_order[i0[k]:i1[k]], pattern.azimuth_order[:j1[k]]])
        e = elevation[idx]
        groups.append(cast_position[idx[(e >= el_lo[k]) & (e <= el_hi[k])]])
    offsets[1:] = np.cumsum([len(g) for g in groups])
    return np.concatenate(groups).astype(np.int64), offsets


def _windows(boxes: ActorBoxes, pattern: ScanPattern, to_world: Transform, max_range: float,
             motion: tuple[float, float] | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Azimuth [lo, hi] and elevation [el_lo, el_hi] window of each box (``lidar_kernels.box_windows``)."""
    m = len(boxes)
    lo, hi, el_lo, el_hi = np.empty(m), np.empty(m), np.empty(m), np.empty(m)
    speed, yaw_rate = motion if motion is not None else (0.0, 0.0)
    box_windows(boxes.rotation, boxes.centre, boxes.half, np.ascontiguousarray(to_world.rotation.T),
                np.asarray(to_world.translation, dtype=np.float64), float(max_range), ANGLE_MARGIN, float(speed),
                float(yaw_rate), float(pattern.period_s), lo, hi, el_lo, el_hi)
    return lo, hi, el_lo, el_hi
