"""The ray-casting world every sensor looks at: a static map plus this step's actors.

Why two parts: open3d's ``RaycastingScene`` (Embree BVH) cannot remove or move
geometry, and the static world (road surface, markings, curbs, OpenDRIVE
objects and signals: tens or hundreds of thousands of triangles) must not be
rebuilt every step.  So the static scene is built once per map and cached by
content (``static_world_for``).  The actors are boxes from their OpenSCENARIO
BoundingBox by default, meshes where given.  Sensors that know which rays can
reach which box (the lidar from its scan grid, the camera from projected
boxes, the object list from its sample rays) pass (ray, box) candidate pairs
(``actor_pairs``), tested analytically (``sensors.actor_boxes``); mesh actors,
and casts without pairs, go into a second, tiny open3d scene built for the
snapshot (a few hundred triangles).  A ray's hit is the nearer of the two.

Speed (one ``SensorScene`` per engine step, shared by every due sensor):
construction only lists the actors (the actor BVH is built by the first cast
that needs it); all static parts form one open3d geometry, so a hit's
material is one table lookup; a sensor with a finite range casts against a
cropped static region, exact for every hit within range
(``sensors.scene_region``), and does not cast the rays that cannot reach the
scene's height band within range (``sensors.static_cast``) nor those proved to
pass above the map's height grid (``sensors.static_horizon``), nor those whose
actor-box hit (slab-tested before the static cast) is proved to come first
(``sensors.static_boxes``); ``cast_rays`` takes a ready (N, 6) float32 ray
buffer, e.g. an open3d tensor written by one GEMM, so no copy is made.

Every hit maps back to a material (``SensorScene.materials``): the static mesh
materials first, then one material per snapshot entity, so that
``material[i] - n_static`` is the entity index of an actor hit.
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from concurrent.futures import Executor
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable, Mapping, Protocol, Sequence

import numpy as np
import open3d as o3d

from sensors.actor_boxes import (  # noqa: F401  (_BOX_CORNERS, _BOX_TRIANGLES: re-exported, the bench uses them)
    _BOX_CORNERS, _BOX_TRIANGLES, VECTOR_PAIRS, ActorBoxes, actor_box_corners, actor_boxes, actor_triangle_scene,
    apply_box_slab_hits, box_slab_hits, merge_box_hits,
)
from sensors.materials import Material, material_for_category, material_for_name
from sensors.scene_region import INVALID_ID, Region, RegionCache, _tensor
from sensors.static_cast import DzBounds, cast_static, trim_beyond
from sensors.static_horizon import HeightGrid
from simplatform.world import WorldSnapshot


class MeshWithMaterials(Protocol):
    """The shape of ``simplatform.opendrive.mesh.RoadMesh``."""

    mesh: Any  # open3d.geometry.TriangleMesh
    triangle_material: np.ndarray
    materials: Mapping[int, str]


@dataclass(frozen=True)
class SimpleMesh:
    """A ``MeshWithMaterials`` for tests and for OpenDRIVE objects built outside the road mesh."""

    mesh: Any
    triangle_material: np.ndarray
    materials: Mapping[int, str]

    @staticmethod
    def single(mesh: o3d.geometry.TriangleMesh, material: str) -> "SimpleMesh":
        return SimpleMesh(mesh, np.zeros(len(mesh.triangles), dtype=np.int32), {0: material})


@dataclass(frozen=True)
class ActorMesh:
    """A mesh in the entity frame (metres, relative to the reference point) replacing its box."""

    vertices: np.ndarray
    triangles: np.ndarray


@dataclass(frozen=True)
class RayHits:
    """One row per ray; misses have ``t = inf``, ``material = -1`` and ``actor = -1``."""

    t: np.ndarray
    normal: np.ndarray
    material: np.ndarray
    actor: np.ndarray

    @property
    def hit(self) -> np.ndarray:
        return np.isfinite(self.t)


class StaticWorld:
    """The static scene of one map: the BVH plus the triangle → material table.

    All parts go into one open3d geometry (triangle ids are global, so one
    table lookup gives the material), and ``region`` serves cropped copies for
    sensors with a finite reach; see the module docstring of ``sensors.scene_region``.
    """

    def __init__(self, parts: Sequence[MeshWithMaterials]) -> None:
        materials: list[Material] = []
        by_name: dict[str, int] = {}
        tables, verts, tris = [], [], []
        count = n_vert = 0
        for part in parts:
            n = len(part.mesh.triangles)
            if n == 0:
                continue
            local = {}
            for mid, name in part.materials.items():
                if name not in by_name:
                    by_name[name] = len(materials)
                    materials.append(material_for_name(name))
                local[int(mid)] = by_name[name]
            lut = np.full(max(local, default=0) + 1, -1, dtype=np.int32)
            for mid, idx in local.items():
                lut[mid] = idx
            tri_mat = np.asarray(part.triangle_material, dtype=np.int64)
            if len(tri_mat) != n:
                raise ValueError(f"triangle_material has {len(tri_mat)} entries for {n} triangles")
            table = lut[tri_mat]
            if np.any(table < 0):
                raise ValueError("triangle_material names a material id missing from materials")
            v = np.asarray(part.mesh.vertices, dtype=np.float32)
            verts.append(v)
            tris.append(np.asarray(part.mesh.triangles, dtype=np.int64) + n_vert)
            tables.append(table)
            n_vert += len(v)
            count += n
        self.materials: tuple[Material, ...] = tuple(materials)
        self.vertices = np.ascontiguousarray(np.concatenate(verts) if verts else np.zeros((0, 3), np.float32))
        self.triangles = np.ascontiguousarray(
            (np.concatenate(tris) if tris else np.zeros((0, 3), np.int64)).astype(np.uint32))
        self.scene = o3d.t.geometry.RaycastingScene()
        if count:
            self.scene.add_triangles(o3d.core.Tensor.from_numpy(self.vertices),
                                     o3d.core.Tensor.from_numpy(self.triangles))
        # one geometry holds every part; kept as a table for ``material_of``
        self.geometry_offset = np.array([0, count], dtype=np.int64)
        # one trailing −1 entry: a miss (INVALID_ID, clipped to the last entry) maps to no material
        self.triangle_material = np.concatenate(tables + [np.array([-1], dtype=np.int32)]).astype(np.int32)
        self.triangle_count = count
        self._regions = RegionCache(self)
        self._height_grid: HeightGrid | None | bool = False
        self.tables: dict[tuple[str, int], tuple[tuple[Material, ...], np.ndarray]] = {}
        """``SensorScene.material_table`` per (property, actor material set), reused across steps."""

    def cast(self, rays: np.ndarray, nthreads: int = 0) -> dict[str, np.ndarray]:
        if self.triangle_count == 0:
            n = len(rays)
            return {"t_hit": np.full(n, np.inf, np.float32), "geometry_ids": np.full(n, INVALID_ID, np.uint32),
                    "primitive_ids": np.full(n, INVALID_ID, np.uint32), "primitive_normals": np.zeros((n, 3), np.float32)}
        out = self.scene.cast_rays(_tensor(rays), nthreads=nthreads)
        return {k: out[k].numpy() for k in ("t_hit", "geometry_ids", "primitive_ids", "primitive_normals")}

    def material_of(self, geometry_ids: np.ndarray, primitive_ids: np.ndarray) -> np.ndarray:
        """Material of each hit; misses (INVALID_ID geometry) give −1."""
        prim = np.where(np.asarray(geometry_ids) >= len(self.geometry_offset) - 1, INVALID_ID, primitive_ids)
        return np.take(self.triangle_material, prim, mode="clip")

    @property
    def height_grid(self) -> HeightGrid | None:
        """The map's height grid (``sensors.static_horizon``), built on first use; None for an empty map."""
        if self._height_grid is False:
            self._height_grid = HeightGrid.build(self.vertices, self.triangles)
        return self._height_grid

    def region(self, centre: np.ndarray, reach: float) -> Region:
        """A scene whose hits agree with this one's for every hit within ``reach`` of ``centre``."""
        return self._regions.get(np.asarray(centre, dtype=float), float(reach))

    def cast_hits(self, rays: "o3d.core.Tensor", centre: np.ndarray | None, reach: float, nthreads: int = 0,
                  *, max_range: float = np.inf, origin_z: tuple[float, float] | None = None,
                  dz_bounds: DzBounds | None = None, box_hits: tuple[np.ndarray, np.ndarray] | None = None,
                  rays_writable: bool = True, helper: "Executor | None" = None, ray_array: np.ndarray | None = None,
                  beside=None):
        """(t, normal, material) of the first static hit; exact for hits within ``reach`` of ``centre``.

        With a finite ``max_range`` and ``origin_z`` (the range of the rays'
        origin heights) rays that cannot reach the scene's height band within
        ``max_range`` are not cast, and steep ones go to a nearer crop
        (``sensors.static_cast``); both give the hits within ``max_range`` exactly.
        ``dz_bounds`` (``static_cast.DzBounds``) bound the rays' d_z block by block.  ``box_hits`` = (ray,
        pair_t): box hits merged afterwards; a ray proved to hit one before any static triangle may come back
        as a static miss (``sensors.static_boxes``), which the merge makes that box hit, as before; some of the
        rays' rows are then overwritten during the cast and restored, unless ``rays_writable`` is False.
        ``helper``: an idle worker thread beside this one, ``beside``: a job parked for it
        (``static_cast.cast_static``).
        """
        n = len(rays)
        if self.triangle_count == 0:
            if beside is not None:
                beside.run() if helper is None else beside.submit(helper)
            return np.full(n, np.inf, np.float32), np.zeros((n, 3), np.float32), np.full(n, -1, np.int32)
        return cast_static(self, rays, centre, reach, nthreads, max_range, origin_z, dz_bounds, box_hits,
                           rays_writable, helper, ray_array, beside)


