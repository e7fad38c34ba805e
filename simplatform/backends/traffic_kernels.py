"""Compiled per-vehicle loops of the driver-model fleet: lane geometry, tracking, extrapolation, steering.

At 20 vehicles a numpy expression costs its ~1 µs call overhead, not its
arithmetic, and the fleet's per-step work was ~100 such expressions; here each
job is one loop over the vehicles, compiled with numba like the fleet's own
kernels (:mod:`vehicle_models.jit`: no runtime, no fastmath, numpy's error
model).  Every formula repeats, operation for operation, the numpy expression
it replaced (same evaluation order, same clamping, NaN handled as numpy does),
so the results are the same bits: ``sin``, ``cos`` and ``hypot`` compile to the
same libm calls numpy makes.  Two functions do not: numpy's ``arctan2`` and
``tan`` use SIMD (SVML) code on AVX-512 machines, whose last bit differs from
libm's.  ``arctan2`` (pure-pursuit steering, fed back into the dynamics) is
therefore left to numpy by the caller.  On a banked road a lateral offset is
the superelevated cross section's t (OpenDRIVE 1.8 §8.3: t·cos(roll) across,
t·sin(roll) up), as the engine's lane tables place it.

Lane geometry reads the stacked tables of :mod:`simplatform.backends.lane_stack`:
x, y by cubic Hermite on the sampled s-derivatives, the other columns linearly,
as :class:`simplatform.engine.lane_tables.LaneTable` does.  The kernels call no
compiled function of another module, so numba's own cache check (this file's
time stamp) keeps their cache honest.
"""

from __future__ import annotations

import math

from vehicle_models.jit import kernel

X, Y, DX, DY, Z, H, P, R, CT = range(9)
"""Rows of the lane stack's matrix (``lane_stack.ROWS``)."""
START, COUNT, STEP, LENGTH = range(4)
"""Rows of the lane stack's ``meta``: first sample, sample count, grid step, road length."""
TWO_PI = 2.0 * math.pi
WHEEL_RADIUS = 0.35
"""m: the wheel radius the rendered wheel rotation assumes."""


@kernel
def _cell(meta, lane, s):
    """(first sample of the cell holding s, fraction in the cell, grid step); s clamped to [0, length]
    as numpy's ``clip`` does (a NaN s is the caller's case)."""
    length = meta[LENGTH, lane]
    ds = meta[STEP, lane]
    c = s if s > 0.0 else 0.0
    c = c if c < length else length
    u = c / ds
    k = int(u)
    last = int(meta[COUNT, lane]) - 2
    if k > last:
        k = last
    if k < 0:
        k = 0
    return int(meta[START, lane]) + k, u - k, ds


@kernel
def lane_centre(mat, meta, lane, s):
    """(x, y, reference heading) of the lane centre at s (NaN off the lane or for a NaN s)."""
    if s != s:
        return math.nan, math.nan, math.nan
    g, f, ds = _cell(meta, lane, s)
    j = g + 1
    f2 = f * f
    f3 = f2 * f
    w0 = 2 * f3 - 3 * f2 + 1
    w1 = (f3 - 2 * f2 + f) * ds
    w2 = 3 * f2 - 2 * f3
    w3 = (f3 - f2) * ds
    x = w0 * mat[X, g] + w1 * mat[DX, g] + w2 * mat[X, j] + w3 * mat[DX, j]
    y = w0 * mat[Y, g] + w1 * mat[DY, g] + w2 * mat[Y, j] + w3 * mat[DY, j]
    h = mat[H, g] + (mat[H, j] - mat[H, g]) * f
    return x, y, h


@kernel
def _linear(mat, row, g, f):
    return mat[row, g] + (mat[row, g + 1] - mat[row, g]) * f


