"""Value types of the road network API: poses, lane positions, locate results."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Pose:
    """A pose in the OpenDRIVE inertial frame (m, rad; heading CCW from +x)."""

    x: float
    y: float
    z: float
    heading: float
    pitch: float
    roll: float


@dataclass(frozen=True)
class PoseArray:
    """Many poses as equal-length arrays (struct of arrays)."""

    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    heading: np.ndarray
    pitch: np.ndarray
    roll: np.ndarray

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> Pose:
        return Pose(float(self.x[i]), float(self.y[i]), float(self.z[i]), float(self.heading[i]),
                    float(self.pitch[i]), float(self.roll[i]))


@dataclass(frozen=True)
class LanePosition:
    """A position on a lane (OpenSCENARIO LanePosition): ``offset`` from the lane
    centre line, +left in the reference-line sense; t = lane centre t + offset."""

    road_id: str
    lane_id: int
    s: float
    offset: float = 0.0


@dataclass(frozen=True)
class LocateResult:
    """``locate_many`` answers, one row per query point.

    ``road_index`` indexes ``road_ids`` (-1 off road); ``lane_id``, ``s``, ``t``
    and ``offset`` are meaningful where ``on_road`` (NaN elsewhere).
    """

    road_index: np.ndarray
    road_ids: list[str]
    lane_id: np.ndarray
    s: np.ndarray
    t: np.ndarray
    offset: np.ndarray
    on_road: np.ndarray

    def __len__(self) -> int:
        return len(self.road_index)

    def position(self, i: int) -> LanePosition | None:
        """Row i as a ``LanePosition`` (None off road)."""
        if not self.on_road[i]:
            return None
        return LanePosition(self.road_ids[int(self.road_index[i])], int(self.lane_id[i]),
                            float(self.s[i]), float(self.offset[i]))
