"""The driver-model perception search, compiled: leaders, followers, stop lines and yield lines for a fleet.

:class:`simplatform.backends.traffic_context.ContextBuilder` keeps what the road
model says about each driven vehicle's lane (neighbour lanes, successor, speed
limit, signals, junction) as columns of ``facts``, refreshed only when the
vehicle enters another lane or lane section, and every entity's lane as
columns of ``entities``; this loop then answers, per decision, what changes
every step: who is ahead and behind on the own and the neighbouring lanes,
and which stop points apply.

Order on a lane: every entity on a lane is keyed by ``code·10⁷ + 5·10⁶ +
progress`` (progress = s times the lane's driving direction) and ordered by
(key, entity index) — numpy's stable sort of that key, which the search
reproduces exactly (NaN keys last, as numpy sorts them), so the leader and
follower found are those of the sorted-array search it replaces.
"""

from __future__ import annotations

import math

from vehicle_models.jit import kernel

# rows of ``entities`` (one column per entity)
E_CODE, E_DIR, E_ROAD, E_JUNCTION, E_LANE = range(5)
ENTITY_ROWS = 5
# rows of ``facts`` (one column per driven vehicle)
(F_LANE, F_LO, F_HI, F_ON_ROAD, F_LIMIT, F_LEFT, F_RIGHT, F_SUCC, F_SUCC_ENTRY, F_ROAD_LENGTH, F_DIR,
 F_MAY_YIELD, F_SUCC_ROAD, F_SUCC_JUNCTION, F_LIGHTS_FROM, F_LIGHTS_TO) = range(16)
FACT_ROWS = 16
# rows of the float output (TrafficContext's float fields, in its field order) and of the flag output
(SPEED, DESIRED, LENGTH, LEAD_GAP, LEAD_SPEED, FOLLOW_GAP, FOLLOW_SPEED, LEFT_LEAD_GAP, LEFT_LEAD_SPEED,
 LEFT_FOLLOW_GAP, LEFT_FOLLOW_SPEED, RIGHT_LEAD_GAP, RIGHT_LEAD_SPEED, RIGHT_FOLLOW_GAP, RIGHT_FOLLOW_SPEED,
 STOP, YIELD) = range(17)
OUTPUT_ROWS = 17
LEFT_AVAILABLE, RIGHT_AVAILABLE, YIELD_REQUIRED = range(3)
FLAG_ROWS = 3

YIELD_HORIZON = 60.0
"""m: a junction further ahead than this is not yet considered."""


@kernel
def _before(a, b):
    """numpy's sort order of floats: a < b, NaN after every number."""
    return a < b or (b != b and a == a)


@kernel
def _neighbours(q, p, me, code, key):
    """(leader, follower) of a vehicle at progress ``p`` on the lane coded ``q`` (-1: none): the entity
    first at or after it in (key, index) order, the entity last before it; ``me`` itself excluded."""
    if q < 0:
        return -1, -1
    qk = q * 1.0e7 + 5.0e6 + p
    skip_me = code[me] == q
    lead = -1
    lead_key = 0.0
    follow = -1
    follow_key = 0.0
    for j in range(code.shape[0]):
        if code[j] < 0 or (skip_me and j == me):
            continue
        kj = key[j]
        if _before(kj, qk):
            if follow < 0 or not _before(kj, follow_key):  # equal keys: the later index is later
                follow = j
                follow_key = kj
        elif lead < 0 or _before(kj, lead_key):
            lead = j
            lead_key = kj
    if lead >= 0 and code[lead] != q:
        lead = -1
    if follow >= 0 and code[follow] != q:
        follow = -1
    return lead, follow


@kernel
def stale_facts(entities, lane_s, rows, facts, stale):
    """Mark the vehicles whose lane or lane section differs from the one their facts describe."""
    count = 0
    for k in range(rows.shape[0]):
        i = rows[k]
        s = lane_s[i]
        same = entities[E_LANE, i] == facts[F_LANE, k] and facts[F_LO, k] <= s and s < facts[F_HI, k]
        stale[k] = not same
        if not same:
            count += 1
    return count


