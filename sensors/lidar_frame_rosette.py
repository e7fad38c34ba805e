"""Frames of the non-repetitive Risley-prism pattern (Livox Mid-40-like) and their tables.

A two-prism head steers one beam along u(t) = δ(e^{iω₁t} + e^{iω₂t}) with
ω₂/ω₁ irrational (Marshall, "Risley prism scan patterns", Proc. SPIE 3787,
1999), so every sweep is a new frame of rays (``lidar_patterns`` module
docstring).  A frame and its ``PatternTables`` are built together here, by
the kernels of ``sensors.lidar_frame``, every array
the bytes of the numpy formulation ``risley_pattern_reference`` (tested).
Imported by, and re-exported from, ``sensors.lidar_patterns``.
"""

from __future__ import annotations

import math
import os
import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import open3d as o3d

from sensors.lidar_frame import frame_azimuth_side, frame_cast_side
from sensors.lidar_patterns import (
    _FRAME_LOCK, _FRAME_TABLES, LidarSpec, PatternTables, ScanPattern, unit_directions_numpy,
)


@lru_cache(maxsize=8)
def _risley_phases(spec: LidarSpec, rate_hz: float) -> tuple[np.ndarray, ...]:
    """Per-sweep constants of the rosette: firing times τ and cos/sin of ω₁τ, ω₂τ (a new frame needs no trig)."""
    period = 1.0 / rate_hz
    n = int(round(spec.points_per_second * period))
    t_local = np.arange(n) * (period / n)
    w1, w2 = _RISLEY_RATES
    return t_local, np.cos(w1 * t_local), np.sin(w1 * t_local), np.cos(w2 * t_local), np.sin(w2 * t_local)


_RISLEY_RATES = (2 * np.pi * 76.0, -2 * np.pi * 76.0 * (np.sqrt(5.0) - 1.0) / 2.0)
"""Prism rates ω₁, ω₂ (rad/s): their ratio is the golden ratio, so the rosette never repeats."""


RISLEY_FRAMES_KEPT = 4
"""Rosette frames (with their tables) kept for reuse: a frame serves one sweep of every Livox-like sensor of
that rate, and few frames of 0.9 MB each let a new frame's arrays reuse the memory freed a sweep or two ago,
still in cache.  A sensor sweeping consecutive frames holds two (the frame of its sweep and the next, built
beside it: ``prefetch_frame``), so four serve two such sensors (two rates) without one pushing out the
other's.  Session 4 (CPU per new-frame sweep, p25 of 320 sweeps, three alternated process runs each): 1 kept
1797–1877 µs, 4 kept 1851–1960, 16 kept 1867–1926, 2 kept level with 1 in a second series."""


@dataclass(frozen=True)
class _FrameConstants:
    """What every frame of one (spec, rate) shares: looked up once per frame (one hash of the spec)."""

    phases: tuple[np.ndarray, ...]
    """``_risley_phases``: τ and cos/sin of ω₁τ, ω₂τ."""
    time: np.ndarray
    """(N,) float32 firing times, the ``time`` of every frame."""
    ring: np.ndarray
    """(N,) uint16 zeros, the ``ring`` of every frame."""
    delta: float
    """Each prism's deflection δ: two prisms, max 2δ = FoV/2."""
    azimuth_bound: float
    """2δ: every ray's azimuth is about within ±2δ (a sort bound: speed only, ``lidar_sort``)."""
    z_bound: float
    """sin 2δ: the same for the z component."""


@lru_cache(maxsize=8)
def _frame_constants(spec: LidarSpec, rate_hz: float) -> _FrameConstants:
    phases = _risley_phases(spec, rate_hz)
    delta = float(np.deg2rad(spec.risley_fov_deg) / 4.0)
    return _FrameConstants(phases, phases[0].astype(np.float32), np.zeros(len(phases[0]), dtype=np.uint16), delta,
                           2.0 * delta, math.sin(2.0 * delta))


def _frame_rotation(rate_hz: float, frame: int) -> tuple[float, float, float, float]:
    """(cos ω₁T, sin ω₁T, cos ω₂T, sin ω₂T) for the frame starting at T = frame · period.

    ``math`` on Python floats: the C library's cos/sin, which numpy's float64
    cos/sin give on this platform too (the reference computes them with
    numpy; the tests compare), without numpy's per-scalar overhead.
    """
    start = frame * (1.0 / rate_hz)
    w1, w2 = _RISLEY_RATES
    return math.cos(w1 * start), math.sin(w1 * start), math.cos(w2 * start), math.sin(w2 * start)


