"""A rosette frame whose azimuth-sorted tables are built on first use.

Why: a sweep of a non-repetitive head finds its actor candidates from the
frame's cast order (``lidar_band_pairs``), so the azimuth order, the sorted
azimuths and the tables read in that order (``ScanPattern.azimuth_order``,
``sorted_azimuth``; ``PatternTables.azimuth_elevation``,
``azimuth_position``, ``elevation_range``) serve only other callers
(``ScanPattern.rays_in_windows``, ``lidar_actors.candidate_pairs``, tests).
Building them for every frame was a second sort of its rays and four table
copies.  ``RosetteFrame`` and ``RosetteTables`` are the frame's
``ScanPattern`` and ``PatternTables`` with those fields computed on first
read, all at once, by the kernel that built them before
(``lidar_frame.frame_azimuth_side``) on the same arrays: the same values,
bit for bit, whenever they are read.  Session 9: the frame's angles too —
numpy's float32 arctan2 and float64 arcsin of its direction columns, the
(N, 3) direction table and the azimuths in cast order (``FrameAngles``):
a sweep's band pairs decide on the deflections instead
(``lidar_band_pairs.deflection_pairs``) and read them only where those
cannot decide.  Every other field is set at construction as before.
``dataclasses.replace``, equality and ``repr`` read the fields and so build
them; pickling keeps the frame's work.
"""

from __future__ import annotations

import threading
from functools import cached_property
from typing import Any

import numpy as np

from sensors.lidar_frame import frame_cast_azimuth
from sensors.lidar_patterns import PatternTables, ScanPattern


class AzimuthTables:
    """The azimuth side of one frame, computed once on first ask (``lidar_frame.frame_azimuth_side``).

    ``build()`` → (azimuth order, sorted azimuths, elevations and cast rows in azimuth order, elevation
    range); ``run`` is the frame's stage that computes them (``_FrameWork.azimuth_side``).
    """

    def __init__(self, run) -> None:
        self._run = run
        self._lock = threading.Lock()
        self._value: tuple | None = None

    def build(self) -> tuple:
        with self._lock:                                    # two threads asking at once: one build
            if self._value is None:
                self._value = self._run()
                self._run = None
            return self._value

    def __getstate__(self) -> dict:
        return {"value": self.build()}

    def __setstate__(self, state: dict) -> None:
        self._run = None
        self._lock = threading.Lock()
        self._value = state["value"]


class FrameAngles:
    """A rosette frame's arrays derived from its (3, N) float32 direction ``columns``, each computed once on
    first ask (``get``), by the numpy calls that built them with every frame before session 9:

    - ``directions``: the (N, 3) table (a transposed copy: the values the frame kernel wrote before session 9);
    - ``azimuth``: numpy's float32 ``arctan2`` of the y and x columns;
    - ``elevation``: numpy's float64 ``arcsin`` of the z column as float64, clipped to [−1, 1] (the
      values the frame kernel wrote as ``z64`` before session 9; contiguous, as then);
    - ``cast_azimuth``: (azimuths in cast order, their (min, max)) (``lidar_frame.frame_cast_azimuth``).

    numpy's arctan2 and arcsin are SIMD loops here whose bits a compiled call does not reproduce
    (``lidar_frame``): on the same inputs they give the same arrays, whenever they run.
    """

    def __init__(self, columns: np.ndarray, cast_order: np.ndarray) -> None:
        self._columns = columns
        self._cast_order = cast_order
        self._lock = threading.RLock()
        self._values: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        with self._lock:                                    # two threads asking at once: one build
            got = self._values.get(name)
            if got is None:
                got = self._values[name] = getattr(self, "_" + name)()
            return got

    def _directions(self) -> np.ndarray:
        return np.ascontiguousarray(self._columns.T)

    def _azimuth(self) -> np.ndarray:
        return np.arctan2(self._columns[1], self._columns[0])

    def _elevation(self) -> np.ndarray:
        return np.arcsin(np.clip(self._columns[2].astype(np.float64), -1.0, 1.0))

    def _cast_azimuth(self) -> tuple[np.ndarray, tuple[float, float]]:
        azimuth = self.get("azimuth")
        cast = np.empty(len(azimuth), dtype=np.float32)
        extent = frame_cast_azimuth(self._cast_order, azimuth, cast)
        return cast, (float(extent[0]), float(extent[1]))

    def __getstate__(self) -> dict:
        return {"columns": self._columns, "cast_order": self._cast_order, "values": dict(self._values)}

    def __setstate__(self, state: dict) -> None:
        self._columns = state["columns"]
        self._cast_order = state["cast_order"]
        self._lock = threading.RLock()
        self._values = state["values"]


