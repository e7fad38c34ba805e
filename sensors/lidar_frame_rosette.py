"""Frames of the non-repetitive Risley-prism pattern (Livox Mid-40-like) and their tables.

A two-prism head steers one beam along u(t) = δ(e^{iω₁t} + e^{iω₂t}) with
ω₂/ω₁ irrational (Marshall, "Risley prism scan patterns", Proc. SPIE 3787,
1999), so every sweep is a new frame of rays (``lidar_patterns`` module
docstring).  A frame and its ``PatternTables`` are built together here, by
the kernels of ``sensors.lidar_frame``, every array
the bytes of the numpy formulation ``risley_pattern_reference`` (tested).
A sensor sweeping consecutive frames with a second CPU free has its next
frame's kernel run on a worker beside each sweep (``sensors.lidar_frame_next``,
taken by ``risley_pattern``; the older ``FrameAhead`` with ``BESIDE``), so a
run's sweep does not build its frame.  Imported by, and re-exported from,
``sensors.lidar_patterns``.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import open3d as o3d

from sensors.lidar_frame import _BUCKETS_PER_KEY, POLY_REACH, frame_azimuth_side, frame_cast_side
from sensors.lidar_frame_lazy import AzimuthTables, FrameAngles, RosetteFrame, RosetteTables
from sensors.lidar_patterns import (
    _FRAME_LOCK, _FRAME_TABLES, LidarSpec, PatternTables, ScanPattern, unit_directions_numpy,
)
from sensors.worker_thread import process_worker


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
beside it: ``FrameAhead``), so four serve two such sensors (two rates) without one pushing out the
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


_SCRATCH = threading.local()
"""Per thread (frames are built on two: ``FrameAhead``), the scratch arrays of ``frame_cast_side``."""


def _scratch(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """This thread's scratch for a frame of ``n`` rays: (pattern-order deflections, the sort's buckets, its
    bucket starts, its words) — ``frame_cast_side``'s working arrays, which no frame keeps.

    Why kept: a new frame's build allocated them afresh (about 280 kB of the frame's 800 kB), memory the
    sweep between two builds had pushed out of the caches; the same arrays each frame keep their pages
    mapped and, for a sensor's back-to-back frames, warm.
    """
    got = getattr(_SCRATCH, "arrays", None)
    if got is None or len(got[0]) != n:
        got = _SCRATCH.arrays = (np.empty(n, dtype=np.float64), np.empty(n, dtype=np.int32),
                                 np.empty(_BUCKETS_PER_KEY * n + 1, dtype=np.int32), np.empty(n, dtype=np.uint64))
    return got


class _FrameWork:
    """One frame being built: its arrays, filled by one kernel without the GIL (``cast_side``:
    ``lidar_frame.frame_cast_side`` — direction columns, deflections, cast order and cast tables), then
    ``assemble`` makes the ``ScanPattern`` and its ``PatternTables``, whose angles (numpy's arctan2 and
    arcsin, ``lidar_frame_lazy.FrameAngles``) and azimuth-sorted tables (``azimuth_side``, a kernel without
    the GIL) are built on first read (``lidar_frame_lazy``: a sweep finds its actor candidates without
    them, ``lidar_band_pairs``).  ``_build_frame`` runs both in a row; ``FrameAhead`` runs them on a worker
    thread beside a sweep.
    """

    def __init__(self, spec: LidarSpec, rate_hz: float, frame: int) -> None:
        self.key = (spec, rate_hz, frame)
        self.shared = shared = _frame_constants(spec, rate_hz)
        n = len(shared.time)
        self.columns = np.empty((3, n), dtype=np.float32)
        self.cast_deflection = np.empty(n, dtype=np.float64)
        self.position = np.empty(n, dtype=np.intp)
        self.homogeneous = np.empty((n, 4), dtype=np.float32)
        self.rotation = _frame_rotation(rate_hz, frame)

    def cast_side(self) -> None:
        c1, s1, c2, s2 = self.shared.phases[1:]
        deflection, bucket, start, words = _scratch(len(self.shared.time))
        self.order, lo, hi = frame_cast_side(c1, s1, c2, s2, *self.rotation, self.shared.delta, -self.shared.z_bound,
                                             self.shared.z_bound, self.columns, deflection, self.position,
                                             self.homogeneous, self.cast_deflection, bucket, start, words)
        # cast order: lowest first
        self.deflection_extent = (float(lo), float(hi))
        self.angles = FrameAngles(self.columns, self.order)

    def azimuth_side(self) -> tuple:
        """(azimuth order, sorted azimuths, elevations and cast rows in azimuth order, elevation range):
        the frame's azimuth tables, built on first read (``lidar_frame_lazy``)."""
        n = len(self.shared.time)
        bound = self.shared.azimuth_bound
        sorted_azimuth = np.empty(n, dtype=np.float64)
        azimuth_elevation = np.empty(n, dtype=np.float64)
        azimuth_position = np.empty(n, dtype=np.intp)
        order, el_lo, el_hi = frame_azimuth_side(self.angles.get("azimuth"), -bound, bound,
                                                 self.angles.get("elevation"), self.position, sorted_azimuth,
                                                 azimuth_elevation, azimuth_position)
        return (order, sorted_azimuth, azimuth_elevation, azimuth_position,
                (float(el_lo), float(el_hi)) if n else (0.0, 0.0))

    def assemble(self) -> ScanPattern:
        shared = self.shared
        azimuth = AzimuthTables(self.azimuth_side)
        pattern = RosetteFrame.lazy(azimuth, self.angles, ring=shared.ring, time=shared.time,
                                    period_s=1.0 / self.key[1], grid=None)
        # the deflections stand in for the azimuths only where every one is within the polynomials' reach
        # (2δ bounds them, and the elevations: ``lidar_band_pairs.deflection_pairs``)
        within = shared.azimuth_bound * (1.0 + 1e-9) < POLY_REACH
        tables = RosetteTables.lazy(
            azimuth, self.angles, self.cast_deflection if within else None,
            self.deflection_extent if within else None,
            homogeneous=o3d.core.Tensor.from_numpy(self.homogeneous), columns=self.columns,
            cast_position=self.position, cast_order=self.order, time=shared.time,
        )
        with _FRAME_LOCK:                                         # frames may be built on two threads
            _FRAME_TABLES[id(pattern)] = (pattern, tables)
            while len(_FRAME_TABLES) > RISLEY_FRAMES_KEPT:
                _FRAME_TABLES.popitem(last=False)
        return pattern


