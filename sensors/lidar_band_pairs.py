"""A rosette frame's (ray, box) candidate pairs from its elevation bands in cast order (numba).

Why: ``lidar_actors.candidate_pairs`` reads the rays of a box's azimuth ×
elevation window off the frame's azimuth-sorted tables, and a non-repetitive
head (Livox Mid-40) needs those tables for a new frame every sweep: a second
sort of its 10 000 rays and four table copies (about 70 µs of CPU warm and
120–140 µs inside a sweep, a sixth of the frame's build), used by nothing
else in the sweep.  The frame's cast order already sorts its rays by the z
of their directions (``lidar_frame.frame_cast_side``), and the elevation
arcsin(z) grows with z, so the rays of a box's elevation window are one run
of cast rows, found by two binary searches; each row of the run is then
tested against the window exactly as the azimuth path tests it.  So the
azimuth tables are built only if something asks for them
(``lidar_frame_lazy``).

Same pairs: a box's rows are the rows ``candidate_pairs`` gives it, as a
set.  The azimuth path keeps the rows at sorted places [i0, i1) (and [0, j1)
past +π), i.e. exactly the rays with a ≤ azimuth ≤ b (or azimuth ≤ b − 2π
when b > π), a = the window start wrapped into [−π, π) and b = a + (hi − lo),
the same float64 expressions (``lidar_kernels._spans``), or every ray for a
window of 2π or more; then those with el_lo ≤ elevation ≤ el_hi.  Here the
same two tests on the same float64 values, for the rows of the run.  The
run is found on the float32 z column with a margin of 10⁻⁶: numpy's arcsin
and the C library's sin are within a few ulp, and arcsin's slope is at
least 1, so a ray outside the widened run has its elevation outside the
window by more than 10⁻⁶ rad, and the run holds every ray the test keeps
(windows reaching past ±π/2 open the run to that end).  The rows come in
cast order instead of azimuth order: the slab tests and their merge
(``actor_boxes``, ``lidar_sweep_boxes``) treat each (ray, box) pair on its
own and boxes in their order, so the hits are the same bits.

The rows of a run are read in a row: the frame keeps its azimuths in cast
order (``lidar_frame.frame_cast_azimuth``, with their extent, so a window
outside the frame's azimuths is skipped), and only rows near a run's ends
read their elevation (inside the run by the margin again, the test holds).

Where the azimuth path's sorted search would meet a NaN (a window whose
start is not finite over a non-empty run, or a NaN azimuth in the frame)
the kernel says so and the caller takes the azimuth path
(``lidar.Lidar._pairs``).

Session 9: a new frame no longer computes its angles (numpy's arctan2 and
arcsin, ~45 µs inside a sweep): ``deflection_pairs`` decides the same two
tests per row on what the frame's kernel already has — the row's z for the
elevation (sure ``Z_SURE`` from a band's edge) and its deflection u, the
azimuth the direction was made from, for the azimuth (sure
``AZIMUTH_SURE`` from a window's edge) — and reads the frame's azimuths
(built then) only for rows nearer an edge than that, handing over to
``band_pairs`` on the angles where a row is that near a z edge.  On the
bench scene 8 % of new frames read the azimuths, 0.2 % hand over.  Kernel
alone, one frame of the bench scene, best of 2 000: 38 µs (``band_pairs`` 40 µs,
plus the angles it needs).

Cost on the bench's Livox sweep (20 cars, ~2 600 pairs), best of rounds on
the loaded 2-core machine: the band path 44–48 µs; the azimuth path 32–40 µs
plus the frame's azimuth side it needs, 70 µs warm (120–140 µs inside a
sweep).  A frame swept again takes the azimuth path (``Lidar._pairs``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numba import njit

from sensors.actor_boxes import ActorBoxes
from sensors.frames import Transform
from sensors.lidar_actors import ANGLE_MARGIN
from sensors.lidar_kernels import box_windows

POLY_REACH = 0.5
"""``lidar_frame.POLY_REACH`` (a copy: numba's cache tracks a kernel's own file): the deflections' reach."""

