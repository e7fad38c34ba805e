"""Safety metrics: collisions, distance, surrogate safety measures (TTC, THW, DRAC, PET), near misses."""

from __future__ import annotations

import math

import numpy as np

from metrics.base import Metric, ScalarSpec, SeriesRecorder, make_result, register_metric
from metrics.frame import StepFrame
from metrics.geometry import boxes_overlap, convex_overlap, polygon_edge_normals, rectangle_axes
from simplatform.results import MetricEvent, MetricResult


@register_metric
class CollisionMetric(Metric):
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
        self._pairs: dict[int, np.ndarray] = {}
        self._worst: tuple[float, float | None, tuple[str, ...]] = (0.0, None, ())
        self._last_id: str | None = None
        self._last_time = -math.inf
        self._last_xy: tuple[float, float] | None = None

    def observe(self, frame: StepFrame) -> None:
        snap = frame.snapshot
        contact = self._contacts(frame)
        for pair in sorted(contact - self._in_contact):
            last = self._last_onset.get(pair)
            self._last_onset[pair] = frame.time
            if last is None or frame.time - last >= self.MAX_ID_TIME:
                a, b = snap.index(pair[0]), snap.index(pair[1])
                rel = float(np.hypot(snap.vx[a] - snap.vx[b], snap.vy[a] - snap.vy[b]))
                self.events.append(MetricEvent(frame.time, "collision_any", pair, rel))
        self._in_contact = contact
        if frame.ego_index is not None:
            self._ego_collisions(frame, sorted(p[1] if p[0] == frame.ego else p[0] for p in contact if frame.ego in p))

    def _contacts(self, frame: StepFrame) -> set[tuple[str, str]]:
        snap = frame.snapshot
        n = len(snap)
        if n not in self._pairs:
            self._pairs[n] = np.triu(np.ones((n, n), dtype=bool), 1)
        c = frame.centers
        reach = frame.radius
        dx = c[:, 0, None] - c[None, :, 0]
        dy = c[:, 1, None] - c[None, :, 1]
        rr = reach[:, None] + reach[None, :]
        near = (dx * dx + dy * dy <= rr * rr) & self._pairs[n]
        contact: set[tuple[str, str]] = set()
        if near.any():
            i, j = np.nonzero(near)
            involved = np.union1d(i, j)
            corners = frame.corners_of(involved)
            hit = boxes_overlap(corners[np.searchsorted(involved, i)], corners[np.searchsorted(involved, j)])
            contact = {tuple(sorted((snap.names[a], snap.names[b]))) for a, b in zip(i[hit], j[hit])}
        if snap.collisions:
            contact |= {tuple(sorted(p)) for p in snap.collisions if p[0] in snap.names and p[1] in snap.names}
        return contact

    def _ego_collisions(self, frame: StepFrame, others: list[str]) -> None:
        snap, e = frame.snapshot, frame.ego_index
        x, y = float(snap.x[e]), float(snap.y[e])
        if self._last_xy is not None and math.hypot(x - self._last_xy[0], y - self._last_xy[1]) > self.COLLISION_RADIUS:
            self._last_xy = None
        if self._last_id is not None and frame.time - self._last_time > self.MAX_ID_TIME:
            self._last_id = None
        for other in others:
            if other == self._last_id or self._last_xy is not None or abs(float(snap.speed[e])) < self.EPSILON:
                continue
            k = snap.index(other)
            kind = frame.kind_of(k)
            rel = float(np.hypot(snap.vx[e] - snap.vx[k], snap.vy[e] - snap.vy[k]))
            detail = f"{kind} {other}, relative speed {rel:.2f} m/s"
            self.events.append(MetricEvent(frame.time, "collision", (other,), rel, detail))
            self.events.append(MetricEvent(frame.time, f"collision_{kind}", (other,), rel, detail))
            if self._worst[1] is None or rel > self._worst[0]:
                self._worst = (rel, frame.time, (other,))
            self._last_time, self._last_xy = frame.time, (x, y)
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
class SurrogateSafetyMetric(Metric):
    """Minimum distance, TTC (two forms), time headway, DRAC and near misses, ego against all.

    * ``ttc_min`` — along the path, constant velocity (Hayward 1972): for
      entities ahead whose box overlaps the ego's lane-wide corridor,
      bumper gap / closing speed along the ego heading.
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
    CLOSEST_APPROACH_HORIZON = 5.0

    def __init__(self, context) -> None:
        super().__init__(context)
        self.series = SeriesRecorder("min_distance", "ttc", "ttc_2d", "closest_approach", "thw", "drac")
        self._who: dict[str, list[str | None]] = {k: [] for k in self.series.columns}
        self._near: set[str] = set()
        self._near_ttc = context.threshold("near_miss_ttc", 1.0)
        self._near_dist = context.threshold("near_miss_distance", 0.5)

    def observe(self, frame: StepFrame) -> None:
        if frame.ego_index is None or len(frame.snapshot) < 2:
            return
        nb = frame.ego_neighbours
        names = frame.snapshot.names
        ego_speed = float(frame.snapshot.speed[frame.ego_index])
        with np.errstate(divide="ignore", invalid="ignore"):
            ttc_path = np.where(nb.in_path & (nb.closing > 0) & (nb.gap > 0), nb.gap / nb.closing, np.inf)
            ttc_2d, miss = _disc_ttc(nb.rel_x, nb.rel_y, nb.rel_vx, nb.rel_vy, nb.radius_sum, self.CLOSEST_APPROACH_HORIZON)
        values: dict[str, float] = {}
        who: dict[str, str | None] = {}
        for key, arr, pick in (("min_distance", nb.distance, np.argmin), ("ttc", ttc_path, np.argmin),
                               ("ttc_2d", ttc_2d, np.argmin), ("closest_approach", miss, np.argmin)):
            k = int(pick(arr))
            values[key] = float(arr[k])
            who[key] = names[nb.index[k]] if np.isfinite(arr[k]) else None
        lead = frame.lead
        values["thw"], values["drac"], who["thw"], who["drac"] = math.inf, 0.0, None, None
        if lead is not None:
            gap, closing = float(nb.gap[lead]), float(nb.closing[lead])
            if ego_speed > 0.1 and gap > 0:
                values["thw"], who["thw"] = gap / ego_speed, names[nb.index[lead]]
            if closing > 0 and gap > 0:
                values["drac"], who["drac"] = closing * closing / (2 * gap), names[nb.index[lead]]
        self.series.add(frame.time, **values)
        for key, name in who.items():
            self._who[key].append(name)
        near_now = {names[nb.index[k]] for k in np.flatnonzero(
            ((ttc_path < self._near_ttc) | (nb.distance < self._near_dist)) & (nb.distance > 0))}
        for other in sorted(near_now - self._near):
            k = names.index(other)
            pos = int(np.flatnonzero(nb.index == k)[0])
            self.events.append(MetricEvent(frame.time, "near_miss", (other,), float(nb.distance[pos]),
                                           f"distance {nb.distance[pos]:.2f} m, TTC {ttc_path[pos]:.2f} s"))
        self._near = near_now

    def result(self) -> MetricResult:
        scalars, times, ents = {}, {}, {}
        for spec in self.scalars:
            if spec.series is None:
                continue
            kind = "max" if spec.aggregate == "max" else "min"
            value, t = self.series.extreme(spec.series, kind)
            if spec.name == "drac_max" and t is None:
                value = 0.0
            scalars[spec.name], times[spec.name] = value, t
            if t is not None:
                other = self._who[spec.series][self.series.time.index(t)]
                ents[spec.name] = (other,) if other else ()
        scalars["near_misses"] = sum(1 for e in self.events if e.kind == "near_miss")
        if self.events:
            times["near_misses"], ents["near_misses"] = self.events[0].time, self.events[0].entities
        return make_result(self, scalars, self.series, times, ents)


def _disc_ttc(px, py, vx, vy, radius, horizon):
    """First t ≥ 0 with |p + v t| = r (inf if never), and the miss distance at closest approach ≤ horizon."""
    a = vx * vx + vy * vy
    b = 2 * (px * vx + py * vy)
    c = px * px + py * py - radius * radius
    disc = b * b - 4 * a * c
    root = (-b - np.sqrt(np.maximum(disc, 0.0))) / (2 * a)
    ttc = np.where(c <= 0, 0.0, np.where((a > 1e-12) & (disc >= 0) & (root >= 0), root, np.inf))
    t_star = np.where(a > 1e-12, -(px * vx + py * vy) / a, np.inf)
    valid = (t_star > 0) & (t_star <= horizon)
    miss = np.where(valid, np.hypot(px + vx * np.where(valid, t_star, 0), py + vy * np.where(valid, t_star, 0)), np.inf)
    return ttc, miss


@register_metric
class PostEncroachmentMetric(Metric):
    """Post-encroachment time at the scenario's conflict zones (Allen, Shin & Cooper 1978).

    PET is the time between the first road user leaving a conflict zone and
    the second entering it; a box is in a zone when the SAT says the box and
    the convex zone polygon overlap.  Reported for pairs that include the
    ego; simultaneous occupation gives PET 0.
    """

    name = "post_encroachment"
    requires = frozenset({"conflict_zones"})
    scalars = (ScalarSpec("pet_min", "s", "time", "final", "smallest post-encroachment time"),)

    def __init__(self, context) -> None:
        super().__init__(context)
        self._zones = []
        for z in context.conflict_zones:
            verts = np.asarray(z.vertices, float)
            centre = verts.mean(axis=0)
            reach = float(np.max(np.hypot(*(verts - centre).T)))
            self._zones.append((z.id, verts, centre, reach, polygon_edge_normals(verts)))
        self._inside: dict[tuple[str, str], float] = {}
        self._intervals: dict[tuple[str, str], list[list[float]]] = {}
        self._ego: str | None = context.ego

    def observe(self, frame: StepFrame) -> None:
        self._ego = frame.ego
        names = frame.snapshot.names
        c = frame.centers
        for zone_id, verts, centre, reach, normals in self._zones:
            cand = np.flatnonzero(np.hypot(c[:, 0] - centre[0], c[:, 1] - centre[1]) <= reach + frame.radius)
            inside_now: set[str] = set()
            if cand.size:
                boxes = frame.corners_of(cand)
                poly = np.broadcast_to(verts, (cand.size, *verts.shape))
                axes = np.concatenate([rectangle_axes(boxes), np.broadcast_to(normals, (cand.size, *normals.shape))], axis=1)
                inside_now = {names[k] for k in cand[convex_overlap(boxes, poly, axes)]}
            for name in inside_now:
                if (zone_id, name) not in self._inside:
                    self._inside[(zone_id, name)] = frame.time
                    self._intervals.setdefault((zone_id, name), []).append([frame.time, math.inf])
            for key in [k for k in self._inside if k[0] == zone_id and k[1] not in inside_now]:
                del self._inside[key]
                self._intervals[key][-1][1] = frame.time

    def result(self) -> MetricResult:
        best: tuple[float, float | None, tuple[str, ...]] = (math.inf, None, ())
        events: list[MetricEvent] = []
        for (zone, name), ivs in self._intervals.items():
            if name != self._ego:
                continue
            for (zone2, other), ivs2 in self._intervals.items():
                if zone2 != zone or other == name:
                    continue
                for a in ivs:
                    for b in ivs2:
                        first, second = (a, b) if a[0] <= b[0] else (b, a)
                        pet = max(0.0, second[0] - first[1])
                        events.append(MetricEvent(second[0], "encroachment", (other,), pet, f"zone {zone}"))
                        if pet < best[0]:
                            best = (pet, second[0], (other,))
        self.events = sorted(events, key=lambda e: e.time)
        return make_result(self, {"pet_min": best[0]}, None, {"pet_min": best[1]}, {"pet_min": best[2]})
