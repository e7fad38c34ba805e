"""Post-encroachment time at the scenario's conflict zones (Allen, Shin & Cooper 1978).

PET is the time between the first road user leaving a conflict area and the
second entering it: t_enter(second) − t_leave(first), 0 when both are in it
at once.  It is measured per zone and the metric reports the smallest over
zones and road-user pairs that include the ego.

Who is in a zone: a road user whose bounding box overlaps the convex zone
polygon (separating axis theorem, ``metrics.geometry``).  A zone that knows
the two crossing lanes it is the overlap of (``ConflictZone.lanes``, the
lane-level zones of ``metrics.junctions``) is a conflict between the users
of those two lanes only: its polygon also lies on other connecting lanes of
the junction, and users of those pass through it at other times without
meeting anyone there.  So for such a zone a vehicle is in it *as a user of
lane A* while its box overlaps the polygon and it is on one of A's members —
A itself (straddling counts), the approach lane leading into A, the exit
lane A leads into (``metrics.zone_lanes``) — and likewise for lane B; PET
pairs a user of A with a user of B.  Two vehicles following each other on A
are a headway, not an encroachment.  Road users whose lane does not tell
their path (unknown lane, pedestrians, objects) count by geometry alone, on
either side.  Zones without lanes keep the purely geometric rule: anyone in
the polygon, every pair.

Zones of one ``group`` (a junction) are tested only in blocks where someone
is near the group or still inside one of its zones.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from metrics.base import BlockMetric, ScalarSpec, make_result, register_metric
from metrics.block import StepBlock
from metrics.geometry import polygon_edge_normals, rectangle_axes
from metrics.road_zone_kernels import any_within, zone_overlap
from metrics.zone_lanes import LaneKey, covered_lanes, follows_lanes, lane_members
from simplatform.results import MetricEvent, MetricResult

ANY_SIDE = 0   # the one stream of a zone without lanes


@dataclass(frozen=True)
class _Zone:
    id: str
    vertices: np.ndarray
    normals: np.ndarray     # (K, 2) edge normals, the polygon's own separating-axis candidates
    extent: np.ndarray      # (2, K) the polygon's min and max along each normal
    bounds: np.ndarray      # (2, 2) min and max corner of its axis-aligned bounding box
    members: tuple[frozenset[LaneKey], frozenset[LaneKey]] | None   # per side (lane A, lane B)


def _near(cx: np.ndarray, cy: np.ndarray, centre: np.ndarray, reach: float) -> bool:
    """Whether any box centre is within ``reach`` of a zone group's centre (its broad phase).

    Squared distances against a reach grown by 1 mm: a superset of the exact disc test (it only
    lets more blocks look at the zones' polygons), without a ``hypot`` per entity-step; one
    compiled pass that stops at the first centre inside (``road_zone_kernels.any_within``)."""
    r = reach + 1e-3
    return bool(any_within(cx, cy, float(centre[0]), float(centre[1]), r * r))


def _overlap_numpy(corners: np.ndarray, zone: _Zone) -> np.ndarray:
    """(T, N) whether each box of ``corners`` (T, N, 4, 2) overlaps the zone polygon, in numpy: the
    reference ``road_zone_kernels.zone_overlap`` is tested against.  Axis-aligned bounding boxes
    first (the x and y axes separate or not like any other, Ericson §4.2), then the separating axis
    theorem on the box's two axes and the polygon's edge normals, whose projections of the polygon
    are precomputed."""
    lo, hi = corners.min(axis=2), corners.max(axis=2)
    near = np.all((hi >= zone.bounds[0]) & (lo <= zone.bounds[1]), axis=-1)
    inside = np.zeros(corners.shape[:2], dtype=bool)
    steps, who = np.nonzero(near)
    if steps.size:
        boxes = corners[steps, who]                                         # (P, 4, 2)
        on_normals = np.einsum("pcd,kd->pkc", boxes, zone.normals)          # (P, K, 4)
        apart = (on_normals.max(axis=2) < zone.extent[0]) | (on_normals.min(axis=2) > zone.extent[1])
        axes = rectangle_axes(boxes)                                        # (P, 2, 2)
        poly = np.einsum("nd,pad->pan", zone.vertices, axes)                # (P, 2, Nv)
        box = np.einsum("pcd,pad->pac", boxes, axes)                        # (P, 2, 4)
        apart_box = (poly.max(axis=2) < box.min(axis=2)) | (box.max(axis=2) < poly.min(axis=2))
        inside[steps, who] = ~(apart.any(axis=1) | apart_box.any(axis=1))
    return inside


@register_metric
class PostEncroachmentMetric(BlockMetric):
    """Post-encroachment time (Allen, Shin & Cooper 1978), per conflict zone, lane-aware where zones name lanes."""

    name = "post_encroachment"
    requires = frozenset({"conflict_zones"})
    scalars = (ScalarSpec("pet_min", "s", "time", "final", "smallest post-encroachment time"),)

    def __init__(self, context) -> None:
        super().__init__(context)
        self._road = context.road
        self._zones: list[_Zone] = []
        groups: dict[str, list[int]] = {}
        self._candidates: dict[str, set[int]] = defaultdict(set)   # road → zone member lanes on it
        for z in context.conflict_zones:
            verts = np.asarray(z.vertices, float)
            members = None
            if z.lanes is not None:
                members = tuple(lane_members(self._road, (str(r), int(l))) for r, l in z.lanes)
                for road_id, lane_id in members[0] | members[1]:
                    self._candidates[road_id].add(lane_id)
            groups.setdefault(z.group if z.group is not None else f"zone {z.id}", []).append(len(self._zones))
            normals = polygon_edge_normals(verts)
            along = verts @ normals.T
            self._zones.append(_Zone(z.id, verts, normals, np.stack([along.min(axis=0), along.max(axis=0)]),
                                     np.stack([verts.min(axis=0), verts.max(axis=0)]), members))
        # broad phase: a group's zones are looked at only when someone is within its bounding disc
        self._groups = []
        for members_ in groups.values():
            pts = np.vstack([self._zones[i].vertices for i in members_])
            centre = (pts.min(axis=0) + pts.max(axis=0)) / 2
            reach = float(np.max(np.hypot(*(pts - centre).T)))
            self._groups.append((centre, reach, members_, {self._zones[i].id for i in members_}))
        self._inside: dict[tuple[str, int], set[str]] = defaultdict(set)   # zone stream → who is in it now
        self._intervals: dict[tuple[tuple[str, int], str], list[list[float]]] = {}
        self._ego: str | None = context.ego

    # ----------------------------------------------------------------- observing
    def observe_block(self, block: StepBlock) -> None:
        self._ego = block.ego
        cx, cy = block.centers
        occupied = {key[0] for key, who in self._inside.items() if who}
        active = [self._zones[i] for centre, reach, members, ids in self._groups
                  if not occupied.isdisjoint(ids) or _near(cx, cy, centre, reach + block.radius_max)
                  for i in members]
        if not active:
            return
        names, times = block.names, block.times.tolist()
        corners = block.corners
        geometric = [(zone, zone_overlap(corners, zone.bounds, zone.normals, zone.extent, zone.vertices))
                     for zone in active]
        on_lanes = self._lane_users(block, [inside for zone, inside in geometric if zone.members is not None])
        for zone, inside in geometric:
            if zone.members is None:
                self._track(block, (zone.id, ANY_SIDE), inside, names, times)
                continue
            for side, members in enumerate(zone.members, start=1):
                self._track(block, (zone.id, side), on_lanes(inside, members), names, times)

    def _lane_users(self, block: StepBlock, masks: list[np.ndarray]):
        """A function (inside, members) → (T, N) mask of the cells of ``inside`` whose entity is on one
        of ``members`` or has no telling lane; lanes are worked out once per block for every cell
        that is inside some lane zone."""
        if not masks:
            return lambda inside, members: inside
        kinds = block.kinds
        steps, who = np.nonzero(np.logical_or.reduce(masks))
        free = np.zeros((block.size, block.entities), dtype=bool)   # no telling lane: geometry alone
        # step and entity lists of ints (no tuple per cell: a busy junction has thousands of them)
        cell_k, cell_j, locations = [], [], []
        lanes_at = block.lanes_at
        lanes = {}   # step → its lanes, read once per step
        for k, j in zip(steps.tolist(), who.tolist()):
            at = lanes.get(k)
            if at is None:
                at = lanes[k] = lanes_at(k)
            loc = at[j]
            if follows_lanes(kinds[j], loc):
                cell_k.append(k)
                cell_j.append(j)
                locations.append(loc)
            else:
                free[k, j] = True
        ks, js = np.array(cell_k, dtype=np.int64), np.array(cell_j, dtype=np.int64)
        index: dict[frozenset[LaneKey], int] = {}   # the few distinct lane sets, each tested once per zone side
        set_of_cell = np.array([index.setdefault(lanes, len(index))
                                for lanes in covered_lanes(self._road, locations, block.corners[ks, js],
                                                           self._candidates)], dtype=np.int64)

        def on(inside: np.ndarray, members: frozenset[LaneKey]) -> np.ndarray:
            out = free.copy()
            if ks.size:
                out[ks, js] = np.array([not lanes.isdisjoint(members) for lanes in index])[set_of_cell]
            return out & inside
        return on

    def _track(self, block: StepBlock, key: tuple[str, int], inside: np.ndarray, names: tuple[str, ...],
               times: list[float]) -> None:
        """Open and close the occupation intervals of one zone stream from its (T, N) occupancy."""
        now = self._inside[key]
        if not now and not inside.any():
            return
        if not now.issubset(names):
            # an entity in the zone left the scene: its interval ends with the block's first step
            self._enter_leave(key, {names[j] for j in np.flatnonzero(inside[0])}, times[0])
        was = np.array([n in now for n in names])
        changed = np.flatnonzero(np.any(inside != np.vstack([was[None], inside[:-1]]), axis=1))
        for k in changed.tolist():
            self._enter_leave(key, {names[j] for j in np.flatnonzero(inside[k])}, times[k])

    def _enter_leave(self, key: tuple[str, int], inside_now: set[str], time: float) -> None:
        now = self._inside[key]
        for name in sorted(inside_now - now):
            self._intervals.setdefault((key, name), []).append([time, math.inf])
        for name in now - inside_now:
            self._intervals[(key, name)][-1][1] = time
        self._inside[key] = set(inside_now)

    # ------------------------------------------------------------------- result
    def result(self) -> MetricResult:
        # the worst moment: the smallest PET, and among equal ones (0.0 is common: overlapping occupations)
        # the earliest, then by zone and entity — never the order the intervals were recorded in, which
        # follows the block size (a block records zone by zone, one-step blocks step by step)
        best: tuple[float, float | None, tuple[str, ...]] = (math.inf, None, ())
        best_key: tuple = (math.inf,)
        events: list[MetricEvent] = []
        seen: set[tuple] = set()
        for ((zone, side), name), ivs in self._intervals.items():
            if name != self._ego:
                continue
            partner = ANY_SIDE if side == ANY_SIDE else 3 - side   # lane A's users meet lane B's
            for ((zone2, side2), other), ivs2 in self._intervals.items():
                if zone2 != zone or side2 != partner or other == name:
                    continue
                for a in ivs:
                    for b in ivs2:
                        pair = (zone, other, *a, *b)
                        if pair in seen:   # both entities on both sides (no telling lane): counted once
                            continue
                        seen.add(pair)
                        first, second = (a, b) if a[0] <= b[0] else (b, a)
                        pet = max(0.0, second[0] - first[1])
                        events.append(MetricEvent(second[0], "encroachment", (other,), pet, f"zone {zone}"))
                        key = (pet, second[0], str(zone), other)
                        if key < best_key:
                            best, best_key = (pet, second[0], (other,)), key
        self.events = sorted(events, key=lambda e: (e.time, e.detail, e.entities))
        return make_result(self, {"pet_min": best[0]}, None, {"pet_min": best[1]}, {"pet_min": best[2]})
