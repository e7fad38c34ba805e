"""Rays proved to hit an actor box before any static triangle: they need no static cast.

Why: an HDL-64E sweep among twenty cars casts some 12 700 rays whose actor-box
hit comes before their static hit (``bench/static_cast_classes.py``); open3d
charges each ~120–140 ns, and the box then replaces whatever the static cast
found.  The box hits are known before the static cast (the lidar's slab tests,
``lidar_sweep_boxes.pattern_slab_hits``), so a ray whose static hit is proved
to lie beyond a box hit of its own needs no static cast.

The proof (exact, conservative; it reuses ``sensors.static_horizon``'s height
grid and float32 slack: read that docstring first).  Every ray origin lies in
the ball B(c, r); a ray is o + t·d with |d|² ≤ 1 + 10⁻⁵; one of its (ray, box)
pairs has the float32 slab-test hit τ (finite).  Let T = max(τ, 0)·(1 + 10⁻⁵)
+ 10⁻³ (as R' over R in ``static_horizon``: above float32(τ) and the rounding
of open3d's float32 t); only T ≤ min(R', a distance beyond every grid cell)
is used, the reach the slack ζ is computed for (as the horizon clips its
reach: ζ grows with the coordinates, and an unclipped 10¹⁵ m range made it
10¹⁰ m).

1. *Height profile* (``height_profile``, per cast): Z[i] is the highest H
   (the grid's per-cell top of every triangle whose ε-widened box meets the
   cell) over the cells whose rectangle comes within i·STEP of c's xy, i.e.
   the cells with ⌈near(C)/STEP⌉ ≤ i (a running maximum over distance bins).
2. A point of the ray with t ≤ T lies within r + T·|d_xy| of c horizontally;
   so does the triangle point it would meet, which lies in a cell with
   near(C) ≤ that distance, so its z is at most Z[k] with
   k = ⌈(r + ζ + T·|d_xy|)/STEP⌉ (ζ widens once more for the rays' float32
   arithmetic, as in the horizon).
3. On t ∈ [0, T] the ray's z is at least o_z + min(0, T·d_z).  If that
   exceeds Z[k] + ζ, the ray meets no triangle with t ≤ T: open3d reports a
   miss or a hit t_s > τ.

Why the merge then gives the same bits: ``lidar_sweep_boxes.apply_slab_hits``
writes a pair's t where it is strictly below the current t, box by box in
order, starting from the static hit t_s.  The row ends as the first pair
attaining the minimum pair t when that minimum is below t_s, and as t_s
otherwise.  With a pair at τ < t_s the minimum is below t_s, so the row ends
as that first minimal pair whether it started from t_s or from a miss
(t = inf): t, normal, material and actor are the box's, every bit.  (A NaN
pair t fails every comparison either way.)  Mesh actors cast afterwards
compare against that same t.

The test is isotropic (one profile for every direction): it proves a box hit
that is higher than every static vertex within its distance, which on a road
is nearly every one (12 581 of the bench's 12 705; the sector horizons of
``static_horizon`` computed for a ladder of ranges proved 11 354 at ratio 1.1
and cost ~0.5 ms more a sweep).  On hills, or beside poles and under decks,
it proves fewer or none, and those rays are cast as before.

Only rays the static cast would cast are tested; a proved ray is written as a
static miss (``t = inf``, normal 0, material −1).  Rays the static cast casts
as one contiguous slice keep their place: a proved row there is overwritten,
for that cast only, by a ray straight up from above the crop's highest vertex
(it leaves the scene's bounds at once: ~45 ns instead of ~125) and then
restored (``neutralize``, ``restore``); rays it gathers are dropped from the
gather (``drop_rows``, after ``static_horizon.cull_gather``, or
``gather_unproved`` in a cast without the miss proof).  Which region serves every other ray is
unchanged.

Kernels are numba ``cache=True``, ``nogil``, self-contained in this file
(numba's cache tracks a kernel's own file only).
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

import numpy as np
from numba import njit

from sensors.static_horizon import NORM_BOUND, HeightGrid, slack

STEP = 0.5
"""Width (m) of the height profile's distance bins."""
MAX_PROFILE_BINS = 1 << 22
"""The most distance bins of a height profile (2,097 km at ``STEP``; 32 MiB): past it no ray is proved."""


