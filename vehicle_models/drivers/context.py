"""What a driver model perceives and decides, per vehicle, as arrays.

The engine fills a :class:`TrafficContext` each step from the road model and
the world (this package never reads OpenDRIVE): one entry per driven vehicle.
Gaps are bumper-to-bumper distances along the lane (m), ``inf`` when there is
no such vehicle; speeds are along the lane (m/s).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from operator import attrgetter

import numpy as np

INF = np.inf


@dataclass
class TrafficContext:
    """Per-vehicle perception inputs (all arrays of length N).

    ``stop_distance``: distance from the front bumper to the stop line of a red
    or amber signal ahead (inf if none).  ``yield_distance``: distance to the
    junction yield line ahead; ``yield_required``: conflicting traffic with
    priority is present, so the vehicle must stop there.  The ``left_*`` and
    ``right_*`` fields describe the adjacent target lanes for MOBIL;
    ``*_available`` is False where no such lane exists or a change is not allowed.
    """

    speed: np.ndarray
    desired_speed: np.ndarray
    length: np.ndarray
    leader_gap: np.ndarray
    leader_speed: np.ndarray
    follower_gap: np.ndarray
    follower_speed: np.ndarray
    left_available: np.ndarray
    left_leader_gap: np.ndarray
    left_leader_speed: np.ndarray
    left_follower_gap: np.ndarray
    left_follower_speed: np.ndarray
    right_available: np.ndarray
    right_leader_gap: np.ndarray
    right_leader_speed: np.ndarray
    right_follower_gap: np.ndarray
    right_follower_speed: np.ndarray
    stop_distance: np.ndarray
    yield_distance: np.ndarray
    yield_required: np.ndarray

    @classmethod
    def free_road(cls, speed, desired_speed, length=4.5) -> "TrafficContext":
        """A context with no other traffic, no neighbour lanes and no stop points."""
        speed = np.atleast_1d(np.asarray(speed, dtype=float))
        n = len(speed)
        inf = np.full(n, INF)
        zero = np.zeros(n)
        no = np.zeros(n, dtype=bool)
        return cls(
            speed=speed.copy(), desired_speed=np.broadcast_to(desired_speed, (n,)).astype(float),
            length=np.broadcast_to(length, (n,)).astype(float),
            leader_gap=inf.copy(), leader_speed=zero.copy(),
            follower_gap=inf.copy(), follower_speed=zero.copy(),
            left_available=no.copy(), left_leader_gap=inf.copy(), left_leader_speed=zero.copy(),
            left_follower_gap=inf.copy(), left_follower_speed=zero.copy(),
            right_available=no.copy(), right_leader_gap=inf.copy(), right_leader_speed=zero.copy(),
            right_follower_gap=inf.copy(), right_follower_speed=zero.copy(),
            stop_distance=inf.copy(), yield_distance=inf.copy(), yield_required=no.copy(),
        )

    def __len__(self) -> int:
        return len(self.speed)

    def kernel_arrays(self) -> tuple[np.ndarray, ...]:
        """The fields in declaration order as contiguous length-N arrays (float; bool for flags),
        the form the compiled driver kernels take; scalars broadcast."""
        shape = (len(self),)
        got = _GET_FIELDS(self)
        # the usual case, checked by C-level maps: every field already an array of its kind and length
        if list(map(type, got)) == _ARRAY_TYPES and list(map(_DTYPE, got)) == _KINDS \
                and list(map(_NDIM, got)) == _ONES and list(map(len, got)) == [shape[0]] * len(got):
            return got
        out = []
        for a, dtype in zip(got, _KINDS):
            if type(a) is not np.ndarray or a.dtype is not dtype or a.shape != shape:
                a = np.array(np.broadcast_to(np.asarray(a, dtype=dtype), shape))  # a writable copy
            out.append(a)
        return tuple(out)

    def to_array(self) -> np.ndarray:
        """(fields, N) float array: one row per field, for delay buffers."""
        return np.stack([np.asarray(getattr(self, f.name), dtype=float) for f in fields(self)])

    @classmethod
    def from_array(cls, rows: np.ndarray) -> "TrafficContext":
        values = {}
        for row, f in zip(rows, fields(cls)):
            values[f.name] = row > 0.5 if f.name in _FLAG_FIELDS else row
        return cls(**values)


_FIELD_NAMES = tuple(f.name for f in fields(TrafficContext))
_FLAG_FIELDS = ("left_available", "right_available", "yield_required")
_BOOL, _FLOAT = np.dtype(bool), np.dtype(float)
_GET_FIELDS = attrgetter(*_FIELD_NAMES)
_KINDS = [_BOOL if name in _FLAG_FIELDS else _FLOAT for name in _FIELD_NAMES]
_ARRAY_TYPES = [np.ndarray] * len(_FIELD_NAMES)
_DTYPE, _NDIM = attrgetter("dtype"), attrgetter("ndim")
_ONES = [1] * len(_FIELD_NAMES)


@dataclass(frozen=True)
class DriverDecision:
    """Per-vehicle outputs: longitudinal acceleration demand (m/s²) and lane change.

    ``lane_change``: -1 to the right, 0 stay, +1 to the left (OpenDRIVE lanes:
    left is positive t).
    """

    acceleration: np.ndarray
    lane_change: np.ndarray
