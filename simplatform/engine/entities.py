"""The world state as a structure of arrays: one row per declared entity.

Why arrays: every per-step consumer (default controller, conditions, collision,
recorder) works on all entities at once, and a row object per entity per step
would cost more than the whole step budget (DESIGN.md: 50 µs at 200× real
time).  Entities that an ``AddEntityAction`` has not yet added (or a
``DeleteEntityAction`` removed) keep their row with ``active`` false, so
indices never shift during a run.

``lane_*`` columns hold where the entity stands on the road network: the road
id (a Python list, ``None`` off road), lane id, s along the road reference
line, and ``offset`` from the lane centre (+left), as OpenSCENARIO's
LanePosition.  ``odometer`` is the distance travelled since the start, for
TraveledDistanceCondition and distance-based transitions.
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter

import numpy as np

from simplatform.state_arena import StateArena
from simplatform.world import STATE_ROWS, EntityKind, LaneLocation, StateLanes, WorldSnapshot

_STATE_COLUMNS = (
    "x", "y", "z", "heading", "pitch", "roll", "speed", "vx", "vy", "ax", "ay", "yaw_rate",
    "length", "width", "height", "bbox_center_x", "bbox_center_y", "bbox_center_z",
    "wheel_angle", "wheel_rot", "odometer", "lane_s", "lane_offset", "road_t", "max_speed",
    "max_acceleration", "max_deceleration", "wheelbase",
)

_BOX_COLUMNS = ("length", "width", "height", "bbox_center_x", "bbox_center_y", "bbox_center_z")

_SNAPSHOT_ROWS = attrgetter(*STATE_ROWS[:12], "lane_s", "lane_offset", "lane_id")
"""The table's columns in ``simplatform.world.STATE_ROWS`` order (LaneLocation.t is ``lane_offset``)."""


@dataclass(frozen=True)
class EntitySpec:
    """What the table needs to know of one declared entity."""

    name: str
    kind: EntityKind
    category: str
    length: float
    width: float
    height: float
    center_x: float = 0.0
    center_y: float = 0.0
    center_z: float = 0.0
    max_speed: float = 70.0
    max_acceleration: float = 10.0
    max_deceleration: float = 10.0
    wheelbase: float = 2.7
    is_ego: bool = False
    active: bool = True
    mass: float | None = None
    """kg, OpenSCENARIO 1.1+ ``mass`` (None when the file does not say)."""
    front_axle: tuple[float, float, float, float, float] | None = None
    """Axle as (maxSteering, wheelDiameter, trackWidth, positionX, positionZ); None when absent."""
    rear_axle: tuple[float, float, float, float, float] | None = None


