"""The static part of a cast: which rays go to which cropped region, and which need no cast at all.

Why: open3d charges every ray of a ``cast_rays`` call (about 50 ns before
any BVH work on this machine, ``bench/sensor_bench.py``), and a ray's BVH walk
is cheaper in a smaller scene.  Two exact facts about a ray o + t·d whose
origin height lies in [o_lo, o_hi], for a scene whose vertices lie in the
height band [z_lo, z_hi]:

- if it stays above z_hi (or below z_lo) for t ∈ [0, R], it hits nothing
  within the range R (``reaching_span``): it is not cast;
- if it descends, it is below z_lo for t > (o_hi − z_lo)/(−d_z), so any hit
  it has lies within that distance; when that is at most r, a region exact
  for hits within r gives the same first hit (``scene_region``).

Rays of a spinning lidar are cast ring by ring from the lowest ring up, and a
camera's row by row from the top, so both sets are blocks at the ends of the
ray buffer: each part is one contiguous slice of it (no gather), cast against
its own region.  The near region has a quarter of the sensor's range.

Inside the band a ray may still miss: beside a road mesh there is no terrain,
and along it the road may run out of range.  A third exact fact proves those
misses from a height grid of the map and the sweep's horizon per azimuth
sector (``sensors.static_horizon``); in a cast of enough rays each part's rays
are tested, the proved misses written as misses, and the rest gathered into a
compact buffer, cast against the part's own region and scattered back (a
leading run of rays too steep for any horizon is cast as it lies).  Which
region serves a ray is unchanged, so every hit within range is the same.

Rays whose actor-box hit is known before the cast (the lidar's slab tests)
and proved to come before any static triangle (``sensors.static_boxes``) are
left out the same way — in the leading run, replaced for the cast by a ray
that leaves the scene at once — and come back as static misses, which the
box merge turns into the same box hit.  A cast too small for the miss proof
(``CULL_MIN_RAYS``: a Livox-Mid40 sweep, VLP-16) proves them too and casts
its other rays from a compact copy (``static_boxes.gather_unproved``,
session 8: a Mid-40 sweep among the bench's twenty cars leaves ~1 500 of its
~4 800 cast rays out; in-process A/B, 100 rounds alternating, CPU per sweep
-0.07 to -0.13 ms same frame and new frames, -0.07 to -0.10 ms driving;
VLP-16 -0.05 to -0.18 ms).

Where the caller gives a free helper thread (a lidar sweep that ``two_threads`` lets split) and the miss proof
runs, the single-thread sections around the casts — the box-first proof, the swaps, the test and gather, and
the copies back — run on both threads by rows (``sensors.static_split``, session 10): the same rays cast
against the same regions, the same arrays.
"""

from __future__ import annotations

import math
import threading
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np
import open3d as o3d

from numba import njit

from sensors.scene_region import Region
from sensors.static_runs import RUN_BLOCK, end_runs, end_runs_bounded  # noqa: F401  (re-exported)
from sensors.static_boxes import box_proof, drop_rows, gather_unproved, prove_box_first
from sensors.static_horizon import NORM_BOUND, cull_gather, scatter_hits

if TYPE_CHECKING:
    from sensors.scene import StaticWorld
    from sensors.worker_thread import Parked

NEAR_FRACTION = 0.25
"""Reach of the near region as a share of the sensor's range."""
NEAR_WORTH = 0.2
"""Use the near region when at least this share of the cast rays can (a region costs a BVH build)."""
NEAR_MIN_RAYS = 8192
"""... and at least this many: each ``cast_rays`` call wakes open3d's thread team (some 15–35 µs of wall time
on the 2-core reference machine), which a few thousand rays do not win back (a Livox-Mid40 frame's 4 200
steep rays: the same CPU time either way, ~30 µs more wall time in two calls; VLP-16's 10 800: less CPU)."""


@dataclass(frozen=True)
class DzBounds:
    """Bounds on the rays' d_z known before looking at them: rows [k·size, (k+1)·size) of the ray buffer have
    d_z within [lo[k], hi[k]] (a spinning lidar's rings, ``lidar.ring_dz_bounds``).  With them the run scans
    below skip the blocks that lie wholly inside or outside a run and read only the block where it ends."""

    size: int
    lo: np.ndarray
    hi: np.ndarray


