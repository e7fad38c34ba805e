"""Coverage: which ODD tags, OpenSCENARIO features and parameter ranges a run (or suite) exercised.

ODD tags follow the attribute groups of ISO 34503 / BSI PAS 1883 (scenery:
road type, junction type; environment: weather, illumination; dynamic
elements: actor categories).  Road and junction types are those of the roads
the ego drove on (OpenDRIVE 1.8 §8.4 road ``<type>``, §12 junction ``type``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import numpy as np

from metrics.frame import StepFrame


@dataclass
class CoverageObserver:
    """Collects the ODD tags seen while observing a run."""

    road: Any = None
    actors: set[str] = field(default_factory=set)
    road_types: set[str] = field(default_factory=set)
    junction_types: set[str] = field(default_factory=set)
    weather: set[str] = field(default_factory=set)
    light: set[str] = field(default_factory=set)
    _roads_seen: set[str] = field(default_factory=set)
    _actors_of: tuple | None = field(default=None, repr=False, compare=False)
    _road_type_names: dict[str, frozenset] = field(default_factory=dict, repr=False, compare=False)
    _env_seen: Any = field(default=None, repr=False, compare=False)

    def observe_block(self, block) -> None:
        """A block of steps (``metrics.block.StepBlock``): the same tags as observing each step."""
        e = block.ego_index
        seen = (block.categories, e)
        if self._actors_of is None or self._actors_of[0] is not seen[0] or self._actors_of[1] != e:
            self.actors.update(c for i, c in enumerate(block.categories) if i != e)
            self._actors_of = seen   # the same categories tuple adds nothing the next block
        buffer = getattr(block, "_buffer", None)
        runs = buffer.runs_of("environment") if buffer is not None else None
        # an arena block's environment once per change of its shared fields, not per step (the tags
        # below depend only on the values in their order, and a value repeated on the next step adds
        # nothing): ~10–25 µs a block where contacts begin or end (issue #7)
        envs = [value for _, _, value in runs] if runs is not None else block.each("environment")
        first = envs[0] if envs else None
        if envs and envs.count(first) == len(envs):
            # one environment over the block (the engine's snapshots share it while it holds;
            # ``list.count`` compares by identity first): its tags are the block's, known already
            # when it is the object the block before ended with (snapshot values are not changed)
            if first and first is not self._env_seen:
                self.weather.add(weather_tag(first))
                tag = light_tag(first)
                if tag:
                    self.light.add(tag)
        elif any(envs):   # an empty environment (what a backend without one hands over) adds no tag
            last_env = None
            for env in envs:
                if env and env is not last_env and env != last_env:   # the tags of an unchanged environment are known
                    self.weather.add(weather_tag(env))
                    tag = light_tag(env)
                    if tag:
                        self.light.add(tag)
                last_env = env
        self._env_seen = envs[-1] if envs else None
        st = block.ego_road if self.road is not None else None
        if st is not None:
            for rid, rows in st.road_rows():
                if not self._road_done(rid):
                    self._road_seen(rid, st.s[rows])

    def _road_done(self, rid: str) -> bool:
        """Whether the road ``rid`` can add no tag: seen (its junction's type is in) and every road
        type it declares is in (then its stations need not be looked at)."""
        if rid not in self._roads_seen:
            return False
        types = getattr(self.road.roads.get(rid), "types", ()) or ()
        return not types or self._type_names_of(rid, types) <= self.road_types

    def observe(self, frame: StepFrame) -> None:
        snap = frame.snapshot
        self.actors.update(c for i, c in enumerate(snap.categories) if i != frame.ego_index)
        env = snap.environment
        if env:
            self.weather.add(weather_tag(env))
            tag = light_tag(env)
            if tag:
                self.light.add(tag)
        st = frame.ego_road if self.road is not None else None
        if st is not None and st.on_road[0]:
            self._road_seen(st.road_ids[0], np.array([float(st.s[0])]))

    def _road_seen(self, rid: str, s: np.ndarray) -> None:
        """Road types in force at the stations ``s`` the ego passed on road ``rid``, and its junction type."""
        road = self.road.roads.get(rid)
        types = getattr(road, "types", ()) or ()
        if types and not self._type_names_of(rid, types) <= self.road_types:   # else nothing new can come
            starts = np.array([t.s for t in types])
            k = np.searchsorted(starts, s + 1e-9, side="right") - 1
            self.road_types.update(types[i].type for i in np.unique(k[k >= 0]).tolist())
        if True:
            if rid not in self._roads_seen:
                self._roads_seen.add(rid)
                jid = getattr(road, "junction", None)
                if jid is not None:
                    junction = getattr(self.road, "junctions", {}).get(jid)
                    self.junction_types.add(getattr(junction, "type", "default"))

    def _type_names_of(self, rid: str, types) -> frozenset:
        """Every road type the road ``rid`` declares (asked once per road): once all are tags, a block
        on that road adds none and is not looked at."""
        names = self._road_type_names.get(rid)
        if names is None:
            names = self._road_type_names[rid] = frozenset(t.type for t in types)
        return names

    def result(self, parameters: Mapping[str, Any] | None = None, osc_features: Iterable[str] = ()) -> dict[str, Any]:
        return {
            "parameters": dict(parameters or {}),
            "odd": {"road_type": sorted(self.road_types), "junction_type": sorted(self.junction_types),
                    "weather": sorted(self.weather), "light": sorted(self.light), "actors": sorted(self.actors)},
            "osc_features": sorted(set(osc_features)),
        }




def weather_tag(env: Mapping[str, Any]) -> str:
    """rain/snow when precipitation intensity > 0, fog when visual range < 1 km (WMO fog), else clear."""
    precip = float(env.get("precipitation_intensity", env.get("precipitation", 0.0)) or 0.0)
    if precip > 0:
        return str(env.get("precipitation_type", "rain"))
    if float(env.get("fog_visual_range", math.inf) or math.inf) < 1000.0:
        return "fog"
    return "clear"


def light_tag(env: Mapping[str, Any]) -> str | None:
    """day/twilight/night from the sun elevation (rad): civil twilight is 0..−6°."""
    if "sun_elevation" not in env:
        return None
    elevation = float(env["sun_elevation"])
    if elevation > 0:
        return "day"
    return "twilight" if elevation > math.radians(-6) else "night"


def merge_coverage(coverages: Iterable[Mapping[str, Any]], parameter_ranges: Mapping[str, tuple[float, float]] | None = None,
                   bins: int = 10) -> dict[str, Any]:
    """Suite coverage: union of ODD tags and features, and per numeric parameter the share of
    ``bins`` equal bins of its declared range that some run hit."""
    odd: dict[str, set[str]] = {}
    features: set[str] = set()
    values: dict[str, list[float]] = {}
    for cov in coverages:
        for key, tags in cov.get("odd", {}).items():
            odd.setdefault(key, set()).update(tags)
        features.update(cov.get("osc_features", ()))
        for name, value in cov.get("parameters", {}).items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                values.setdefault(name, []).append(float(value))
    params: dict[str, Any] = {}
    for name, (lo, hi) in (parameter_ranges or {}).items():
        seen = values.get(name, [])
        if hi <= lo:
            hit = {0} if seen else set()
            total = 1
        else:
            hit = {min(bins - 1, int((v - lo) / (hi - lo) * bins)) for v in seen if lo <= v <= hi}
            total = bins
        params[name] = {"range": [lo, hi], "min": min(seen, default=None), "max": max(seen, default=None),
                        "bins_hit": len(hit), "bins": total, "covered": 100.0 * len(hit) / total}
    return {"odd": {k: sorted(v) for k, v in odd.items()}, "osc_features": sorted(features), "parameters": params}
