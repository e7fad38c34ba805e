"""Rotating and non-repetitive lidar over the ray-casting scene.

Per sweep: one table of ray directions (``lidar_patterns``), rotated into the
world with the mount and ego pose by one small GEMM, cast against the static
scene (the rays that cannot reach the ground within range are not cast:
``static_cast``), and, for the rays whose azimuth × elevation window can reach
an actor box, tested against that box analytically (``lidar_actors``,
``actor_boxes``).  Each return is then judged by the lidar range equation for an
extended Lambertian target (Jelalian, *Laser Radar Systems*, 1992, ch. 2):

    P_r ∝ ρ · cos θ · e^(−2αR) / R²

with ρ the surface reflectivity at 905 nm, θ the incidence angle, α the
atmospheric extinction (fog, rain: ``environment.Weather``).  A return is
kept when P_r reaches the power of the datasheet's reference target (a ρ_ref
Lambertian target at normal incidence at ``detection_range_m``), so the
reach of a dark surface is shorter than that of a bright one, as datasheets
state ("120 m at 80 %, 50 m at 10 %").  Reported intensity is P_r
normalised so that a white (ρ = 1) target at normal incidence saturates at
255 from ``intensity_reference_range_m`` inwards.

In fog the fog itself is a soft target (``lidar_fog``, Hahner et al., ICCV
2021): where its backscatter peak, a few metres out, reaches the threshold and
beats the ray's attenuated hard echo (or the ray has none), the ray reports a
fog return instead (labels: actor −1, semantic ``SEMANTIC_FOG``).  Opt-in
(``fog_backscatter: true``): with a fixed threshold and homogeneous fog its
onset is one visibility per preset, below which every sky ray reports fog, so
it waits for a per-preset calibration before it is on by default.  Off, or
without fog, nothing changes.

Range noise is Gaussian with the datasheet accuracy as σ (plus Goodin's rain
spread); dropout removes a return with a fixed probability.  With
``motion_distortion`` every ray is cast from the pose the ego had when that
ray fired (constant velocity and yaw rate backwards from the snapshot, the
sweep ending at the snapshot), while the point is reported in the sensor
frame of its own firing time — exactly what an un-deskewed driver publishes.
Actors do not move within a sweep.

Speed (``bench/sensor_bench.py``): the ray buffer is a compiled FMA loop
(bit-identical to the open3d/MKL matmul it replaced, without waking an
OpenMP team for 0.2 ms of arithmetic).  The per-return work after the cast
(``lidar_sweep_passes.sweep_returns``) is compiled loops: each return
gathered from the cast-order hits into the cloud's firing order and
selected (echo power, dropout) in one pass, then its PointXYZIRT record.
The random draws are decoded from the sensor generator's raw words
(``lidar_draws``: numpy's float32 uniforms and ziggurat normals, and the
generator's state after them), so a seed gives the same cloud as numpy's
own draws.  On a sweep of at least ``SPLIT_MIN_RAYS`` rays with a second
CPU free (``two_threads``, which discounts this process's own load), one
worker job fills the ray buffer, while this thread finds the actor pairs and
makes their slab tests (they need no static hit, and make their rays from
the pattern rows by the buffer's own arithmetic, so they need no buffer
either: ``lidar_sweep_boxes.slab_hits_pattern``); the static cast's
single-thread sections then run on both threads by rows
(``static_split``; the worker draws the sweep's random words after the
buffer, before its share); after the cast the gather runs as two column ranges
on two threads, cut where the threads' timings of the sweeps before say
they meet (``lidar_sweep_passes.Balance``; the worker then decodes the
normals), and each thread
fills the records of its range (``nogil`` kernels on disjoint ranges: the
cloud does not depend on thread timing).  open3d's cast holds the GIL and
stays as it was.  With one CPU every pass runs in the calling thread.  A spinning head's
rings bound the world d_z of their rays (``lidar_sweep_rings``), so the
static cast finds the rays that need no cast without reading the buffer;
the cast is not trimmed to the range (the gather applies it).

A non-repetitive head draws a new frame every sweep (about 0.17 ms of CPU
for a Mid-40's 10 000 rays since session 9, 0.35 before; its actor
candidates come from the frame's cast order and deflections,
``lidar_band_pairs``, so the frame's angles and azimuth-sorted tables are
built only when read): when it sweeps
consecutive frames and a second CPU is free (``second_cpu_free``), the next
frame's kernel (directions and cast order) is handed to a worker at the
sweep's start and runs beside its set-up and cast; the next sweep takes it
by its done flag without waiting for the worker (``lidar_frame_next``, since
session 11).  ``lidar_frame_rosette.BESIDE`` turns on the older way instead
(``FrameAhead``: the frame and this sweep's random words in one job, waited
for at the sweep's end; measured slower).  A frame is a function of (spec,
rate, frame) alone, and words are used only from the state they were drawn
from: the cloud is the same either way.
"""