def _runs(dz: np.ndarray, a: int, b: int, threshold: float, below: bool, bounds: DzBounds | None
          ) -> tuple[int, int]:
    """``end_runs(dz[a:b], threshold, below)``, by blocks where ``bounds`` are given (the same result)."""
    if bounds is None:
        return end_runs(dz[a:b], threshold, below)
    return end_runs_bounded(dz, a, b, threshold, below, bounds.size, bounds.lo, bounds.hi)


def near_block(dz: np.ndarray, z_lo: float, origin_top: float, reach: float, bounds: DzBounds | None = None,
               a: int = 0, b: int | None = None) -> tuple[int, int]:
    """[p, q) within ``dz[a:b]``: the longer of the leading and trailing runs of rays that leave the height
    band below within ``reach`` (descend by more than origin_top − z_lo, plus slack, over ``reach``)."""
    b = len(dz) if b is None else b
    n = b - a
    drop = origin_top - z_lo + 1e-3 + 1e-5 * reach
    if n <= 0 or drop <= 0.0 or not math.isfinite(reach):
        return 0, 0
    head, tail = _runs(dz, a, b, -drop / reach, True, bounds)
    return (0, head) if head >= tail else (n - tail, n)


def reaching_span(dz: np.ndarray, z_range: tuple[float, float], origin_z: tuple[float, float], reach: float,
                  bounds: DzBounds | None = None) -> tuple[int, int]:
    """[a, b): the rays outside it cannot meet the slab z_range within ``reach`` (exact, conservative).

    A ray o + t·d stays above the highest vertex for t ∈ [0, R] when
    min(o_z, o_z + R·d_z) > z_max (and below the lowest when the max is
    < z_min); with every origin's z in ``origin_z`` = [lo, hi] that is one
    comparison of d_z per ray.  A slack of 1 mm + 10⁻⁵·R covers Embree's
    float32 arithmetic.  Only the runs of such rays at the two ends of the
    buffer are cut off (they are where a ring-major sweep or a camera puts
    them), so the rest is one contiguous slice.
    """
    n = len(dz)
    z_lo, z_hi = z_range
    if z_lo > z_hi:
        return 0, 0                                       # an empty scene: every ray misses
    if n == 0 or not math.isfinite(reach):
        return 0, n
    slack = 1e-3 + 1e-5 * reach
    o_lo, o_hi = origin_z
    if o_lo > z_hi + slack:                               # every origin above the scene: rays must descend enough
        head, tail = _runs(dz, 0, n, (z_hi + slack - o_lo) / reach, False, bounds)   # rays that stay above
    elif o_hi < z_lo - slack:                             # every origin below it (under a bridge deck, say)
        head, tail = _runs(dz, 0, n, (z_lo - slack - o_hi) / reach, True, bounds)
    else:
        return 0, n
    if head == n:
        return 0, 0
    return head, n - tail