def height_profile(grid: HeightGrid, centre: np.ndarray, radius: float, max_range: float
                   ) -> tuple[np.ndarray, float, float, float] | None:
    """(Z, ρ_w, ζ, T_max): Z[i] ≥ every static vertex z in the cells within i·STEP of centre's xy (module
    docstring) for distances up to T_max·√(1 + 10⁻⁵) + ρ_w, ρ_w = ``radius`` + ζ; a pair proves its ray only
    for T ≤ T_max = min(``max_range``·(1 + 10⁻⁵) + 10⁻³, a distance beyond every cell), the reach ζ covers
    (``static_horizon.HeightGrid.horizon`` clips its reach the same way).

    None where the profile would take more than ``MAX_PROFILE_BINS`` bins: an origin ball, a slack (huge
    coordinates) or a reach (a sensor far off the map with an unbounded range) larger than any real scene,
    where proving nothing (casting every ray) is the exact answer and a profile could not be allocated."""
    c = np.asarray(centre, dtype=np.float64)
    cap = min(max_range * (1.0 + 1e-5) + 1e-3, grid._farthest(c, radius))
    zeta = slack(max(grid.magnitude, float(np.abs(c).max()) + radius + cap))
    widen = float(radius) + zeta
    bins = (cap * math.sqrt(NORM_BOUND) + widen) / STEP
    if not bins < MAX_PROFILE_BINS:
        return None
    key = ("profile", c.tobytes(), struct.pack("<dd", radius, max_range))
    profile = grid.memo.get(key)                             # a standing sensor asks the same each sweep
    if profile is None:
        profile = np.empty(int(math.ceil(bins)) + 1)
        height_bins(grid.heights, grid.x0, grid.y0, grid.cell, float(c[0]), float(c[1]), STEP, profile)
        grid.remember(key, profile)
    return profile, widen, zeta, cap


@njit(cache=True, nogil=True)
def height_bins(heights, x0, y0, cell, cx, cy, step, out):
    """out[i]: the highest H over the cells whose rectangle comes within i·step of (cx, cy) (−∞: none)."""
    bins = len(out)
    for i in range(bins):
        out[i] = -np.inf
    ny, nx = heights.shape
    span = (bins - 1) * step + cell
    i0 = max(int(math.floor((cx - span - x0) / cell)), 0)
    i1 = min(int(math.floor((cx + span - x0) / cell)), nx - 1)
    j0 = max(int(math.floor((cy - span - y0) / cell)), 0)
    j1 = min(int(math.floor((cy + span - y0) / cell)), ny - 1)
    for j in range(j0, j1 + 1):
        ya = y0 + j * cell - cy
        yb = y0 + (j + 1) * cell - cy
        gy = max(ya, -yb, 0.0)
        for i in range(i0, i1 + 1):
            h = np.float64(heights[j, i])
            if h == -np.inf:
                continue
            xa = x0 + i * cell - cx
            xb = x0 + (i + 1) * cell - cx
            gx = max(xa, -xb, 0.0)
            k = int(math.ceil(math.sqrt(gx * gx + gy * gy) / step))
            if k < bins and h > out[k]:
                out[k] = h
    for i in range(1, bins):
        if out[i - 1] > out[i]:
            out[i] = out[i - 1]