@kernel
def advance(mat, meta, lanes, direction, s, rows, x, y, track, out, ok):
    """Advance each vehicle's lane position by its displacement since ``track`` (its last tracked
    x, y; updated here) projected on the lane, then two Newton steps on the projection residual
    (the foot of the perpendicular, OpenDRIVE 1.8 §7 reference-line coordinates solved locally).

    ``out`` rows: new s, lateral offset from the lane centre (+ left of the driving direction),
    dx, dy, the cursor's offset (+ left of the reference line's direction).  ``ok`` is False
    where s leaves the road or the lane has no samples there: the caller walks those through the
    road model.  Returns how many are not ok."""
    failed = 0
    for k in range(lanes.shape[0]):
        lane = lanes[k]
        i = rows[k]
        d = direction[k]
        length = meta[LENGTH, lane]
        flip = math.pi if d < 0 else 0.0
        xi, yi = x[i], y[i]
        dx = xi - track[0, k]
        dy = yi - track[1, k]
        track[0, k] = xi
        track[1, k] = yi
        _, _, h = lane_centre(mat, meta, lane, s[k])
        hd = h + flip
        sn = s[k] + d * (dx * math.cos(hd) + dy * math.sin(hd))
        good = sn >= 0.0 and sn <= length and math.isfinite(sn)
        for _ in range(2):
            cx, cy, h = lane_centre(mat, meta, lane, sn)
            hd = h + flip
            sn = sn + d * ((xi - cx) * math.cos(hd) + (yi - cy) * math.sin(hd))
            good = good and sn >= 0.0 and sn <= length
        cx, cy, h = lane_centre(mat, meta, lane, sn)
        hd = h + flip
        lateral = -(xi - cx) * math.sin(hd) + (yi - cy) * math.cos(hd)
        if good:
            g, f, _ = _cell(meta, lane, sn)
            r = _linear(mat, R, g, f)
            if r != 0.0:  # t runs in the superelevated cross section (OpenDRIVE 1.8 §8.3): x/y distance t·cos(roll)
                lateral = lateral / math.cos(r)
        out[0, k] = sn
        out[1, k] = lateral
        out[2, k] = dx
        out[3, k] = dy
        out[4, k] = lateral * d
        ok[k] = good and math.isfinite(lateral)
        if not ok[k]:
            failed += 1
    return failed


@kernel
def lane_columns(mat, meta, lanes, direction, s, offset, rows, z, pitch, roll, lane_s, lane_offset, road_t, bad):
    """Write each vehicle's lane position and the road under it (z on the tilted cross section,
    pitch and roll in the driving direction, reference-line t) into the entity table's rows;
    ``bad`` marks vehicles whose lane has no samples at s (z, pitch, roll left for the road model).
    Returns how many are bad."""
    count = 0
    for k in range(lanes.shape[0]):
        i = rows[k]
        sk = s[k]
        off = offset[k]
        if sk != sk:
            pz = pp = pr = pct = math.nan
        else:
            g, f, _ = _cell(meta, lanes[k], sk)
            pz = _linear(mat, Z, g, f)
            pp = _linear(mat, P, g, f)
            pr = _linear(mat, R, g, f)
            pct = _linear(mat, CT, g, f)
        zk = pz + off * (pr if pr == 0.0 else math.sin(pr))  # t on the tilted cross section (§8.3); ±0 keeps a flat road's bits
        sign = -1.0 if direction[k] < 0 else 1.0
        lane_s[i] = sk
        lane_offset[i] = off
        road_t[i] = pct + off
        if math.isfinite(zk):
            z[i] = zk
            pitch[i] = pp * sign
            roll[i] = pr * sign
            bad[k] = False
        else:
            bad[k] = True
            count += 1
    return count


@kernel
def pursuit_geometry(mat, meta, lanes, direction, s, rows, speed, x, y, heading, out):
    """Pure pursuit's look-ahead point (Coulter 1992) on each vehicle's target lane centre, ``0.8 v + 4``
    m ahead (5 to 40 m): ``out`` rows dx, dy, distance (at least 1 m), the vehicle's heading."""
    for k in range(lanes.shape[0]):
        i = rows[k]
        v = abs(speed[i])
        look = 0.8 * v + 4.0
        look = look if look > 5.0 else 5.0
        look = look if look < 40.0 else 40.0
        px, py, h = lane_centre(mat, meta, lanes[k], s[k] + direction[k] * look)
        px = px - 0.0 * math.sin(h)  # the point at offset 0, as the pose evaluation wrote it
        py = py + 0.0 * math.cos(h)
        dx = px - x[i]
        dy = py - y[i]
        dist = math.hypot(dx, dy)
        out[0, k] = dx
        out[1, k] = dy
        out[2, k] = dist if (dist >= 1.0 or dist != dist) else 1.0
        out[3, k] = heading[i]