def cast_static(world: "StaticWorld", rays: "o3d.core.Tensor", centre: np.ndarray | None, reach: float,
                nthreads: int, max_range: float, origin_z: tuple[float, float] | None,
                dz_bounds: DzBounds | None = None, box_hits: tuple[np.ndarray, np.ndarray] | None = None,
                rays_writable: bool = True, helper: Executor | None = None, ray_array: np.ndarray | None = None,
                beside: "Parked | None" = None):
    """(t, normal, material) of the first static hit, exact for hits within ``max_range`` of each origin.

    ``reach`` = ``max_range`` + the radius of the ball around ``centre`` that
    holds every origin; ``origin_z`` bounds the origins' heights (None: cast
    every ray against the region of ``reach``); ``dz_bounds`` lets the run scans skip whole blocks.
    ``box_hits`` = (ray, pair_t): the actor-box hits the caller merges afterwards (``apply_slab_hits``'s
    pairs); a ray whose static hit is proved to lie beyond one of them may be written as a static miss, which
    the merge then replaces with the same box hit (``sensors.static_boxes``).  Unless ``rays_writable`` is
    False, some of the ray buffer's rows are overwritten during the cast and restored (nothing may read them
    meanwhile).  ``helper``: an idle single-thread executor of this process (the caller's second CPU is
    free): with the miss proof the single-thread sections run there and here by rows (``static_split``;
    ``SPLIT_SERIAL`` off: a long leading run's hits are copied there, ``_collect_beside``, while this thread
    tests the rest).  ``ray_array``: ``rays``' memory as numpy, where the caller has it (``SensorScene.cast_rays``).
    ``beside``: a job parked for ``helper`` (``worker_thread.Parked``: the lidar's random words): run there after
    its share of the rows where the cast splits, else submitted before the casts.
    """
    n = len(rays)
    region = world.region(centre, reach) if centre is not None and math.isfinite(reach) else world._regions.full
    if origin_z is None or not math.isfinite(max_range) or centre is None:
        _release(beside, helper)
        return _cast(region, rays, nthreads)
    buf = rays.numpy() if ray_array is None else ray_array          # the caller's view of the same memory
    dz = buf[:, 5]
    a, b = reaching_span(dz, region.z_range, origin_z, float(max_range), dz_bounds)
    parts: list[tuple[int, int, Region]] = []
    near_reach = NEAR_FRACTION * float(max_range)
    p, q = (near_block(dz, region.z_range[0], origin_z[1], near_reach, dz_bounds, a, b)
            if b - a >= NEAR_MIN_RAYS else (0, 0))        # fewer rays than a near part needs: no scan
    if q - p >= max(NEAR_WORTH * (b - a), NEAR_MIN_RAYS) and b > a and region.radius > near_reach:
        near = world.region(centre, near_reach + (reach - float(max_range)))
        if near.triangle_count < region.triangle_count:
            parts = [(a, a + p, region), (a + p, a + q, near), (a + q, b, region)]
    horizon = _horizon(world, centre, reach - float(max_range), float(max_range), b - a)
    if horizon is not None:
        # d_z ≤ sin(atan(min horizon)): a unit ray below every sector's horizon, which the test would keep
        # (a speed decision only: a ray cast without the test is cast exactly)
        low = float(horizon.min())
        keep_below = low / math.sqrt(1.0 + low * low) if low > -np.inf else -np.inf
    if horizon is not None and helper is not None and _split_module().SPLIT_SERIAL:
        # a second CPU free (the caller's helper): the single-thread sections on two threads, by rows
        proof = box_proof(world.height_grid, buf, centre, reach - float(max_range), float(max_range), a, b, box_hits,
                          rays_writable)
        t, normal, material = _hit_arrays(n, a, b)
        _split_module().cast_split(rays, buf, dz, parts or [(a, b, region)], horizon, keep_below, proof, nthreads,
                                   helper, dz_bounds, t, normal, material, a, b, beside)
        return t, normal, material
    _release(beside, helper)
    # the box-first proof also where no miss is proved (a cast below ``CULL_MIN_RAYS``: a Livox-Mid40 sweep proves
    # ~1 500 of the ~4 800 rays it casts among the bench's twenty cars); those parts are then gathered
    boxed = (prove_box_first(world.height_grid, buf, centre, reach - float(max_range), float(max_range), a, b,
                             box_hits, rays_writable) if horizon is not None or BOX_FIRST_UNCULLED else None)
    if not parts:
        if b - a > 0.9 * n and horizon is None and boxed is None:      # not worth the copies
            return _cast(region, rays, nthreads)
        parts = [(a, b, region)]
    t, normal, material = _hit_arrays(n, a, b)
    pending = None
    for s, e, part in parts:
        if e <= s:
            continue
        if horizon is None:
            if boxed is None:
                out = part.scene.cast_rays(rays[s:e], nthreads=nthreads)
                collect_part(out["t_hit"].numpy(), out["primitive_normals"].numpy(), out["primitive_ids"].numpy(),
                             part.triangle_material, t, normal, material, s)
                continue
            # the rows proved to hit a box first written as misses, the others cast from a compact copy
            kept_rays, kept_rows = _scratch(e - s)
            k = gather_unproved(buf, s, e, boxed.skip, kept_rays, kept_rows, t, normal, material)
            if k:
                out = part.scene.cast_rays(o3d.core.Tensor.from_numpy(kept_rays[:k]), nthreads=nthreads)
                scatter_hits(out["t_hit"].numpy(), out["primitive_normals"].numpy(), out["primitive_ids"].numpy(),
                             part.triangle_material, kept_rows, t, normal, material)
            continue
        # a leading run of rays too steep for any sector's horizon needs no test: cast as it lies, when long
        # (its rays proved to hit a box first replaced, for the cast only, by rays that leave the scene at once)
        head, _ = _runs(dz, s, e, keep_below, True, dz_bounds)
        if head >= SPLIT_MIN_RAYS and e - s > head:
            taken = 0 if boxed is None else boxed.neutralize(buf, s, s + head, part.z_range[1])
            try:
                out = part.scene.cast_rays(rays[s:s + head], nthreads=nthreads)
            finally:
                if taken:
                    boxed.restore(buf, taken)
            pending = _collect_beside(helper if head >= BESIDE_MIN_ROWS else None, out, part.triangle_material,
                                      t, normal, material, s, boxed, taken)
            s += head
        try:
            # the rays proved to miss are written as misses; the others are cast from a compact copy
            kept_rays, kept_rows = _scratch(e - s)
            k = cull_gather(buf, s, e, horizon, NORM_BOUND, kept_rays, kept_rows, t, normal, material)
            if boxed is not None and k:
                k = drop_rows(kept_rays, kept_rows, k, boxed.skip, t, normal, material)  # proved to hit a box first
            if k:
                out = part.scene.cast_rays(o3d.core.Tensor.from_numpy(kept_rays[:k]), nthreads=nthreads)
                scatter_hits(out["t_hit"].numpy(), out["primitive_normals"].numpy(), out["primitive_ids"].numpy(),
                             part.triangle_material, kept_rows, t, normal, material)
        finally:
            if pending is not None:             # before the next part's neutralize reuses ``boxed.taken``
                job, pending = pending, None
                _join(job)
    return t, normal, material


