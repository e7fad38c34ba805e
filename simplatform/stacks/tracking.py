"""Multi-object tracking: constant-velocity Kalman filters and gated nearest-neighbour association.

Why: an object list (vision_msgs/Detection3D) and a lidar cluster carry a
position but no velocity; a planner needs both.  Each track is a linear
Kalman filter on (x, y, vx, vy) with the discrete white-noise acceleration
model (Bar-Shalom, Li, Kirubarajan, "Estimation with Applications to
Tracking and Navigation", 2001, §6.3.2).  Detections with ids (an object
list) associate by id; anonymous ones (lidar clusters) by global nearest
neighbour — the assignment that minimises the summed squared Mahalanobis
distance inside a chi-square gate, solved with the Hungarian algorithm
(``scipy.optimize.linear_sum_assignment``).

Known weakness (kept on purpose in the baseline): a new track reports no
velocity until its second update, so an object is acted on one perception
cycle after it first appears.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from .inputs import Detections

GATE_CHI2_2DOF = 13.82  # 99.9 % of a chi-square with 2 degrees of freedom
H = np.array([[1.0, 0, 0, 0], [0, 1.0, 0, 0]])
_EYE4 = np.eye(4)


def _inv2(s: np.ndarray) -> np.ndarray:
    """Inverse of a 2×2 innovation covariance by the adjugate: LAPACK's ``inv`` costs ~1 ms a call when
    OpenBLAS threads contend with the ray caster's, and S is symmetric positive definite (det > 0)."""
    (a, b), (c, d) = s.tolist()
    det = a * d - b * c
    return np.array([[d, -b], [-c, a]]) / det


@dataclass
class Track:
    id: str
    category: str
    state: np.ndarray          # x, y, vx, vy
    cov: np.ndarray
    yaw: float
    size: np.ndarray
    time: float
    hits: int = 1
    last_seen: float = 0.0

    @property
    def confirmed(self) -> bool:
        return self.hits >= 2


@dataclass(frozen=True)
class TrackedObjects:
    """Confirmed tracks at one time, as arrays for vectorised planning."""

    ids: tuple[str, ...]
    categories: tuple[str, ...]
    xy: np.ndarray
    velocity: np.ndarray
    yaw: np.ndarray
    size: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class Tracker:
    """Tracks over time; ``update`` with each perception output, ``objects(t)`` to read them."""

    accel_noise: float = 3.0
    measurement_noise: float = 0.25
    max_age: float = 0.6
    by_id: bool = True
    tracks: dict[str, Track] = field(default_factory=dict)
    _next: int = 0
    _transitions: dict[tuple[float, float], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False, compare=False)
    _r: tuple[float, np.ndarray] | None = field(default=None, repr=False, compare=False)

    def _transition(self, dt: float) -> tuple[np.ndarray, np.ndarray]:
        """(F, Q) of the discrete white-noise acceleration model for a time step (cached: the perception
        period repeats, and the matrices are a pure function of it and of ``accel_noise``)."""
        cache = self._transitions
        key = (dt, self.accel_noise)
        hit = cache.get(key)
        if hit is None:
            f = np.eye(4)
            f[0, 2] = f[1, 3] = dt
            g = np.array([[0.5 * dt * dt, 0], [0, 0.5 * dt * dt], [dt, 0], [0, dt]])
            hit = cache[key] = (f, g @ g.T * self.accel_noise ** 2)
            if len(cache) > 64:
                cache.pop(next(iter(cache)))
        return hit

    def _measurement_covariance(self) -> np.ndarray:
        """R = σ² I of the position measurement (cached with the σ it was made for)."""
        cached = self._r
        if cached is None or cached[0] != self.measurement_noise:
            cached = self._r = (self.measurement_noise, np.eye(2) * self.measurement_noise ** 2)
        return cached[1]

    def _predict(self, track: Track, t: float) -> tuple[np.ndarray, np.ndarray]:
        f, q = self._transition(max(0.0, t - track.time))
        return f @ track.state, f @ track.cov @ f.T + q

    def _new(self, tid: str, cat: str, xy: np.ndarray, yaw: float, size: np.ndarray, t: float) -> None:
        cov = np.diag([self.measurement_noise ** 2] * 2 + [100.0, 100.0])
        self.tracks[tid] = Track(tid, cat, np.array([xy[0], xy[1], 0.0, 0.0]), cov, yaw, size, t, 1, t)

    def _correct(self, track: Track, x: np.ndarray, p: np.ndarray, z: np.ndarray, det: Detections, j: int) -> None:
        s = H @ p @ H.T + self._measurement_covariance()
        k = p @ H.T @ _inv2(s)
        track.state = x + k @ (z - H @ x)
        track.cov = (_EYE4 - k @ H) @ p
        track.time = track.last_seen = det.stamp
        track.yaw, track.size, track.category = float(det.yaw[j]), det.size[j], det.categories[j] or track.category
        track.hits += 1

    def update(self, det: Detections) -> None:
        t = det.stamp
        if self.by_id and det.ids and all(det.ids):
            for j, tid in enumerate(det.ids):
                track = self.tracks.get(tid)
                if track is None or t - track.last_seen > self.max_age:
                    self._new(tid, det.categories[j], det.xy[j], float(det.yaw[j]), det.size[j], t)
                else:
                    x, p = self._predict(track, t)
                    self._correct(track, x, p, det.xy[j], det, j)
        else:
            self._associate(det)
        self.tracks = {k: v for k, v in self.tracks.items() if t - v.last_seen <= self.max_age}

    def _associate(self, det: Detections) -> None:
        t = det.stamp
        keys = sorted(self.tracks)
        predicted = [self._predict(self.tracks[k], t) for k in keys]
        n, m = len(keys), len(det.xy)
        assigned: set[int] = set()
        if n and m:
            cost = np.full((n, m), 1e6)
            r = np.eye(2) * self.measurement_noise ** 2
            for i, (x, p) in enumerate(predicted):
                s_inv = _inv2(H @ p @ H.T + r)
                innov = det.xy - (H @ x)[None, :]
                d2 = np.einsum("mi,ij,mj->m", innov, s_inv, innov)
                cost[i] = np.where(d2 <= GATE_CHI2_2DOF, d2, 1e6)
            rows, cols = linear_sum_assignment(cost)
            for i, j in zip(rows, cols):
                if cost[i, j] < 1e6:
                    x, p = predicted[i]
                    self._correct(self.tracks[keys[i]], x, p, det.xy[j], det, j)
                    assigned.add(int(j))
        for j in range(m):
            if j not in assigned:
                self._next += 1
                self._new(f"track_{self._next}", det.categories[j], det.xy[j], float(det.yaw[j]), det.size[j], t)

    def objects(self, t: float) -> TrackedObjects:
        """Confirmed tracks predicted to ``t`` (sorted by id: deterministic order)."""
        keys = [k for k in sorted(self.tracks) if self.tracks[k].confirmed]
        if not keys:
            return TrackedObjects((), (), np.zeros((0, 2)), np.zeros((0, 2)), np.zeros(0), np.zeros((0, 3)))
        states = np.array([self._transition(max(0.0, t - self.tracks[k].time))[0] @ self.tracks[k].state
                           for k in keys])
        return TrackedObjects(tuple(keys), tuple(self.tracks[k].category for k in keys), states[:, :2], states[:, 2:],
                              np.array([self.tracks[k].yaw for k in keys]),
                              np.array([self.tracks[k].size for k in keys], dtype=float))