from __future__ import annotations

import math
import os
import struct
import time
from concurrent.futures import Future

import numpy as np
import open3d as o3d

from sensors.base import SensorConfig, TypedParameters
from sensors.environment import Weather
from sensors.frames import MountPose, ego_index, sensor_transform
from sensors.lidar_fog import FOG_MATERIAL, SEMANTIC_FOG, FogOptics, FogTable, backscatter_table, fog_beta
from sensors.lidar_patterns import (
    LidarSpec, PatternTables, ScanPattern, explicit_spec, pattern_tables, preset, risley_pattern, spinning_pattern,
)
import sensors.lidar_frame_rosette as rosette_module
from sensors.lidar_frame_next import start_next
from sensors.lidar_frame_rosette import FrameAhead, frame_ahead
from sensors.lidar_actors import candidate_pairs
from sensors.lidar_band_pairs import deflection_frame_pairs, frame_pairs
from sensors.lidar_frame_lazy import RosetteTables
from sensors.lidar_draw_ahead import ahead_job, pend
from sensors.lidar_sweep_boxes import pattern_slab_hits
from sensors.lidar_sweep_passes import INDEX, both, buffer_then_draws, sweep_returns  # noqa: F401
from sensors.lidar_sweep_passes import _worker as returns_worker
from sensors.lidar_sweep_rings import BlockDirections, block_directions, dz_bounds
from sensors.lidar_kernels import ray_buffer
from sensors.pointcloud import LABEL_DTYPE, PointCloud
from sensors.scene import SensorScene
from sensors.static_cast import DzBounds
from sensors.worker_thread import Parked
from simplatform.world import WorldSnapshot

_DEFAULTS = {
    "channels": None, "vertical_fov_deg": None, "elevations_deg": None, "columns": None,
    "horizontal_resolution_deg": None, "horizontal_fov_deg": None,
    "max_range_m": None, "min_range_m": None, "range_noise_m": None, "dropout_probability": 0.0,
    "detection_range_m": None, "detection_reflectivity": None, "intensity_reference_range_m": 10.0,
    "motion_distortion": False, "labels": False, "wavelength_nm": 905.0, "frame_id": None,
    "fog_backscatter": False, "fog_pulse_width_ns": 20.0, "fog_overlap_start_m": 1.67, "fog_overlap_full_m": 7.63,
    "fog_range_spread_m": 10.0,
}


FRAME_AHEAD = True
"""Build a non-repetitive head's next frame beside its sweep when a second CPU is free (``FrameAhead``); the
bench turns it off to compare, the cloud is the same either way."""
WORDS_AFTER_SHARE = False
"""On a two-thread sweep park the random words (``worker_thread.Parked``) until the worker has done its share
of the static cast's rows (``static_split``) instead of drawing them right after the ray buffer, where they
sometimes still keep the worker busy when that share is handed over.  Off: measured slower (in-process A/B,
150 rounds: +0.4 ms a sweep; drawn after the share they wait for the GIL behind open3d's casts, and the
returns then wait for them).  The same words and cloud either way."""
SPLIT_MIN_RAYS = 32768
"""Sweeps of at least this many rays run their per-return passes as two halves on two threads."""
SPARE_LOAD = 1.0
"""Split only while the other processes' 1-minute load is below the allowed CPUs minus this (the calling
thread's core): the second thread then finds capacity the others leave free."""
_POSE_BITS = struct.Struct("<6d")
"""The ego pose's six floats as IEEE bits: the key of ``Lidar._pose``."""
LOAD_TAU_S = 60.0
"""Time constant of the 1-minute load average (Linux ``calc_load``: an exponential average of runnable tasks)."""