def _release(beside: "Parked | None", helper: Executor | None) -> None:
    """A parked job the cast does not take (it does not split): to ``helper`` now, beside the casts (here
    without one)."""
    if beside is None:
        return
    if helper is not None:
        beside.submit(helper)
    else:
        beside.run()


def _hit_arrays(n: int, a: int, b: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(t, normal, material) for ``n`` rays whose parts tile [a, b): only the rays outside it are set to a miss
    (no pass over the whole buffer first)."""
    t = np.empty(n, np.float32)
    normal = np.empty((n, 3), np.float32)
    material = np.empty(n, np.int32)
    for s, e in ((0, a), (b, n)):
        t[s:e] = np.inf
        normal[s:e] = 0.0
        material[s:e] = -1
    return t, normal, material


def _split_module():
    """``sensors.static_split`` (imported here on first use: it imports this module)."""
    import sensors.static_split as split

    return split


BOX_FIRST_UNCULLED = True
"""Prove the rays that hit an actor box first (``sensors.static_boxes``) in casts without the miss proof too,
and leave them out of those casts (the in-process A/B turns it off: the hits are the same)."""
BESIDE_MIN_ROWS = 32768
"""A leading run's hits are copied beside the rest's test (``_collect_beside``) from this many rows on: the
hand-over costs some 50 µs of wall time, the copies ~2–3.5 ns a row (0.1–0.25 ms for the HDL-64E head's
68 700 rows)."""
OVERLAP_COLLECT = True
"""Switch for ``_collect_beside`` (the in-process A/B and the tests turn it off: the arrays are the same)."""


def _collect_beside(helper: Executor | None, out, table: np.ndarray, t: np.ndarray, normal: np.ndarray,
                    material: np.ndarray, start: int, boxed, taken: int) -> tuple[Future, Callable[[], None]] | None:
    """A cast run's hits into rows ``start``… (``collect_part``) and its box-first rows written as misses:
    on ``helper`` when given ((the future, the job): ``_join`` it), else here (None).

    Why: after the leading run's cast the rest of the part is tested and gathered on this thread
    (``cull_gather``, ``drop_rows``), single-threaded, as the copies are; both write disjoint rows of the
    sweep's arrays (the run's, and the proved misses after it), so they can run side by side, and the copies
    may go on through the gathered rays' cast.  ``out`` (open3d's result tensors) stays alive in the job.
    open3d's ``cast_rays`` holds the GIL while it casts (a Python thread beside it runs only near its end:
    measured), so the copies run beside the test and gather (``nogil`` kernels), not beside a cast; the other
    way round — the run cast on the worker while this thread gathers — measured slower (in-process A/B,
    2 × 300 rounds: wall min +0.3–0.5 ms, q10 +2 ms) and was dropped."""
    def copy() -> None:
        collect_part(out["t_hit"].numpy(), out["primitive_normals"].numpy(), out["primitive_ids"].numpy(),
                     table, t, normal, material, start)
        if taken:
            boxed.write_misses(taken, t, normal, material)

    if helper is None or not OVERLAP_COLLECT:
        copy()
        return None
    return helper.submit(copy), copy


def _join(pending: tuple[Future, Callable[[], None]]) -> None:
    """Wait for a ``_collect_beside`` job; one its thread has not started yet (busy with another job) is
    cancelled and run here instead, so this thread never idles behind the other's queue."""
    future, job = pending
    if future.cancel():
        job()
        return
    future.result()