Z_MARGIN = 1e-6
"""Widening of a window's run of cast rows in z (see the module docstring: ≫ the ulps of sin and arcsin)."""
Z_SURE = 1e-9
"""``deflection_pairs``: a row whose z is this far inside (outside) a window's z band passes (fails) the
elevation test for sure: ≫ the few 10⁻¹⁶ of sin's and arcsin's ulps, the argument of the module docstring."""
AZIMUTH_SURE = 1e-6
"""``deflection_pairs``: a row whose deflection u is this far inside (outside) a window's azimuth interval
passes (fails) the azimuth test for sure.  For |u|, |v| ≤ 0.5 the float32 azimuth numpy's arctan2 makes of
the float32 components (cos v·cos u, cos v·sin u) is within 3·10⁻⁷ of u: the components' roundings move
atan(y/x) by at most 2⁻²⁴·sin 2u ≤ 6·10⁻⁸, and a 4-ulp arctan2 (numpy's bound for its SIMD loops) 2.4·10⁻⁷;
measured over 10⁷ Mid-40 rays: 7.4·10⁻⁸."""


@njit(cache=True, nogil=True)
def _first_not_below(z, value):
    """First row r with not (z[r] < value): z ascending, NaN last (a NaN is never below)."""
    lo = 0
    hi = len(z)
    while lo < hi:
        mid = (lo + hi) >> 1
        if np.float64(z[mid]) < value:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, nogil=True)
def _first_above(z, value):
    """First row r with not (z[r] <= value): z ascending, NaN last."""
    lo = 0
    hi = len(z)
    while lo < hi:
        mid = (lo + hi) >> 1
        if np.float64(z[mid]) <= value:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, nogil=True, inline="always")
def _keep_rows(out, w, s, e, cast_order, cast_azimuth, elevation, e_lo, e_hi, whole, test_elevation, a, b, wrap,
               b_wrapped):
    """Rows [s, e) of a window's run into ``out`` from ``w`` where inside; the new ``w``.  Branch-free:
    each row is written and kept (w advanced) only if inside."""
    for r in range(s, e):
        inside = True
        if test_elevation:
            x = elevation[cast_order[r]]
            inside = (x >= e_lo) & (x <= e_hi)
        if not whole:
            az = np.float64(cast_azimuth[r])
            inside = inside & (((az >= a) & (az <= b)) | (wrap & (az <= b_wrapped)))
        out[w] = r
        w += inside
    return w