def _build_frame(spec: LidarSpec, rate_hz: float, frame: int) -> ScanPattern:
    """Frame ``frame`` of the two-prism rosette: u(t) = δ(e^{iω₁t} + e^{iω₂t}), ω₂/ω₁ irrational.

    t = T + τ with T the frame start: e^{iωt} = e^{iωT}·e^{iωτ}, so each frame is
    a rotation of the per-sweep phase tables (one complex product per prism)
    instead of four trigonometric evaluations per ray.  The frame's tables
    (``pattern_tables``) are built with it (``sensors.lidar_frame``): the
    same arrays, bit for bit, as ``risley_pattern_reference``.
    """
    work = _FrameWork(spec, rate_hz, frame)
    work.cast_side()
    return work.assemble()


def risley_pattern(spec: LidarSpec, rate_hz: float, frame: int) -> ScanPattern:
    """Frame ``frame`` of the two-prism rosette (``_build_frame``), kept for reuse: the last
    ``RISLEY_FRAMES_KEPT`` frames built here or beside a sweep (``FrameAhead``, ``lidar_frame_next``), least
    recently used out first."""
    key = (spec, rate_hz, frame)
    with _FRAME_LOCK:
        found = _FRAMES.get(key)
        if found is not None:
            _FRAMES.move_to_end(key)
            return found
        started = _NEXT.pop(key, None)
    if started is not None:                                       # built on the worker (``lidar_frame_next``)
        found = started.collect()
        if found is not None:
            return _keep(key, found)
    return _keep(key, _build_frame(spec, rate_hz, frame))


