"""A ``WorldSnapshot`` as JSON, for ``simplatform sensors render --snapshot``.

Format::

    {"time": 5.0, "ego": "hero", "environment": {"fog_visual_range_m": 200},
     "entities": [{"name": "hero", "category": "car", "kind": "vehicle",
                   "x": 0, "y": 0, "z": 0, "heading": 0, "vx": 10, "vy": 0,
                   "bbox": {"length": 4.5, "width": 1.8, "height": 1.5,
                            "center_x": 1.4, "center_y": 0, "center_z": 0.75}}]}

Missing numbers are 0; ``pitch``, ``roll``, ``speed``, ``ax``, ``ay`` and
``yaw_rate`` may be given too.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from simplatform.errors import ConfigError
from simplatform.world import BoundingBox, EntityKind, EntityState, WorldSnapshot

_NUMBERS = ("x", "y", "z", "heading", "pitch", "roll", "vx", "vy", "ax", "ay", "yaw_rate")


def snapshot_from_json(path: str | Path) -> WorldSnapshot:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the snapshot: {exc.strerror}", file=path) from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"not valid JSON: {exc.msg}", file=path, line=exc.lineno) from None
    try:
        states = []
        for k, e in enumerate(data["entities"]):
            nums = {key: float(e.get(key, 0.0)) for key in _NUMBERS}
            box = e.get("bbox", {})
            states.append(EntityState(
                name=str(e["name"]), kind=EntityKind(e.get("kind", "vehicle")), category=str(e.get("category", "car")),
                speed=float(e.get("speed", math.hypot(nums["vx"], nums["vy"]))),
                bbox=BoundingBox(float(box.get("length", 4.5)), float(box.get("width", 1.8)),
                                 float(box.get("height", 1.5)), float(box.get("center_x", 0.0)),
                                 float(box.get("center_y", 0.0)), float(box.get("center_z", 0.0))),
                lane=None, **nums))
        return WorldSnapshot.from_states(float(data.get("time", 0.0)), int(data.get("step", 0)), states,
                                         ego=data.get("ego"), environment=data.get("environment") or {},
                                         signals=data.get("signals") or {})
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"bad snapshot entity: {exc}", file=path, element="entities") from None


def snapshot_to_json(snapshot: WorldSnapshot) -> dict:
    return {
        "time": snapshot.time, "step": snapshot.step, "ego": snapshot.ego,
        "environment": dict(snapshot.environment), "signals": dict(snapshot.signals),
        "entities": [
            {"name": s.name, "kind": s.kind.value, "category": s.category, "speed": s.speed,
             **{k: getattr(s, k) for k in _NUMBERS},
             "bbox": {"length": s.bbox.length, "width": s.bbox.width, "height": s.bbox.height,
                      "center_x": s.bbox.center_x, "center_y": s.bbox.center_y, "center_z": s.bbox.center_z}}
            for s in snapshot.entities()
        ],
    }