class OwnLoad:
    """This process's busy threads (CPU seconds per second), averaged like the kernel's 1-minute load.

    Why: the load average counts this process too.  A sweep casts on both
    cores, so a benchmark or run on an idle 2-core machine drives the load
    towards 2 by itself, and a gate on the raw load average stops splitting
    exactly when the second core is free.  ``others = load − own`` is what
    other processes put on the machine.
    """

    def __init__(self) -> None:
        self.value = 0.0
        self._reset()

    def _reset(self) -> None:
        self.pid = os.getpid()
        self.wall = time.perf_counter()
        self.cpu = time.process_time()

    def update(self) -> float:
        if os.getpid() != self.pid:                          # a forked child starts its own average
            self.value = 0.0
            self._reset()
        now = time.perf_counter()
        dt = now - self.wall
        if dt >= 0.25:                                       # rates over at least a quarter second
            # read only then: the process's CPU clock sums every thread's, and right after a cast (open3d's
            # threads just busy) a read costs 5-10 µs, against 0.15 µs for the wall clock
            cpu = time.process_time()
            keep = math.exp(-dt / LOAD_TAU_S)
            self.value = self.value * keep + (cpu - self.cpu) / dt * (1.0 - keep)
            self.wall, self.cpu = now, cpu
        return self.value


_own_load = OwnLoad()

def cores() -> int:
    """CPUs this process may run on (its affinity mask, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:                                  # not Linux
        return os.cpu_count() or 1


def two_threads(rays: int) -> bool:
    """Whether a sweep of ``rays`` rays runs its compiled passes on two threads.

    Only when two CPUs are allowed and other processes (their load: the load
    average less this process's own, ``OwnLoad``) do not fill every core but
    the calling thread's: on a saturated machine the second thread gains no
    wall time and its hand-overs cost CPU (measured on the 2-core reference
    machine at load 4.3: 17.1 ms of CPU per HDL-64E ``sense`` in one thread,
    17.5 ms split), and beside another busy process it only takes time from
    it.  Either way the cloud is the same.
    """
    own = _own_load.update()
    if rays < SPLIT_MIN_RAYS:
        return False
    return _spare_cpu(own)


def second_cpu_free() -> bool:
    """``two_threads``'s test without its size: two CPUs allowed and other processes leave one free."""
    return _spare_cpu(_own_load.update())


def _spare_cpu(own: float) -> bool:
    n = cores()
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):                       # no load average on this platform
        load = 0.0
    return n > 1 and load - own < n - SPARE_LOAD