@njit(cache=True, nogil=True)
def prove_pairs(rays, ray, pair_t, start, stop, profile, step, widen, zeta, cap, norm_bound, skip, rows):
    """The rays of [start, stop) that a pair proves (module docstring): ``skip[row] = True`` and the row listed
    in ``rows`` (once).  Returns how many rows."""
    bins = len(profile)
    count = 0
    for q in range(len(ray)):
        tau = np.float64(pair_t[q])
        if not tau < np.inf:                                 # a missed box (inf) or NaN proves nothing
            continue
        row = ray[q]
        if row < start or row >= stop or skip[row]:
            continue
        dx = np.float64(rays[row, 3])
        dy = np.float64(rays[row, 4])
        dz = np.float64(rays[row, 5])
        flat = dx * dx + dy * dy
        if not flat + dz * dz <= norm_bound:
            continue
        reach = max(tau, 0.0) * (1.0 + 1e-5) + 1e-3
        if not reach <= cap:                                 # beyond the reach ζ covers
            continue
        k = math.ceil((widen + reach * math.sqrt(flat)) / step)
        if not k < bins:
            continue
        low = np.float64(rays[row, 2]) + min(0.0, reach * dz)
        if low > profile[int(k)] + zeta:
            skip[row] = True
            rows[count] = row
            count += 1
    return count


@njit(cache=True, nogil=True)
def neutralize(rays, skip, start, stop, z_top, saved, taken, words):
    """The rows of [start, stop) that ``skip`` marks: their rays saved to ``saved`` and replaced by a ray
    straight up from ``z_top`` (above every vertex: it leaves the scene's bounds at once), their rows listed
    in ``taken``.  Returns how many.  (A scan of the mask in row order: the rows' rays are read in order.)

    ``words``: ``skip``'s memory as uint64 (``skip`` a prefix of a mask padded to a multiple of 8 rows), or
    empty: an aligned word of zeros then passes eight unmarked rows in one test — the same rows in the same
    order.  Why: the HDL-64E's leading run is 68 700 rows, some 6 500 of them marked, and the byte scan's
    test per row was most of the time (in situ, HDL-64E sweeps alternating, three runs at load 3.4-3.7: min
    109 / 86 / 83 -> 73 / 60 / 62 µs, median 179 / 120 / 96 -> 115 / 91 / 70)."""
    k = 0
    row = start
    by_words = len(words) > 0
    while row < stop:
        if by_words and row & 7 == 0 and row + 8 <= stop and words[row >> 3] == 0:
            row += 8
            continue
        if skip[row]:
            for c in range(6):
                saved[k, c] = rays[row, c]
            rays[row, 2] = z_top
            rays[row, 3] = 0.0
            rays[row, 4] = 0.0
            rays[row, 5] = 1.0
            taken[k] = row
            k += 1
        row += 1
    return k


NO_WORDS = np.zeros(0, np.uint64)
"""``neutralize``'s ``words`` for a plain byte scan."""


@njit(cache=True, nogil=True)
def restore(rays, taken, count, saved):
    """``neutralize`` undone: the saved rays back in their rows."""
    for k in range(count):
        row = taken[k]
        for c in range(6):
            rays[row, c] = saved[k, c]


@njit(cache=True, nogil=True)
def write_misses(taken, count, t, normal, material):
    """The rows ``taken[:count]`` written as static misses (t = inf, normal 0, material −1)."""
    for k in range(count):
        _write_miss(taken[k], t, normal, material)


@njit(cache=True, nogil=True, inline="always")
def _write_miss(row, t, normal, material):
    """Row ``row`` as a static miss: t = inf, normal 0, material −1 (what the cast writes for a miss)."""
    t[row] = np.inf
    normal[row, 0] = 0.0
    normal[row, 1] = 0.0
    normal[row, 2] = 0.0
    material[row] = -1


@njit(cache=True, nogil=True)
def drop_rows(kept_rays, kept_rows, count, skip, t, normal, material):
    """Of a compact gather's ``count`` rays (``static_horizon.cull_gather``), those whose row ``skip`` marks are
    written as static misses and removed (the others keep their order).  Returns how many are left."""
    k = 0
    for m in range(count):
        row = kept_rows[m]
        if skip[row]:
            _write_miss(row, t, normal, material)
            continue
        if k != m:
            for c in range(6):
                kept_rays[k, c] = kept_rays[m, c]
            kept_rows[k] = row
        k += 1
    return k


