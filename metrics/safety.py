"""Safety metrics: collisions, distance, surrogate safety measures (TTC, THW, DRAC, near misses; PET in ``metrics.pet``)."""

from __future__ import annotations

import math
from itertools import accumulate, compress

import numpy as np

from metrics import kernels, route_ttc
from metrics.collision_pass import (EGO, ONSET, box_pair_columns, collision_rules, collision_stretches,
                                    contact_matrix, kinds_at, reported_runs)
from metrics.base import BlockMetric, ScalarSpec, SeriesRecorder, make_result, register_metric
from metrics.block import CLOSEST_APPROACH_HORIZON, ROW_DISTANCE, ROW_MISS, ROW_TTC_2D, ROW_TTC_PATH, StepBlock
from metrics.pet import PostEncroachmentMetric  # noqa: F401  (registered with the safety metrics)
from metrics.series_kernels import near_onsets, surrogate_rows
from simplatform.results import MetricEvent, MetricResult
from simplatform.world import EntityKind, WorldSnapshot




_NO_RUNS = np.zeros(0, dtype=np.int64)
_NO_RUNS_PTR = np.zeros(1, dtype=np.int64)
"""``contact_matrix``'s run arguments for a block without reported contacts (read, never written)."""


def kind_of(kind: EntityKind) -> str:
    """Leaderboard collision class of an entity kind: pedestrian, vehicle or static."""
    if kind is EntityKind.PEDESTRIAN:
        return "pedestrian"
    if kind is EntityKind.VEHICLE:
        return "vehicle"
    return "static"