_CACHE: "OrderedDict[str, StaticWorld]" = OrderedDict()
_CACHE_SIZE = 4


def _content_key(parts: Sequence[MeshWithMaterials]) -> str:
    h = hashlib.sha1()
    for part in parts:
        h.update(np.ascontiguousarray(np.asarray(part.mesh.vertices)).tobytes())
        h.update(np.ascontiguousarray(np.asarray(part.mesh.triangles)).tobytes())
        h.update(np.ascontiguousarray(np.asarray(part.triangle_material)).tobytes())
        h.update(repr(sorted(part.materials.items())).encode())
    return h.hexdigest()


def static_world_for(parts: MeshWithMaterials | Sequence[MeshWithMaterials] | None) -> StaticWorld:
    """The static world of a map, built once and cached by mesh content (LRU of four maps)."""
    if parts is None:
        parts = ()
    elif not isinstance(parts, (list, tuple)):
        parts = (parts,)
    key = _content_key(parts)
    world = _CACHE.get(key)
    if world is None:
        world = StaticWorld(parts)
        _CACHE[key] = world
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(key)
    return world


@lru_cache(maxsize=256)
def _actor_materials(categories: tuple[str, ...]) -> tuple[Material, ...]:
    return tuple(material_for_category(c) for c in categories)