def _make(cls: type, fields: dict[str, Any], azimuth: AzimuthTables, angles: FrameAngles) -> Any:
    """An instance of the frozen dataclass subclass ``cls`` with ``fields`` set and the lazy ones not."""
    obj = object.__new__(cls)
    for name, value in fields.items():
        object.__setattr__(obj, name, value)
    object.__setattr__(obj, "_azimuth_tables", azimuth)
    object.__setattr__(obj, "_frame_angles", angles)
    return obj


class RosetteFrame(ScanPattern):
    """A rosette frame (``ScanPattern``) whose ``directions``, ``azimuth_order`` and ``sorted_azimuth`` are
    built on first read.  Make one with ``RosetteFrame.lazy``."""

    @classmethod
    def lazy(cls, azimuth: AzimuthTables, angles: FrameAngles, **fields: Any) -> "RosetteFrame":
        return _make(cls, fields, azimuth, angles)

    @cached_property
    def directions(self):
        return self._frame_angles.get("directions")

    @cached_property
    def azimuth_order(self):                                # noqa: D401 - a dataclass field, built on first read
        return self._azimuth_tables.build()[0]

    @cached_property
    def sorted_azimuth(self):
        return self._azimuth_tables.build()[1]


class RosetteTables(PatternTables):
    """A rosette frame's ``PatternTables`` whose ``elevation``, ``azimuth_elevation``, ``azimuth_position``
    and ``elevation_range`` are built on first read; ``cast_azimuth`` (built on first read) is the float32
    azimuth of every cast row the frame's candidate pairs test (``lidar_band_pairs``), ``azimuth_extent``
    its (min, max) (NaN if one is NaN); ``cast_deflection`` is the float64 deflection u of every cast row
    (the azimuth the directions were made from) and ``deflection_extent`` its (min, max) (NaN if one is
    NaN), or None where the frame's deflections may reach past ``lidar_frame.POLY_REACH`` (the band pairs
    then read the azimuths).  Make one with ``RosetteTables.lazy``."""

    @classmethod
    def lazy(cls, azimuth: AzimuthTables, angles: FrameAngles, cast_deflection, deflection_extent, **fields: Any
             ) -> "RosetteTables":
        obj = _make(cls, fields, azimuth, angles)
        object.__setattr__(obj, "cast_deflection", cast_deflection)
        object.__setattr__(obj, "deflection_extent", deflection_extent)
        return obj

    @cached_property
    def elevation(self):
        return self._frame_angles.get("elevation")

    def pattern_azimuth(self):
        """The frame's float32 azimuths in pattern order (built on first ask, ``FrameAngles``)."""
        return self._frame_angles.get("azimuth")

    @cached_property
    def cast_azimuth(self):
        return self._frame_angles.get("cast_azimuth")[0]

    @cached_property
    def azimuth_extent(self):
        return self._frame_angles.get("cast_azimuth")[1]

    @cached_property
    def azimuth_elevation(self):
        return self._azimuth_tables.build()[2]

    @cached_property
    def azimuth_position(self):
        return self._azimuth_tables.build()[3]

    @cached_property
    def elevation_range(self):
        return self._azimuth_tables.build()[4]
