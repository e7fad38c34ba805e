"""The default controller's per-step work for many engines at once, on shared arrays.

Why: a parameter study steps N copies of one scenario in lockstep (:mod:`batch`).
Per engine, the default controller's Python per entity (lane-table pose,
~12 numpy scalar writes, the kinematics of ``derive``) is most of a step's
cost; over N engines the same arithmetic is one compiled pass
(:mod:`batch_kernels`).  The engines' entity tables become views into one
set of columns (``SharedColumns``), so the pass reads and writes every
engine's rows in place; what stays in Python per entity is gathering the
lane cursors and writing back their new s.  Measured on the 20 s cut-in at
dt = 0.01, 50 variants: ~17 µs of CPU per variant-step one by one, ~7 µs in the
batch, of which the storyboards and loading are most.

Bit-identity with a lone run (the batch tests check it): every value is
computed with the same IEEE operations in the same order as
``DefaultController.lane_step`` / ``LaneTable.pose`` / ``DefaultController.derive``
(compiled loops in :mod:`batch_kernels`, whose docstring says why that holds);
transcendental functions (sin, cos, tan, atan, atan2) are taken from
:mod:`math` element by element, as the scalar code does, since a vectorised
libm may round differently in the last bit.  They are needed only where an
entity has a lateral offset or rate, or its heading changed.
Everything the vectorised pass does not cover — standing still, leaving the
road at its end, a cell outside the lane table, off-lane motion, an entity
travelling against its lane (``LaneCursor.reverse``) — goes through the
scalar ``DefaultController`` methods unchanged.
"""

from __future__ import annotations

import math

import numpy as np

from simplatform.engine import batch_kernels as bk
from simplatform.engine.lane_tables import stack_samples
from simplatform.engine.motion import WHEEL_RADIUS, wrap_angle

_WRITTEN = np.array([bk.LANE_S, bk.LANE_OFFSET, bk.X, bk.Y, bk.Z, bk.HEADING])

BATCH_POSE = object()
"""``EntityMotion.last_pose`` of an entity the batch moved: the pose is in the batch's arrays
(``BatchMotion.last_pose``), not built as a tuple per entity per step."""


class SharedColumns:
    """The entity tables (and the controllers' previous speed/heading) of ``engines`` as views
    into one float array ``F`` (a row per column, ``batch_kernels.F_COLUMNS``), one lane id and
    one ``active`` array.  ``EntityTable.add`` (a spawned entity) is the one thing that
    re-allocates them; it calls the table's ``on_resize``, and the batch lets that engine step
    on its own from then on."""

    def __init__(self, engines) -> None:
        sizes = [len(e.table) for e in engines]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int).tolist()
        self.sizes = sizes
        self.total = n = int(sum(sizes))
        self.F = np.zeros((len(bk.F_COLUMNS), n))
        self.lane_id = np.zeros(n, dtype=np.int64)
        self.active = np.zeros(n, dtype=bool)
        for e, off, size in zip(engines, self.offsets, sizes):
            t, ctrl = e.table, e.controller
            end = off + size
            for k, col in enumerate(bk.F_COLUMNS):
                owner, attr = (ctrl, "_" + col) if col.startswith("prev_") else (t, col)
                self.F[k, off:end] = getattr(owner, attr)
                setattr(owner, attr, self.F[k, off:end])
            self.lane_id[off:end] = t.lane_id
            t.lane_id = self.lane_id[off:end]
            self.active[off:end] = t.active
            t.active = self.active[off:end]
        self.motions = [m for e in engines for m in e.controller.motions]

    def remember(self) -> None:
        """``DefaultController.remember`` of every engine."""
        F = self.F
        np.copyto(F[bk.PREV_SPEED], F[bk.SPEED])
        np.copyto(F[bk.PREV_HEADING], F[bk.HEADING])