CULL_MIN_RAYS = 32768
"""Prove misses (``sensors.static_horizon``) only for casts of at least this many rays that reach the height
band: the horizon (~0.1 ms for 120 m over the bench road) and the test (~5 ns a ray tested) must be won back
at ~45 ns a ray proved.  On the bench road HDL-64E, OS1-128 and HDL-32E prove 24 800, 10 800 and 6 800 rays
(12 600–46 000 tested); VLP-16 (12 600 rays reach the band) only 2 600 of 12 600, which does not pay."""
SPLIT_MIN_RAYS = 4096
"""A leading run of rays below every horizon is cast as it lies (one more ``cast_rays`` call, some 15–35 µs
of wall time) when at least this long; a shorter one is tested and copied with the rest."""


def _horizon(world: "StaticWorld", centre: np.ndarray, radius: float, max_range: float, rays: int
             ) -> np.ndarray | None:
    """The sweep's per-sector horizon (``static_horizon``), or None where the misses are not worth proving."""
    if rays < CULL_MIN_RAYS or not math.isfinite(radius) or not all(map(math.isfinite, centre)):
        return None
    grid = world.height_grid
    if grid is None or rays < CULL_RAYS_PER_CELL * grid.cells_within(centre, radius, max_range):
        return None
    horizon = grid.horizon(centre, radius, max_range)
    return None if horizon.min() == np.inf else horizon   # every sector blocked: no ray can be proved to miss


CULL_RAYS_PER_CELL = 4
"""... and with at least this many rays per height-grid cell the horizon scans (some 30–50 ns a cell against a
few ns a ray tested, and ~45 ns saved for each ray proved to miss)."""

_SCRATCH = threading.local()


SCRATCH_KEEP_ROWS = 1 << 19
"""Largest compact buffer a thread keeps between casts (524 288 rays: 16 MiB with its row list; every lidar
preset's sweep and a 640×480 camera frame fit).  A larger cast (a 1080p or 4K frame) gets buffers of its own,
freed with it, instead of pinning 50–200 MB to the thread for the life of the process."""


def _scratch(n: int) -> tuple[np.ndarray, np.ndarray]:
    """This thread's compact ray buffer and row list, at least ``n`` rows (kept across casts: a fresh 3 MB
    buffer would be paged in anew every sweep), or fresh ones past ``SCRATCH_KEEP_ROWS``."""
    if n > SCRATCH_KEEP_ROWS:
        return np.empty((n, 6), np.float32), np.empty(n, np.int64)
    rays = getattr(_SCRATCH, "rays", None)
    if rays is None or len(rays) < n:
        size = max(n, 1024)
        rays = _SCRATCH.rays = np.empty((size, 6), np.float32)
        _SCRATCH.rows = np.empty(size, np.int64)
    return rays, _SCRATCH.rows