@register_metric
class CollisionMetric(BlockMetric):
    """Contacts between oriented bounding boxes, every pair, every step.

    Broad phase by bounding discs, narrow phase by the separating-axis test
    (``metrics.geometry``); pairs the backend reports in
    ``snapshot.collisions`` (e.g. CARLA's collision sensor) are added.

    Ego collisions are counted by the rules of ScenarioRunner's
    ``CollisionTest`` (Leaderboard 2.0), so that counts and penalties match
    the Leaderboard: every step in contact is a candidate, ignored when the
    other party is the one of the last collision within ``MAX_ID_TIME`` = 5 s
    (static objects are not remembered), when the ego is still within
    ``COLLISION_RADIUS`` = 5 m of the last collision, or when the ego is
    slower than ``EPSILON`` = 0.1 m/s ("not its fault").  ``collisions_all``
    counts contact onsets of any pair (NPCs too), a pair re-touching within
    5 s being the same collision.  Evidence: the other party, its Leaderboard
    class (pedestrian / vehicle / static) and the relative speed at impact.

    ``_step`` states these rules for one step; a block runs them compiled over
    its distinct contact pairs (``metrics.collision_pass``), and ``_step`` plays
    a block only where the pass cannot take it (``_rules``).
    """

    name = "collision"
    scalars = (
        ScalarSpec("collisions", "1", "count", "count", "ego collisions", event="collision"),
        ScalarSpec("collisions_pedestrian", "1", "count", "count", "ego collisions with pedestrians", event="collision_pedestrian"),
        ScalarSpec("collisions_vehicle", "1", "count", "count", "ego collisions with vehicles", event="collision_vehicle"),
        ScalarSpec("collisions_static", "1", "count", "count", "ego collisions with misc objects", event="collision_static"),
        ScalarSpec("collisions_all", "1", "count", "count", "collisions between any two entities", event="collision_any"),
        ScalarSpec("collision_speed_max", "m/s", "speed", "final", "largest relative speed at an ego impact"),
    )
    MAX_ID_TIME, COLLISION_RADIUS, EPSILON = 5.0, 5.0, 0.1

    def __init__(self, context) -> None:
        super().__init__(context)
        self._in_contact: set[tuple[str, str]] = set()
        self._last_onset: dict[tuple[str, str], float] = {}
        self._worst: tuple[float, float | None, tuple[str, ...]] = (0.0, None, ())
        self._last_id: str | None = None
        self._last_time = -math.inf
        self._last_xy: tuple[float, float] | None = None
        self._names_index: tuple = (None, {})       # (names, {name: index}) of the last block
        self._kinds_static: tuple = (None, None)    # (kinds, is of the static class (N,)) of the last block

    def _index_of(self, names: tuple[str, ...]) -> dict[str, int]:
        """{name: position} of ``names``, kept while blocks pass the same tuple (the engine's)."""
        if self._names_index[0] is not names:
            self._names_index = (names, {name: i for i, name in enumerate(names)})
        return self._names_index[1]

    def _static_of(self, kinds: tuple) -> np.ndarray:
        """Whether each kind is of the static class (N,), kept while blocks pass the same tuple
        (read only: the pass and ``_rules`` never write it)."""
        if self._kinds_static[0] is not kinds:
            self._kinds_static = (kinds, np.array([kind_of(k) == "static" for k in kinds], dtype=np.bool_))
        return self._kinds_static[1]

    def observe_block(self, block: StepBlock) -> None:
        """The block's contact pairs as columns, the rules over them compiled
        (``metrics.collision_pass.collision_rules``: ``_step`` at every step), the events named here."""
        names = block.names
        found = block.contacts
        column: dict[tuple[str, str], int] = {}
        box = None
        if len(found):
            uniq, inverse = box_pair_columns(found, len(names))
            for code in uniq.tolist():   # distinct index pairs are distinct name pairs: column = position
                i, j = divmod(code, len(names))
                column[tuple(sorted((names[i], names[j])))] = len(column)
            box = (found, inverse)
        runs = reported_runs(collision_stretches(block), names, column)
        if box is None and not runs and not self._in_contact and self._last_xy is None and self._last_id is None:
            return   # nothing touches and no collision is remembered: the rules change nothing
        for pair in self._in_contact:
            column.setdefault(pair, len(column))
        pairs = list(column)
        if not self._rules(block, pairs, box, runs):
            self._stepwise(block, pairs, box, runs)

    def _rules(self, block: StepBlock, pairs: list[tuple[str, str]], box, runs: list) -> bool:
        """``collision_rules`` over the block; False (nothing changed) where the other party's class
        at an ego collision differs from the block's (``block.kinds``, what the pass took)."""
        names, e, T = block.names, block.ego_index, block.size
        P = len(pairs)
        # per pair: in contact before the block (every such pair has a column), its last onset
        in_contact, last_onset = self._in_contact, self._last_onset
        last = list(map(last_onset.get, pairs))
        before = np.array([p in in_contact for p in pairs], dtype=np.bool_)
        onset_rank = np.array(sorted(range(P), key=pairs.__getitem__), dtype=np.int64)
        has_last = np.array([v is not None for v in last], dtype=np.bool_)
        last_values = np.array([0.0 if v is None else v for v in last], dtype=np.float64)
        col_other = np.full(P, -3, dtype=np.int64)
        index = self._index_of(names)
        # the remembered party as an index (−2: a name not in the block); a block without the ego
        # leaves it, as ``_step`` does (the pass plays no ego rule there)
        last_id = -1 if self._last_id is None else index.get(self._last_id, -2)
        if e is None:
            ego_cols = np.zeros(0, dtype=np.int64)
            ex = ey = es = np.zeros(T)
            static = np.zeros(len(names), dtype=np.bool_)
        else:
            me = block.ego
            mine = sorted((p[1] if p[0] == me else p[0], c) for c, p in enumerate(pairs) if me in p)
            ego_cols = np.array([c for _, c in mine], dtype=np.int64)
            for other, c in mine:
                col_other[c] = index.get(other, -3)
            static = self._static_of(block.kinds)   # read, never written, by the pass
            ex, ey, es = (np.array(block.ego_col(name), dtype=np.float64) for name in ("x", "y", "speed"))
        rows, cols = box if box is not None else (np.zeros((0, 3), dtype=np.int64), np.zeros(0, dtype=np.int64))
        if runs:
            run_k0 = np.array([r[0] for r in runs], dtype=np.int64)
            run_k1 = np.array([r[1] for r in runs], dtype=np.int64)
            run_ptr = np.array([0, *accumulate(len(r[2]) for r in runs)], dtype=np.int64)
            run_cols = np.array([c for r in runs for c in r[2]], dtype=np.int64)
        else:   # no reported contact (the usual block): the pass reads these, none is written
            run_k0 = run_k1 = run_cols = _NO_RUNS
            run_ptr = _NO_RUNS_PTR
        matrix = contact_matrix(T, P, rows, cols, run_k0, run_k1, run_ptr, run_cols)
        lx, ly = self._last_xy if self._last_xy is not None else (0.0, 0.0)
        state = (last_id, float(self._last_time), self._last_xy is not None, float(lx), float(ly))
        start, fade, events = 0, -1, []
        while True:
            stop, n, found, *state = collision_rules(
                matrix, block.times, ex, ey, es, e is not None, start, fade, before, onset_rank, has_last,
                last_values, ego_cols, col_other, static, *state, self.COLLISION_RADIUS, self.MAX_ID_TIME,
                self.EPSILON)
            events += found[:n].tolist()
            if stop == T:
                break
            # the place's fade at this step is too close to call without CPython's hypot (as _ego_collisions)
            _, _, _, lx, ly = state
            start, fade = stop, int(math.hypot(float(ex[stop]) - lx, float(ey[stop]) - ly) > self.COLLISION_RADIUS)
        last_id, _, xy_set, lx, ly = state
        if events:
            # the other party's class at the step (the pass took the block's kinds for ``static``),
            # from the steps' ``kinds`` (read without rebuilding a snapshot)
            kinds = kinds_at(block)
            classes = {(k, c): kind_of(kinds(k)[col_other[c]]) for k, kind, c in events if kind == EGO}
            if any((cls == "static") != static[col_other[c]] for (k, c), cls in classes.items()):
                return False
            times = block.each("time")
            if block.state is not None:   # the snapshots' vx and vy are rows of these matrices
                kin, _, _, _, rvx, rvy = block.kin
                vx, vy = kin[:, rvx], kin[:, rvy]
            else:
                vx, vy = block.col("vx"), block.col("vy")
        for k, kind, c in events:
            time = times[k]
            if kind == ONSET:
                pair = pairs[c]
                a, b = names.index(pair[0]), names.index(pair[1])
                rel = float(np.hypot(vx[k, a] - vx[k, b], vy[k, a] - vy[k, b]))
                self.events.append(MetricEvent(time, "collision_any", pair, rel))
                continue
            o = int(col_other[c])
            other = names[o]
            cls = classes[k, c]
            rel = float(np.hypot(vx[k, e] - vx[k, o], vy[k, e] - vy[k, o]))
            detail = f"{cls} {other}, relative speed {rel:.2f} m/s"
            self.events.append(MetricEvent(time, "collision", (other,), rel, detail))
            self.events.append(MetricEvent(time, f"collision_{cls}", (other,), rel, detail))
            if self._worst[1] is None or rel > self._worst[0]:
                self._worst = (rel, time, (other,))
            self._last_time = time
        for pair, known, value in zip(pairs, has_last.tolist(), last_values.tolist()):
            if known:
                last_onset[pair] = value
        self._last_xy = (lx, ly) if xy_set else None
        if last_id != -2:
            self._last_id = None if last_id == -1 else names[last_id]
        self._in_contact = frozenset(compress(pairs, matrix[-1].tolist()))
        return True

    def _stepwise(self, block: StepBlock, pairs: list[tuple[str, str]], box, runs: list) -> None:
        """``_step`` at every step of the block (the rules as stated; where ``_rules`` cannot decide)."""
        sets: list[set[tuple[str, str]]] = [set() for _ in range(block.size)]
        if box is not None:
            for k, c in zip(box[0][:, 0].tolist(), box[1].tolist()):
                sets[k].add(pairs[c])
        for k0, k1, cols in runs:
            for k in range(k0, k1):
                sets[k].update(pairs[c] for c in cols)
        e = block.ego_index
        ego = None if e is None else [block.ego_col(name).tolist() for name in ("x", "y", "speed")]
        for k, snap in enumerate(block.snapshots):
            self._step(block, snap, frozenset(sets[k]), ego and (ego[0][k], ego[1][k], ego[2][k]))

    def _step(self, block: StepBlock, snap: WorldSnapshot, contact: set[tuple[str, str]],
              ego_state: tuple[float, float, float] | None = None) -> None:
        for pair in sorted(contact - self._in_contact):
            last = self._last_onset.get(pair)
            self._last_onset[pair] = snap.time
            if last is None or snap.time - last >= self.MAX_ID_TIME:
                a, b = snap.index(pair[0]), snap.index(pair[1])
                rel = float(np.hypot(snap.vx[a] - snap.vx[b], snap.vy[a] - snap.vy[b]))
                self.events.append(MetricEvent(snap.time, "collision_any", pair, rel))
        self._in_contact = contact
        if block.ego_index is not None:
            ego = block.ego
            self._ego_collisions(snap, block.ego_index, sorted(p[1] if p[0] == ego else p[0] for p in contact if ego in p),
                                 ego_state)

    def _ego_collisions(self, snap: WorldSnapshot, e: int, others: list[str],
                        ego_state: tuple[float, float, float] | None = None) -> None:
        """``ego_state``: the ego's x, y and speed in ``snap`` when the caller has them as floats."""
        time = snap.time
        x, y, speed = ego_state if ego_state is not None else (float(snap.x[e]), float(snap.y[e]), float(snap.speed[e]))
        if self._last_xy is not None and math.hypot(x - self._last_xy[0], y - self._last_xy[1]) > self.COLLISION_RADIUS:
            self._last_xy = None
        if self._last_id is not None and time - self._last_time > self.MAX_ID_TIME:
            self._last_id = None
        for other in others:
            if other == self._last_id or self._last_xy is not None or abs(speed) < self.EPSILON:
                continue
            k = snap.index(other)
            kind = kind_of(snap.kinds[k])
            rel = float(np.hypot(snap.vx[e] - snap.vx[k], snap.vy[e] - snap.vy[k]))
            detail = f"{kind} {other}, relative speed {rel:.2f} m/s"
            self.events.append(MetricEvent(time, "collision", (other,), rel, detail))
            self.events.append(MetricEvent(time, f"collision_{kind}", (other,), rel, detail))
            if self._worst[1] is None or rel > self._worst[0]:
                self._worst = (rel, time, (other,))
            self._last_time, self._last_xy = time, (x, y)
            self._last_id = other if kind != "static" else None

    def result(self) -> MetricResult:
        counts = {k: 0 for k in ("collision", "collision_pedestrian", "collision_vehicle", "collision_static", "collision_any")}
        for e in self.events:
            counts[e.kind] += 1
        first = next((e for e in self.events if e.kind == "collision"), None)
        scalars = {
            "collisions": counts["collision"],
            "collisions_pedestrian": counts["collision_pedestrian"],
            "collisions_vehicle": counts["collision_vehicle"],
            "collisions_static": counts["collision_static"],
            "collisions_all": counts["collision_any"],
            "collision_speed_max": self._worst[0],
        }
        times = {"collision_speed_max": self._worst[1]}
        ents = {"collision_speed_max": self._worst[2]}
        if first is not None:
            for k in ("collisions", f"collisions_{first.detail.split()[0]}"):
                times[k], ents[k] = first.time, first.entities
        return make_result(self, scalars, None, times, ents)


