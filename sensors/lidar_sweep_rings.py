"""Bounds on the world d_z of a spinning lidar's rays, ring by ring, before the ray buffer is read.

Why: the static cast scans the d_z of the ray buffer from both ends for the
rays that cannot reach the scene within range and for the steep ones that a
near crop serves (``sensors.static_cast``); on an HDL-64E sweep that reads
some 115 000 rows (every cache line of a 3 MB buffer, ~0.15 ms).  A ring's
rays share their elevation, so bounds per block of rows, from the sensor-frame
directions (once per pattern) and the sweep's pose matrix, decide most rings
without reading them, and the scan reads only the ring where a run ends.

The bound: the ray buffer's d_z is ``ray_buffer``'s fused multiply-adds
fma(h₂, m₂, fma(h₁, m₁, h₀·m₀)) of the float32 direction h and the float32
column m of the pose matrix (``Lidar.sense``); its exact value lies within
m₂·[min h₂, max h₂] ± |(m₀, m₁)|·max |(h₀, h₁)| (Cauchy–Schwarz), and its
three roundings move it by at most 3·2⁻²⁴ (|h|, |m| ≤ 1); ``MARGIN`` is
thirty times that.  The bounds hold for any rows, ring-major or not; they are
tight when a block is one ring.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sensors.static_cast import DzBounds

MARGIN = 1e-5
"""Added to each side of a bound: far above the float32 rounding of the fused products (< 4e-7)."""


@dataclass(frozen=True)
class BlockDirections:
    """Per block of ``size`` cast rows: the range of the sensor-frame d_z and the largest horizontal norm."""

    size: int
    z_lo: np.ndarray
    z_hi: np.ndarray
    rho: np.ndarray


def block_directions(cast_directions: np.ndarray, size: int) -> BlockDirections:
    """The per-block direction ranges of (N, 3) cast-order sensor-frame directions (the last block may be
    short).  A NaN direction makes its block's bounds NaN, which decide nothing."""
    n = len(cast_directions)
    blocks = -(-n // size)
    d = cast_directions.astype(np.float64)
    pad = blocks * size - n
    z = np.concatenate([d[:, 2], np.full(pad, d[-1, 2] if n else 0.0)]).reshape(blocks, size)
    rho = np.hypot(d[:, 0], d[:, 1])
    rho = np.concatenate([rho, np.full(pad, rho[-1] if n else 0.0)]).reshape(blocks, size)
    return BlockDirections(size, z.min(axis=1), z.max(axis=1), rho.max(axis=1))


def dz_bounds(blocks: BlockDirections, m: np.ndarray) -> DzBounds:
    """Bounds on column 5 (world d_z) of ``ray_buffer(homogeneous, m)`` for each block of rows."""
    m0, m1, m2 = float(m[0, 5]), float(m[1, 5]), float(m[2, 5])
    spread = math.hypot(m0, m1) * blocks.rho
    a, b = m2 * blocks.z_lo, m2 * blocks.z_hi
    lo = np.minimum(a, b) - spread - MARGIN
    hi = np.maximum(a, b) + spread + MARGIN
    return DzBounds(blocks.size, lo, hi)