@njit(cache=True, nogil=True)
def band_pairs(lo, hi, el_lo, el_hi, cast_z, cast_order, cast_azimuth, elevation, az_min, az_max, offsets):
    """(rows, ok): the cast rows of each window [lo, hi] × [el_lo, el_hi], grouped by box (``offsets``
    receives the bounds), ascending within a box; ok False where the azimuth path must decide (a NaN
    azimuth in the frame, or a window start that is not finite over a non-empty run: nothing else is
    valid then).

    ``cast_z``: the z of each cast row's direction (ascending, NaN last); ``cast_order``: the pattern
    index of each cast row; ``cast_azimuth``: the float32 azimuth of each cast row; ``elevation``
    (float64): per pattern ray; [az_min, az_max] the azimuths' extent (NaN if any is NaN): a window
    outside it holds no ray (a Mid-40 sees forward only).  A row of the run whose z is inside the
    window's z band by the margin too (windows within ±π/2) passes the elevation test for sure, so
    only the rows near the run's ends read their elevation.
    """
    m = len(lo)
    n = len(cast_order)
    two_pi = 2 * np.pi
    half_pi = 0.5 * np.pi
    if n and not (az_min <= az_max):                      # a NaN azimuth
        return np.empty(0, dtype=np.int64), False
    s0 = np.zeros(m, dtype=np.int64)
    s1 = np.zeros(m, dtype=np.int64)
    bound = 0
    for k in range(m):
        a = el_lo[k]
        b = el_hi[k]
        if not (a <= b):                                   # empty or NaN: the test keeps no row
            continue
        z_lo = -np.inf if not (a > -half_pi) else math.sin(a) - Z_MARGIN
        z_hi = np.inf if not (b < half_pi) else math.sin(b) + Z_MARGIN
        u0 = _first_not_below(cast_z, z_lo)
        u1 = _first_above(cast_z, z_hi)
        if u1 <= u0:
            continue
        if not (hi[k] - lo[k] >= two_pi):
            start = (lo[k] + np.pi) % two_pi - np.pi
            end = start + (hi[k] - lo[k])
            if not (abs(start) < np.inf and abs(end) < np.inf):
                return np.empty(0, dtype=np.int64), False
            if not ((start <= az_max and end >= az_min) or (end > np.pi and end - two_pi >= az_min)):
                continue                                   # no azimuth of the frame is inside
        s0[k] = u0
        s1[k] = u1
        bound += u1 - u0
    out = np.empty(bound, dtype=np.int64)
    offsets[0] = 0
    w = 0
    for k in range(m):
        u0 = s0[k]
        u1 = s1[k]
        e_lo = el_lo[k]
        e_hi = el_hi[k]
        whole = hi[k] - lo[k] >= two_pi
        a = (lo[k] + np.pi) % two_pi - np.pi
        b = a + (hi[k] - lo[k])
        wrap = b > np.pi
        b_wrapped = b - two_pi
        q0 = u0
        q1 = u0
        if u1 > u0 and e_lo > -half_pi and e_hi < half_pi:
            q0 = max(_first_not_below(cast_z, math.sin(e_lo) + Z_MARGIN), u0)
            q1 = max(min(_first_above(cast_z, math.sin(e_hi) - Z_MARGIN), u1), q0)
        w = _keep_rows(out, w, u0, q0, cast_order, cast_azimuth, elevation, e_lo, e_hi, whole, True, a, b, wrap,
                       b_wrapped)
        w = _keep_rows(out, w, q0, q1, cast_order, cast_azimuth, elevation, e_lo, e_hi, whole, False, a, b, wrap,
                       b_wrapped)
        w = _keep_rows(out, w, q1, u1, cast_order, cast_azimuth, elevation, e_lo, e_hi, whole, True, a, b, wrap,
                       b_wrapped)
        offsets[k + 1] = w
    return out[:w], True


