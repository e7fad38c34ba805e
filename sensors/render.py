"""One frame of every sensor of a rig, written to files for reports and debugging.

Lidar → ``<name>.pcd`` (positions, intensity, ring, time; open3d tensor
point cloud), radar → ``<name>.json`` (returns with ground truth, tracks),
camera → ``<name>_rgb.png``, ``<name>_depth.png`` (16-bit millimetres, 0 = no
return, the ROS ``16UC1`` depth convention), ``<name>_semantic.png`` (CARLA
palette), ``<name>_instance.png`` (16-bit ids) and ``<name>_boxes.json``;
object list, GNSS, IMU and V2X → ``<name>.json``.  PNGs go through
``open3d.io.write_image``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sensors.rig import RigConfig, build_rig
from sensors.scene import SensorScene, static_world_for
from simplatform.world import WorldSnapshot

# CARLA's semantic palette (carla.ColorConverter.CityScapesPalette), indexed by tag.
CARLA_PALETTE = np.array([
    (0, 0, 0), (128, 64, 128), (244, 35, 232), (70, 70, 70), (102, 102, 156), (190, 153, 153), (153, 153, 153),
    (250, 170, 30), (220, 220, 0), (107, 142, 35), (152, 251, 152), (70, 130, 180), (220, 20, 60), (255, 0, 0),
    (0, 0, 142), (0, 0, 70), (0, 60, 100), (0, 80, 100), (0, 0, 230), (119, 11, 32), (110, 190, 160),
    (170, 120, 50), (55, 90, 80), (45, 60, 150), (157, 234, 50), (81, 0, 81), (150, 100, 100), (230, 150, 140),
    (180, 165, 180)], dtype=np.uint8)


def _write_png(path: Path, image: np.ndarray) -> None:
    import open3d as o3d

    if not o3d.io.write_image(str(path), o3d.geometry.Image(np.ascontiguousarray(image))):
        raise OSError(f"could not write {path}")


def _jsonable(obj: Any) -> Any:
    if is_dataclass(obj):
        return {"type": type(obj).__name__, **{k: _jsonable(v) for k, v in asdict(obj).items()}}
    if isinstance(obj, np.ndarray):
        if obj.dtype.names:
            return [{k: _jsonable(row[k]) for k in obj.dtype.names} for row in obj]
        return obj.tolist()
    if isinstance(obj, (np.generic,)):
        return obj.item()
    if isinstance(obj, (list, tuple)):
        return [_jsonable(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(_jsonable(data), indent=1), encoding="utf-8")


def write_point_cloud(path: Path, cloud) -> None:
    import open3d as o3d

    pcd = o3d.t.geometry.PointCloud(o3d.core.Tensor(cloud.xyz().astype(np.float32)))
    pcd.point["intensity"] = o3d.core.Tensor(cloud.points["intensity"].reshape(-1, 1).astype(np.float32))
    pcd.point["ring"] = o3d.core.Tensor(cloud.points["ring"].reshape(-1, 1).astype(np.float32))
    pcd.point["time"] = o3d.core.Tensor(cloud.points["time"].reshape(-1, 1).astype(np.float32))
    if not o3d.t.io.write_point_cloud(str(path), pcd):
        raise OSError(f"could not write {path}")


def write_frame(out_dir: Path, name: str, message: Any, sensor: Any = None) -> list[Path]:
    from sensors.camera import CameraFrame
    from sensors.pointcloud import PointCloud
    from sensors.radar_messages import RadarScan

    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if isinstance(message, PointCloud):
        path = out_dir / f"{name}.pcd"
        write_point_cloud(path, message)
        written.append(path)
    elif isinstance(message, RadarScan):
        data = message.to_json()
        tracks = getattr(sensor, "last_tracks", None)
        if tracks is not None:
            data["tracks"] = _jsonable(tracks)
        path = out_dir / f"{name}.json"
        _write_json(path, data)
        written.append(path)
    elif isinstance(message, CameraFrame):
        if message.rgb is not None:
            written.append(out_dir / f"{name}_rgb.png")
            _write_png(written[-1], message.rgb)
        if message.depth is not None:
            mm = np.where(np.isfinite(message.depth), np.clip(message.depth * 1000.0, 0, 65535), 0).astype(np.uint16)
            written.append(out_dir / f"{name}_depth.png")
            _write_png(written[-1], mm)
        if message.semantic is not None:
            written.append(out_dir / f"{name}_semantic.png")
            _write_png(written[-1], CARLA_PALETTE[np.minimum(message.semantic, len(CARLA_PALETTE) - 1)])
        if message.instance is not None:
            written.append(out_dir / f"{name}_instance.png")
            _write_png(written[-1], message.instance)
        written.append(out_dir / f"{name}_boxes.json")
        _write_json(written[-1], {"camera_info": message.info, "boxes_2d": message.boxes_2d, "boxes_3d": message.boxes_3d})
    else:
        path = out_dir / f"{name}.json"
        _write_json(path, message)
        written.append(path)
    return written


def render_rig(snapshot: WorldSnapshot, road_mesh: Any, rig: RigConfig, out_dir: str | Path, *,
               geo_reference: Any = None, extra_meshes: tuple = ()) -> dict[str, list[Path]]:
    """Every sensor's frame at ``snapshot`` written under ``out_dir``; returns the files per sensor."""
    parts = ([road_mesh] if road_mesh is not None else []) + list(extra_meshes)
    scene = SensorScene(static_world_for(parts), snapshot)
    scene.geo_reference = geo_reference
    sensors = build_rig(rig, geo_reference)
    out = Path(out_dir)
    written: dict[str, list[Path]] = {}
    for name, sensor in sensors.items():
        message = sensor.sense(snapshot, scene)
        written[name] = write_frame(out, name, message, sensor)
    return written