COPY_MIN_ROWS = 2048
"""From this many rows on a cast part's hits are copied by numpy slice assignments (memcpy) and the material
looked up by ``_materials``: 0.10 ms instead of 0.27 for an HDL-64E head of 68 700 rows (the compiled
element loop of ``_collect`` does not vectorise its copies); fewer rows take ``_collect`` (one call)."""


def collect_part(t_part, normal_part, ids, table, t, normal, material, start):
    """``_collect``: one cast part's hits into rows ``start``… of the sweep's arrays (the same values)."""
    if len(t_part) < COPY_MIN_ROWS:
        _collect(t_part, normal_part, ids, table, t, normal, material, start)
        return
    stop = start + len(t_part)
    t[start:stop] = t_part
    normal[start:stop] = normal_part
    _materials(ids, table, material[start:stop])


@njit(cache=True, nogil=True)
def _collect(t_part, normal_part, ids, table, t, normal, material, start):
    """One cast part's hits into rows ``start``… of the sweep's arrays, in one pass: the copies of t and the
    normals, and ``np.take(table, ids, mode="clip")`` for the material (a uint32 id past the table's end,
    INVALID_ID for a miss, clips to its last entry, −1).  numpy's take converts the ids to intp first and
    was the costliest of the three passes."""
    last = len(table) - 1
    for i in range(len(t_part)):
        row = start + i
        t[row] = t_part[i]
        normal[row, 0] = normal_part[i, 0]
        normal[row, 1] = normal_part[i, 1]
        normal[row, 2] = normal_part[i, 2]
        p = np.int64(ids[i])
        material[row] = table[p if p < last else last]


def _cast(region: Region, rays: "o3d.core.Tensor", nthreads: int):
    out = region.scene.cast_rays(rays, nthreads=nthreads)
    ids = out["primitive_ids"].numpy()
    material = np.empty(len(ids), np.int32)
    _materials(ids, region.triangle_material, material)
    return out["t_hit"].numpy(), out["primitive_normals"].numpy(), material


@njit(cache=True, nogil=True)
def _materials(ids, table, out):
    """``np.take(table, ids, mode="clip", out=out)`` for uint32 ids (as ``_collect``)."""
    last = len(table) - 1
    for i in range(len(ids)):
        p = np.int64(ids[i])
        out[i] = table[p if p < last else last]


def trim_beyond(t: np.ndarray, normal: np.ndarray, material: np.ndarray, actor: np.ndarray, max_range) -> None:
    """Make every hit farther than ``max_range`` a miss (t = inf, normal 0, material and actor −1), in place.

    One compiled pass instead of four numpy passes and four scatters.  The
    comparison is numpy's ``t > max_range``: the dtype numpy compares in
    (``np.result_type``; float32 for a float32 ``t`` and a Python or numpy
    float scalar, by value-based casting) rounds the bound first, and the
    kernel compares with that rounded bound in float64, which is exact.
    """
    bound = float(np.result_type(t, max_range).type(max_range))
    _trim_kernel(t, normal, material, actor, bound)


TRIM_BLOCK = 256
"""Rows the range trim tests at a time before it writes (the test alone is a branch-free, vector loop)."""


@njit(cache=True)
def _trim_kernel(t, normal, material, actor, bound):
    """Blocks of rows are first tested without a branch (most blocks hold no hit past the range); a block
    that holds one is then trimmed row by row with the same test."""
    n = len(t)
    start = 0
    while start < n:
        stop = min(start + TRIM_BLOCK, n)
        found = False
        for i in range(start, stop):
            ti = t[i]
            found |= (ti > bound) & (ti != np.inf)
        if found:
            for i in range(start, stop):
                ti = t[i]
                if ti > bound and ti != np.inf:
                    t[i] = np.inf
                    normal[i, 0] = 0.0
                    normal[i, 1] = 0.0
                    normal[i, 2] = 0.0
                    material[i] = -1
                    actor[i] = -1
        start = stop
