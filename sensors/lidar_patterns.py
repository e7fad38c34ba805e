"""Lidar scan patterns: which direction each ray of a sweep points and when it fires.

A pattern is a table computed once per (preset, rate) and reused every sweep:
unit directions in the sensor frame (ISO 8855), the ring (laser) of each ray
and its firing time from the start of the sweep.  Spinning heads turn
clockwise seen from above (Velodyne and Ouster both do), so the azimuth
φ = atan2(y, x) falls with time; the sweep starts and ends behind the sensor
(φ = ±180°), where ROS drivers cut the scan by default.

Preset numbers come from the manufacturers' datasheets / user manuals:
- VLP-16 (Velodyne Puck, 63-9229 Rev-H): 16 lasers −15°…+15° every 2°, 100 m,
  ±3 cm typical; one firing cycle of all 16 lasers every 55.296 µs with
  2.304 µs between lasers (manual §9.5) → 1808 columns at 10 Hz (≈0.2°).
- HDL-32E (97-0038 Rev-M): 32 lasers +10.67°…−30.67° (1.33° pitch), 100 m,
  ±2 cm; firing cycle 46.08 µs, 1.152 µs between lasers → 2170 columns at 10 Hz.
- HDL-64E S3 (63-HDL64ES3 Rev-J): 64 lasers, +2°…−24.8°, upper block
  +2°…−8.33° at ≈1/3°, lower block −8.83°…−24.8° at ≈1/2°; 0.1728° azimuth at
  600 rpm (2083 columns), 120 m (50 m on 10 % pavement), ≤2 cm (1σ).
- Ouster OS1-128 (Rev C datasheet): 128 channels uniformly over ±22.5°, 1024
  or 2048 columns per rotation at 10 Hz, all channels of a column stamped
  together; 120 m at 80 %, 45 m at 10 %; ±3 cm precision.
- Livox Mid-40-like non-repetitive pattern (Livox Mid-40 datasheet: 38.4°
  circular FoV, 100 000 points/s, 90 m at 10 %, 2 cm 1σ): two Risley prisms
  counter-rotating at incommensurate rates steer one beam along a rosette that
  never repeats (Marshall, "Risley prism scan patterns", Proc. SPIE 3787,
  1999), so each frame is different and coverage grows with integration time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
import open3d as o3d

from sensors.lidar_kernels import cast_tables
from sensors.lidar_sort import stable_argsort_f32
from sensors.lidar_unit import unit_directions


@dataclass(frozen=True)
class LidarSpec:
    """Everything that defines a lidar head; a preset is one of these."""

    name: str
    elevations_deg: tuple[float, ...] = ()
    columns: int = 0
    """Azimuth samples per sweep for a spinning head; 0 = derive from firing_period_s."""
    horizontal_fov_deg: float = 360.0
    firing_period_s: float = 0.0
    """Time of one column (all lasers once); with a rate it gives the column count."""
    laser_interval_s: float = 0.0
    """Delay between consecutive lasers within a column (0: all fire together)."""
    max_range_m: float = 100.0
    min_range_m: float = 0.5
    range_accuracy_m: float = 0.03
    detection_range_m: float = 100.0
    """Range at which a target of ``detection_reflectivity`` at normal incidence is still detected."""
    detection_reflectivity: float = 0.1
    default_rate_hz: float = 10.0
    risley_fov_deg: float = 0.0
    """>0 selects the non-repetitive Risley-prism pattern with this circular FoV."""
    points_per_second: float = 0.0


PRESETS: dict[str, LidarSpec] = {
    "VLP-16": LidarSpec(
        "VLP-16", tuple(np.arange(-15.0, 15.1, 2.0)), firing_period_s=55.296e-6, laser_interval_s=2.304e-6,
        max_range_m=100.0, min_range_m=0.5, range_accuracy_m=0.03, detection_range_m=100.0),
    "HDL-32E": LidarSpec(
        "HDL-32E", tuple(np.linspace(-30.67, 10.67, 32)), firing_period_s=46.08e-6, laser_interval_s=1.152e-6,
        max_range_m=100.0, min_range_m=1.0, range_accuracy_m=0.02, detection_range_m=70.0),
    "HDL-64E": LidarSpec(
        "HDL-64E", tuple(np.concatenate([np.linspace(-24.8, -8.83, 32), np.linspace(-8.33, 2.0, 32)])),
        columns=2083, laser_interval_s=0.0, max_range_m=120.0, min_range_m=0.9, range_accuracy_m=0.02,
        detection_range_m=50.0),
    "OS1-128": LidarSpec(
        "OS1-128", tuple(np.linspace(-22.5, 22.5, 128)), columns=1024, max_range_m=120.0, min_range_m=0.3,
        range_accuracy_m=0.03, detection_range_m=45.0),
    "Livox-Mid40": LidarSpec(
        "Livox-Mid40", (0.0,), max_range_m=260.0, min_range_m=1.0, range_accuracy_m=0.02,
        detection_range_m=90.0, risley_fov_deg=38.4, points_per_second=100_000.0),
}
PRESET_ALIASES = {k.lower().replace("-", "").replace("_", ""): k for k in PRESETS}


def preset(name: str) -> LidarSpec | None:
    return PRESETS.get(PRESET_ALIASES.get(name.lower().replace("-", "").replace("_", ""), ""))


@dataclass(frozen=True)
class GridLayout:
    """The regular grid of a spinning head: ray i is column ``i // channels``, ring ``i % channels``.

    Column c points at azimuth ``azimuth0 − c·step`` (clockwise); ring r at
    ``elevations[r]`` (ascending).  The lidar casts such a pattern ring by
    ring (ring-major), so that rings that cannot reach the ground within range
    form one block at the end of the ray buffer and consecutive rays are
    neighbours in space, and it reads the actor candidates of a box off the
    grid as a block of columns × rings (``lidar_kernels.grid_pairs``).
    """

    columns: int
    channels: int
    azimuth0: float
    step: float
    full_circle: bool
    elevations: np.ndarray
    """(channels,) float64 elevation of each ring as the float32 directions give it."""


@dataclass(frozen=True)
class ScanPattern:
    """One sweep's rays; every array is indexed by ray."""

    directions: np.ndarray
    """(N, 3) float32 unit vectors in the sensor frame."""
    ring: np.ndarray
    """(N,) uint16 laser index, 0 = lowest elevation (Velodyne/Ouster ``ring``)."""
    time: np.ndarray
    """(N,) float32 firing time from the sweep start, in [0, period)."""
    period_s: float
    azimuth_order: np.ndarray
    """Ray indices sorted by azimuth (for selecting rays within an azimuth interval)."""
    sorted_azimuth: np.ndarray
    grid: GridLayout | None = None
    """Set for spinning heads (``spinning_pattern``); None for the non-repetitive pattern."""

    @property
    def size(self) -> int:
        return len(self.ring)

    @property
    def elevation(self) -> np.ndarray:
        return np.arcsin(np.clip(self.directions[:, 2], -1.0, 1.0))

    def rays_in_window(self, lo: np.ndarray, hi: np.ndarray, el_lo: np.ndarray, el_hi: np.ndarray) -> np.ndarray:
        """Rays inside any azimuth × elevation window k (one window per actor; a loop over actors, not rays)."""
        inside = np.zeros(self.size, dtype=bool)
        for idx in self.rays_in_windows(lo, hi, el_lo, el_hi):
            inside[idx] = True                                     # a mask, not np.unique: no sort
        return np.flatnonzero(inside)

    def rays_in_windows(self, lo: np.ndarray, hi: np.ndarray, el_lo: np.ndarray, el_hi: np.ndarray
                        ) -> list[np.ndarray]:
        """The rays (pattern indices) inside each azimuth × elevation window, one array per window."""
        tables = pattern_tables(self)
        elevation = tables.elevation
        two_pi = 2 * np.pi
        out = []
        for k in range(len(lo)):
            # windows above or below every ray of the pattern select nothing: skip them without a lookup
            if el_hi[k] < tables.elevation_range[0] or el_lo[k] > tables.elevation_range[1]:
                out.append(np.zeros(0, dtype=np.int64))
                continue
            if hi[k] - lo[k] >= two_pi:
                idx = np.arange(self.size)
            else:
                a = (lo[k] + np.pi) % two_pi - np.pi
                b = a + (hi[k] - lo[k])
                i0 = np.searchsorted(self.sorted_azimuth, a, side="left")
                # b is not clamped to π: float32 directions put the rear column at ±3.14159274, just past ±π
                i1 = np.searchsorted(self.sorted_azimuth, b, side="right")
                idx = self.azimuth_order[i0:i1]
                if b > np.pi:
                    j1 = np.searchsorted(self.sorted_azimuth, b - two_pi, side="right")
                    idx = np.concatenate([idx, self.azimuth_order[:j1]])
            e = elevation[idx]
            out.append(idx[(e >= el_lo[k]) & (e <= el_hi[k])])
        return out

    def rays_in_azimuth(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Indices of rays whose azimuth lies in any interval [lo_k, hi_k] (radians, hi_k ≥ lo_k).

        Intervals may cross ±π; they are split there and looked up in the sorted
        azimuth table, so the cost is O(K log N) plus one pass over the rays.
        """
        lo = np.asarray(lo, dtype=float)
        hi = np.asarray(hi, dtype=float)
        n = self.size
        if len(lo) == 0:
            return np.zeros(0, dtype=np.int64)
        if np.any(hi - lo >= 2 * np.pi):
            return np.arange(n)
        start = (lo + np.pi) % (2 * np.pi) - np.pi
        end = start + (hi - lo)
        wrap = end > np.pi
        a = np.concatenate([start, np.full(int(wrap.sum()), -np.pi)])
        b = np.concatenate([end, end[wrap] - 2 * np.pi])        # unclamped: azimuths may exceed π by float32 rounding
        i0 = np.searchsorted(self.sorted_azimuth, a, side="left")
        i1 = np.searchsorted(self.sorted_azimuth, b, side="right")
        marks = np.zeros(n + 1, dtype=np.int32)
        np.add.at(marks, i0, 1)
        np.add.at(marks, i1, -1)
        inside = np.cumsum(marks[:n]) > 0
        return self.azimuth_order[inside]


@dataclass(frozen=True)
class PatternTables:
    """Per-pattern arrays the lidar reuses every sweep (computed once per pattern).

    The sweep is cast in *cast order*: ring-major for a grid (``GridLayout``),
    by elevation (lowest first) otherwise, so that the rays that cannot reach
    the ground within range, and the steep ones, are blocks at the ends of the
    buffer (``sensors.static_cast``); ``cast_position[i]`` is where pattern ray
    i sits in the cast buffer.  The point cloud keeps the pattern order.
    """

    homogeneous: "o3d.core.Tensor"
    """(N, 4) float32 ``[dx, dy, dz, 1]`` in cast order: times a 4×6 pose matrix it is the sweep's ray buffer."""
    columns: np.ndarray
    """(3, N) float32 direction components in pattern order, each contiguous (point x, y, z = column × range)."""
    elevation: np.ndarray
    """(N,) float64 elevation of each ray (radians), pattern order."""
    elevation_range: tuple[float, float]
    cast_position: np.ndarray
    """(N,) intp: cast-buffer row of each pattern ray."""
    cast_order: np.ndarray
    """(N,) intp: pattern index of each cast-buffer row (the inverse of ``cast_position``)."""
    azimuth_elevation: np.ndarray
    """(N,) float64 ``elevation`` in azimuth order (``ScanPattern.azimuth_order``): actor windows read it in a row."""
    azimuth_position: np.ndarray
    """(N,) intp ``cast_position`` in azimuth order."""
    time: np.ndarray
    """(N,) float32 firing times in pattern order (the pattern's own ``time``)."""

    @cached_property
    def cast_directions(self) -> np.ndarray:
        """(N, 3) float32 sensor-frame directions in cast order (``homogeneous`` without its ones).

        Built on first use: only a motion-distorted sweep reads it, and a
        non-repetitive head would otherwise copy it every frame.
        """
        return np.ascontiguousarray(self.homogeneous.numpy()[:, :3])

    @cached_property
    def firing_span(self) -> tuple[float, float]:
        """Earliest and latest firing time of the pattern (s): a motion-distorted sweep's origins lie on the
        ego's path over [latest − period, ...] relative to the snapshot (``Lidar._distort``), which may be
        longer than a period when the lasers fire over more than one."""
        return float(self.time.min()), float(self.time.max())

    @cached_property
    def cast_time(self) -> np.ndarray:
        """(N,) float32 firing times in cast order (built on first use, as ``cast_directions``)."""
        return self.time[self.cast_order]


_TABLES: dict[int, tuple[ScanPattern, PatternTables]] = {}
_FRAME_TABLES: OrderedDict[int, tuple[ScanPattern, PatternTables]] = OrderedDict()
"""The tables of the last ``RISLEY_FRAMES_KEPT`` rosette frames, built with them
(``lidar_frame_rosette.risley_pattern``)."""
_FRAME_LOCK = threading.Lock()


def pattern_tables(pattern: ScanPattern) -> PatternTables:
    """The tables of ``pattern``, cached by identity (patterns themselves are cached per preset/frame)."""
    found = _TABLES.get(id(pattern))
    if found is not None and found[0] is pattern:
        return found[1]
    found = _FRAME_TABLES.get(id(pattern))
    if found is not None and found[0] is pattern:
        with _FRAME_LOCK:                                     # least recently used first, as the frames' lru
            if id(pattern) in _FRAME_TABLES:
                _FRAME_TABLES.move_to_end(id(pattern))
        return found[1]
    if len(_TABLES) >= 128:
        _TABLES.clear()
    grid = pattern.grid
    i = np.arange(pattern.size, dtype=np.intp)
    if grid is None:
        # by elevation, lowest first (np.argsort(kind="stable")'s permutation, by lidar_sort)
        order = stable_argsort_f32(np.ascontiguousarray(pattern.directions[:, 2]))
    else:
        order = np.empty_like(i)
        order[(i % grid.channels) * grid.columns + i // grid.channels] = i       # ray (c, r) → row r·C + c
    n = pattern.size
    position = np.empty(n, dtype=np.intp)
    homogeneous = np.empty((n, 4), dtype=np.float32)
    columns = np.empty((3, n), dtype=np.float32)
    elevation = np.arcsin(np.clip(pattern.directions[:, 2].astype(np.float64), -1.0, 1.0))
    azimuth_elevation = np.empty(n, dtype=np.float64)
    azimuth_position = np.empty(n, dtype=np.intp)
    cast_tables(pattern.directions, order, position, homogeneous, columns, elevation, pattern.azimuth_order,
                azimuth_elevation, azimuth_position)
    tables = PatternTables(
        homogeneous=o3d.core.Tensor.from_numpy(homogeneous),
        columns=columns,
        elevation=elevation,
        elevation_range=(float(elevation.min()), float(elevation.max())) if len(elevation) else (0.0, 0.0),
        cast_position=position,
        cast_order=order,
        azimuth_elevation=azimuth_elevation,
        azimuth_position=azimuth_position,
        time=pattern.time,
    )
    _TABLES[id(pattern)] = (pattern, tables)
    return tables


def _unit(azimuth: np.ndarray, elevation: np.ndarray) -> np.ndarray:
    """(N, 3) float32 unit directions: ``unit_directions_numpy``'s bits in one compiled pass (``lidar_unit``)."""
    if azimuth.dtype != np.float64 or elevation.dtype != np.float64:
        return unit_directions_numpy(azimuth, elevation)        # numpy would compute in another precision
    out = np.empty((len(elevation), 3), dtype=np.float32)
    unit_directions(azimuth, elevation, out)
    return out


def unit_directions_numpy(azimuth: np.ndarray, elevation: np.ndarray) -> np.ndarray:
    """The numpy expression ``_unit`` replaced: the reference its kernel is tested against."""
    ce = np.cos(elevation)
    out = np.empty((len(ce), 3), dtype=np.float32)          # float64 → float32 on assignment, as astype rounds
    out[:, 0] = ce * np.cos(azimuth)
    out[:, 1] = ce * np.sin(azimuth)
    out[:, 2] = np.sin(elevation)
    return out


def _finish(directions: np.ndarray, ring: np.ndarray, time: np.ndarray, period: float,
            grid: GridLayout | None = None) -> ScanPattern:
    azimuth32 = np.arctan2(directions[:, 1], directions[:, 0])
    azimuth = azimuth32.astype(np.float64)
    # float32 angles: np.argsort(azimuth, kind="stable")'s permutation, by a radix sort
    order = stable_argsort_f32(azimuth32) if azimuth32.dtype == np.float32 else np.argsort(azimuth, kind="stable")
    return ScanPattern(
        directions=np.ascontiguousarray(directions, dtype=np.float32),
        ring=ring.astype(np.uint16), time=time.astype(np.float32), period_s=period,
        azimuth_order=order, sorted_azimuth=azimuth[order], grid=grid,
    )


def column_count(spec: LidarSpec, rate_hz: float) -> int:
    if spec.columns > 0:
        return spec.columns
    if spec.firing_period_s <= 0:
        raise ValueError(f"lidar {spec.name}: give columns or firing_period_s")
    return int(round(1.0 / (rate_hz * spec.firing_period_s)))


@lru_cache(maxsize=32)
def spinning_pattern(spec: LidarSpec, rate_hz: float) -> ScanPattern:
    """Column-major table (all lasers of column 0, then column 1, …) of a spinning head."""
    period = 1.0 / rate_hz
    cols = column_count(spec, rate_hz)
    elevations = np.deg2rad(np.asarray(spec.elevations_deg, dtype=float))
    order = np.argsort(elevations, kind="stable")  # ring 0 = lowest beam
    elevations = elevations[order]
    channels = len(elevations)
    fov = np.deg2rad(spec.horizontal_fov_deg)
    col = np.arange(cols)
    full = spec.horizontal_fov_deg >= 360.0
    if full:
        azimuth0, step = np.pi, 2 * np.pi / cols                 # clockwise from the rear
    else:
        azimuth0, step = fov / 2 - 0.5 * fov / cols, fov / cols  # clockwise across the FoV
    azimuth_col = np.pi - col * step if full else fov / 2 - (col + 0.5) * step
    az = np.repeat(azimuth_col, channels)
    el = np.tile(elevations, cols)
    ring = np.tile(np.arange(channels), cols)
    col_time = col * (period / cols)
    # lasers fire in datasheet order (spec.elevations_deg); ring r is datasheet laser order[r]
    laser_time = order * spec.laser_interval_s
    time = np.repeat(col_time, channels) + np.tile(laser_time, cols)
    directions = _unit(az, el)
    ring_elevation = np.arcsin(np.clip(directions[:channels, 2].astype(np.float64), -1.0, 1.0))
    grid = GridLayout(cols, channels, float(azimuth0), float(step), full, ring_elevation)
    return _finish(directions, ring, time, period, grid)


def explicit_spec(
    name: str,
    channels: int,
    vertical_fov_deg: tuple[float, float] | None,
    elevations_deg: tuple[float, ...] | None,
    columns: int,
    horizontal_fov_deg: float,
    base: LidarSpec | None = None,
) -> LidarSpec:
    """A spinning head from explicit channels/fov/resolution (uniform elevations unless listed)."""
    if elevations_deg is None:
        lo, hi = vertical_fov_deg if vertical_fov_deg is not None else (-15.0, 15.0)
        elevations_deg = tuple(np.linspace(lo, hi, channels)) if channels > 1 else ((lo + hi) / 2,)
    fields = dict(base.__dict__) if base is not None else {}
    fields.update(name=name, elevations_deg=tuple(float(e) for e in elevations_deg), columns=columns,
                  horizontal_fov_deg=horizontal_fov_deg, risley_fov_deg=0.0)
    return LidarSpec(**fields)


# The rosette frames live in their own module, which reads this one's types and frame store; its names are
# served from here (PEP 562), so either module may be imported first.
import sensors.lidar_frame_rosette as _rosette  # noqa: E402

_ROSETTE_NAMES = frozenset({"risley_pattern", "risley_pattern_reference", "RISLEY_FRAMES_KEPT", "_RISLEY_RATES",
                            "_risley_phases"})


def __getattr__(name: str):
    if name in _ROSETTE_NAMES:
        return getattr(_rosette, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
