"""The default controller's per-step work for many engines at once, on shared arrays.

Why: a parameter study steps N copies of one scenario in lockstep (:mod:`batch`).
Per engine, the default controller's Python per entity (lane-table pose,
~12 numpy scalar writes, the kinematics of ``derive``) is most of a step's
cost; over N engines the same arithmetic is one numpy pass.  The engines'
entity tables become views into one set of columns (``SharedColumns``), so
the pass reads and writes every engine's rows in place.

Bit-identity with a lone run (the batch tests check it): every value is
computed with the same IEEE operations in the same order as
``DefaultController.lane_step`` / ``LaneTable.pose`` / ``DefaultController.derive``
(numpy's +, −, ×, ÷, ``remainder`` and ``abs`` round exactly as Python's float
operators do); transcendental functions (sin, cos, tan, atan, atan2) are
taken from :mod:`math` element by element, as the scalar code does, since a
vectorised libm may round differently in the last bit.  They are needed
only where an entity has a lateral offset or rate, or its heading changed.
Everything the vectorised pass does not cover — standing still, leaving the
road at its end, a cell outside the lane table, off-lane motion — goes
through the scalar ``DefaultController`` methods unchanged.
"""

from __future__ import annotations

import math

import numpy as np

from simplatform.engine.entities import _STATE_COLUMNS
from simplatform.engine.motion import WHEEL_RADIUS, wrap_angle

_TWO_PI = 2.0 * math.pi
_TABLE_COLUMNS = ("x", "y", "dx", "dy", "z", "h", "p", "r", "ct")


class SharedColumns:
    """The entity tables (and the controllers' previous speed/heading) of ``engines`` as views
    into one array per column; an engine whose table is re-allocated (a spawned entity) is
    ``detached`` and steps on its own from then on."""

    def __init__(self, engines) -> None:
        sizes = [len(e.table) for e in engines]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int).tolist()
        self.sizes = sizes
        self.total = int(sum(sizes))
        tables = [e.table for e in engines]
        for col in _STATE_COLUMNS + ("lane_id", "active"):
            self._share(col, tables)
        self._share("_prev_speed", [e.controller for e in engines])
        self._share("_prev_heading", [e.controller for e in engines])
        self._views = [(e.table.x, e.controller._prev_speed) for e in engines]
        self.motions = [m for e in engines for m in e.controller.motions]

    def _share(self, name: str, owners) -> None:
        big = np.concatenate([getattr(o, name) for o in owners])
        setattr(self, name.lstrip("_"), big)
        for o, off, n in zip(owners, self.offsets, self.sizes):
            setattr(o, name, big[off:off + n])

    def attached(self, k: int, engine) -> bool:
        x, pv = self._views[k]
        return engine.table.x is x and engine.controller._prev_speed is pv and len(engine.table) == self.sizes[k]

    def remember(self) -> None:
        """``DefaultController.remember`` of every engine."""
        np.copyto(self.prev_speed, self.speed)
        np.copyto(self.prev_heading, self.heading)


class _TableStack:
    """The lane tables met so far, concatenated (one id per table; cell g of table t is base[t] + k)."""

    def __init__(self) -> None:
        self.ids: dict[int, int] = {}
        self.tables: list = []
        self.cols: dict[str, np.ndarray] = {}
        self.base = self.n = self.ds = self.inv_ds = self.length = self.direction = np.zeros(0)
        self.valid = np.zeros(0, dtype=bool)
        self._built = 0

    def id_of(self, tab) -> int:
        k = self.ids.get(id(tab))
        if k is None:
            k = len(self.tables)
            self.tables.append(tab)
            self.ids[id(tab)] = k
        return k

    def build(self) -> None:
        if self._built == len(self.tables):
            return
        tabs = self.tables
        counts = np.array([t.n for t in tabs], dtype=np.int64)
        self.n = counts
        self.base = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        self.ds = np.array([t.ds for t in tabs])
        self.inv_ds = np.array([t.inv_ds for t in tabs])
        self.length = np.array([t.length for t in tabs])
        self.direction = np.array([float(t.direction) for t in tabs])
        self.cols = {c: np.concatenate([np.asarray(t.arrays[c], dtype=float) for t in tabs]) for c in _TABLE_COLUMNS}
        self.valid = np.concatenate([np.asarray(t.valid, dtype=bool) for t in tabs])
        self._built = len(tabs)