risley_pattern.__wrapped__ = _build_frame                        # the builder, as ``lru_cache`` exposed it


def _keep(key: tuple[LidarSpec, float, int], pattern: ScanPattern) -> ScanPattern:
    with _FRAME_LOCK:
        _FRAMES[key] = pattern
        _FRAMES.move_to_end(key)
        while len(_FRAMES) > RISLEY_FRAMES_KEPT:
            _FRAMES.popitem(last=False)
    return pattern


_FRAMES: OrderedDict[tuple[LidarSpec, float, int], ScanPattern] = OrderedDict()
"""The frames kept by ``risley_pattern`` (least recently used first)."""
_NEXT: OrderedDict[tuple[LidarSpec, float, int], "object"] = OrderedDict()
"""Frames being built on the worker (``lidar_frame_next.NextFrame``, oldest first), which ``risley_pattern``
takes instead of building them."""

def _worker() -> ThreadPoolExecutor:
    """The process's worker thread of the frames built ahead (``worker_thread``)."""
    return process_worker("rosette-frame")


class FrameAhead:
    """The next rosette frame, built beside a sweep: start it, ``advance`` it after the sweep's cast, and
    ``finish`` it before the sweep returns (the frame is then kept for the next sweep).

    Why: a non-repetitive head needs a new frame every sweep, and building
    it (about 0.4 ms of CPU for a Mid-40's 10 000 rays until session 8,
    0.17 ms since session 9's polynomial directions and lazy angles) is
    serial work of the size of the sweep's own passes.  The next frame is known (the sweep
    after frame f fires frame f + 1), so ``Lidar.sense`` builds it on a
    second CPU while it sweeps.  One worker job runs stage 1 (a kernel
    without the GIL; since session 9 the frame's angles, once stage 2, are
    built only when read: ``lidar_frame_lazy.FrameAngles``), makes the frame's objects (``assemble``) and runs
    the caller's ``then`` (the sweep's random words,
    ``Lidar._next_frame_beside``) beside the sweep's set-up and cast (open3d
    releases the GIL while it casts); the hand-over waits until the worker
    has begun, as ``lidar_sweep_passes.both`` does.  Session 7: the azimuth
    tables (once stage 3, beside the returns with a second hand-over) are
    built only when read, and stage 2 and the words moved into the one job:
    on a timeline of forced two-thread sweeps this thread's part after the
    cast lost the angles (~60 µs), the words (~30 µs) and the assembly
    (~30 µs: the evicted frame's arrays are freed there).  Whether the one
    hand-over pays on a small sweep (session 7, new-frame sweeps alternating
    with the frame beside and inline in one process, a second CPU forced
    "free" at load 2.6): beside 1.06–1.10 ms wall min, 1.37–1.50 median;
    inline 1.28 min, 1.43–1.49 median; but 0.35–0.47 ms more CPU per sweep
    (the worker's wake-up and open3d's own threads compete with it).  At
    load 3.5–5.5 beside was slower (median 1.90 vs 1.75 ms).  So it stays
    gated on a free CPU (``sensors.lidar.second_cpu_free``), and since
    session 10 it is off (``BESIDE``: measured, it did not pay).

    A frame is a function of (spec, rate, frame) alone, and each stage is
    the one ``_build_frame`` runs: the frame built beside is the frame built
    inline, bit for bit (tested).  A stage that fails leaves nothing kept:
    the next sweep builds its frame inline (and raises there if it must).

    Measured (session 5, the 2-core reference machine loaded all session, so
    the process ran at real-time priority to stand in for a quiet machine;
    median of 190 new-frame sweeps, three runs): ``sense`` 1.32–1.43 ms with
    the frame beside, 1.44–1.70 ms inline.  The gain is less than the
    build's 0.45 ms: stage 1 shares the cores with the cast (which then takes
    ~0.1 ms longer), and each hand-over costs 20–90 µs of this thread's time.
    """

    def __init__(self, spec: LidarSpec, rate_hz: float, frame: int, then: Callable[[], None] | None = None
                 ) -> None:
        self.work = _FrameWork(spec, rate_hz, frame)
        self._angles = False
        """Stage 1 done (named when a stage 2 computed the frame's angles after it)."""
        self._pattern: ScanPattern | None = None
        self._then = then
        self._cast: Future = self._beside(self._stage_one)

    def _stage_one(self) -> None:
        """Stage 1 and the frame's objects on the worker, then ``then`` (the caller's own job, e.g. the
        sweep's random words: one hand-over for all), whether or not a stage failed; ``then`` reports its
        own outcome."""
        try:
            self.work.cast_side()
            self._angles = True
            self._pattern = self.work.assemble()
        finally:
            if self._then is not None:
                self._then()

    @staticmethod
    def _beside(stage) -> Future:
        """Run ``stage`` on the worker; return once it has begun.  The worker needs the GIL to reach the
        stage's kernel, and this thread would otherwise keep it through the sweep's Python (measured: without
        the wait the azimuth stage began some 140 µs after it was submitted, beside the last third of the
        returns)."""
        started = threading.Event()

        def run() -> None:
            started.set()
            stage()

        future = _worker().submit(run)
        started.wait()
        return future

    def advance(self) -> None:
        """After the sweep's cast: nothing since session 9 (a stage 2 ran here when the worker had not: the
        angles, now built when read).  Kept for the callers that step a frame through its stages."""

    def finish(self) -> None:
        """Wait for the worker, complete the frame and keep it (nothing keeps running between sweeps)."""
        try:
            self._cast.result()
            pattern = self._pattern if self._pattern is not None else self.work.assemble()
        except Exception:                                         # rebuilt inline by the sweep that needs it
            return
        _keep(self.work.key, pattern)