class EntityTable:
    """Mutable per-step state of every entity; ``snapshot()`` freezes a copy."""

    def __init__(self, specs: list[EntitySpec] | tuple[EntitySpec, ...]) -> None:
        n = len(specs)
        self.specs = tuple(specs)
        self.names: tuple[str, ...] = tuple(s.name for s in specs)
        self.kinds = tuple(s.kind for s in specs)
        self.categories = tuple(s.category for s in specs)
        self.index: dict[str, int] = {name: i for i, name in enumerate(self.names)}
        for col in _STATE_COLUMNS:
            setattr(self, col, np.zeros(n))
        self.length[:] = [s.length for s in specs]
        self.width[:] = [s.width for s in specs]
        self.height[:] = [s.height for s in specs]
        self.bbox_center_x[:] = [s.center_x for s in specs]
        self.bbox_center_y[:] = [s.center_y for s in specs]
        self.bbox_center_z[:] = [s.center_z for s in specs]
        self.max_speed[:] = [s.max_speed for s in specs]
        self.max_acceleration[:] = [s.max_acceleration for s in specs]
        self.max_deceleration[:] = [s.max_deceleration for s in specs]
        self.wheelbase[:] = [s.wheelbase for s in specs]
        self.lane_road: list[str | None] = [None] * n
        self.lane_id = np.zeros(n, dtype=np.int64)
        self.active = np.array([s.active for s in specs], dtype=bool)
        self.visible = np.ones(n, dtype=bool)
        self.ego: str | None = next((s.name for s in specs if s.is_ego), None)
        self._all_active = bool(self.active.all())
        self._lane_cache: list[LaneLocation | None] = [None] * n
        """The last LaneLocation a snapshot's ``StateLanes`` built of each row (reused while it holds)."""
        self._box_cache: tuple | None = None
        self._arena: StateArena | None = None
        """Where the snapshots' state matrices go (``StateArena``), one slot per snapshot."""
        self._subset: tuple | None = None
        self._roads_seen: list | None = None
        self._roads: tuple[str | None, ...] = ()
        """The last snapshot's road ids and the list they were read from (``_road_ids``)."""
        self._subset_roads: tuple | None = None
        """(key, names, kinds, categories) of the active rows when not all are active."""
        self.on_resize = None
        """Called after ``add`` re-allocated the columns (a batch then stops sharing them)."""
        self.shared_version: int | None = None
        """What ``snapshot`` hands over as ``WorldSnapshot.shared_version``: None (unversioned) until
        the owner of the other shared fields opts in (the engine sets 0 and calls ``bump_shared``
        wherever it makes another signals, collisions or environment object); then bumped wherever
        the table makes another object of the fields it shares between steps (kinds, categories,
        road ids, box columns): ``add``, ``set_active`` and each cache of ``snapshot`` when it misses.
        One counter, read once a step, so that the version costs the engine no sum and no compare."""

    def __len__(self) -> int:
        return len(self.names)

    def add(self, spec: EntitySpec) -> int:
        """Append a row (traffic spawned during the run); returns its index.

        Arrays are re-allocated: spawning is rare next to stepping, and every
        consumer indexes the table afresh each step."""
        if spec.name in self.index:
            raise ValueError(f"an entity named {spec.name!r} already exists")
        i = len(self.names)
        self.specs = self.specs + (spec,)
        self.names = self.names + (spec.name,)
        self.kinds = self.kinds + (spec.kind,)
        self.categories = self.categories + (spec.category,)
        self.index[spec.name] = i
        values = {"length": spec.length, "width": spec.width, "height": spec.height,
                  "bbox_center_x": spec.center_x, "bbox_center_y": spec.center_y, "bbox_center_z": spec.center_z,
                  "max_speed": spec.max_speed, "max_acceleration": spec.max_acceleration,
                  "max_deceleration": spec.max_deceleration, "wheelbase": spec.wheelbase}
        for col in _STATE_COLUMNS:
            setattr(self, col, np.append(getattr(self, col), values.get(col, 0.0)))
        self.lane_road.append(None)
        self.lane_id = np.append(self.lane_id, 0)
        self.active = np.append(self.active, spec.active)
        self.visible = np.append(self.visible, True)
        self._lane_cache.append(None)
        self._all_active = bool(self.active.all())
        self.bump_shared()   # another kinds and categories tuple
        if self.on_resize is not None:
            self.on_resize()
        return i

    def set_active(self, i: int, active: bool) -> None:
        self.active[i] = active
        self._all_active = bool(self.active.all())
        self.bump_shared()   # the snapshots' rows may become another subset (or all rows)

    def bump_shared(self) -> None:
        """Another object of a shared snapshot field from the next snapshot on (``shared_version``)."""
        if self.shared_version is not None:
            self.shared_version += 1

    def set_lane(self, i: int, road_id: str | None, lane_id: int, s: float, offset: float, road_t: float) -> None:
        self.lane_road[i] = road_id
        self.lane_id[i] = lane_id
        self.lane_s[i] = s
        self.lane_offset[i] = offset
        self.road_t[i] = road_t

    def lane_location(self, i: int) -> LaneLocation | None:
        road = self.lane_road[i]
        if road is None:
            return None
        return LaneLocation(road, int(self.lane_id[i]), float(self.lane_s[i]), float(self.lane_offset[i]))

    def set_velocity_from_speed(self) -> None:
        """vx, vy from speed and heading (entities moved by the default controller slip no sideways)."""
        np.multiply(self.speed, np.cos(self.heading), out=self.vx)
        np.multiply(self.speed, np.sin(self.heading), out=self.vy)

    def snapshot(
        self,
        time: float,
        step: int,
        *,
        signals=None,
        collisions: tuple[tuple[str, str], ...] = (),
        environment=None,
    ) -> WorldSnapshot:
        """A frozen copy holding only active entities.

        The box columns (length, width, height, box centre) change only when rows are added, so
        their copies are made once per set of active rows and shared, read-only, by the snapshots.
        ``lanes`` is a ``StateLanes`` over the state matrix's lane rows and the road ids: a
        LaneLocation (a frozen dataclass, ~0.5 µs) is built only when a reader asks for that
        entity's, not for every moving entity every step, and the metrics, which hold up to
        1,000 snapshots, then keep one object per snapshot instead of one per entity (22 GC-tracked
        objects a step fewer at 20 traffic vehicles: CPython's collector ran every ~13 steps;
        issue #7).  The per-step columns are views of one state matrix
        (``WorldSnapshot.from_state_matrix``): one copy of the table's columns, written into the
        next slot of the table's ``StateArena``, so that the metrics read a block of consecutive
        snapshots' matrices as one view of the arena, with no copy of their own (issue #7).  The
        names, kinds and categories of a subset of active rows are made once per subset.

        The snapshot's ``WorldSnapshot.shared_version`` is the table's ``shared_version``: None
        unless the caller opted in, and then bumped (``bump_shared``) wherever it passes another
        ``signals``, ``collisions`` or ``environment`` object."""
        roads = self._road_ids()
        off_road = [i for i, road in enumerate(roads) if road is None] if None in roads else None
        if self._all_active:
            sel = slice(None)
            names, kinds, cats = self.names, self.kinds, self.categories
            arena = self._arena
            if arena is None or arena.full or arena.slots.names is not names or arena.slots.ego is not self.ego:
                arena = self._arena = StateArena(names, self.ego)
            state = arena.write(_SNAPSHOT_ROWS(self))   # the per-step columns (STATE_ROWS order), in the next slot
            if off_road:
                state[12:, off_road] = np.nan
            lanes = StateLanes(state, roads, self._lane_cache)
            boxes = self._box_columns(sel)
        else:
            sel = np.nonzero(self.active)[0]
            key = (len(self.names), sel.tobytes())
            subset = self._subset
            if subset is None or subset[0] != key:
                subset = self._subset = (key, tuple(self.names[i] for i in sel), tuple(self.kinds[i] for i in sel),
                                         tuple(self.categories[i] for i in sel))
                self.bump_shared()
            names, kinds, cats = subset[1:]
            arena = self._arena
            if arena is None or arena.full or arena.slots.names is not names or arena.slots.ego is not self.ego:
                arena = self._arena = StateArena(names, self.ego)
            full = np.concatenate(_SNAPSHOT_ROWS(self)).reshape(len(STATE_ROWS), len(self.names))
            if off_road:
                full[12:, off_road] = np.nan
            state = arena.take()
            np.take(full, sel, axis=1, out=state, mode="clip")   # valid indices: as full[:, sel]
            rows = tuple(sel.tolist())
            roads = self._subset_road_ids(roads, rows)
            lanes = StateLanes(state, roads, self._lane_cache, rows)
            boxes = self._box_columns(sel)
        snap = WorldSnapshot.from_state_matrix(
            time, step, names, kinds, cats, state, boxes, lanes, roads, self.visible[sel].copy(),
            ego=self.ego,
            signals=signals if signals is not None else {},
            collisions=collisions,
            environment=environment if environment is not None else {},
        )
        version = self.shared_version
        if version is not None:   # set as the field says a writer sets it (else the class's None)
            snap.__dict__["shared_version"] = version
        return snap

    def _road_ids(self) -> tuple[str | None, ...]:
        """``tuple(self.lane_road)``, the previous snapshot's tuple while every road id is equal.

        Why: the metrics hold up to 1,000 snapshots (``metrics.suite``), and a fresh tuple of the
        entities' road ids every step was one more GC-tracked container a step for the collector
        to walk (22 items at 20 traffic vehicles; entities change road every few hundred steps
        at most).  Equal strings, so every reader sees the same values (issue #7)."""
        ids = self.lane_road
        if ids != self._roads_seen:   # list == list: identity first, item by item, in C
            self._roads_seen = list(ids)
            self._roads = tuple(ids)
            self.bump_shared()
        return self._roads

    def _subset_road_ids(self, roads: tuple[str | None, ...], rows: tuple[int, ...]) -> tuple[str | None, ...]:
        """The active rows' road ids (``_road_ids`` for a subset): the last tuple while both the
        full tuple and the rows are the same."""
        got = self._subset_roads
        if got is None or got[0] is not roads or got[1] != rows:
            got = self._subset_roads = (roads, rows, tuple(roads[i] for i in rows))
            self.bump_shared()
        return got[2]

    def _box_columns(self, sel) -> dict[str, np.ndarray]:
        key = (len(self.names), None if isinstance(sel, slice) else sel.tobytes())
        got = self._box_cache
        if got is None or got[0] != key:
            cols = {}
            for name in _BOX_COLUMNS:
                a = getattr(self, name)[sel].copy()
                a.flags.writeable = False
                cols[name] = a
            got = (key, cols)
            self._box_cache = got
            self.bump_shared()
        return got[1]

    def bbox_centers(self) -> tuple[np.ndarray, np.ndarray]:
        c, s = np.cos(self.heading), np.sin(self.heading)
        cx = self.x + c * self.bbox_center_x - s * self.bbox_center_y
        cy = self.y + s * self.bbox_center_x + c * self.bbox_center_y
        return cx, cy