@kernel
def perceive(entities, lane_s, center_x, length, speed, rows, facts, fallback, light_s, light_signal, stop_signal,
             scratch, out, flags):
    """Fill ``out`` and ``flags`` (TrafficContext rows) for every driven vehicle.

    Gaps are bumper to bumper in progress coordinates; a vehicle with no leader on its road looks
    at the first successor lane (the nearest entity from its entry); stop lines of red or amber
    signals valid for the lane (``light_*``, ``stop_signal``); a junction entry ahead within
    ``YIELD_HORIZON`` is a yield line while any entity is inside that junction on another road."""
    n_all = entities.shape[1]
    code = entities[E_CODE]
    progress = scratch[0]
    front = scratch[1]
    rear = scratch[2]
    key = scratch[3]
    for j in range(n_all):
        p = lane_s[j] * entities[E_DIR, j]
        progress[j] = p
        front[j] = p + center_x[j] + 0.5 * length[j]
        rear[j] = p + center_x[j] - 0.5 * length[j]
        key[j] = code[j] * 1.0e7 + 5.0e6 + p
    for k in range(rows.shape[0]):
        i = rows[k]
        for q in range(out.shape[0]):
            out[q, k] = math.inf
        out[SPEED, k] = speed[i]
        out[LENGTH, k] = length[i]
        for q in (LEAD_SPEED, FOLLOW_SPEED, LEFT_LEAD_SPEED, LEFT_FOLLOW_SPEED, RIGHT_LEAD_SPEED, RIGHT_FOLLOW_SPEED):
            out[q, k] = 0.0
        for q in range(flags.shape[0]):
            flags[q, k] = False
        lead, follow = _neighbours(code[i], progress[i], i, code, key)
        if lead >= 0:
            out[LEAD_GAP, k] = rear[lead] - front[i]
            out[LEAD_SPEED, k] = speed[lead]
        if follow >= 0:
            out[FOLLOW_GAP, k] = rear[i] - front[follow]
            out[FOLLOW_SPEED, k] = speed[follow]
        if facts[F_ON_ROAD, k] == 0.0:
            out[DESIRED, k] = fallback[k]
            continue
        limit = facts[F_LIMIT, k]
        out[DESIRED, k] = limit if limit != 0.0 else fallback[k]
        s = lane_s[i]
        d = facts[F_DIR, k]
        if lead < 0:
            _leader_beyond(k, i, s, d, facts, code, progress, front, rear, speed, out)
        for side in range(2):
            q = facts[F_LEFT if side == 0 else F_RIGHT, k]
            if q < 0:
                continue
            flags[LEFT_AVAILABLE if side == 0 else RIGHT_AVAILABLE, k] = True
            nl, nf = _neighbours(q, progress[i], i, code, key)
            base = LEFT_LEAD_GAP if side == 0 else RIGHT_LEAD_GAP
            if nl >= 0:
                out[base, k] = rear[nl] - front[i]
                out[base + 1, k] = speed[nl]
            if nf >= 0:
                out[base + 2, k] = rear[i] - front[nf]
                out[base + 3, k] = speed[nf]
        front_ahead = center_x[i] + 0.5 * length[i]
        best = math.inf
        for m in range(int(facts[F_LIGHTS_FROM, k]), int(facts[F_LIGHTS_TO, k])):
            if stop_signal[light_signal[m]]:
                dist = (light_s[m] - s) * d - front_ahead
                if 0.0 <= dist and dist < best:
                    best = dist
        out[STOP, k] = best
        to_end = (facts[F_ROAD_LENGTH, k] - s) if d > 0 else s
        junction = facts[F_SUCC_JUNCTION, k]
        if facts[F_MAY_YIELD, k] == 0.0 or to_end > YIELD_HORIZON or junction < 0:
            continue
        entry_road = facts[F_SUCC_ROAD, k]
        for j in range(n_all):
            rj = entities[E_ROAD, j]
            if j != i and rj >= 0 and rj != entry_road and entities[E_JUNCTION, j] == junction:
                v = to_end - front_ahead
                out[YIELD, k] = 0.0 if 0.0 > v else v
                flags[YIELD_REQUIRED, k] = True
                break


@kernel
def _leader_beyond(k, i, s, d, facts, code, progress, front, rear, speed, out):
    """The leader on the first successor lane (one road further): the entity nearest its entry."""
    succ = facts[F_SUCC, k]
    if succ < 0:
        return
    entry = facts[F_SUCC_ENTRY, k]
    best = -1
    best_rel = 0.0
    for j in range(code.shape[0]):
        if code[j] != succ:
            continue
        rel = progress[j] - entry
        if rel != rel:  # numpy's argmin and min: the first NaN
            best = j
            best_rel = rel
            break
        if best < 0 or rel < best_rel:
            best = j
            best_rel = rel
    if best < 0:
        return
    left_on_road = (facts[F_ROAD_LENGTH, k] - s) if d > 0 else s
    own_front = front[i] - progress[i]
    out[LEAD_GAP, k] = left_on_road + (rear[best] - progress[best]) + best_rel - own_front
    out[LEAD_SPEED, k] = speed[best]
