"""What driver models perceive, filled from the engine's world and the road model.

A :class:`vehicle_models.drivers.TrafficContext` row per model-driven vehicle
(vectorised over vehicles):

* leader / follower on the own lane: every active entity is keyed by
  (road, lane) and ordered by its progress ``s·direction`` in the driving
  direction; the neighbours in that order are the leader and the follower, gaps
  bumper to bumper from the bounding boxes.  A vehicle without a leader on its
  road looks one road further along its lane's first successor.
* left / right (driver's side, as MOBIL wants it): the same search on the
  neighbouring lane of the same driving direction (``RoadNetwork.neighbour_lane``).
* desired speed: the lane's speed limit (``RoadNetwork.speed_limit``), else the
  speed the entity had when its controller took over (else 50 km/h).
* stop line: the nearest dynamic signal (traffic light) ahead on the own road
  valid for the lane whose state shows red or amber
  (:func:`simplatform.engine.signals.is_stop`: colour words or lamp triples).
* junction yield: approaching a junction (the next road of the lane belongs to
  one), the vehicle must stop at the junction entry while another entity is
  inside that junction on a different connecting road ("first in, first
  served": a simplification of right-of-way, which OpenDRIVE 1.8 §12 leaves to
  the junction's priorities, rarely given in maps).
"""

from __future__ import annotations

import math

import numpy as np

from simplatform.engine.signals import is_stop
from vehicle_models.drivers import TrafficContext

DEFAULT_DESIRED_SPEED = 50.0 / 3.6
YIELD_HORIZON = 60.0
"""m: a junction further ahead than this is not yet considered."""


_stop_state = is_stop