class Lidar:
    """A lidar of a rig; ``sense`` returns one sweep as a ``PointCloud``."""

    def __init__(self, config: SensorConfig) -> None:
        self.config = config
        p = TypedParameters(config, _DEFAULTS)
        base = None
        if config.preset is not None:
            base = preset(config.preset)
            if base is None:
                from sensors.lidar_patterns import PRESETS
                raise config.error(f"unknown lidar preset {config.preset!r}; known: {', '.join(PRESETS)}", "preset")
        self.spec = self._spec(p, base)
        self.rate_hz = config.rate_hz
        self.max_range = p.float("max_range_m", minimum=0.0) if p.raw("max_range_m") is not None else self.spec.max_range_m
        self.min_range = p.float("min_range_m", minimum=0.0) if p.raw("min_range_m") is not None else self.spec.min_range_m
        self.range_sigma = p.float("range_noise_m", minimum=0.0) if p.raw("range_noise_m") is not None else self.spec.range_accuracy_m
        self.dropout = p.float("dropout_probability", minimum=0.0, maximum=1.0)
        det_range = p.float("detection_range_m", minimum=1e-3) if p.raw("detection_range_m") is not None else self.spec.detection_range_m
        det_refl = p.float("detection_reflectivity", minimum=1e-6) if p.raw("detection_reflectivity") is not None else self.spec.detection_reflectivity
        self.power_threshold = det_refl / det_range ** 2
        self.intensity_reference = p.float("intensity_reference_range_m", minimum=1e-3)
        self.motion_distortion = p.bool("motion_distortion")
        self.labels = p.bool("labels")
        self.wavelength_nm = p.float("wavelength_nm", minimum=100.0)
        self.frame_id = str(p.raw("frame_id") or config.name)
        self.fog = self._fog_optics(p)
        self._fog_table: FogTable | None = None
        """The fog's backscatter peaks of this sweep (``lidar_fog``; None: no fog, or ``fog_backscatter`` off)."""
        self._fog_tables: tuple = (None, None)
        """(key, table) of the last fog (``_fog_model``)."""
        self._fog_count = 0
        """Fog returns in the last sweep's cloud (their material is ``FOG_MATERIAL``)."""
        self.rng = config.rng()
        self._static_pattern = None if self.spec.risley_fov_deg > 0 else spinning_pattern(self.spec, self.rate_hz)
        self._buffers: dict[str, np.ndarray] = {}
        self._ring_directions: BlockDirections | None = None
        self._last_frame: int | None = None
        """The rosette frame of the last sweep (``_next_frame_beside``)."""
        self._band_tables: PatternTables | None = None
        """The tables of the last rosette frame whose pairs came from its cast order (``_pairs``)."""
        self._pose_cache: tuple | None = None
        """(pose bits, mount, to_world, ray matrix) of the last sweep (``_pose``)."""
        self._ray_tensor: tuple | None = None
        self._homogeneous_view: tuple | None = None
        self._reflectivity_f32: tuple | None = None
        """(material table, its float32 copy) of the last sweep (``_reflectivity``)."""
        self._weather: tuple = (None, (0.0, 0.0))
        """(environment items, (α, rain σ)) of the last sweep (``_weather_terms``)."""

    def _buffer(self, key: str, n: int, dtype, width: int = 0) -> np.ndarray:
        """A scratch array reused across sweeps (fresh pages cost a fault each; nothing returned keeps it)."""
        buf = self._buffers.get(key)
        shape = (n, width) if width else (n,)
        if buf is None or buf.shape != shape:
            buf = self._buffers[key] = np.empty(shape, dtype=dtype)
        return buf

    def _fog_optics(self, p: TypedParameters) -> FogOptics:
        """The ``fog_*`` parameters (``lidar_fog.FogOptics``): the overlap's full range at least its start."""
        start = p.float("fog_overlap_start_m", minimum=0.0)
        full = p.float("fog_overlap_full_m", minimum=0.0)
        if full < start:
            raise self.config.error(f"fog_overlap_full_m ({full}) is below fog_overlap_start_m ({start})",
                                    "fog_overlap_full_m")
        return FogOptics(p.bool("fog_backscatter"), p.float("fog_pulse_width_ns", minimum=1e-3) * 1e-9, start, full,
                         p.float("fog_range_spread_m", minimum=0.0))

    def _fog_model(self, environment, alpha: float) -> FogTable | None:
        """The fog's backscatter table for this sweep (``lidar_fog.backscatter_table``), or None without fog
        or with ``fog_backscatter`` off; made again only when α or the visual range change."""
        if not self.fog.enabled or alpha <= 0:
            return None
        beta = fog_beta(Weather.from_environment(environment).fog_visual_range_m)
        if beta <= 0:
            return None
        key = (alpha, beta)
        if self._fog_tables[0] != key:
            self._fog_tables = (key, backscatter_table(alpha, beta, self.fog, self.min_range, self.max_range))
        return self._fog_tables[1]

    def _spec(self, p: TypedParameters, base: LidarSpec | None) -> LidarSpec:
        explicit = any(p.raw(k) is not None for k in ("channels", "vertical_fov_deg", "elevations_deg", "columns",
                                                      "horizontal_resolution_deg", "horizontal_fov_deg"))
        if base is not None and not explicit:
            return base
        if base is None and p.raw("channels") is None and p.raw("elevations_deg") is None:
            raise self.config.error("a lidar needs a preset or explicit channels / elevations_deg", "parameters")
        if base is not None and base.risley_fov_deg > 0:
            raise self.config.error(f"preset {base.name} has a fixed non-repetitive pattern; drop the explicit "
                                    "channels/fov keys", "parameters")
        hfov = p.float("horizontal_fov_deg", minimum=1e-3, maximum=360.0) if p.raw("horizontal_fov_deg") is not None \
            else (base.horizontal_fov_deg if base else 360.0)
        if p.raw("columns") is not None:
            columns = p.int("columns", minimum=1)
        elif p.raw("horizontal_resolution_deg") is not None:
            columns = int(round(hfov / p.float("horizontal_resolution_deg", minimum=1e-4)))
        elif base is not None:
            from sensors.lidar_patterns import column_count
            columns = column_count(base, self.config.rate_hz)
        else:
            raise self.config.error("give columns or horizontal_resolution_deg", "parameters")
        elevations = p.floats("elevations_deg")
        channels = p.int("channels", minimum=1) if p.raw("channels") is not None else (
            len(elevations) if elevations else len(base.elevations_deg))
        vfov = p.floats("vertical_fov_deg", 2)
        if elevations is None and vfov is None and base is not None:
            elevations = base.elevations_deg if channels == len(base.elevations_deg) else None
            vfov = (min(base.elevations_deg), max(base.elevations_deg))
        if elevations is not None and len(elevations) != channels:
            raise self.config.error(f"elevations_deg lists {len(elevations)} angles for {channels} channels", "elevations_deg")
        return explicit_spec(self.config.name, channels, vfov, elevations, columns, hfov, base)

    # ------------------------------------------------------------------ sweep
    def pattern(self, time: float) -> ScanPattern:
        if self._static_pattern is not None:
            return self._static_pattern
        return risley_pattern(self.spec, self.rate_hz, int(round(time * self.rate_hz)))

    def sense(self, snapshot: WorldSnapshot, scene: SensorScene) -> PointCloud:
        pattern = self.pattern(snapshot.time)
        tables = pattern_tables(pattern)
        ahead = self._next_frame_beside(snapshot.time)
        try:
            return self._sweep(snapshot, scene, pattern, tables, ahead)
        finally:
            if ahead is not None:
                ahead.finish()              # nothing keeps running between sweeps

    def _next_frame_beside(self, time: float) -> FrameAhead | None:
        """For a non-repetitive head sweeping consecutive frames with a second CPU free: the next frame,
        started on a worker beside this sweep (``lidar_frame_rosette.FrameAhead``); else None."""
        if self._static_pattern is not None:
            return None
        frame = int(round(time * self.rate_hz))
        previous, self._last_frame = self._last_frame, frame
        if previous != frame - 1 or not FRAME_AHEAD or not second_cpu_free():
            return None
        if not rosette_module.BESIDE:
            # the next frame's kernel on the worker, taken by the next sweep without waiting (``lidar_frame_next``;
            # the sweep's words stay here: drawn in the same job they measured slower, the worker's Python taking
            # the GIL from this thread's set-up)
            try:
                start_next(self.spec, self.rate_hz, frame + 1)
            except Exception:               # a job for speed only that could not start (no thread, no memory):
                pass                        # the next sweep builds its frame in line, and raises there if it must
            return None
        # the sweep's random words drawn on the worker after the frame's stage 1, beside the cast (one
        # hand-over for both; nothing draws from the generator before the returns take them: ``stream_for``)
        draw = ahead_job(self, self.rng)
        if draw is None:
            return frame_ahead(self.spec, self.rate_hz, frame + 1)
        words: Future = Future()

        def then() -> None:
            try:
                words.set_result(draw())
            except BaseException as exc:                    # ``stream_for`` then draws them itself
                words.set_exception(exc)

        ahead = frame_ahead(self.spec, self.rate_hz, frame + 1, then)
        if ahead is not None:
            pend(self, words)
        return ahead

    def _sweep(self, snapshot: WorldSnapshot, scene: SensorScene, pattern: ScanPattern,
               tables: PatternTables, ahead: FrameAhead | None = None) -> PointCloud:
        to_world, m = self._pose(snapshot)
        ego = ego_index(snapshot) if self.motion_distortion else None
        if ego is None:
            buf, rays = self._ray_buffer(pattern.size)
            ball = (to_world.translation, 0.0)

            homogeneous = self._homogeneous(tables)
            slabs = helper = later = None

            def find_pairs():
                return self._pairs(scene, pattern, tables, homogeneous, to_world)

            if two_threads(pattern.size):
                # the (nogil) ray buffer and the rings' d_z bounds on the worker, then the sweep's random words
                # there beside the cast; here meanwhile the pairs (nogil kernels: the worker gets the GIL as it
                # wakes) and their slab tests, which make their rays from the pattern rows (the same floats:
                # they need no buffer), merged after the cast
                def buffer_and_bounds():
                    ray_buffer(homogeneous, m, buf)
                    return self._ring_bounds(pattern, tables, m)

                later = Parked() if WORDS_AFTER_SHARE else None
                built = buffer_then_draws(self, buffer_and_bounds, later)
                try:
                    pairs = find_pairs()
                    slabs = pattern_slab_hits(scene.actor_boxes, homogeneous, m, pairs[0], pairs[1])
                finally:
                    built.exception()                   # waits: never leave the worker writing into the buffer
                bounds = built.result()
                helper = returns_worker()               # its CPU is free: the cast's copies may go there
            else:
                ray_buffer(homogeneous, m, buf)
                pairs = find_pairs()
                bounds = self._ring_bounds(pattern, tables, m)
            ray_array = buf
            try:
                hits = scene.cast_rays(rays, max_range=self.max_range, actor_pairs=pairs, origin_ball=ball,
                                       pair_hits=slabs, trim=False, dz_bounds=bounds, own_rays=True,
                                       helper=helper, ray_array=buf, beside=later)
            finally:
                if later is not None:       # nobody took the words (or the cast failed): drawn on the worker now
                    later.submit(helper)
        else:
            rays, ball = self._distort(snapshot, ego, pattern, tables, to_world)
            motion = (math.hypot(snapshot.vx[ego], snapshot.vy[ego]), float(snapshot.yaw_rate[ego]))
            pairs = self._pairs(scene, pattern, tables, self._homogeneous(tables), to_world, motion)
            hits = scene.cast_rays(rays, max_range=self.max_range, actor_pairs=pairs, origin_ball=ball, trim=False,
                                   own_rays=True)
            ray_array = rays.numpy()
        # untrimmed: the gather keeps only returns within [min_range, max_range] (the trim's comparison, in
        # float32) and reads nothing else of the other rows
        return self._returns(snapshot, scene, pattern, tables, ray_array, hits)

    def _pairs(self, scene: SensorScene, pattern: ScanPattern, tables: PatternTables, homogeneous: np.ndarray,
               to_world, motion: tuple[float, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The sweep's (ray, box) candidates (``lidar_actors.candidate_pairs``): a rosette frame's first
        sweep by this sensor takes them from its cast order (``lidar_band_pairs``: the same rows per box,
        without the frame's azimuth tables), where that path can decide; else, and on a frame swept again
        (a stopped clock: the azimuth tables, built once, then serve it at ~2/3 of the band path's cost),
        from the azimuth tables or the grid.  The rows are the same either way."""
        if isinstance(tables, RosetteTables) and tables is not self._band_tables:
            self._band_tables = tables
            cast_z = homogeneous[:, 2]
            got = None
            if tables.cast_deflection is not None:          # decided on the deflections, without the angles
                got = deflection_frame_pairs(scene.actor_boxes, cast_z, tables.cast_order, tables.cast_deflection,
                                             tables.deflection_extent, to_world, self.max_range, pattern.period_s,
                                             motion, tables.pattern_azimuth)
            if got is None:                                 # the angles decide (built now, ``FrameAngles``)
                got = frame_pairs(scene.actor_boxes, cast_z, tables.cast_order, tables.cast_azimuth,
                                  tables.azimuth_extent, tables.elevation, to_world, self.max_range,
                                  pattern.period_s, motion)
            if got is not None:
                return got
        return candidate_pairs(scene.actor_boxes, pattern, tables.cast_position, to_world, self.max_range, motion)

    def _pose(self, snapshot: WorldSnapshot) -> tuple:
        """(sensor → world ``Transform``, the ray buffer's [[0, Rᵀ], [o, 0]] matrix) of this sweep's ego pose.

        Kept while the ego's pose and the mount stay the same bit for bit (a stopped ego, or a sensor
        sensed again on one snapshot): in a run the sweep comes right after the cast of the step before,
        and the two small matrix products of ``sensor_transform`` then cost 35–60 µs of wall time from
        cold caches (12 µs warm).  The key is the six pose floats' IEEE bits (``struct``), so −0.0 and
        +0.0 are different poses, as they may be for the matrix.  Nothing writes into the cached arrays
        (the sweep's kernels and ``candidate_pairs`` only read them).
        """
        i = ego_index(snapshot)
        key = None if i is None else _POSE_BITS.pack(
            float(snapshot.x[i]), float(snapshot.y[i]), float(snapshot.z[i]),
            float(snapshot.roll[i]), float(snapshot.pitch[i]), float(snapshot.heading[i]))
        mount = self.config.mount
        cached = self._pose_cache
        if cached is not None and cached[0] == key and cached[1] is mount:
            return cached[2], cached[3]
        to_world = sensor_transform(snapshot, mount)
        # one small GEMM writes origins and directions into the ray buffer: [d, 1] · [[0, Rᵀ], [o, 0]]
        m = np.zeros((4, 6), dtype=np.float32)
        m[:3, 3:] = to_world.rotation.T
        m[3, :3] = to_world.translation
        self._pose_cache = (key, mount, to_world, m)
        return to_world, m

    def _ray_buffer(self, n: int) -> tuple[np.ndarray, "o3d.core.Tensor"]:
        """The sweep's (n, 6) ray buffer (``_buffer``) and the open3d tensor that shares its memory, made
        once per buffer."""
        buf = self._buffer("rays", n, np.float32, 6)
        tensor = self._ray_tensor
        if tensor is None or tensor[0] is not buf:
            tensor = self._ray_tensor = (buf, o3d.core.Tensor.from_numpy(buf))
        return buf, tensor[1]

    def _homogeneous(self, tables: PatternTables) -> np.ndarray:
        """``tables.homogeneous`` as numpy (the view made once per pattern tables, not every sweep)."""
        got = self._homogeneous_view
        if got is None or got[0] is not tables:
            got = self._homogeneous_view = (tables, tables.homogeneous.numpy())
        return got[1]

    def _ring_bounds(self, pattern: ScanPattern, tables: PatternTables, m: np.ndarray) -> DzBounds | None:
        """Bounds on the world d_z of each ring's rows (``lidar_sweep_rings``) for a spinning head's fixed
        pattern (its sensor-frame ranges computed once); None for a frame drawn per sweep."""
        if pattern is not self._static_pattern or pattern.grid is None:
            return None
        if self._ring_directions is None:
            self._ring_directions = block_directions(tables.cast_directions, pattern.grid.columns)
        return dz_bounds(self._ring_directions, m)

    def _distort(self, snapshot, i: int, pattern, tables: PatternTables, to_world):
        """Rays (cast order) from the ego pose at each firing time (sweep ends at the snapshot), and their origins' ball."""
        dt = (tables.cast_time - pattern.period_s).astype(np.float64)    # ≤ 0: before the snapshot
        yaw = snapshot.yaw_rate[i] * dt
        c, s = np.cos(yaw), np.sin(yaw)
        origin = to_world.translation.astype(np.float32).astype(np.float64)
        directions = tables.cast_directions @ to_world.rotation.T.astype(np.float32)
        pivot = np.array([snapshot.x[i], snapshot.y[i], 0.0])
        rel = origin - pivot
        rays = np.empty((len(dt), 6), dtype=np.float32)
        rays[:, 0] = c * rel[0] - s * rel[1] + pivot[0] + snapshot.vx[i] * dt
        rays[:, 1] = s * rel[0] + c * rel[1] + pivot[1] + snapshot.vy[i] * dt
        rays[:, 2] = rel[2]
        rays[:, 3] = c * directions[:, 0] - s * directions[:, 1]
        rays[:, 4] = s * directions[:, 0] + c * directions[:, 1]
        rays[:, 5] = directions[:, 2]
        # the origins lie on an arc no longer than the distance travelled between the earliest firing and the
        # snapshot, or from the snapshot to the latest where the lasers fire over more than a period (the ball
        # must hold every origin: the static cast proves misses from it, ``sensors.static_horizon``)
        travel = (math.hypot(snapshot.vx[i], snapshot.vy[i]) + abs(snapshot.yaw_rate[i]) * float(np.linalg.norm(rel[:2])))
        first, last = tables.firing_span
        span = max(pattern.period_s, pattern.period_s - first, last - pattern.period_s)
        return o3d.core.Tensor.from_numpy(rays), (origin, travel * span + 1e-3)

    def _reflectivity(self, scene: SensorScene) -> np.ndarray:
        """The scene's reflectivity table as float32 (``material_table``'s array is cached per map and actor
        set, read-only: its float32 copy is kept while the same array comes back)."""
        table = scene.material_table("reflectivity")
        kept = self._reflectivity_f32
        if kept is None or kept[0] is not table:
            kept = self._reflectivity_f32 = (table, table.astype(np.float32))
        return kept[1]

    def _weather_terms(self, environment) -> tuple[float, float]:
        """(α, rain range σ) of a snapshot's environment (``environment.Weather``), parsed again only when
        its items change (a run's environment rarely does; parsing it cost ~6 µs a sweep).  Equal items
        give the same floats (``float`` of equal numbers is equal), and neither term sees the sign of a
        zero; items that cannot be compared are parsed every time."""
        try:
            key = tuple(environment.items()) if environment else ()
            if key == self._weather[0]:
                return self._weather[1]
        except Exception:                                   # uncomparable values: no cache
            key = None
        weather = Weather.from_environment(environment)
        terms = (weather.lidar_extinction(self.wavelength_nm), weather.lidar_rain_range_sigma())
        if key is not None:
            self._weather = (key, terms)
        return terms

    def _returns(self, snapshot, scene: SensorScene, pattern: ScanPattern, tables: PatternTables,
                 rays: np.ndarray, hits) -> PointCloud:
        """Points in pattern order from hits in cast order (``lidar_sweep_passes.sweep_returns``)."""
        alpha, rain_sigma = self._weather_terms(snapshot.environment)
        sigma = math.hypot(self.range_sigma, rain_sigma)
        self._fog_table = self._fog_model(snapshot.environment, alpha) if alpha > 0 else None
        self._fog_count = 0
        points, idx, mat = sweep_returns(self, pattern, tables, rays, hits, self._reflectivity(scene),
                                         alpha, sigma, two_threads(len(hits.t)))
        labels = None
        if self.labels:
            labels = np.empty(len(points), dtype=LABEL_DTYPE)
            labels["actor"] = hits.actor[tables.cast_position[idx]]
            labels["semantic"] = scene.material_table("semantic").astype(np.uint8)[mat]
            if self._fog_count:                             # fog returns: no actor, the fog's class
                fog = mat == FOG_MATERIAL
                labels["actor"][fog] = -1
                labels["semantic"][fog] = SEMANTIC_FOG
        return PointCloud(stamp=snapshot.time - pattern.period_s, frame_id=self.frame_id, points=points,
                          labels=labels, actor_names=snapshot.names)
