"""What a metric needs to know about a scenario beyond the per-step snapshot.

The snapshot says where everyone is; the context says what the ego was asked
to do (route, goal, ACC set speed), what governs it (road network, stop lines,
signals, conflict zones) and what happened outside the world state (V2X
warnings).  The road is duck-typed against ``simplatform.opendrive.RoadNetwork``
(``locate``, ``locate_many``, ``lane_type``, ``driving_direction``,
``speed_limit``, ``road_heading``, ``lane_poses``, ``successors``, ``roads``), so
metrics do not import the road package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np


@dataclass(frozen=True)
class GoalRegion:
    """A disc (``radius``) or an axis-aligned box (``half_x``/``half_y``) the ego must reach.

    The disc is ScenarioRunner's ``InRadiusRegionTest``; the box its
    ``ReachedRegionTest`` (min_x..max_x, min_y..max_y).
    """

    x: float
    y: float
    radius: float = 2.0
    half_x: float | None = None
    half_y: float | None = None

    @classmethod
    def box(cls, min_x: float, max_x: float, min_y: float, max_y: float) -> "GoalRegion":
        return cls((min_x + max_x) / 2, (min_y + max_y) / 2, 0.0, (max_x - min_x) / 2, (max_y - min_y) / 2)

    def contains(self, x: float, y: float) -> bool:
        if self.half_x is not None and self.half_y is not None:
            return abs(x - self.x) <= self.half_x and abs(y - self.y) <= self.half_y
        return (x - self.x) ** 2 + (y - self.y) ** 2 <= self.radius ** 2

    def contains_many(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """``contains`` for arrays of points."""
        if self.half_x is not None and self.half_y is not None:
            return (np.abs(x - self.x) <= self.half_x) & (np.abs(y - self.y) <= self.half_y)
        return (x - self.x) ** 2 + (y - self.y) ** 2 <= self.radius ** 2


@dataclass(frozen=True)
class StopLine:
    """A line a vehicle must not cross on red (``signal_id`` set) or without stopping (``kind='stop'``).

    ``p0``/``p1`` are the ends of the line in the world frame; ``direction`` is
    the travel heading (rad) the line governs: a crossing counts only for a
    vehicle moving within 90° of it.  ``red_states`` are the signal state
    strings that mean "stop": ASAM OpenSCENARIO leaves state names to the
    signal model, esmini and OpenDRIVE 1000001 lights use "red;amber;green"
    lamp order, so ``"on;off;off"`` (red) and ``"on;on;off"`` (red-amber, still
    a stop in StVO §37) are red, ``"off;on;off"`` (amber) is not.
    """

    id: str
    p0: tuple[float, float]
    p1: tuple[float, float]
    direction: float
    signal_id: str | None = None
    kind: str = "traffic_light"
    red_states: frozenset[str] = frozenset({"red", "stop", "on;off;off", "on;on;off", "redamber", "red_amber"})


@dataclass(frozen=True)
class ConflictZone:
    """A convex polygon (world x, y vertices, any winding) where paths cross, for PET.

    ``group`` gathers nearby zones (the junction of ``conflict_zones_from_road``)
    so that the PET metric looks at a group's zones only when someone is near it.
    ``lanes`` are the two crossing lanes ``((road, lane), (road, lane))`` whose
    overlap the zone is: the PET metric then counts a vehicle in the zone only
    while its snapshot lane puts it on (or straddling, or just entering or
    leaving) one of them, and pairs a user of one lane with a user of the
    other (``metrics.pet``).  None: anyone whose box overlaps the polygon.
    """

    id: str
    vertices: tuple[tuple[float, float], ...]
    group: str | None = None
    lanes: tuple[tuple[str, int], tuple[str, int]] | None = None


ADVISORY_APPLICATIONS = frozenset({"SLW", "IVS", "GLOSA"})
"""Speed advice rather than a hazard (ETSI TS 103 301 IVI, SAE J2945/x SPaT-based GLOSA): the response
is slowing to the advised speed, not an evasive manoeuvre (``metrics.v2x``)."""


@dataclass(frozen=True)
class V2XWarning:
    """A warning delivered to the ego at ``time`` (s); the reaction metric times the response.

    ``message`` is the harness's label ``"<application>/<message set>"``
    (``simplatform.harness.v2x.label``, e.g. ``"FCW/BSM"``, ``"SLW/IVI"``);
    free text is accepted.  ``application`` names the application when the
    label does not (empty: taken from the label's part before ``/``).
    ``advised_speed`` (m/s) is the speed a speed-limit or signage advisory
    asks for (the convention's ``payload.speed_limit_kmh``,
    /work/notes/v2x_convention.md); ``from_event`` fills both.
    """

    time: float
    message: str
    application: str = ""
    advised_speed: float | None = None

    @classmethod
    def from_event(cls, time: float, application: str, message_set: str,
                   payload: Mapping[str, Any] | None = None) -> "V2XWarning":
        """A warning from a ``simplatform.v2x`` event (application, message set, JSON payload)."""
        label = "/".join(x for x in (application, message_set) if x)
        kmh = (payload or {}).get("speed_limit_kmh")
        advised = float(kmh) / 3.6 if isinstance(kmh, (int, float)) and not isinstance(kmh, bool) else None
        return cls(float(time), label, application, advised)

    @property
    def kind(self) -> str:
        """The application in upper case ("" when neither ``application`` nor the label names one)."""
        if self.application:
            return self.application.strip().upper()
        head, sep, _ = self.message.partition("/")
        return head.strip().upper() if sep and head.strip().isalnum() else ""

    @property
    def is_advisory(self) -> bool:
        return self.kind in ADVISORY_APPLICATIONS


@dataclass(frozen=True)
class RoutePath:
    """The ego route as a polyline: points (M, 2), unit travel directions (M, 2), cumulative length.

    Built from points (what a Leaderboard route file gives after interpolation)
    or from the road model's ``Route`` / a list of ``LanePosition`` waypoints.
    """

    points: np.ndarray
    directions: np.ndarray
    cumulative: np.ndarray

    @property
    def length(self) -> float:
        return float(self.cumulative[-1])

    @classmethod
    def from_points(cls, points: Sequence[Sequence[float]] | np.ndarray) -> "RoutePath":
        pts = np.asarray(points, dtype=float)[:, :2]
        if len(pts) < 2:
            raise ValueError("a route needs at least two points")
        seg = np.diff(pts, axis=0)
        seg_len = np.hypot(seg[:, 0], seg[:, 1])
        keep = np.concatenate([[True], seg_len > 1e-9])
        pts = pts[keep]
        seg = np.diff(pts, axis=0)
        seg_len = np.hypot(seg[:, 0], seg[:, 1])
        dirs = seg / seg_len[:, None]
        dirs = np.vstack([dirs, dirs[-1:]])
        return cls(pts, dirs, np.concatenate([[0.0], np.cumsum(seg_len)]))

    @classmethod
    def from_road_route(cls, road: Any, route: Any, step: float = 1.0) -> "RoutePath":
        """Sample a road-model ``Route`` (segments road_id, lane_id, s_start, s_end) at ``step`` metres.

        The travel sense of each segment is s_start → s_end, so a lane driven
        against s (s_start > s_end) is sampled backwards.
        """
        chunks = []
        for seg in route.segments:
            n = max(2, int(abs(seg.s_end - seg.s_start) / step) + 1)
            s = np.linspace(seg.s_start, seg.s_end, n)
            poses = road.lane_poses(seg.road_id, seg.lane_id, s, np.zeros_like(s))
            chunks.append(np.stack([poses.x, poses.y], axis=1))
        return cls.from_points(np.vstack(chunks))

    @classmethod
    def from_lane_positions(cls, road: Any, waypoints: Sequence[Any], step: float = 1.0) -> "RoutePath":
        """Plan through the waypoints with ``road.route(start, goal, via)`` and sample it."""
        route = road.route(waypoints[0], waypoints[-1], list(waypoints[1:-1]))
        return cls.from_road_route(road, route, step)


@dataclass
class ScenarioContext:
    """Per-scenario inputs to the metrics; every field is optional.

    A metric whose ``requires`` names a field that is None is not built; a
    requirement that needs it gets an ``error`` verdict naming the field.
    ``background`` are the actors whose mean speed is the Leaderboard's
    minimum-speed reference (``MinimumSpeedRouteTest``); ``emergency_vehicles``
    are checked by the yield test; ``stop_lines`` may be derived from the road
    with :func:`metrics.signals.stop_lines_from_road` and ``conflict_zones``
    (one per junction) with :func:`metrics.junctions.conflict_zones_from_road`.
    ``v2x_expected`` says the run may deliver V2X warnings that are not known
    yet (``MetricSuite.add_v2x_warning``): the reaction metric is then built
    even while ``v2x_warnings`` is empty, and a run that never gets one reports
    ``v2x_unanswered = 0`` and ``v2x_reaction_time_max = 0``.
    """

    road: Any = None
    route: RoutePath | None = None
    goal: GoalRegion | None = None
    acc_set_speed: float | None = None
    acc_time_gap: float = 1.8
    v2x_warnings: tuple[V2XWarning, ...] = ()
    v2x_expected: bool = False
    stop_lines: tuple[StopLine, ...] = ()
    conflict_zones: tuple[ConflictZone, ...] = ()
    timeout: float | None = None
    scenario_timed_out: bool = False
    ego: str | None = None
    background: tuple[str, ...] = ()
    emergency_vehicles: tuple[str, ...] = ()
    thresholds: dict[str, float] = field(default_factory=dict)

    def threshold(self, name: str, default: float) -> float:
        """A tunable threshold (near-miss TTC, blocked speed, …) with its documented default."""
        return float(self.thresholds.get(name, default))

    def has(self, requirement: str) -> bool:
        """Whether a field is given (non-empty tuple, not None, a True flag); ``"a|b"``: either."""
        if "|" in requirement:
            return any(self.has(part) for part in requirement.split("|"))
        value = getattr(self, requirement)
        if isinstance(value, bool):
            return value
        if isinstance(value, tuple):
            return len(value) > 0
        return value is not None