class ContextBuilder:
    """Caches the road-model answers that do not change during a run."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.road = engine.road
        self._keys: dict[tuple[str, int], int] = {}
        self._neighbour: dict[tuple[str, int, int, int], int | None] = {}
        self._limit: dict[tuple[str, int, int], float | None] = {}
        self._sections: dict[str, list[float]] = {}
        self._lights: dict[str, list] | None = None
        self._junction_of: dict[str, str | None] = {}

    # ------------------------------------------------------------ cached facts
    def key(self, road_id: str, lane_id: int) -> int:
        k = self._keys.get((road_id, lane_id))
        if k is None:
            k = len(self._keys)
            self._keys[(road_id, lane_id)] = k
        return k

    def _section(self, road_id: str, s: float) -> int:
        starts = self._sections.get(road_id)
        if starts is None:
            starts = [sec.s for sec in self.road.net.roads[road_id].lane_sections]
            self._sections[road_id] = starts
        k = 0
        while k + 1 < len(starts) and starts[k + 1] <= s:
            k += 1
        return k

    def neighbour(self, road_id: str, lane_id: int, s: float, side: int) -> int | None:
        key = (road_id, lane_id, self._section(road_id, s), side)
        if key not in self._neighbour:
            try:
                self._neighbour[key] = self.road.net.neighbour_lane(road_id, lane_id, s, side)
            except Exception:  # a lane the road model does not know at s: no neighbour
                self._neighbour[key] = None
        return self._neighbour[key]

    def speed_limit(self, road_id: str, lane_id: int, s: float) -> float | None:
        key = (road_id, lane_id, self._section(road_id, s))
        if key not in self._limit:
            try:
                self._limit[key] = self.road.net.speed_limit(road_id, lane_id, s)
            except Exception:
                self._limit[key] = None
        return self._limit[key]

    def junction(self, road_id: str) -> str | None:
        if road_id not in self._junction_of:
            self._junction_of[road_id] = self.road.net.roads[road_id].junction
        return self._junction_of[road_id]

    def lights(self, road_id: str) -> list:
        if self._lights is None:
            self._lights = {}
            for sig in self.road.net.signals.values():
                if not sig.dynamic:
                    continue
                for pl in sig.placements:
                    self._lights.setdefault(pl.road_id, []).append((sig.id, pl))
        return self._lights.get(road_id, [])

    # ------------------------------------------------------------------ build
    def build(self, members: np.ndarray, fallback_speed: np.ndarray) -> TrafficContext:
        eng = self.engine
        t = eng.table
        road = self.road
        n_all = len(t)
        code = np.full(n_all, -1, dtype=np.int64)
        direction = np.ones(n_all)
        for j in range(n_all):
            rid = t.lane_road[j]
            if rid is not None and t.active[j]:
                lane = int(t.lane_id[j])
                code[j] = self.key(rid, lane)
                direction[j] = road.direction(rid, lane)
        progress = t.lane_s * direction
        c, s_ = np.cos(t.heading), np.sin(t.heading)
        # bbox centre ahead of the reference point, in the heading (≈ driving) direction
        front = progress + t.bbox_center_x + 0.5 * t.length
        rear = progress + t.bbox_center_x - 0.5 * t.length
        del c, s_
        on = np.nonzero(code >= 0)[0]
        comp = code[on] * 1.0e7 + 5.0e6 + progress[on]
        order = np.argsort(comp, kind="stable")
        sorted_comp = comp[order]
        sorted_idx = on[order]
        sorted_code = code[on][order]

        n = len(members)
        speed = t.speed[members].copy()
        ctx = TrafficContext.free_road(speed, np.zeros(n), t.length[members])

        def neighbours(q_code: np.ndarray, q_prog: np.ndarray, self_idx: np.ndarray):
            qc = q_code * 1.0e7 + 5.0e6 + q_prog
            pos = np.searchsorted(sorted_comp, qc, side="left")
            lead = np.full(len(qc), -1)
            foll = np.full(len(qc), -1)
            m = len(sorted_comp)
            for r in range(len(qc)):  # skip the vehicle itself (same key, same progress)
                k = pos[r]
                while k < m and sorted_code[k] == q_code[r] and sorted_idx[k] == self_idx[r]:
                    k += 1
                if k < m and sorted_code[k] == q_code[r]:
                    lead[r] = sorted_idx[k]
                k = pos[r] - 1
                while k >= 0 and sorted_code[k] == q_code[r] and sorted_idx[k] == self_idx[r]:
                    k -= 1
                if k >= 0 and sorted_code[k] == q_code[r]:
                    foll[r] = sorted_idx[k]
            return lead, foll

        m_code = code[members]
        lead, foll = neighbours(m_code, progress[members], members)
        has_l, has_f = lead >= 0, foll >= 0
        ctx.leader_gap[has_l] = rear[lead[has_l]] - front[members[has_l]]
        ctx.leader_speed[has_l] = t.speed[lead[has_l]]
        ctx.follower_gap[has_f] = rear[members[has_f]] - front[foll[has_f]]
        ctx.follower_speed[has_f] = t.speed[foll[has_f]]

        desired = np.empty(n)
        for r, i in enumerate(members):
            rid = t.lane_road[i]
            if rid is None:
                desired[r] = fallback_speed[r]
                continue
            lane, s = int(t.lane_id[i]), float(t.lane_s[i])
            lim = self.speed_limit(rid, lane, s)
            desired[r] = lim if lim else fallback_speed[r]
            if not has_l[r]:
                self._leader_beyond(ctx, r, i, rid, lane, s, code, progress, rear, front)
            for side, prefix in ((1, "left"), (-1, "right")):
                nb = self.neighbour(rid, lane, s, side)
                if nb is None:
                    continue
                getattr(ctx, f"{prefix}_available")[r] = True
                nb_code = np.array([self.key(rid, nb)])
                nl, nf = neighbours(nb_code, progress[[i]], np.array([i]))
                if nl[0] >= 0:
                    getattr(ctx, f"{prefix}_leader_gap")[r] = rear[nl[0]] - front[i]
                    getattr(ctx, f"{prefix}_leader_speed")[r] = t.speed[nl[0]]
                if nf[0] >= 0:
                    getattr(ctx, f"{prefix}_follower_gap")[r] = rear[i] - front[nf[0]]
                    getattr(ctx, f"{prefix}_follower_speed")[r] = t.speed[nf[0]]
            self._stop_points(ctx, r, i, rid, lane, s, code)
        ctx.desired_speed = desired
        return ctx

    def _leader_beyond(self, ctx, r, i, rid, lane, s, code, progress, rear, front) -> None:
        """Leader on the first successor lane (one road further)."""
        road = self.road
        d = road.direction(rid, lane)
        left_on_road = (road.road_length(rid) - s) if d > 0 else s
        succ = road.net.successors(rid, lane)
        if not succ:
            return
        nr, nl = succ[0]
        k = self._keys.get((nr, nl))
        if k is None:
            return
        cand = np.nonzero(code == k)[0]
        if len(cand) == 0:
            return
        nd = road.direction(nr, nl)
        # progress from the successor's entry point
        entry = 0.0 if nd > 0 else -road.road_length(nr)
        rel = progress[cand] - entry
        j = cand[int(np.argmin(rel))]
        own_front = front[i] - progress[i]
        ctx.leader_gap[r] = left_on_road + (rear[j] - progress[j]) + float(rel.min()) - own_front
        ctx.leader_speed[r] = self.engine.table.speed[j]

    def _stop_points(self, ctx, r, i, rid, lane, s, code) -> None:
        eng = self.engine
        t = eng.table
        d = self.road.direction(rid, lane)
        front_ahead = float(t.bbox_center_x[i] + 0.5 * t.length[i])
        best = math.inf
        for sig_id, pl in self.lights(rid):
            if not pl.applies_to(lane, d) or not _stop_state(eng.signals.get(sig_id)):
                continue
            dist = (pl.s - s) * d - front_ahead
            if 0.0 <= dist < best:
                best = dist
        ctx.stop_distance[r] = best
        # junction ahead: the next road of the lane
        to_end = (self.road.road_length(rid) - s) if d > 0 else s
        if self.junction(rid) is not None or to_end > YIELD_HORIZON:
            return
        succ = self.road.net.successors(rid, lane)
        if not succ:
            return
        nxt = succ[0][0]
        jid = self.junction(nxt)
        if jid is None:
            return
        for j in range(len(t)):
            rj = t.lane_road[j]
            if j != i and t.active[j] and rj is not None and rj != nxt and self.junction(rj) == jid:
                ctx.yield_distance[r] = max(to_end - front_ahead, 0.0)
                ctx.yield_required[r] = True
                return