@kernel
def pursuit_lever(bearing, geometry, two_wheelbase):
    """In place: ``bearing`` (the look-ahead point's direction, numpy's arctan2 of dy, dx) becomes
    2L·sin α with α = bearing − heading, the numerator of pure pursuit's δ = atan(2L·sin α / l_d).
    Returns how many vehicles have a NaN numerator or distance (no look-ahead point: δ is 0)."""
    missing = 0
    for k in range(bearing.shape[0]):
        v = two_wheelbase[k] * math.sin(bearing[k] - geometry[3, k])
        bearing[k] = v
        if v != v or geometry[2, k] != geometry[2, k]:
            missing += 1
    return missing


@kernel
def model_outputs(state, accel_body, lr, state_rows, start_x, start_y, dt, every, coef, rows, x, y, ax, ay,
                  wheel_angle, yaw_rate):
    """After a model step of ``every`` engine steps: the polynomial coefficients ``coef`` (3, 6, N) of
    x, y, heading, speed, vx, vy over the step's time (constant yaw rate and body acceleration: the
    model's own motion), started from where the step began (``start_x``, ``start_y``, written to the
    entity table's rows, which :func:`extrapolate` then moves on); world accelerations, steering
    and yaw rate into the rows too.  ``state_rows``: the state's yaw, vx, vy, yaw-rate and steering
    rows (``vehicle_models.single_track`` layout)."""
    syaw, svx, svy, srate, ssteer = state_rows[0], state_rows[1], state_rows[2], state_rows[3], state_rows[4]
    span = every * dt
    for k in range(coef.shape[2]):
        heading = state[syaw, k]
        c = math.cos(heading)
        s = math.sin(heading)
        axb = accel_body[0, k]
        ayb = accel_body[1, k]
        awx = axb * c - ayb * s
        awy = axb * s + ayb * c
        v = state[svx, k]
        r = state[srate, k]
        vyb = state[svy, k] - lr[k] * r
        vwx = v * c - vyb * s
        vwy = v * s + vyb * c
        v0x = vwx - awx * span
        v0y = vwy - awy * span
        coef[0, 0, k] = start_x[k]
        coef[0, 1, k] = start_y[k]
        coef[0, 2, k] = heading - r * dt * every
        coef[0, 3, k] = v - axb * span
        coef[0, 4, k] = v0x
        coef[0, 5, k] = v0y
        coef[1, 0, k] = v0x
        coef[1, 1, k] = v0y
        coef[1, 2, k] = r
        coef[1, 3, k] = axb
        coef[1, 4, k] = awx
        coef[1, 5, k] = awy
        coef[2, 0, k] = 0.5 * awx
        coef[2, 1, k] = 0.5 * awy
        for q in range(2, 6):
            coef[2, q, k] = 0.0
        i = rows[k]
        x[i] = start_x[k]
        y[i] = start_y[k]
        ax[i] = awx
        ay[i] = awy
        wheel_angle[i] = state[ssteer, k]
        yaw_rate[i] = r


@kernel
def extrapolate(coef, tau, rows, x, y, heading, speed, vx, vy, odometer, wheel_rot, lane_s, lane_dir, along):
    """Move every vehicle to time ``tau`` into the model step (c0 + c1 τ + c2 τ²); odometer and wheel
    rotation by the distance moved, and (``along``) s by it times ``lane_dir`` (s per metre moved: ±1
    in the lane's direction over the path scale at the vehicle's offset, ``LaneTable.path_scale``)."""
    for k in range(rows.shape[0]):
        i = rows[k]
        px = coef[0, 0, k] + tau * (coef[1, 0, k] + tau * coef[2, 0, k])
        py = coef[0, 1, k] + tau * (coef[1, 1, k] + tau * coef[2, 1, k])
        h = coef[0, 2, k] + tau * (coef[1, 2, k] + tau * coef[2, 2, k])
        moved = math.hypot(px - x[i], py - y[i])
        x[i] = px
        y[i] = py
        heading[i] = (h + math.pi) % TWO_PI - math.pi
        speed[i] = coef[0, 3, k] + tau * (coef[1, 3, k] + tau * coef[2, 3, k])
        vx[i] = coef[0, 4, k] + tau * (coef[1, 4, k] + tau * coef[2, 4, k])
        vy[i] = coef[0, 5, k] + tau * (coef[1, 5, k] + tau * coef[2, 5, k])
        odometer[i] += moved
        wheel_rot[i] = (wheel_rot[i] + moved / WHEEL_RADIUS) % TWO_PI
        if along:
            lane_s[i] += lane_dir[k] * moved