class SensorScene:
    """Static world + the actors of one snapshot, as sensors cast against them.

    ``exclude`` names entities left out of the actor scene — by default the ego,
    whose own box would otherwise enclose every sensor mounted on it.  The
    engine builds one per step for all due sensors, so construction is cheap:
    the actor BVH is built on the first cast that needs it.
    """

    def __init__(
        self,
        static: StaticWorld | None,
        snapshot: WorldSnapshot,
        *,
        actor_meshes: Mapping[str, ActorMesh] | None = None,
        exclude: Iterable[str] | None = None,
    ) -> None:
        self.static = static if static is not None else static_world_for(None)
        self.snapshot = snapshot
        excluded = set(exclude) if exclude is not None else ({snapshot.ego} if snapshot.ego else set())
        # the flags as Python bools in one call (indexing the array name by name cost ~0.1 µs a name)
        visible = np.asarray(snapshot.visible, dtype=bool).tolist()
        self.actor_indices = np.array([i for i, (n, v) in enumerate(zip(snapshot.names, visible))
                                       if v and n not in excluded], dtype=np.int64)
        self.n_static = len(self.static.materials)
        self._actor_material_set = _actor_materials(tuple(snapshot.categories))
        self.materials: tuple[Material, ...] = self.static.materials + self._actor_material_set
        self._actor_meshes = dict(actor_meshes or {})
        self._actors: tuple[Any, np.ndarray] | None = None
        self._mesh_actors: tuple[Any, np.ndarray] | None = None
        self._boxes: ActorBoxes | None = None
        self._tables: dict[str, np.ndarray] = {}

    @property
    def actor_boxes(self) -> ActorBoxes:
        """The actors drawn as their bounding boxes (every actor without a mesh), for ``actor_pairs``."""
        if self._boxes is None:
            if self._actor_meshes:
                names = self.snapshot.names
                idx = np.array([i for i in self.actor_indices if names[i] not in self._actor_meshes], dtype=np.int64)
            else:
                idx = self.actor_indices.copy()
            self._boxes = actor_boxes(self.snapshot, idx)
        return self._boxes

    @property
    def has_actor_meshes(self) -> bool:
        return bool(self._actor_meshes)

    @property
    def _actor_scene(self):
        return self._actor_bvh()[0]

    @property
    def _triangle_actor(self) -> np.ndarray:
        return self._actor_bvh()[1]

    def _actor_bvh(self) -> tuple[Any, np.ndarray]:
        """open3d scene of every actor (boxes as 12 triangles): serves casts that give no ``actor_pairs``."""
        if self._actors is None:
            self._actors = self._build_actor_scene(boxes=True)
        return self._actors

    def _mesh_bvh(self) -> tuple[Any, np.ndarray]:
        """open3d scene of the actors given as meshes only (the boxes are tested analytically)."""
        if self._mesh_actors is None:
            self._mesh_actors = self._build_actor_scene(boxes=False)
        return self._mesh_actors

    def _build_actor_scene(self, boxes: bool = True):
        box_idx = self.actor_boxes.entity if boxes else np.zeros(0, dtype=np.int64)
        return actor_triangle_scene(self.snapshot, self.actor_indices, box_idx, self._actor_meshes)

    def cast(
        self,
        origins: np.ndarray,
        directions: np.ndarray,
        *,
        max_range: float = np.inf,
        actor_rays: np.ndarray | None = None,
        nthreads: int = 0,
    ) -> RayHits:
        """Cast unit-direction rays; ``actor_rays`` (indices) limits the actor test to rays that can reach one."""
        n = len(directions)
        rays = np.empty((n, 6), dtype=np.float32)
        rays[:, :3] = origins
        rays[:, 3:] = directions
        origins = np.asarray(origins)
        if n and origins.ndim == 2 and origins.strides[0] == 0:          # one origin broadcast to every ray
            ball = (origins[0].astype(float), 0.0)
        else:
            ball = None
        return self.cast_rays(rays, max_range=max_range, actor_rays=actor_rays, origin_ball=ball, nthreads=nthreads,
                              own_rays=True)

    def cast_rays(
        self,
        rays: "np.ndarray | o3d.core.Tensor",
        *,
        max_range: float = np.inf,
        actor_rays: np.ndarray | None = None,
        actor_pairs: tuple[np.ndarray, np.ndarray] | None = None,
        origin_ball: tuple[np.ndarray, float] | None = None,
        nthreads: int = 0,
        pair_hits: tuple[np.ndarray, np.ndarray] | None = None,
        trim: bool = True,
        dz_bounds: DzBounds | None = None,
        own_rays: bool = False,
        helper: "Executor | None" = None,
        ray_array: np.ndarray | None = None,
        beside=None,
    ) -> RayHits:
        """``cast`` for a ready (N, 6) float32 ray buffer ``[ox, oy, oz, dx, dy, dz]`` (numpy or open3d tensor).

        ``origin_ball`` = (centre, radius) bounds every ray origin; with a finite
        ``max_range`` it lets the static cast use a cropped region and skip the
        rays that cannot reach the scene's height band (both exact, see
        ``sensors.scene_region``).  Without it the bound is computed from the rays.

        Actors: ``actor_pairs`` = (ray, offsets) lists the candidate rays of each
        box of ``actor_boxes`` (box k: ``ray[offsets[k]:offsets[k + 1]]``), tested
        analytically (``sensors.actor_boxes``); mesh actors are then cast from
        ``actor_rays`` (all rays when None).  Without pairs every actor is in one
        open3d scene, cast with ``actor_rays`` (all rays when None).

        ``pair_hits`` = (pair_t, pair_code): the slab tests of ``actor_pairs``
        already made (``actor_boxes.box_slab_hits``, e.g. on two threads before
        the cast); they are merged as they would have been computed.

        ``trim=False`` leaves hits beyond ``max_range`` as they are instead of
        making them misses (a pass over every ray): for a caller that drops
        them itself and reads nothing else of those rows (the lidar's gather).
        ``dz_bounds``: bounds on the rays' d_z by blocks of rows, which spare
        the static cast most of its scan for rays that need no cast.

        ``helper``: a single-thread executor whose thread has a CPU of its own and nothing else to do now
        (the lidar's worker on a two-thread sweep): some of the static cast's single-thread work runs there
        beside this thread's (``static_cast.cast_static``); the hits are the same.

        ``beside``: a job parked for ``helper`` (``worker_thread.Parked``: the lidar's random words), which the
        static cast runs there after the helper's share of its rows, or submits before its casts.

        ``ray_array``: the numpy array ``rays`` is a tensor of (the same memory), where the caller has it (the
        lidar's ray buffer): it spares open3d's ``Tensor.numpy()`` here and in the static cast (2–5 µs a call
        inside a sweep).

        ``own_rays=True``: the buffer is the caller's scratch, which nothing else
        reads or maps during the call (the sensors' own ray buffers), so the
        static cast may swap the rows proved to hit a box first for cheaper rays
        while it casts and restore them before it returns.  Otherwise the rays
        are never written: a caller's array or tensor may be shared with another
        thread or lie over read-only memory, which neither numpy's flag (open3d's
        ``from_numpy`` drops it) nor an open3d tensor shows.
        """
        tensor = _tensor(rays)
        buf = tensor.numpy() if ray_array is None else ray_array
        n = len(buf)
        centre = None
        origin_z = None
        reach = float(max_range)
        if math.isfinite(reach) and n:
            if origin_ball is None:
                lo, hi = buf[:, :3].min(axis=0).astype(float), buf[:, :3].max(axis=0).astype(float)
                origin_ball = ((lo + hi) / 2, float(np.linalg.norm(hi - lo)) / 2)
            centre = np.asarray(origin_ball[0], dtype=float)
            radius = float(origin_ball[1])
            reach += radius
            origin_z = (float(centre[2]) - radius, float(centre[2]) + radius)
        if (actor_pairs is not None and pair_hits is None and len(self.actor_indices)
                and len(actor_pairs[0]) >= VECTOR_PAIRS and len(self.actor_boxes)):
            # the two passes ``merge_box_hits`` makes for this many pairs, the slab tests (which need no static
            # hit) before the static cast and the merge after it: the same arrays, and the box hits known to it
            pair_t, pair_code, jobs = box_slab_hits(self.actor_boxes, buf, actor_pairs[0], actor_pairs[1])
            for job in jobs:
                job()
            pair_hits = (pair_t, pair_code)
        # slab tests made before the cast: a ray proved to hit its box before any static triangle needs no
        # static cast (its static row comes back a miss, and the merge below writes the same box hit)
        box_hits = ((actor_pairs[0], pair_hits[0]) if actor_pairs is not None and pair_hits is not None
                    and len(self.actor_indices) and len(self.actor_boxes) else None)
        # only a buffer its caller gives as scratch is written (see ``own_rays``); a read-only array never is
        writable = own_rays and not (isinstance(rays, np.ndarray) and not rays.flags.writeable)
        t, normal, material = self.static.cast_hits(tensor, centre, reach, nthreads, max_range=float(max_range),
                                                    origin_z=origin_z, dz_bounds=dz_bounds, box_hits=box_hits,
                                                    rays_writable=writable, helper=helper, ray_array=buf,
                                                    beside=beside)
        actor = np.empty(n, dtype=np.int32)
        actor.fill(-1)                                           # np.full's Python wrapper costs more
        if len(self.actor_indices):
            if actor_pairs is not None and pair_hits is not None:
                apply_box_slab_hits(self.actor_boxes, actor_pairs[0], actor_pairs[1], pair_hits[0], pair_hits[1], t,
                                    normal, material, actor, self.n_static)
                scene, triangle_actor = self._mesh_bvh() if self._actor_meshes else (None, None)
            elif actor_pairs is not None:
                merge_box_hits(self.actor_boxes, buf, actor_pairs[0], actor_pairs[1], t, normal, material, actor,
                               self.n_static)
                scene, triangle_actor = self._mesh_bvh() if self._actor_meshes else (None, None)
            else:
                scene, triangle_actor = self._actor_bvh()
            if scene is not None:
                self._cast_actor_scene(scene, triangle_actor, tensor, actor_rays, nthreads, t, normal, material, actor)
        if trim and math.isfinite(max_range):
            trim_beyond(t, normal, material, actor, max_range)    # hits past the range become misses
        return RayHits(t=t, normal=normal, material=material, actor=actor)

    def _cast_actor_scene(self, scene, triangle_actor, tensor, actor_rays, nthreads, t, normal, material, actor):
        """Merge the hits of an open3d actor scene into the static hits (in place), where nearer."""
        buf = tensor.numpy()
        sub = None if actor_rays is None else np.asarray(actor_rays, dtype=np.int64)
        if sub is not None and len(sub) == 0:
            return
        dyn = scene.cast_rays(tensor if sub is None else o3d.core.Tensor.from_numpy(buf[sub]), nthreads=nthreads)
        ta = dyn["t_hit"].numpy()
        nearer = ta < (t if sub is None else t[sub])
        rows = np.flatnonzero(nearer) if sub is None else sub[nearer]
        owner = triangle_actor[dyn["primitive_ids"].numpy()[nearer]]
        t[rows] = ta[nearer]
        normal[rows] = dyn["primitive_normals"].numpy()[nearer]
        actor[rows] = owner
        material[rows] = self.n_static + owner

    def material_table(self, name: str) -> np.ndarray:
        """One property of every material as an array indexed like ``RayHits.material`` (read-only, cached)."""
        table = self._tables.get(name)
        if table is None:
            # the same map and the same entity categories give the same table: kept across steps
            key = (name, id(self._actor_material_set))
            found = self.static.tables.get(key)
            if found is None or found[0] is not self._actor_material_set:
                table = np.array([getattr(m, name) for m in self.materials])
                table.flags.writeable = False
                if len(self.static.tables) > 64:
                    self.static.tables.clear()
                self.static.tables[key] = (self._actor_material_set, table)
            else:
                table = found[1]
            self._tables[name] = table
        return table