BESIDE = False
"""Whether ``frame_ahead`` builds frames beside sweeps at all (the gate before it, ``Lidar._next_frame_beside``,
is the load: ``sensors.lidar.second_cpu_free``).  Off since session 10, by measurement: on the 2-core machine
the worker's hand-over waits for a CPU the other processes or open3d's cast threads hold (median 0.37 ms at
load 2.6 on the timeline), and no measurement of the session found beside ahead of in line.  In-process A/B,
new-frame Livox sweeps alternated sweep by sweep (``sense`` + ``PointCloud2``, wall ms median over 300–400
each, the second CPU forced "free" so both arms ran): load 2.6 in line 1.23 / beside 1.43; load 3.1 1.61 /
2.28; load 3.3 1.38 / 1.63.  ``bench/sensor_bench.py --livox-only`` at load 0.7 (the gate free in 100 % of
sweeps): in line 69 % and 55 % of the raw cast, beside 65 % and 50 %.  Building the next frame in line at a
sweep's start (so that it is ready, as beside) cost 50–60 µs more per sweep than building each frame right
before its sweep reads it (its tables are cold a sweep later), so in line means: nothing ahead."""


def frame_ahead(spec: LidarSpec, rate_hz: float, frame: int, then: Callable[[], None] | None = None
                ) -> FrameAhead | None:
    """A ``FrameAhead`` for frame ``frame`` (``then`` run on the worker after its stage 1), or None when
    the frame is kept already or frames are not built beside (``BESIDE``; ``then`` is not run: the sweep
    draws its words itself)."""
    if not BESIDE:
        return None
    with _FRAME_LOCK:
        if (spec, rate_hz, frame) in _FRAMES:
            return None
    return FrameAhead(spec, rate_hz, frame, then)


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
