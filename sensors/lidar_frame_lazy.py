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
bit for bit, whenever they are read.  Every other field is set at
construction as before.  ``dataclasses.replace``, equality and ``repr``
read the fields and so build them; pickling keeps the frame's work.
"""

from __future__ import annotations

import threading
from functools import cached_property
from typing import Any

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


def _make(cls: type, fields: dict[str, Any], azimuth: AzimuthTables) -> Any:
    """An instance of the frozen dataclass subclass ``cls`` with ``fields`` set and the lazy ones not."""
    obj = object.__new__(cls)
    for name, value in fields.items():
        object.__setattr__(obj, name, value)
    object.__setattr__(obj, "_azimuth_tables", azimuth)
    return obj


class RosetteFrame(ScanPattern):
    """A rosette frame (``ScanPattern``) whose ``azimuth_order`` and ``sorted_azimuth`` are built on first
    read.  Make one with ``RosetteFrame.lazy``."""

    @classmethod
    def lazy(cls, azimuth: AzimuthTables, **fields: Any) -> "RosetteFrame":
        return _make(cls, fields, azimuth)

    @cached_property
    def azimuth_order(self):                                # noqa: D401 - a dataclass field, built on first read
        return self._azimuth_tables.build()[0]

    @cached_property
    def sorted_azimuth(self):
        return self._azimuth_tables.build()[1]


class RosetteTables(PatternTables):
    """A rosette frame's ``PatternTables`` whose ``azimuth_elevation``, ``azimuth_position`` and
    ``elevation_range`` are built on first read; ``cast_azimuth`` is the float32 azimuth of every cast
    row the frame's candidate pairs test (``lidar_band_pairs``), ``azimuth_extent`` its (min, max) (NaN
    if one is NaN).  Make one with
    ``RosetteTables.lazy``."""

    @classmethod
    def lazy(cls, azimuth: AzimuthTables, cast_azimuth, azimuth_extent: tuple[float, float], **fields: Any
             ) -> "RosetteTables":
        obj = _make(cls, fields, azimuth)
        object.__setattr__(obj, "cast_azimuth", cast_azimuth)
        object.__setattr__(obj, "azimuth_extent", azimuth_extent)
        return obj

    @cached_property
    def azimuth_elevation(self):
        return self._azimuth_tables.build()[2]

    @cached_property
    def azimuth_position(self):
        return self._azimuth_tables.build()[3]

    @cached_property
    def elevation_range(self):
        return self._azimuth_tables.build()[4]