class BatchMotion:
    """``DefaultController.step`` and ``derive`` over the attached engines' rows at once."""

    def __init__(self, shared: SharedColumns) -> None:
        self.sh = shared
        self.stack = _TableStack()
        n = shared.total
        self._h_cached = np.full(n, np.nan)
        self._cos = np.zeros(n)
        self._sin = np.zeros(n)
        self._still = np.array([m.standstill_since >= 0 for m in shared.motions], dtype=bool)
        self._offroad = np.array([m.offroad_since >= 0 for m in shared.motions], dtype=bool)

    # ---------------------------------------------------------------- step
    def step(self, members, dt: float) -> None:
        """``members``: (engine, row offset) of the attached engines, all at the same step."""
        sh = self.sh
        speed, active = sh.speed.tolist(), sh.active.tolist()
        stack = self.stack
        ids = stack.ids
        gs: list[int] = []
        ss: list[float] = []
        offs: list[float] = []
        tids: list[int] = []
        who: list = []
        for e, o in members:
            ctrl = e.controller
            road = ctrl.road
            time = e.time
            for i, m in enumerate(ctrl.motions):
                g = o + i
                if not active[g]:
                    continue
                mode = m.mode
                if mode == "external" or mode == "trajectory":
                    continue
                if m.placed:
                    m.placed = False
                    continue
                v = speed[g]
                c = m.cursor
                if mode != "lane" or c is None:
                    ctrl.free_step(i, v * dt, e.locate_every, e.step_index)
                    continue
                ds = v * dt
                if ds == 0.0:
                    ctrl.lane_step(i, m, v, ds, time)
                    continue
                tab = c.table
                if tab is None or tab.lane_id != c.lane_id or tab.road_id != c.road_id:
                    tab = road.table(c)
                k = ids.get(id(tab))
                if k is None:
                    k = stack.id_of(tab)
                gs.append(g)
                ss.append(c.s)
                offs.append(c.offset)
                tids.append(k)
                who.append((ctrl, i, m, c, v, time))
        if gs:
            self._lanes(gs, ss, offs, tids, who, dt)

    def _lanes(self, gs, ss, offs, tids, who, dt: float) -> None:
        """The lane branch of ``DefaultController.lane_step`` for the gathered entities."""
        sh, st = self.sh, self.stack
        st.build()
        g = np.array(gs, dtype=np.int64)
        tid = np.array(tids, dtype=np.int64)
        off = np.array(offs)
        v = sh.speed[g]
        ds = v * dt
        d = st.direction[tid]
        s_new = np.array(ss) + d * ds
        u = s_new * st.inv_ds[tid]
        k = np.minimum(np.maximum(u, 0.0).astype(np.int64), st.n[tid] - 2)
        cell = st.base[tid] + k
        nxt = cell + 1
        ok = (d != 0.0) & (s_new >= 0.0) & (s_new <= st.length[tid]) & st.valid[cell] & st.valid[nxt]
        if not ok.all():
            for q in np.nonzero(~ok)[0].tolist():  # the scalar path from the untouched cursor
                ctrl, i, m, c, vq, time = who[q]
                ctrl.lane_step(i, m, vq, vq * dt, time)
            sel = np.nonzero(ok)[0]
            if len(sel) == 0:
                return
            g, tid, off, v, ds, d, s_new, u, k, cell, nxt = (a[sel] for a in (g, tid, off, v, ds, d, s_new, u, k, cell, nxt))
            who = [who[q] for q in sel.tolist()]
        c = st.cols
        f = u - k
        f2 = f * f
        f3 = f2 * f
        tds = st.ds[tid]
        h00 = 2.0 * f3 - 3.0 * f2 + 1.0
        h10 = (f3 - 2.0 * f2 + f) * tds
        h01 = -2.0 * f3 + 3.0 * f2
        h11 = (f3 - f2) * tds
        x = h00 * c["x"][cell] + h10 * c["dx"][cell] + h01 * c["x"][nxt] + h11 * c["dx"][nxt]
        y = h00 * c["y"][cell] + h10 * c["dy"][cell] + h01 * c["y"][nxt] + h11 * c["dy"][nxt]
        h, z, p, r, ct = (c[n][cell] + (c[n][nxt] - c[n][cell]) * f for n in ("h", "z", "p", "r", "ct"))
        if off.any():
            for q in np.nonzero(off != 0.0)[0].tolist():
                oq, hq, rq = float(off[q]), float(h[q]), float(r[q])
                x[q] -= oq * math.sin(hq)
                y[q] += oq * math.cos(hq)
                if rq != 0.0:
                    z[q] += oq * math.tan(rq)
        back = d < 0.0
        heading = np.remainder(np.where(back, h + math.pi, h) + math.pi, _TWO_PI) - math.pi
        p = np.where(back, -p, p)
        r = np.where(back, -r, r)
        lateral = [q for q, w in enumerate(who) if w[2].lateral_rate != 0.0]
        for q in lateral:
            vq = who[q][4]
            heading[q] = wrap_angle(float(heading[q]) + math.atan2(who[q][2].lateral_rate, abs(vq)) * (1 if vq > 0 else -1))
        road_t = ct + off
        sh.x[g], sh.y[g], sh.z[g] = x, y, z
        sh.heading[g], sh.pitch[g], sh.roll[g] = heading, p, r
        sh.lane_s[g], sh.lane_offset[g], sh.road_t[g] = s_new, off, road_t
        sh.odometer[g] = sh.odometer[g] + np.abs(ds)
        sh.wheel_rot[g] = np.remainder(sh.wheel_rot[g] + ds / WHEEL_RADIUS, _TWO_PI)
        lane_ids = []
        for (ctrl, i, m, cur, _, _), sq, xq, yq, zq, hq in zip(who, s_new.tolist(), x.tolist(), y.tolist(), z.tolist(),
                                                              heading.tolist()):
            cur.s = sq
            lane = cur.lane_id
            lane_ids.append(lane)
            ctrl.table.lane_road[i] = cur.road_id
            m.last_pose = ((cur.road_id, lane, sq, cur.offset), xq, yq, zq, hq)
            m.end_of_road = False
            m.end_of_road_since = -1.0
        sh.lane_id[g] = lane_ids

    # -------------------------------------------------------------- derive
    def derive(self, members, rows: np.ndarray, dt: float) -> None:
        """``DefaultController.derive`` of every attached engine (``rows``: their table rows)."""
        sh = self.sh
        motions = self.sh.motions
        v = sh.speed[rows]
        time = members[0][0].time
        still = np.abs(v) < 1e-4
        flips = np.nonzero(still != self._still[rows])[0]
        if len(flips):
            for q in flips.tolist():
                gq = int(rows[q])
                motions[gq].standstill_since = time if still[q] else -1.0
                self._still[gq] = still[q]
        off_road = np.array([r is None for e, _ in members for r in e.table.lane_road], dtype=bool)
        flips = np.nonzero(off_road != self._offroad[rows])[0]
        if len(flips):
            for q in flips.tolist():
                gq = int(rows[q])
                motions[gq].offroad_since = time if off_road[q] else -1.0
                self._offroad[gq] = off_road[q]
        external = [q for q, gq in enumerate(rows.tolist()) if motions[gq].mode == "external"]
        if external:
            keep = np.ones(len(rows), dtype=bool)
            keep[external] = False
            rows, v = rows[keep], v[keep]
        h = sh.heading[rows]
        stale = np.nonzero(h.view(np.int64) != self._h_cached[rows].view(np.int64))[0]  # bits: sin(-0.0) is -0.0
        if len(stale):
            gst = rows[stale]
            hs = h[stale].tolist()
            self._cos[gst] = [math.cos(a) for a in hs]
            self._sin[gst] = [math.sin(a) for a in hs]
            self._h_cached[gst] = h[stale]
        cos, sin = self._cos[rows], self._sin[rows]
        yaw_rate = (np.remainder(h - sh.prev_heading[rows] + math.pi, _TWO_PI) - math.pi) / dt
        along = (v - sh.prev_speed[rows]) / dt
        lateral = v * yaw_rate
        sh.yaw_rate[rows] = yaw_rate
        sh.vx[rows] = v * cos
        sh.vy[rows] = v * sin
        sh.ax[rows] = along * cos - lateral * sin
        sh.ay[rows] = along * sin + lateral * cos
        moving = np.abs(v) > 0.1
        ratio = np.zeros(len(rows))
        np.divide(sh.wheelbase[rows] * yaw_rate, v, out=ratio, where=moving)
        turning = np.nonzero(ratio != 0.0)[0]
        if len(turning):
            ratio[turning] = [math.atan(a) for a in ratio[turning].tolist()]
        sh.wheel_angle[rows] = ratio