@njit(cache=True, nogil=True)
def gather_unproved(rays, start, stop, skip, kept_rays, kept_rows, t, normal, material):
    """Rows [start, stop) of ``rays``: those ``skip`` marks are written as static misses (t = inf, normal 0,
    material −1), the others copied to ``kept_rays[:k]`` in order with their rows in ``kept_rows[:k]``.
    Returns k.  ``drop_rows`` for a part cast without the miss proof (``static_cast``: no horizon), in one
    pass over the part instead of a copy of every row and then a second pass."""
    k = 0
    for row in range(start, stop):
        if skip[row]:
            _write_miss(row, t, normal, material)
            continue
        for c in range(6):
            kept_rays[k, c] = rays[row, c]
        kept_rows[k] = row
        k += 1
    return k


@dataclass(frozen=True, eq=False)
class BoxFirst:
    """The rows of one static cast proved to hit a box first: ``skip`` marks them, ``rows[:count]`` lists them;
    ``saved`` and ``taken`` are room for ``neutralize``."""

    skip: np.ndarray
    rows: np.ndarray
    count: int
    saved: np.ndarray
    taken: np.ndarray
    writable: bool = True
    """Whether the caller's ray memory may be overwritten for a cast (``neutralize``); if not, the proved rows
    of a contiguous slice are cast as they lie (gathered parts still leave them out)."""
    words: np.ndarray | None = None
    """``skip``'s memory as uint64 words (``skip`` a prefix of a mask padded to a multiple of 8 rows), for
    ``neutralize``'s word scan; None: the byte scan."""

    def neutralize(self, rays: np.ndarray, start: int, stop: int, z_top: float) -> int:
        """``neutralize`` of the proved rows within [start, stop): how many were replaced."""
        if self.count == 0 or not self.writable:
            return 0
        words = self.words if self.words is not None else NO_WORDS
        return neutralize(rays, self.skip, start, stop, above(z_top), self.saved, self.taken, words)

    def restore(self, rays: np.ndarray, taken: int) -> None:
        restore(rays, self.taken, taken, self.saved)

    def write_misses(self, taken: int, t: np.ndarray, normal: np.ndarray, material: np.ndarray) -> None:
        write_misses(self.taken, taken, t, normal, material)


def above(z_top: float) -> np.float32:
    """A float32 height above ``z_top`` (a scene's highest vertex) by at least a metre."""
    return np.float32(np.nextafter(np.float32(z_top + 1.0 + 1e-3 * abs(z_top)), np.float32(np.inf)))


PROFILE_TO_BOXES = True
"""The height profile reaches only as far as the cast's farthest box hit (``profile_reach``); off: the sensor's
whole range (the in-process A/B turns it off: the cloud is the same)."""
MIN_PROVED = 256
"""Fewer proved rows than this are not worth the cast's extra passes (they are cast as before)."""


@njit(cache=True, nogil=True)
def finite_max(values):
    """The largest finite value of ``values`` (float64), −inf if none is finite."""
    best = -np.inf
    for i in range(len(values)):
        v = np.float64(values[i])
        if v > best and v < np.inf:
            best = v
    return best


def profile_reach(farthest: float) -> float:
    """A reach ≥ ``farthest`` (the farthest box hit of a cast), rounded up to 1/8 of its power-of-two octave
    (exact binary arithmetic; at least 1 m): the height profile the proof needs reaches no farther.

    Why: every pair's reach τ(1 + 10⁻⁵) + 10⁻³ then stays within the profile's ``cap``, so each pair is tested
    as against a profile for the sensor's whole range, with a slack ζ for the shorter reach (sound for it:
    module docstring).  A profile for a Mid-40's 260 m built anew each sweep of a moving ego (~26 µs on the
    bench road, ∝ the cells within reach elsewhere) shrinks to its cars' ~60 m; which rows are proved may
    change, the cloud does not (a proved row ends as its box hit either way).
    """
    if not farthest > 1.0:
        return 1.0
    if not farthest < np.inf:
        return float(farthest)
    _, e = math.frexp(farthest)                           # farthest = f·2^e, f in [0.5, 1)
    q = math.ldexp(1.0, e - 4)
    return math.ceil(farthest / q) * q


