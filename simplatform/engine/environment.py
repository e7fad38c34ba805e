"""The OpenSCENARIO Environment as the keys of ``WorldSnapshot.environment``.

OpenSCENARIO 1.x §7.6 "Environment": TimeOfDay, Weather (Sun, Fog,
Precipitation) and RoadCondition, set by the Init's or a later
EnvironmentAction.  A later action replaces the parts it states and keeps the
rest (an EnvironmentAction carrying only Fog leaves the sun as it was).

Keys (SI units and radians; a key is absent while the scenario has not stated
its element, so a consumer keeps its own default — the sensors, e.g., derive
a stand-in sun from the time of day when no Sun is given):

==================================  ==========================================================
``time_of_day``                     ISO 8601 date-time now (TimeOfDay@dateTime, advanced with
                                    simulation time when ``animation`` is true)
``time_of_day_s``                   seconds since local midnight of that date-time
``time_of_day_animation``           bool
``fog_visual_range_m``              Fog@visualRange, m
``precipitation_type``              ``dry`` | ``rain`` | ``snow`` (``dry`` when unstated)
``precipitation_intensity_mm_h``    Precipitation@precipitationIntensity (1.1+, mm/h); the
                                    1.0 ``intensity`` in [0, 1] is read as a fraction of
                                    50 mm/h (the UK Met Office's "violent" rain threshold);
                                    0 when unstated
``sun_elevation_rad``               Sun@elevation (0 horizon, π/2 zenith)
``sun_azimuth_rad``                 Sun@azimuth (0 north, π/2 east, clockwise, as the standard)
``sun_intensity``                   Sun@illuminance (1.1+) or Sun@intensity (1.0), lux; also
                                    as ``sun_intensity_lux``
``road_friction``                   RoadCondition@frictionScaleFactor (1.0 when unstated)
==================================  ==========================================================

The unit-less names of the engine's first version (``fog_visual_range``,
``precipitation_intensity``, ``sun_elevation``, ``sun_azimuth``,
``friction_scale_factor``) are kept as aliases for existing readers.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Callable

RAIN_MM_H_AT_FULL_INTENSITY = 50.0


class EnvironmentState:
    """The stated environment; ``values(time)`` gives the snapshot's mapping at a simulation time."""

    def __init__(self, on_copy: Callable[[], None] | None = None) -> None:
        self._static: dict[str, Any] = {"precipitation_type": "dry", "precipitation_intensity_mm_h": 0.0,
                                        "precipitation_intensity": 0.0, "road_friction": 1.0,
                                        "friction_scale_factor": 1.0}
        self._tod: datetime | None = None
        self._tod_set_at = 0.0
        self._animated = False
        self._cache: tuple[float, dict[str, Any]] | None = None
        self._shared: tuple[dict[str, Any], dict[str, Any]] | None = None
        """(the cached mapping, the one copy of it every snapshot gets): ``snapshot_values``."""
        self._on_copy = on_copy
        """Called each time ``snapshot_values`` makes another copy (the engine bumps its snapshots'
        ``WorldSnapshot.shared_version``)."""

    def apply(self, env, time: float) -> None:
        """Take the parts an Environment states (Init or EnvironmentAction at ``time``)."""
        if env is None:
            return
        self._cache = None
        s = self._static
        tod = getattr(env, "time_of_day", None)
        if tod is not None:
            self._tod = tod.date_time
            self._tod_set_at = time
            self._animated = bool(tod.animation)
            s["time_of_day_animation"] = self._animated
        weather = getattr(env, "weather", None)
        if weather is not None:
            temperature = getattr(weather, "temperature", None)       # OSC 1.2 Weather@temperature, kelvin
            if temperature is not None:
                s["temperature_k"] = s["temperature"] = float(temperature)
            fog = getattr(weather, "fog", None)
            if fog is not None:
                s["fog_visual_range_m"] = s["fog_visual_range"] = float(fog.visual_range)
            pr = getattr(weather, "precipitation", None)
            if pr is not None:
                kind = str(getattr(pr.precipitation_type, "value", pr.precipitation_type))
                if pr.precipitation_intensity is not None:
                    mm_h = float(pr.precipitation_intensity)
                elif pr.intensity is not None:
                    mm_h = float(pr.intensity) * RAIN_MM_H_AT_FULL_INTENSITY
                else:
                    mm_h = 0.0
                s["precipitation_type"] = kind
                s["precipitation_intensity_mm_h"] = s["precipitation_intensity"] = 0.0 if kind == "dry" else mm_h
            sun = getattr(weather, "sun", None)
            if sun is not None:
                s["sun_elevation_rad"] = s["sun_elevation"] = float(sun.elevation)
                s["sun_azimuth_rad"] = s["sun_azimuth"] = float(sun.azimuth)
                lux = sun.illuminance if sun.illuminance is not None else sun.intensity
                if lux is not None:
                    s["sun_intensity"] = s["sun_intensity_lux"] = float(lux)
        rc = getattr(env, "road_condition", None)
        if rc is not None:
            s["road_friction"] = s["friction_scale_factor"] = float(rc.friction_scale_factor)

    def date_time(self, time: float) -> datetime | None:
        """The scenario's clock at simulation ``time`` (None without a TimeOfDay)."""
        if self._tod is None:
            return None
        if not self._animated:
            return self._tod
        return self._tod + timedelta(seconds=time - self._tod_set_at)

    def epoch(self, time: float) -> float | None:
        """POSIX seconds of the scenario's clock (TimeOfDayCondition compares these)."""
        now = self.date_time(time)
        return None if now is None else now.timestamp()

    def values(self, time: float) -> dict[str, Any]:
        cache = self._cache
        if cache is not None and (cache[0] == time or not self._animated):
            return dict(cache[1])
        out = dict(self._static)
        now = self.date_time(time)
        if now is not None:
            out["time_of_day"] = now.isoformat()
            out["time_of_day_s"] = now.hour * 3600.0 + now.minute * 60.0 + now.second + now.microsecond * 1e-6
        self._cache = (time, out)
        return dict(out)

    def snapshot_values(self, time: float) -> dict[str, Any]:
        """``values(time)`` for the engine's snapshots: one copy per state of the environment,
        handed to every snapshot while that state holds (a snapshot is immutable: its readers
        do not write into it; ``values`` still gives each other caller its own copy).

        Why: a fresh copy each step cost its making and freeing, and readers that skip an
        unchanged environment by identity (``metrics.coverage``, over the metrics' blocks of up
        to 1,000 steps) compared every step's copy with the last instead (issue #7).  An
        animated time of day changes the state every step, and gets a copy every step."""
        cache = self._cache
        if cache is None or not (cache[0] == time or not self._animated):
            self.values(time)   # computes the state and caches it
            cache = self._cache
        shared = self._shared
        if shared is None or shared[0] is not cache[1]:
            shared = self._shared = (cache[1], dict(cache[1]))
            if self._on_copy is not None:
                self._on_copy()
        return shared[1]

    def static_value(self, name: str, default: Any = None) -> Any:
        """One value set by the Environment (not the animated time of day), without copying the
        state: per-step readers such as the road-friction latch ask for one key every step."""
        return self._static.get(name, default)

    def summary(self) -> str:
        return ",".join(f"{k}={v}" for k, v in sorted(self._static.items()))