class _TableStack:
    """The lane tables met so far, concatenated: samples ``tab`` (a row per ``TABLE_ROWS``),
    ``valid`` per sample, ``meta`` (a column per table: first sample, count, ds, 1/ds, length,
    driving direction)."""

    def __init__(self) -> None:
        self.ids: dict = {}
        self.tables: list = []
        self.tab = np.zeros((len(bk.TABLE_ROWS), 0))
        self.valid = np.zeros(0, dtype=bool)
        self.meta = np.zeros((6, 0))
        self._built = 0

    def id_of(self, tab) -> int:
        k = self.ids.get(tab)  # keyed by the table object itself (identity hash; it stays alive here)
        if k is None:
            k = len(self.tables)
            self.tables.append(tab)
            self.ids[tab] = k
        return k

    def build(self) -> None:
        if self._built == len(self.tables):
            return
        tabs = self.tables
        self.tab, base, counts = stack_samples(tabs)
        self.meta = np.array([base, counts, [t.ds for t in tabs], [t.inv_ds for t in tabs],
                              [t.length for t in tabs], [float(t.direction) for t in tabs]], dtype=float)
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
        self._ratio = np.zeros(n)
        self._flips = np.zeros(2 * n, dtype=np.int64)
        self._stale = np.zeros(n, dtype=np.int64)
        self._still = np.array([m.standstill_since >= 0 for m in shared.motions], dtype=bool)
        self._offroad = np.array([m.offroad_since >= 0 for m in shared.motions], dtype=bool)
        self._tid = np.zeros(n, dtype=np.int64)  # the table each row was last moved on
        self._written = np.zeros((len(_WRITTEN), n))  # and the pose written then (lane_step's last_pose)
        bk.warm_up()

    def last_pose(self, g: int) -> tuple:
        """The ``last_pose`` tuple ``lane_step`` would have left for row ``g``."""
        tab = self.stack.tables[int(self._tid[g])]
        s, offset, x, y, z, h = self._written[:, g].tolist()
        return (tab.road_id, tab.lane_id, s, offset), x, y, z, h

    def bind(self, engine, offset: int) -> None:
        """Let the engine's controller read the poses this batch left (see ``BATCH_POSE``)."""
        engine.controller.batch_pose = lambda i: self.last_pose(offset + i)

    # ---------------------------------------------------------------- step
    def step(self, members, dt: float) -> None:
        """``members``: (engine, row offset) of the attached engines, all at the same step."""
        sh = self.sh
        speed, active = sh.F[bk.SPEED].tolist(), sh.active.tolist()
        stack = self.stack
        ids = stack.ids
        gs: list[int] = []
        tids: list[int] = []
        curs: list = []
        who: list = []
        add_g, add_tid, add_cur, add_who = gs.append, tids.append, curs.append, who.append
        for e, o in members:
            ctrl = e.controller
            road = ctrl.road
            lane_road = ctrl.table.lane_road
            g = o - 1
            for i, m in enumerate(ctrl.motions):
                g += 1
                if not active[g]:
                    continue
                mode = m.mode
                if mode == "lane":
                    if m.placed:
                        m.placed = False
                        continue
                    c = m.cursor
                    if c is None:
                        ctrl.free_step(i, speed[g] * dt, e.locate_every, e.step_index)
                        continue
                    if speed[g] * dt == 0.0 or c.reverse or i in ctrl.legs:
                        # the standing-still check of the scalar path; an entity travelling against
                        # its lane (rare: wrong-way drivers, overtakes) or on a route with legs (a branch
                        # mid-lane, a two-way lane driven backwards: routes.needs_legs) takes it too
                        ctrl.lane_step(i, m, speed[g], speed[g] * dt, e.time)
                        continue
                    tab = c.table
                    if tab is None or tab.lane_id != c.lane_id or tab.road_id != c.road_id:
                        tab = road.table(c)
                    k = ids.get(tab)
                    add_g(g)
                    add_tid(stack.id_of(tab) if k is None else k)
                    add_cur(c)
                    add_who((e, i, m, lane_road))
                elif mode != "external" and mode != "trajectory":
                    if m.placed:
                        m.placed = False
                        continue
                    ctrl.free_step(i, speed[g] * dt, e.locate_every, e.step_index)
        if gs:
            self._lanes(gs, tids, curs, who, dt)

    def _lanes(self, gs, tids, curs, who, dt: float) -> None:
        """The lane branch of ``DefaultController.lane_step`` for the gathered entities."""
        sh, st = self.sh, self.stack
        st.build()
        F = sh.F
        cand_i = np.array((gs, tids, [c.lane_id for c in curs]), dtype=np.int64)
        cand_f = np.array(([c.s for c in curs], [c.offset for c in curs]))
        n = len(gs)
        ok = np.empty(n, dtype=bool)
        raw = np.empty((3, n))
        done = bk.lane_motion(st.tab, st.valid, st.meta, cand_i, cand_f, dt, WHEEL_RADIUS, F, sh.lane_id, ok, raw)
        if done < n:
            for q in np.nonzero(~ok)[0].tolist():  # the scalar path from the untouched cursor
                e, i, m, _ = who[q]
                v = float(F[bk.SPEED, gs[q]])
                e.controller.lane_step(i, m, v, v * dt, e.time)
            if done == 0:
                return
            sel = np.nonzero(ok)[0]
            selected = sel.tolist()
            who = [who[q] for q in selected]
            curs = [curs[q] for q in selected]
            cand_i, cand_f, raw = cand_i[:, sel], cand_f[:, sel], raw[:, sel]
        g = cand_i[0]
        self._tid[g] = cand_i[1]
        off = cand_f[1]
        if off.any():  # LaneTable.pose's offset terms, with math's sin and cos
            q = np.nonzero(off != 0.0)[0]
            gq, oq, hq, rq = g[q], off[q], raw[0, q].tolist(), raw[1, q]
            tilted = np.nonzero(rq != 0.0)[0]
            across = oq
            if len(tilted):  # t in the superelevated cross section (§8.3): offset·cos(roll) across
                across = oq.copy()
                across[tilted] = oq[tilted] * np.array([math.cos(a) for a in rq[tilted].tolist()])
            F[bk.X, gq] = F[bk.X, gq] - across * np.array([math.sin(a) for a in hq])
            F[bk.Y, gq] = F[bk.Y, gq] + across * np.array([math.cos(a) for a in hq])
            if len(tilted):
                gt = gq[tilted]
                F[bk.Z, gt] = F[bk.Z, gt] + oq[tilted] * np.array([math.sin(a) for a in rq[tilted].tolist()])
        lateral = []
        for q, ((e, i, m, lane_road), c, s_new) in enumerate(zip(who, curs, raw[2].tolist())):
            c.s = s_new
            lane_road[i] = c.road_id
            m.last_pose = BATCH_POSE
            m.end_of_road = False
            m.end_of_road_since = -1.0
            if m.lateral_rate != 0.0:
                lateral.append(q)
        for q in lateral:  # the yaw of the lateral motion (v != 0 here)
            gq = int(g[q])
            v = float(F[bk.SPEED, gq])
            rate = who[q][2].lateral_rate
            F[bk.HEADING, gq] = wrap_angle(float(F[bk.HEADING, gq]) + math.atan2(rate, abs(v)) * (1 if v > 0 else -1))
        self._written[:, g] = F[_WRITTEN[:, None], g]

    # -------------------------------------------------------------- derive
    def derive(self, members, rows: np.ndarray, dt: float) -> None:
        """``DefaultController.derive`` of every attached engine (``rows``: their table rows)."""
        F = self.sh.F
        motions = self.sh.motions
        time = members[0][0].time
        off_road = np.array([r is None for e, _ in members for r in e.table.lane_road], dtype=bool)
        flips, stale = self._flips, self._stale
        n_still, n_off, n_stale = bk.derive_flags(F, rows, self._still, off_road, self._offroad, self._h_cached,
                                                  flips, stale)
        if n_still or n_off:
            for k, q in enumerate(flips[:n_still + n_off].tolist()):
                gq = int(rows[q])
                if k < n_still:
                    motions[gq].standstill_since = time if self._still[gq] else -1.0
                else:
                    motions[gq].offroad_since = time if off_road[q] else -1.0
        if n_stale:
            gst = rows[stale[:n_stale]]
            hs = F[bk.HEADING, gst]
            self._cos[gst] = [math.cos(a) for a in hs.tolist()]
            self._sin[gst] = [math.sin(a) for a in hs.tolist()]
            self._h_cached[gst] = hs
        external = [q for q, gq in enumerate(rows.tolist()) if motions[gq].mode == "external"]
        if external:
            keep = np.ones(len(rows), dtype=bool)
            keep[external] = False
            rows = rows[keep]
        ratio = self._ratio
        bk.kinematics(F, rows, dt, self._cos, self._sin, ratio)
        turning = np.nonzero(ratio[:len(rows)])[0]
        if len(turning):
            gt = rows[turning]
            F[bk.WHEEL_ANGLE, gt] = [math.atan(a) for a in ratio[turning].tolist()]