def _profile_bins(grid: HeightGrid, c: np.ndarray, radius: float, max_range: float) -> float:
    """How many bins ``height_profile`` would give a profile for ``max_range`` (its own arithmetic)."""
    cap = min(max_range * (1.0 + 1e-5) + 1e-3, grid._farthest(c, radius))
    zeta = slack(max(grid.magnitude, float(np.abs(c).max()) + radius + cap))
    return (cap * math.sqrt(NORM_BOUND) + float(radius) + zeta) / STEP


def _profile_for(grid: HeightGrid, c: np.ndarray, radius: float, max_range: float, reach: float
                 ) -> tuple[np.ndarray, float, float, float] | None:
    """``height_profile`` for ``reach`` (≤ ``max_range``) of a finite pose, or None where the sensor's own range
    would need more than ``MAX_PROFILE_BINS`` bins (nothing is proved there, as before the reach was cut),
    kept in the grid's memo by the query's bits: a sensor sweeping from the same place asks the same every
    sweep, and the profile's own look-up (its reach, slack and key) cost 4–13 µs of Python a sweep.  Equal
    floats give the same profile (a zero's sign changes no term), so the float arguments are keys as they
    are."""
    key = ("proof", c.tobytes(), radius, max_range, reach)
    found = grid.memo.get(key, _MISSING)
    if found is not _MISSING:
        return found
    made = None
    if (np.all(np.isfinite(c)) and math.isfinite(radius) and math.isfinite(max_range)
            and _profile_bins(grid, c, radius, max_range) < MAX_PROFILE_BINS):
        made = height_profile(grid, c, radius, reach)
    if len(grid.memo) >= grid.MEMO_SIZE:                      # as ``HeightGrid.remember``
        grid.memo.clear()
    grid.memo[key] = made
    return made


_MISSING = object()


@dataclass(frozen=True, eq=False)
class BoxProof:
    """What ``prove_pairs`` needs for one static cast's pairs (``box_proof``): the pairs' rays and hits and the
    height profile (Z, ρ_w, ζ, T_max of ``height_profile``)."""

    ray: np.ndarray
    pair_t: np.ndarray
    profile: np.ndarray
    widen: float
    zeta: float
    cap: float
    writable: bool

    def prove(self, rays: np.ndarray, start: int, stop: int, skip: np.ndarray, rows: np.ndarray) -> int:
        """``prove_pairs`` over the rows [start, stop): marks them in ``skip``, lists them in ``rows``; how many.
        Rows are independent, so disjoint row ranges may be proved on two threads into one mask."""
        return prove_pairs(rays, self.ray, self.pair_t, start, stop, self.profile, STEP, self.widen, self.zeta,
                           self.cap, NORM_BOUND, skip, rows)


def box_proof(grid: HeightGrid | None, rays: np.ndarray, centre: np.ndarray, radius: float, max_range: float,
              start: int, stop: int, box_hits: tuple[np.ndarray, np.ndarray] | None, writable: bool = True
              ) -> BoxProof | None:
    """The proof of ``prove_box_first`` before it looks at a ray: None where there is nothing to prove (no
    pairs, no grid, too few rows or pairs, a profile that could not be made)."""
    if box_hits is None or grid is None or stop - start < MIN_PROVED or len(box_hits[0]) < MIN_PROVED:
        return None
    c = np.asarray(centre, dtype=np.float64)
    ray, pair_t = box_hits
    # the profile only as far as the farthest box hit (rounded up: a standing sensor's next sweep asks the
    # same): its bins, cells and slack within the reach the pairs use (``profile_reach``)
    reach = min(float(max_range), profile_reach(finite_max(pair_t))) if PROFILE_TO_BOXES else float(max_range)
    made = _profile_for(grid, c, radius, max_range, reach)
    if made is None:
        return None
    profile, widen, zeta, cap = made
    return BoxProof(np.asarray(ray, dtype=np.int64), pair_t, profile, widen, zeta, cap,
                    writable and bool(rays.flags.writeable))