@njit(cache=True, nogil=True)
def deflection_pairs(lo, hi, el_lo, el_hi, cast_z, cast_order, cast_u, u_min, u_max, azimuth, offsets):
    """(rows, decided): ``band_pairs``' rows, with each row's two tests decided without the frame's angles:
    the elevation test from the row's z, the azimuth test from its deflection u (``cast_u``, in cast order;
    [u_min, u_max] their extent), each where the row is ``Z_SURE`` / ``AZIMUTH_SURE`` inside or outside the
    window; a row nearer an azimuth edge than that reads its float32 azimuth (``azimuth``, pattern order,
    as ``band_pairs``' ``cast_azimuth``) where it is given (non-empty).  ``decided`` is False where such a
    row meets an empty ``azimuth`` (a few sweeps in a hundred: the caller then gives the azimuths), a row
    of a window's run lies within ``Z_SURE`` of its z band's edge, a window reaches past ±π/2 in elevation
    or has no finite start, or a deflection is not finite, beyond ``lidar_frame.POLY_REACH`` or a z is
    NaN: ``band_pairs`` on the angles then decides.  So every decided row gets the answer ``band_pairs``
    gives it, and the rows are the same, in the same order.

    Valid for a frame whose deflections u and v are within ``POLY_REACH`` (the caller's: a rosette whose
    2δ is, ``RosetteTables.cast_deflection``), where the azimuth is u within ``AZIMUTH_SURE``.
    """
    m = len(lo)
    n = len(cast_order)
    exact = len(azimuth) > 0
    out0 = np.empty(0, dtype=np.int64)
    two_pi = 2 * np.pi
    half_pi = 0.5 * np.pi
    if n and not (-POLY_REACH <= u_min and u_max <= POLY_REACH and -0.5 <= cast_z[0] and cast_z[n - 1] <= 0.5):
        return out0, False                                # NaN or far deflections, or a NaN z (sorted last)
    # every row's elevation is within ±arcsin 0.5 < ±π/2: a bound past ±π/2 holds every row, one past
    # the other way none
    s0 = np.zeros(m, dtype=np.int64)
    s1 = np.zeros(m, dtype=np.int64)
    bound = 0
    for k in range(m):
        a = el_lo[k]
        b = el_hi[k]
        if not (a <= b and a < half_pi and b > -half_pi):  # empty, NaN, or beyond every row: no row
            continue
        lower = a > -half_pi
        upper = b < half_pi
        z_lo = math.sin(a) if lower else -np.inf
        z_hi = math.sin(b) if upper else np.inf
        u0 = _first_not_below(cast_z, z_lo - Z_SURE)
        u1 = _first_above(cast_z, z_hi + Z_SURE)
        if u1 <= u0:
            continue
        if not (hi[k] - lo[k] >= two_pi):
            start = (lo[k] + np.pi) % two_pi - np.pi
            end = start + (hi[k] - lo[k])
            if not (abs(start) < np.inf and abs(end) < np.inf):
                return out0, False
            if not ((start - AZIMUTH_SURE <= u_max and end + AZIMUTH_SURE >= u_min)
                    or (end > np.pi and end - two_pi + AZIMUTH_SURE >= u_min)):
                continue                                   # every row surely outside the interval
        # rows in the uncertain z bands at the run's ends: the angles decide
        if ((lower and _first_not_below(cast_z, z_lo + Z_SURE) > u0)
                or (upper and _first_above(cast_z, z_hi - Z_SURE) < u1)):
            return out0, False
        s0[k] = u0
        s1[k] = u1
        bound += u1 - u0
    out = np.empty(bound, dtype=np.int64)
    offsets[0] = 0
    w = 0
    for k in range(m):
        whole = hi[k] - lo[k] >= two_pi
        a = (lo[k] + np.pi) % two_pi - np.pi
        b = a + (hi[k] - lo[k])
        wrap = b > np.pi
        b_wrapped = b - two_pi
        start = w
        near = False
        if whole:
            for r in range(s0[k], s1[k]):
                out[w] = r
                w += 1
        elif not wrap:
            # |u| ≤ POLY_REACH: a u farther than AZIMUTH_SURE from a and b is on the same side of each as the
            # row's azimuth, so its test on u is the test on the azimuth (without a wrap b − 2π < −π lies
            # below every u: that term keeps no row)
            for r in range(s0[k], s1[k]):                  # branch-free: each row written, kept if inside
                x = cast_u[r]
                out[w] = r
                w += (x >= a) & (x <= b)
                near |= (abs(x - a) < AZIMUTH_SURE) | (abs(x - b) < AZIMUTH_SURE)
        else:
            for r in range(s0[k], s1[k]):                  # the same with the wrapped term
                x = cast_u[r]
                out[w] = r
                w += ((x >= a) & (x <= b)) | (x <= b_wrapped)
                near |= ((abs(x - a) < AZIMUTH_SURE) | (abs(x - b) < AZIMUTH_SURE)
                         | (abs(x - b_wrapped) < AZIMUTH_SURE))
        if near:
            if not exact:
                return out0, False
            w = start                                      # again, the rows near an edge by their azimuth
            for r in range(s0[k], s1[k]):
                x = cast_u[r]
                if (abs(x - a) < AZIMUTH_SURE) | (abs(x - b) < AZIMUTH_SURE) | (abs(x - b_wrapped) < AZIMUTH_SURE):
                    x = np.float64(azimuth[cast_order[r]])
                out[w] = r
                w += ((x >= a) & (x <= b)) | (wrap & (x <= b_wrapped))
        offsets[k + 1] = w
    return out[:w], True


