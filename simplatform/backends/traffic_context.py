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

Why it is split this way: the road model's answers about a vehicle's lane
(neighbours, successor, limit, signals, junction) change only when the vehicle
enters another lane or lane section, so they are kept per vehicle as columns
(``facts``) and asked again only then; every entity's lane likewise, refreshed
when some entity's lane changed.  The per-decision search over the fleet is
one compiled loop (:mod:`simplatform.backends.context_kernels`): ~0.5 ms of
Python per decision at 20 vehicles became ~15 µs.
"""

from __future__ import annotations

import math

import numpy as np

from simplatform.backends import context_kernels as ck
from simplatform.backends.context_kernels import YIELD_HORIZON  # noqa: F401  (re-exported)
from simplatform.engine.signals import is_stop
from vehicle_models.drivers import TrafficContext

DEFAULT_DESIRED_SPEED = 50.0 / 3.6

_stop_state = is_stop
_OFF_ROAD_FACTS = np.array([-1.0, -math.inf, math.inf, 0.0, 0.0, -1.0, -1.0, -1.0, 0.0, 0.0, 1.0, 0.0, -1.0, -1.0,
                            0.0, 0.0])
"""Facts of a vehicle off the road network (rows as ``context_kernels.F_*``)."""
_NOT_ON_LANE = np.array([-1.0, 1.0, -1.0, -1.0, -1.0])
"""Entity columns (``context_kernels.E_*``) of an entity on no lane, or inactive (E_LANE set apart)."""


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
        self._successors: dict[tuple[str, int], list] = {}
        self._ids: dict[object, int] = {}  # lane, road and junction identities for the kernels
        self._signals: list[str] = []
        self._signal_index: dict[str, int] = {}
        # every entity's lane (columns), and what they were made from
        self.entities = np.zeros((ck.ENTITY_ROWS, 0))
        self._scratch = np.zeros((4, 0))
        self._seen: tuple | None = None
        # per driven vehicle: what the road model says about its lane (columns)
        self._members = b""
        self.facts = np.zeros((ck.FACT_ROWS, 0))
        self._stale = np.zeros(0, dtype=bool)
        self._light_lists: list[list[tuple[int, float]]] = []
        self._light_s = np.zeros(0)
        self._light_signal = np.zeros(0, dtype=np.int64)
        self._pending: dict[int, tuple[str, int]] = {}

    # ------------------------------------------------------------ cached facts
    def key(self, road_id: str, lane_id: int) -> int:
        k = self._keys.get((road_id, lane_id))
        if k is None:
            k = len(self._keys)
            self._keys[(road_id, lane_id)] = k
        return k

    def _section(self, road_id: str, s: float) -> int:
        starts = self._section_starts(road_id)
        k = 0
        while k + 1 < len(starts) and starts[k + 1] <= s:
            k += 1
        return k

    def _section_starts(self, road_id: str) -> list[float]:
        starts = self._sections.get(road_id)
        if starts is None:
            starts = [sec.s for sec in self.road.net.roads[road_id].lane_sections]
            self._sections[road_id] = starts
        return starts

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

    def successors(self, road_id: str, lane_id: int) -> list:
        succ = self._successors.get((road_id, lane_id))
        if succ is None:
            succ = self._successors[(road_id, lane_id)] = list(self.road.net.successors(road_id, lane_id))
        return succ

    def _id(self, kind: str, value) -> int:
        """A small integer per distinct (kind, value), for the kernels' comparisons."""
        k = self._ids.get((kind, value))
        if k is None:
            k = self._ids[(kind, value)] = len(self._ids)
        return k

    # ------------------------------------------------------------------ build
    def build(self, members: np.ndarray, fallback_speed: np.ndarray) -> TrafficContext:
        t = self.engine.table
        changed = self._sync_entities(t)
        n = len(members)
        if members.tobytes() != self._members or self.facts.shape[1] != n:
            self._members = members.tobytes()
            self.facts = np.tile(_OFF_ROAD_FACTS[:, None], (1, n))
            self.facts[ck.F_LANE] = -2.0  # describes no lane: every vehicle's facts are asked for
            self._stale = np.zeros(n, dtype=bool)
            self._light_lists = [[] for _ in range(n)]
            self._pending = {}
        if ck.stale_facts(self.entities, t.lane_s, members, self.facts, self._stale):
            for k in np.flatnonzero(self._stale).tolist():
                self._refresh(k, int(members[k]), t)
            self._pack_lights()
            changed = True
        if changed and self._pending:
            self._resolve_pending()
        if self._signals:
            signals = self.engine.signals
            stop = np.array([_stop_state(signals.get(sid)) for sid in self._signals], dtype=bool)
        else:
            stop = np.zeros(0, dtype=bool)
        out = np.empty((ck.OUTPUT_ROWS, n))
        flags = np.empty((ck.FLAG_ROWS, n), dtype=bool)
        ck.perceive(self.entities, t.lane_s, t.bbox_center_x, t.length, t.speed, members, self.facts,
                    fallback_speed, self._light_s, self._light_signal, stop, self._scratch, out, flags)
        f, g = list(out), list(flags)  # rows in TrafficContext's field order (context_kernels)
        return TrafficContext(*f[:ck.LEFT_LEAD_GAP], g[ck.LEFT_AVAILABLE], *f[ck.LEFT_LEAD_GAP:ck.RIGHT_LEAD_GAP],
                              g[ck.RIGHT_AVAILABLE], *f[ck.RIGHT_LEAD_GAP:], g[ck.YIELD_REQUIRED])

    def _sync_entities(self, t) -> bool:
        """Every entity's lane columns, rebuilt when some entity's road, lane or activity changed."""
        roads = t.lane_road
        seen = self._seen
        lane_bytes, active_bytes = t.lane_id.tobytes(), t.active.tobytes()
        if seen is not None and seen[0] == roads and seen[1] == lane_bytes and seen[2] == active_bytes:
            return False
        n_all = len(roads)
        e = np.empty((ck.ENTITY_ROWS, n_all))
        lane_ids, active = t.lane_id.tolist(), t.active.tolist()
        road = self.road
        for j in range(n_all):
            rid = roads[j]
            e[:, j] = _NOT_ON_LANE
            if rid is None:
                continue
            lane = lane_ids[j]
            e[ck.E_LANE, j] = self._id("lane", (rid, lane))
            if active[j]:  # numbered in entity order: the lane keys' order is the sorted search's
                e[ck.E_CODE, j] = self.key(rid, lane)
                e[ck.E_DIR, j] = road.direction(rid, lane)
                e[ck.E_ROAD, j] = self._id("road", rid)
                jid = self.junction(rid)
                e[ck.E_JUNCTION, j] = -1.0 if jid is None else self._id("junction", jid)
        self.entities = e
        if self._scratch.shape[1] != n_all:
            self._scratch = np.empty((4, n_all))
        self._seen = (list(roads), lane_bytes, active_bytes)
        return True

    def _refresh(self, k: int, i: int, t) -> None:
        """Ask the road model about vehicle ``k``'s (row ``i``'s) lane and lane section."""
        f = self.facts
        rid = t.lane_road[i]
        self._pending.pop(k, None)
        self._light_lists[k] = []
        if rid is None:
            f[:, k] = _OFF_ROAD_FACTS
            return
        road = self.road
        lane, s = int(t.lane_id[i]), float(t.lane_s[i])
        starts = self._section_starts(rid)
        sec = self._section(rid, s)
        lim = self.speed_limit(rid, lane, s)
        d = road.direction(rid, lane)
        f[ck.F_LANE, k] = self._id("lane", (rid, lane))
        f[ck.F_LO, k] = starts[sec] if sec > 0 else -math.inf
        f[ck.F_HI, k] = starts[sec + 1] if sec + 1 < len(starts) else math.inf
        f[ck.F_ON_ROAD, k] = 1.0
        f[ck.F_LIMIT, k] = float(lim) if lim else 0.0
        for row, side in ((ck.F_LEFT, 1), (ck.F_RIGHT, -1)):  # left first: lane keys numbered as first asked
            nb = self.neighbour(rid, lane, s, side)
            f[row, k] = -1.0 if nb is None else self.key(rid, nb)
        f[ck.F_ROAD_LENGTH, k] = road.road_length(rid)
        f[ck.F_DIR, k] = d
        f[ck.F_MAY_YIELD, k] = 1.0 if self.junction(rid) is None else 0.0
        succ = self.successors(rid, lane)
        f[ck.F_SUCC, k] = -1.0
        f[ck.F_SUCC_ENTRY, k] = 0.0
        f[ck.F_SUCC_ROAD, k] = f[ck.F_SUCC_JUNCTION, k] = -1.0
        if succ:
            nr, nl = succ[0]
            self._pending[k] = (nr, nl)  # its lane key exists once an entity has been on that lane
            f[ck.F_SUCC_ENTRY, k] = 0.0 if road.direction(nr, nl) > 0 else -road.road_length(nr)
            f[ck.F_SUCC_ROAD, k] = self._id("road", nr)
            jid = self.junction(nr)
            f[ck.F_SUCC_JUNCTION, k] = -1.0 if jid is None else self._id("junction", jid)
            self._resolve(k)
        for sig_id, pl in self.lights(rid):
            if pl.applies_to(lane, d):
                self._light_lists[k].append((self._signal(sig_id), float(pl.s)))

    def _resolve(self, k: int) -> None:
        code = self._keys.get(self._pending[k])
        if code is not None:
            self.facts[ck.F_SUCC, k] = code
            del self._pending[k]

    def _resolve_pending(self) -> None:
        for k in list(self._pending):
            self._resolve(k)

    def _signal(self, sig_id: str) -> int:
        k = self._signal_index.get(sig_id)
        if k is None:
            k = self._signal_index[sig_id] = len(self._signals)
            self._signals.append(sig_id)
        return k

    def _pack_lights(self) -> None:
        """The vehicles' applicable stop lights as flat arrays, each vehicle's a [from, to) range."""
        signal, s = [], []
        f = self.facts
        for k, lights in enumerate(self._light_lists):
            f[ck.F_LIGHTS_FROM, k] = len(s)
            for index, at in lights:
                signal.append(index)
                s.append(at)
            f[ck.F_LIGHTS_TO, k] = len(s)
        self._light_signal = np.array(signal, dtype=np.int64)
        self._light_s = np.array(s, dtype=float)