def proof_mask(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(skip, words): a cleared mask of ``n`` rows and its memory as uint64 words (padded to a multiple of 8
    rows: ``neutralize`` reads it as words)."""
    mask = np.zeros((n + 7) // 8 * 8, np.bool_)
    return mask[:n], mask.view(np.uint64)


def prove_box_first(grid: HeightGrid | None, rays: np.ndarray, centre: np.ndarray, radius: float, max_range: float,
                    start: int, stop: int, box_hits: tuple[np.ndarray, np.ndarray] | None,
                    writable: bool = True) -> BoxFirst | None:
    """The rows of [start, stop) proved to hit one of ``box_hits`` = (ray, pair_t) before any static triangle
    (module docstring), or None where there is nothing to prove or too little.  ``writable``: whether the
    memory behind ``rays`` may be overwritten during a cast (a read-only caller's array may sit behind a
    writeable view: an open3d tensor made from it shares its memory and drops the flag)."""
    proof = box_proof(grid, rays, centre, radius, max_range, start, stop, box_hits, writable)
    if proof is None:
        return None
    skip, words = proof_mask(len(rays))
    rows = np.empty(min(len(proof.ray), len(rays)), np.int64)
    count = proof.prove(rays, start, stop, skip, rows)
    if count < MIN_PROVED:
        return None
    return BoxFirst(skip, rows, count, np.empty((count, 6), np.float32), np.empty(count, np.int64),
                    proof.writable, words)


def warm_up() -> None:
    """Compile (or load) this file's kernels with the argument types the static cast uses."""
    grid = HeightGrid.build(np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], np.float32), np.array([[0, 1, 2]], np.uint32))
    profile, widen, zeta, cap = height_profile(grid, np.array([0.2, 0.2, 1.0]), 0.0, 10.0)
    rays = np.array([[0.2, 0.2, 1.0, 0.0, 0.6, 0.8], [0.2, 0.2, 1.0, 0.0, 0.6, -0.8]], np.float32)
    skip = np.zeros(2, np.bool_)
    rows = np.empty(2, np.int64)
    count = prove_pairs(rays, np.array([0, 1], np.int64), np.array([2.0, 3.0], np.float32), 0, 2, profile, STEP,
                        widen, zeta, cap, NORM_BOUND, skip, rows)
    t, normal, material = np.empty(2, np.float32), np.empty((2, 3), np.float32), np.empty(2, np.int32)
    saved, taken = np.empty((2, 6), np.float32), np.empty(2, np.int64)
    k = neutralize(rays, skip, 0, 2, np.float32(10.0), saved, taken, NO_WORDS)
    restore(rays, taken, k, saved)
    write_misses(taken, k, t, normal, material)
    drop_rows(rays.copy(), np.array([0, 1], np.int64), 2, skip, t, normal, material)
    gather_unproved(rays, 0, 2, skip, np.empty((2, 6), np.float32), np.empty(2, np.int64), t, normal, material)
    finite_max(np.array([1.0, np.inf], np.float32))
    # the split cast's fused test and gather (``static_split``; its kernel lives with the miss proof's)
    from sensors.static_horizon import cull_gather_unproved

    cull_gather_unproved(rays, 0, 2, grid.horizon(np.array([0.2, 0.2, 1.0]), 0.0, 10.0), NORM_BOUND, skip,
                         np.empty((2, 6), np.float32), np.empty(2, np.int64), t, normal, material)