def _build_frame(spec: LidarSpec, rate_hz: float, frame: int) -> ScanPattern:
    """Frame ``frame`` of the two-prism rosette: u(t) = δ(e^{iω₁t} + e^{iω₂t}), ω₂/ω₁ irrational.

    t = T + τ with T the frame start: e^{iωt} = e^{iωT}·e^{iωτ}, so each frame is
    a rotation of the per-sweep phase tables (one complex product per prism)
    instead of four trigonometric evaluations per ray.  The frame's tables
    (``pattern_tables``) are built with it (``sensors.lidar_frame``): the
    same arrays, bit for bit, as ``risley_pattern_reference``.
    """
    period = 1.0 / rate_hz
    shared = _frame_constants(spec, rate_hz)
    c1, s1, c2, s2 = shared.phases[1:]
    n = len(c1)
    directions = np.empty((n, 3), dtype=np.float32)
    columns = np.empty((3, n), dtype=np.float32)
    z64 = np.empty(n, dtype=np.float64)
    position = np.empty(n, dtype=np.intp)
    homogeneous = np.empty((n, 4), dtype=np.float32)
    sorted_azimuth = np.empty(n, dtype=np.float64)
    azimuth_elevation = np.empty(n, dtype=np.float64)
    azimuth_position = np.empty(n, dtype=np.intp)
    order = frame_cast_side(c1, s1, c2, s2, *_frame_rotation(rate_hz, frame), shared.delta, -shared.z_bound,
                            shared.z_bound, directions, columns, z64, position, homogeneous)  # cast order: lowest first
    azimuth = np.arctan2(columns[1], columns[0])                  # float32, numpy's SIMD loop (see lidar_frame)
    elevation = np.arcsin(z64)
    azimuth_order, el_lo, el_hi = frame_azimuth_side(azimuth, -shared.azimuth_bound, shared.azimuth_bound, elevation,
                                                     position, sorted_azimuth, azimuth_elevation, azimuth_position)
    pattern = ScanPattern(directions=directions, ring=shared.ring, time=shared.time, period_s=period,
                          azimuth_order=azimuth_order, sorted_azimuth=sorted_azimuth)
    tables = PatternTables(
        homogeneous=o3d.core.Tensor.from_numpy(homogeneous), columns=columns, elevation=elevation,
        elevation_range=(float(el_lo), float(el_hi)) if n else (0.0, 0.0), cast_position=position,
        cast_order=order, azimuth_elevation=azimuth_elevation, azimuth_position=azimuth_position,
        time=shared.time,
    )
    with _FRAME_LOCK:                                             # frames may be built on two threads
        _FRAME_TABLES[id(pattern)] = (pattern, tables)
        while len(_FRAME_TABLES) > RISLEY_FRAMES_KEPT:
            _FRAME_TABLES.popitem(last=False)
    return pattern



def risley_pattern(spec: LidarSpec, rate_hz: float, frame: int) -> ScanPattern:
    """Frame ``frame`` of the two-prism rosette (``_build_frame``), kept for reuse: the last
    ``RISLEY_FRAMES_KEPT`` frames built (least recently used first out), or a frame ``prefetch_frame``
    is building (waited for)."""
    key = (spec, rate_hz, frame)
    with _FRAME_LOCK:
        found = _FRAMES.get(key)
        if found is not None:
            _FRAMES.move_to_end(key)
            if isinstance(found, ScanPattern):
                return found
    if found is not None:                                         # being built beside: wait for it
        built = found.result()
        if built is not None:
            return built
    pattern = _build_frame(spec, rate_hz, frame)
    with _FRAME_LOCK:
        _FRAMES[key] = pattern
        _trim_frames()
    return pattern


risley_pattern.__wrapped__ = _build_frame                        # the builder, as ``lru_cache`` exposed it


def _trim_frames() -> None:
    """Drop the least recently used finished frames beyond ``RISLEY_FRAMES_KEPT`` (caller holds the lock;
    a frame being built is never dropped: its builder stores it)."""
    done = [k for k, v in _FRAMES.items() if isinstance(v, ScanPattern)]
    for k in done[:max(0, len(done) - RISLEY_FRAMES_KEPT)]:
        del _FRAMES[k]