def deflection_frame_pairs(boxes: ActorBoxes, cast_z: np.ndarray, cast_order: np.ndarray, cast_u: np.ndarray,
                           deflection_extent: tuple[float, float], to_world: Transform, max_range: float,
                           period_s: float, motion: tuple[float, float] | None = None,
                           azimuth: Callable[[], np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """``frame_pairs`` decided on the frame's deflections (``deflection_pairs``), or None where they cannot
    decide (``frame_pairs`` on the frame's angles then does).  ``azimuth`` gives the frame's float32
    azimuths in pattern order (``FrameAngles``): called, and the pairs decided again with them, only where
    a row lies within ``AZIMUTH_SURE`` of a window's azimuth edge.  The windows are
    ``lidar_actors._windows``'."""
    m = len(boxes)
    if m == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64)
    lo, hi, el_lo, el_hi = np.empty(m), np.empty(m), np.empty(m), np.empty(m)
    speed, yaw_rate = motion if motion is not None else (0.0, 0.0)
    box_windows(boxes.rotation, boxes.centre, boxes.half, np.ascontiguousarray(to_world.rotation.T),
                np.asarray(to_world.translation, dtype=np.float64), float(max_range), ANGLE_MARGIN, float(speed),
                float(yaw_rate), float(period_s), lo, hi, el_lo, el_hi)
    offsets = np.empty(m + 1, dtype=np.int64)
    ray, decided = deflection_pairs(lo, hi, el_lo, el_hi, cast_z, cast_order, cast_u, *deflection_extent, _NO_AZIMUTH,
                                    offsets)
    if not decided and azimuth is not None:
        ray, decided = deflection_pairs(lo, hi, el_lo, el_hi, cast_z, cast_order, cast_u, *deflection_extent,
                                        azimuth(), offsets)
    return (ray, offsets) if decided else None


_NO_AZIMUTH = np.zeros(0, dtype=np.float32)


def frame_pairs(boxes: ActorBoxes, cast_z: np.ndarray, cast_order: np.ndarray, cast_azimuth: np.ndarray,
                azimuth_extent: tuple[float, float], elevation: np.ndarray, to_world: Transform, max_range: float,
                period_s: float, motion: tuple[float, float] | None = None
                ) -> tuple[np.ndarray, np.ndarray] | None:
    """``lidar_actors.candidate_pairs`` of a rosette frame from its cast order (same rows per box, in cast
    order), or None where the azimuth path must decide.  The windows are ``lidar_actors._windows``' (the
    same kernel on the same arguments)."""
    m = len(boxes)
    if m == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64)
    lo, hi, el_lo, el_hi = np.empty(m), np.empty(m), np.empty(m), np.empty(m)
    speed, yaw_rate = motion if motion is not None else (0.0, 0.0)
    box_windows(boxes.rotation, boxes.centre, boxes.half, np.ascontiguousarray(to_world.rotation.T),
                np.asarray(to_world.translation, dtype=np.float64), float(max_range), ANGLE_MARGIN, float(speed),
                float(yaw_rate), float(period_s), lo, hi, el_lo, el_hi)
    offsets = np.empty(m + 1, dtype=np.int64)
    ray, ok = band_pairs(lo, hi, el_lo, el_hi, cast_z, cast_order, cast_azimuth, elevation, *azimuth_extent,
                         offsets)
    return (ray, offsets) if ok else None