@register_metric
class SurrogateSafetyMetric(BlockMetric):
    """Minimum distance, TTC (two forms), time headway, DRAC and near misses, ego against all.

    * ``ttc_min`` — along the path, constant velocity (Hayward 1972): for
      entities ahead whose box overlaps the ego's corridor, bumper gap /
      closing speed.  With a route in the context, "ahead", the corridor, the
      gap and the closing speed are taken in the route's Frenet frame (arc
      length and lateral offset), so the path bends with the road; without
      one, along the ego heading (exact on straight roads only).
    * ``ttc_2d_min`` — 2-D, constant velocity, any direction: the first time
      the bounding discs (radius = half box diagonal) of the ego and another
      entity touch, |p + v t| = r₁ + r₂; conservative for crossing traffic.
      ``closest_approach_min`` is the predicted miss distance of the disc
      centres at the time of closest approach t* = −p·v/|v|² (t* > 0).
    * ``thw_min`` — gap / ego speed to the in-path leader (Vogel 2003).
    * ``drac_max`` — closing² / (2 gap), the deceleration the ego needs to
      match the leader's speed at the gap (Cooper & Ferguson 1976; Archer 2005).
    * ``near_misses`` — onsets of ttc < ``near_miss_ttc`` (1.0 s) or box
      distance < ``near_miss_distance`` (0.5 m) per other entity, without contact.
    """

    name = "surrogate_safety"
    scalars = (
        ScalarSpec("min_distance", "m", "length", "min", "closest box-to-box distance to any entity", series="min_distance"),
        ScalarSpec("ttc_min", "s", "time", "min", "time to collision along the path", series="ttc"),
        ScalarSpec("ttc_2d_min", "s", "time", "min", "2-D disc time to collision", series="ttc_2d"),
        ScalarSpec("closest_approach_min", "m", "length", "min", "predicted 2-D miss distance within the horizon", series="closest_approach"),
        ScalarSpec("thw_min", "s", "time", "min", "time headway to the leader", series="thw"),
        ScalarSpec("drac_max", "m/s^2", "acceleration", "max", "deceleration rate to avoid a crash", series="drac"),
        ScalarSpec("near_misses", "1", "count", "count", "near-miss onsets", event="near_miss"),
    )
    CLOSEST_APPROACH_HORIZON = CLOSEST_APPROACH_HORIZON

    def __init__(self, context) -> None:
        super().__init__(context)
        self.series = SeriesRecorder("min_distance", "ttc", "ttc_2d", "closest_approach", "thw", "drac")
        self._who: dict[str, list[str | None]] = {k: [] for k in self.series.columns}
        self._near: set[str] = set()
        self._near_ttc = float(context.threshold("near_miss_ttc", 1.0))
        self._near_dist = float(context.threshold("near_miss_distance", 0.5))
        route = context.route
        if route is None:
            self._route = None
        else:
            px, py = np.ascontiguousarray(route.points[:, 0]), np.ascontiguousarray(route.points[:, 1])
            self._route = (px, py, *kernels.route_tangents(px, py), np.ascontiguousarray(route.cumulative))
        self._route_hint = -1

    def observe_block(self, block: StepBlock) -> None:
        if block.ego_index is None or block.entities < 2:
            return
        nb = block.neighbours
        names = block.names
        values: dict[str, np.ndarray] = {}
        before = np.array([n in self._near for n in names], dtype=np.bool_)
        if self._route is not None:   # the route's path TTC and its near-miss onsets in one pass
            route_at, route_min, steps, who_near, ttc_near, last = self._route_ttc(block, nb.distance, before)
        else:
            route_at, route_min = nb.nearest[ROW_TTC_PATH], nb.minima[ROW_TTC_PATH]
            steps, who_near, last = near_onsets(nb.ttc_path, nb.distance, self._near_ttc, self._near_dist, before)
            ttc_near = nb.ttc_path[steps, who_near]
        who, values["thw"], values["drac"] = surrogate_rows(nb.nearest, nb.minima, route_at, route_min, nb.lead,
                                                            nb.lead_gap, nb.lead_closing, block.ego_col("speed"))
        for q, (key, low) in enumerate((("min_distance", nb.minima[ROW_DISTANCE]), ("ttc", route_min),
                                        ("ttc_2d", nb.minima[ROW_TTC_2D]), ("closest_approach", nb.minima[ROW_MISS]),
                                        ("thw", values["thw"]), ("drac", values["drac"]))):
            values[key] = low
            self._who[key].append((names, who[q]))
        self.series.extend(block.times, **values)
        self._near_misses(block, nb.distance, steps, who_near, ttc_near, last)

    def _route_ttc(self, block: StepBlock, distance: np.ndarray, before: np.ndarray) -> tuple:
        """Path TTC along the route's Frenet frame (``metrics.route_ttc.route_ttc_near``): the
        ``np.argmin`` position and value of each step's row, and the near-miss onsets of that TTC
        and ``distance`` (``series_kernels.near_onsets``'s: steps, entities, the TTC at each; the
        condition at the last step) from the condition ``before`` the block."""
        cx, cy = block.centers
        c, s = block.cos_sin
        kin, _, _, _, rvx, rvy = block.kin
        box = block.box_rows
        px, py, tx, ty, cumulative = self._route
        self._route_hint, at, low, steps, who, ttc, last = route_ttc.route_ttc_near(
            block.ego_index, cx, cy, kin, rvx, rvy, c, s, box["length"], box["width"], px, py, tx, ty,
            cumulative, self._route_hint, distance, self._near_ttc, self._near_dist, before)
        return at, low, steps, who, ttc, last

    def _near_misses(self, block: StepBlock, distance: np.ndarray, steps: np.ndarray, who: np.ndarray,
                     ttc: np.ndarray, last: np.ndarray) -> None:
        """Events for the onsets of (path TTC below or box distance below the threshold) without
        contact, per other entity (``steps``, ``who``, the TTC at each), ordered by step and name."""
        names = block.names
        if steps.size:
            times = block.times
            onsets = sorted(zip(steps.tolist(), who.tolist(), ttc.tolist()), key=lambda kjt: (kjt[0], names[kjt[1]]))
            for k, j, t in onsets:
                d = float(distance[k, j])
                self.events.append(MetricEvent(float(times[k]), "near_miss", (names[j],), d,
                                               f"distance {d:.2f} m, TTC {t:.2f} s"))
        self._near = {names[j] for j in np.flatnonzero(last)}

    def _who_at(self, series: str, step: int) -> str | None:
        for names, index in self._who[series]:
            if step < len(index):
                k = int(index[step])
                return names[k] if k >= 0 else None
            step -= len(index)
        return None

    def result(self) -> MetricResult:
        scalars, times, ents = {}, {}, {}
        t_all = self.series.times()
        for spec in self.scalars:
            if spec.series is None:
                continue
            kind = "max" if spec.aggregate == "max" else "min"
            i = self.series.extreme_index(spec.series, kind)
            if i is None:
                value, t = (0.0 if spec.name == "drac_max" else (math.inf if kind == "min" else -math.inf)), None
            else:
                value, t = float(self.series.array(spec.series)[i]), float(t_all[i])
                other = self._who_at(spec.series, i)
                ents[spec.name] = (other,) if other else ()
            scalars[spec.name], times[spec.name] = value, t
        scalars["near_misses"] = sum(1 for e in self.events if e.kind == "near_miss")
        if self.events:
            times["near_misses"], ents["near_misses"] = self.events[0].time, self.events[0].entities
        return make_result(self, scalars, self.series, times, ents)
