"""A bird's-eye PNG of a scenario: the road mesh and every entity at its initial pose.

The road surface comes from the road model's mesh (``simplatform.opendrive.mesh``,
a material per triangle: driving lanes grey, sidewalks light, markings white);
initial poses from the engine's Init (``ScenarioEngine.initialise``), so the
picture shows exactly where a run starts.  Rasterised with Pillow
(``ImageDraw.polygon``); the ego is red, vehicles blue, pedestrians and
cyclists orange, misc objects black, an arrow marks each heading, a circle the
ego's goal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_COLOURS = {
    "driving": (110, 110, 110), "sidewalk": (200, 200, 190), "shoulder": (150, 150, 140), "border": (160, 160, 150),
    "curb_face": (180, 180, 180), "marking_white": (250, 250, 250), "marking_yellow": (240, 200, 40),
}
_BACKGROUND = (60, 110, 60)


@dataclass(frozen=True)
class EntityPose:
    name: str
    kind: str
    x: float
    y: float
    heading: float
    length: float
    width: float
    center_x: float


def initial_poses(path: str | Path) -> tuple[list[EntityPose], object]:
    """Every entity's pose after Init, and the road network."""
    from simplatform.engine.engine import ScenarioEngine
    from simplatform.engine.run import ScenarioSpec, _load

    scenario, road = _load(ScenarioSpec(Path(path)))
    engine = ScenarioEngine(scenario, road, dt=0.05)
    engine.initialise()
    t = engine.table
    cx, cy = t.bbox_centers()
    out = []
    for i, name in enumerate(t.names):
        kind = engine.object_type(name)
        # the box centre ahead of the reference point, back-computed from the table's centre
        offset = (cx[i] - t.x[i]) * math.cos(t.heading[i]) + (cy[i] - t.y[i]) * math.sin(t.heading[i])
        out.append(EntityPose(name, str(kind), float(t.x[i]), float(t.y[i]), float(t.heading[i]), float(t.length[i]),
                              float(t.width[i]), float(offset)))
    return out, road


def render(path: str | Path, out: str | Path, *, size: int = 900, margin: float = 40.0,
           goal: tuple[float, float, float] | None = None) -> Path:
    """Write the PNG to ``out``; the view spans the entities (and goal) plus ``margin`` metres."""
    from PIL import Image, ImageDraw

    from simplatform.opendrive.mesh import build_road_mesh

    poses, road = initial_poses(path)
    xs = [p.x for p in poses] + ([goal[0]] if goal else [])
    ys = [p.y for p in poses] + ([goal[1]] if goal else [])
    x0, x1 = min(xs) - margin, max(xs) + margin
    y0, y1 = min(ys) - margin, max(ys) + margin
    span = max(x1 - x0, y1 - y0)
    scale = size / span
    cxm, cym = (x0 + x1) / 2, (y0 + y1) / 2

    def px(x: np.ndarray | float, y: np.ndarray | float):
        return (np.asarray(x) - cxm) * scale + size / 2, size / 2 - (np.asarray(y) - cym) * scale

    image = Image.new("RGB", (size, size), _BACKGROUND)
    draw = ImageDraw.Draw(image)
    if road is not None:
        mesh = build_road_mesh(road, step=max(span / 300.0, 0.5))
        vertices = np.asarray(mesh.mesh.vertices)[:, :2]
        triangles = np.asarray(mesh.mesh.triangles)
        u, v = px(vertices[:, 0], vertices[:, 1])
        tu, tv = u[triangles], v[triangles]
        visible = (tu.max(1) >= 0) & (tu.min(1) <= size) & (tv.max(1) >= 0) & (tv.min(1) <= size)
        order = np.argsort(mesh.triangle_material, kind="stable")   # markings (higher ids) drawn last
        for k in order[visible[order]]:
            colour = _COLOURS.get(mesh.materials[int(mesh.triangle_material[k])], (130, 130, 120))
            draw.polygon(list(zip(tu[k].tolist(), tv[k].tolist())), fill=colour)
    if goal is not None:
        gu, gv = px(goal[0], goal[1])
        r = max(goal[2] * scale, 4)
        draw.ellipse([gu - r, gv - r, gu + r, gv + r], outline=(255, 40, 40), width=2)
    for p in poses:
        colour = ((220, 30, 30) if p.name in ("Ego", "hero") else (30, 80, 220) if p.kind == "vehicle"
                  else (250, 150, 20) if p.kind == "pedestrian" else (20, 20, 20))
        c, s = math.cos(p.heading), math.sin(p.heading)
        bx, by = p.x + p.center_x * c, p.y + p.center_x * s
        corners = [(bx + dx * c - dy * s, by + dx * s + dy * c)
                   for dx, dy in ((p.length / 2, p.width / 2), (-p.length / 2, p.width / 2),
                                  (-p.length / 2, -p.width / 2), (p.length / 2, -p.width / 2))]
        u, v = px([q[0] for q in corners], [q[1] for q in corners])
        draw.polygon(list(zip(u.tolist(), v.tolist())), fill=colour, outline=(0, 0, 0))
        tip = px(bx + (p.length / 2 + 1.5) * c, by + (p.length / 2 + 1.5) * s)
        mid = px(bx, by)
        draw.line([float(mid[0]), float(mid[1]), float(tip[0]), float(tip[1])], fill=(255, 255, 255), width=2)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    image.save(out)
    return out