_FRAMES: OrderedDict[tuple[LidarSpec, float, int], "ScanPattern | Future"] = OrderedDict()
"""The frames kept (``risley_pattern``) and those being built beside a sweep (``prefetch_frame``)."""

_pool: tuple[int, ThreadPoolExecutor] | None = None


def prefetch_frame(spec: LidarSpec, rate_hz: float, frame: int) -> "Future | None":
    """Start building frame ``frame`` on a worker thread; the future to wait for (None when it is kept
    or already being built).

    Why: a non-repetitive head needs a new frame every sweep, and its build
    (about 0.4 ms of CPU for 10 000 rays) is serial work a sweep of that
    size cannot split usefully.  The next frame is known (the sweep after
    frame f fires frame f + 1), so ``Lidar.sense`` builds it on a second CPU
    beside the current sweep (its compiled passes release the GIL), and the
    next sweep finds it built.  A frame is a function of (spec, rate, frame)
    alone, so a frame built beside is the frame built inline, bit for bit;
    the caller waits for the future before its sweep returns, so nothing
    runs between sweeps.
    """
    global _pool
    key = (spec, rate_hz, frame)
    with _FRAME_LOCK:
        if key in _FRAMES:
            return None
        if _pool is None or _pool[0] != os.getpid():              # a forked child makes its own worker
            _pool = (os.getpid(), ThreadPoolExecutor(1, thread_name_prefix="rosette-frame"))
        future: Future = Future()
        _FRAMES[key] = future
    started = threading.Event()

    def build() -> None:
        started.set()
        pattern = None
        try:
            pattern = _build_frame(spec, rate_hz, frame)
        finally:                                                  # a failed build is retried inline by its sweep
            with _FRAME_LOCK:
                if pattern is None:
                    _FRAMES.pop(key, None)
                else:
                    _FRAMES[key] = pattern
                    _trim_frames()
            future.set_result(pattern)

    _pool[1].submit(build)
    started.wait()          # the worker holds the GIL until its first kernel: let it get there before going on
    return future


def risley_pattern_reference(spec: LidarSpec, rate_hz: float, frame: int) -> tuple[ScanPattern, PatternTables]:
    """A rosette frame and its tables by the numpy expressions the compiled frame replaced (not cached):
    the reference ``risley_pattern`` is tested against, array by array."""
    period = 1.0 / rate_hz
    t_local, c1, s1, c2, s2 = _risley_phases(spec, rate_hz)
    start = frame * period
    w1, w2 = _RISLEY_RATES
    a1, b1 = np.cos(w1 * start), np.sin(w1 * start)
    a2, b2 = np.cos(w2 * start), np.sin(w2 * start)
    delta = np.deg2rad(spec.risley_fov_deg) / 4.0
    u = delta * ((a1 * c1 - b1 * s1) + (a2 * c2 - b2 * s2))
    v = delta * ((b1 * c1 + a1 * s1) + (b2 * c2 + a2 * s2))
    directions = unit_directions_numpy(u, v)
    azimuth = np.arctan2(directions[:, 1], directions[:, 0]).astype(np.float64)
    order = np.argsort(azimuth, kind="stable")
    pattern = ScanPattern(directions=directions, ring=np.zeros(len(t_local), dtype=np.uint16),
                          time=t_local.astype(np.float32), period_s=period, azimuth_order=order,
                          sorted_azimuth=azimuth[order])
    elevation = np.arcsin(np.clip(directions[:, 2].astype(np.float64), -1.0, 1.0))
    cast_order = np.argsort(directions[:, 2], kind="stable")
    position = np.empty_like(cast_order)
    position[cast_order] = np.arange(len(cast_order))
    cast_directions = directions[cast_order]
    homogeneous = np.concatenate([cast_directions, np.ones((len(cast_order), 1), np.float32)], axis=1)
    tables = PatternTables(
        homogeneous=o3d.core.Tensor(homogeneous), columns=np.ascontiguousarray(directions.T), elevation=elevation,
        elevation_range=(float(elevation.min()), float(elevation.max())), cast_position=position,
        cast_order=cast_order, azimuth_elevation=elevation[order], azimuth_position=position[order],
        time=pattern.time,
    )
    # the copies the tables now build on first use, as the numpy reference made them
    tables.__dict__["cast_directions"] = cast_directions
    tables.__dict__["cast_time"] = pattern.time[cast_order]
    return pattern, tables
