"""Traffic actions: swarm, source, sink, stop and area (OpenSCENARIO 1.x §7.5.x TrafficAction).

Spawned vehicles are real entities (rows added to the entity table) driven by
driver models (:mod:`simplatform.backends.model_traffic`): the controller
drawn from the action's ControllerDistribution when it names a driver model,
else IDM+MOBIL with the *normal* style.  All draws come from one
``numpy.random.Generator`` seeded from (run seed, CRC-32 of the action name),
so the same file and seed spawn the same traffic.

* Swarm: keeps up to ``numberOfVehicles`` vehicles in the ring between the
  circle ``innerRadius`` and the ellipse (``semiMajorAxis`` along the central
  object's heading, ``semiMinorAxis`` across, centre ``offset`` ahead of it)
  around the central entity; vehicles leaving the ellipse are removed and new
  ones spawn on driving lanes inside the ring, at least ``SPAWN_CLEARANCE``
  from any entity.  Initial speed: uniform in ``InitialSpeedRange`` /
  ``velocity``, else the lane's speed limit, else 50 km/h.
  ``DirectionOfTravelDistribution`` weighs lanes driven with / against the
  central object's direction.
* Source: one vehicle every ``1/rate`` s on a free driving lane within
  ``radius`` of the position.  Sink: removes every vehicle (not the ego)
  within ``radius``, at most ``rate`` per second when a rate is given; it
  works until the end of the run.  Area (1.3): ``numberOfEntities`` inside the
  polygon or on the road ranges (kept topped up when ``continuous``).
* Stop (TrafficStopAction with the ``trafficName`` of an earlier action): that
  action spawns no more and its vehicles are removed.
"""

from __future__ import annotations

import math
import weakref
import zlib

import numpy as np

from simplatform.engine.entities import EntitySpec
from simplatform.errors import ScenarioError
from simplatform.world import EntityKind

SPAWN_CLEARANCE = 12.0
SAMPLE_STEP = 4.0
_DIMENSIONS = {  # length, width, height, wheelbase: typical of the category
    "car": (4.5, 1.8, 1.5, 2.7), "van": (5.2, 2.0, 2.1, 3.2), "truck": (8.5, 2.5, 3.5, 5.0),
    "bus": (12.0, 2.55, 3.2, 6.0), "semitrailer": (16.5, 2.55, 4.0, 8.0), "trailer": (8.0, 2.5, 3.5, 5.0),
    "motorbike": (2.2, 0.8, 1.4, 1.5), "bicycle": (1.8, 0.6, 1.7, 1.1), "tram": (30.0, 2.65, 3.4, 10.0),
    "train": (50.0, 3.0, 4.0, 15.0),
}
_SAMPLES: "weakref.WeakKeyDictionary[object, dict]" = weakref.WeakKeyDictionary()


def lane_samples(net) -> dict[str, np.ndarray]:
    """Points on the centre of every driving lane every SAMPLE_STEP m (cached per network)."""
    got = _SAMPLES.get(net)
    if got is not None:
        return got
    roads, lanes, ss, xs, ys = [], [], [], [], []
    road_index = {}
    for rid, road in net.roads.items():
        road_index[rid] = len(road_index)
        secs = list(road.lane_sections)
        for k, sec in enumerate(secs):
            s0 = sec.s
            s1 = secs[k + 1].s if k + 1 < len(secs) else road.length
            if s1 - s0 < 1.0:
                continue
            s = np.arange(s0 + 0.5, s1 - 0.5, SAMPLE_STEP)
            for lane in net.lane_ids(rid, s0 + 0.25):
                if lane == 0 or net.lane_type(rid, lane, s0 + 0.25) != "driving":
                    continue
                p = net.lane_poses(rid, lane, s, np.zeros(len(s)))
                ok = np.isfinite(p.x)
                roads.append(np.full(ok.sum(), road_index[rid]))
                lanes.append(np.full(ok.sum(), lane))
                ss.append(s[ok]), xs.append(p.x[ok]), ys.append(p.y[ok])
    cat = (lambda a: np.concatenate(a) if a else np.zeros(0))
    got = {"road": cat(roads).astype(np.int64), "lane": cat(lanes).astype(np.int64), "s": cat(ss),
           "x": cat(xs), "y": cat(ys), "road_ids": list(road_index)}
    _SAMPLES[net] = got
    return got


class _Spawner:
    def __init__(self, name: str, el, kind: str) -> None:
        self.name, self.el, self.kind = name, el, kind
        self.entities: list[int] = []
        self.stopped = False
        self.clock = 0.0
        self.count = 0


class TrafficManager:
    def __init__(self, engine, seed: int = 0) -> None:
        self.engine = engine
        self.seed = seed
        self.spawners: list[_Spawner] = []
        self.sinks: list[tuple[object, object, float]] = []
        self._anon = 0

    # ------------------------------------------------------------------ start
    def start(self, action) -> None:
        eng = self.engine
        name = action.traffic_name or f"traffic{self._anon}"
        self._anon += 1
        if action.traffic_stop_action is not None:
            if action.traffic_name is None:
                raise _err(action, "TrafficStopAction needs the trafficName of the traffic action to stop")
            for sp in self.spawners:
                if sp.name == action.traffic_name:
                    sp.stopped = True
                    for i in sp.entities:
                        self._despawn(i)
                    sp.entities = []
            return
        if eng.road is None or eng.road.net is None:
            raise _err(action, "traffic actions need a road network")
        if action.traffic_sink_action is not None:
            sink = action.traffic_sink_action
            self.sinks.append((sink, eng.positions.resolve(sink.position), 0.0))
            return
        for kind in ("traffic_swarm_action", "traffic_source_action", "traffic_area_action"):
            el = getattr(action, kind)
            if el is not None:
                sp = _Spawner(name, el, kind)
                sp.rng = np.random.default_rng([self.seed, zlib.crc32(name.encode())])
                self.spawners.append(sp)
                self._spawn_step(sp, 0.0)
                return
        raise _err(action, "an empty TrafficAction")

    # ------------------------------------------------------------------- step
    def step(self, dt: float) -> None:
        for sp in self.spawners:
            if not sp.stopped:
                self._spawn_step(sp, dt)
        t = self.engine.table
        for k, (sink, pose, budget) in enumerate(self.sinks):
            budget = budget + (sink.rate * dt if sink.rate is not None else math.inf)
            for i in range(len(t)):
                if budget < 1.0:
                    break
                if t.active[i] and t.names[i] != self.engine.ego and \
                        math.hypot(t.x[i] - pose.x, t.y[i] - pose.y) <= sink.radius:
                    self._despawn(i)
                    budget -= 1.0
            self.sinks[k] = (sink, pose, min(budget, 1.0) if sink.rate is not None else 0.0)

    def _spawn_step(self, sp: _Spawner, dt: float) -> None:
        t = self.engine.table
        sp.entities = [i for i in sp.entities if t.active[i]]
        if sp.kind == "traffic_swarm_action":
            self._swarm(sp)
        elif sp.kind == "traffic_source_action":
            sp.clock += dt
            period = 1.0 / sp.el.rate if sp.el.rate > 0 else math.inf
            if dt == 0.0 or sp.clock >= period - 1e-9:
                sp.clock = 0.0 if dt == 0.0 else sp.clock - period
                pose = self.engine.positions.resolve(sp.el.position)
                samples = lane_samples(self.engine.road.net)
                d = np.hypot(samples["x"] - pose.x, samples["y"] - pose.y)
                self._spawn(sp, np.nonzero(d <= sp.el.radius)[0], 1, sp.el.speed or sp.el.velocity)
        else:
            el = sp.el
            if dt > 0.0 and not el.continuous:
                return
            want = el.number_of_entities - len(sp.entities)
            if want > 0:
                self._spawn(sp, self._area_candidates(el), want, None)

    def _swarm(self, sp: _Spawner) -> None:
        el = sp.el
        t = self.engine.table
        c = self.engine.entity_index(el.central_object.entity_ref, el.central_object)
        h = float(t.heading[c])
        cx = float(t.x[c]) + el.offset * math.cos(h)
        cy = float(t.y[c]) + el.offset * math.sin(h)

        def inside(x, y):
            dx, dy = x - cx, y - cy
            lon = dx * math.cos(h) + dy * math.sin(h)
            lat = -dx * math.sin(h) + dy * math.cos(h)
            return (lon / el.semi_major_axis) ** 2 + (lat / el.semi_minor_axis) ** 2 <= 1.0

        for i in list(sp.entities):
            if not inside(float(t.x[i]), float(t.y[i])):
                self._despawn(i)
                sp.entities.remove(i)
        want = el.number_of_vehicles - len(sp.entities)
        if want <= 0:
            return
        s = lane_samples(self.engine.road.net)
        dx, dy = s["x"] - cx, s["y"] - cy
        lon = dx * math.cos(h) + dy * math.sin(h)
        lat = -dx * math.sin(h) + dy * math.cos(h)
        ring = ((lon / el.semi_major_axis) ** 2 + (lat / el.semi_minor_axis) ** 2 <= 1.0) & (
            np.hypot(s["x"] - t.x[c], s["y"] - t.y[c]) >= el.inner_radius)
        weights = None
        dist = el.direction_of_travel_distribution
        if dist is not None:
            road = self.engine.road
            heads = np.array([road.cursor_pose(_Cursor(s["road_ids"][r], int(ln), float(ss)))[3]
                              for r, ln, ss in zip(s["road"][ring], s["lane"][ring], s["s"][ring])])
            same = np.cos(heads - h) > 0
            weights = np.where(same, dist.same, dist.opposite)
        speed = None
        if el.initial_speed_range is not None:
            r = el.initial_speed_range
            speed = (r.lower_limit, r.upper_limit)
        elif el.velocity is not None:
            speed = el.velocity
        self._spawn(sp, np.nonzero(ring)[0], want, speed, weights)

    def _area_candidates(self, el) -> np.ndarray:
        s = lane_samples(self.engine.road.net)
        area = el.traffic_area
        if area.polygon is not None:
            poly = np.array([[p.x, p.y] for p in (self.engine.positions.resolve(q) for q in area.polygon.positions)])
        ok = np.zeros(len(s["x"]), dtype=bool)
        if area.polygon is not None:
            ok = _inside_polygon(s["x"], s["y"], poly)
        for rr in area.road_ranges:
            for cur in rr.road_cursors:
                r = s["road_ids"].index(cur.road_id) if cur.road_id in s["road_ids"] else -1
                sel = s["road"] == r
                if cur.s is not None:
                    sel &= s["s"] >= cur.s
                if cur.lanes:
                    sel &= np.isin(s["lane"], [int(ln.id) for ln in cur.lanes])
                ok |= sel
        return np.nonzero(ok)[0]

    # ----------------------------------------------------------- spawn/remove
    def _spawn(self, sp: _Spawner, candidates: np.ndarray, want: int, speed, weights=None) -> None:
        eng = self.engine
        t = eng.table
        s = lane_samples(eng.road.net)
        act = np.nonzero(t.active)[0]
        for _ in range(want):
            if len(candidates) == 0:
                return
            free = np.ones(len(candidates), dtype=bool)
            if len(act):
                d = np.hypot(s["x"][candidates, None] - t.x[act][None, :], s["y"][candidates, None] - t.y[act][None, :])
                free = (d >= SPAWN_CLEARANCE).all(axis=1)
            pool = candidates[free]
            if len(pool) == 0:
                return
            p = None
            if weights is not None:
                w = weights[free]
                p = w / w.sum() if w.sum() > 0 else None
            k = int(sp.rng.choice(pool, p=p))
            category = self._category(sp)
            i = self._add(sp, category)
            road_id, lane, s_k = s["road_ids"][int(s["road"][k])], int(s["lane"][k]), float(s["s"][k])
            from simplatform.engine.positions import ResolvedPose

            cur = _Cursor(road_id, lane, s_k)
            x, y, z, h, pi, r = eng.road.cursor_pose(cur)
            from simplatform.engine.road import LaneCursor

            eng.controller.place(i, ResolvedPose(x, y, z, h, pi, r, LaneCursor(road_id, lane, s_k)))
            if isinstance(speed, tuple):
                v = float(sp.rng.uniform(speed[0], speed[1]))
            elif speed is not None:
                v = float(speed)
            else:
                lim = eng.road.net.speed_limit(road_id, lane, s_k)
                v = float(lim) if lim else 50.0 / 3.6
            t.speed[i] = v
            eng.driver_configs[i] = self._controller(sp)
            eng.activate_controller(i, True, True)
            sp.entities.append(i)
            act = np.append(act, i)
            eng.record("TrafficSpawn", t.names[i], sp.name)

    def _category(self, sp: _Spawner) -> str:
        td = getattr(sp.el, "traffic_definition", None)
        if td is None:
            return "car"
        entries = td.vehicle_category_distribution.vehicle_category_distribution_entries
        w = np.array([e.weight for e in entries], dtype=float)
        k = int(sp.rng.choice(len(entries), p=w / w.sum())) if w.sum() > 0 else 0
        return str(entries[k].category)

    def _controller(self, sp: _Spawner):
        from simplatform.engine.controllers import driver_config
        from vehicle_models.drivers import DriverConfig

        td = getattr(sp.el, "traffic_definition", None)
        if td is not None:
            entries = td.controller_distribution.controller_distribution_entries
            w = np.array([e.weight for e in entries], dtype=float)
            k = int(sp.rng.choice(len(entries), p=w / w.sum())) if w.sum() > 0 else 0
            ctrl = entries[k].controller or getattr(entries[k].catalog_reference, "resolved", None)
            cfg = driver_config(ctrl)
            if cfg is not None:
                return cfg
        return DriverConfig()

    def _add(self, sp: _Spawner, category: str) -> int:
        eng = self.engine
        length, width, height, wheelbase = _DIMENSIONS.get(category, _DIMENSIONS["car"])
        sp.count += 1
        name = f"{sp.name}_{sp.count}"
        while name in eng.table.index:
            sp.count += 1
            name = f"{sp.name}_{sp.count}"
        spec = EntitySpec(name=name, kind=EntityKind.VEHICLE, category=category, length=length, width=width,
                          height=height, center_x=wheelbase / 2, center_z=height / 2, wheelbase=wheelbase,
                          max_speed=70.0 if category not in ("bicycle",) else 12.0)
        i = eng.table.add(spec)
        eng.entity_added(i)
        return i

    def _despawn(self, i: int) -> None:
        eng = self.engine
        if eng.model_traffic is not None:
            eng.model_traffic.remove(i)
        eng.table.set_active(i, False)
        eng.record("TrafficDespawn", eng.table.names[i], "")


class _Cursor:
    __slots__ = ("road_id", "lane_id", "s", "offset", "table", "reverse")

    def __init__(self, road_id: str, lane_id: int, s: float) -> None:
        self.road_id, self.lane_id, self.s, self.offset, self.table = road_id, lane_id, s, 0.0, None
        self.reverse = False  # spawned traffic drives its lane's way (LaneCursor.reverse)


def _inside_polygon(x: np.ndarray, y: np.ndarray, poly: np.ndarray) -> np.ndarray:
    """Even-odd rule (ray casting), vectorised over points."""
    inside = np.zeros(len(x), dtype=bool)
    n = len(poly)
    for k in range(n):
        x1, y1 = poly[k]
        x2, y2 = poly[(k + 1) % n]
        crosses = (y1 > y) != (y2 > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            xi = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
        inside ^= crosses & (x < xi)
    return inside


def _err(el, cause: str) -> ScenarioError:
    s = getattr(el, "source", None)
    return ScenarioError(cause, file=getattr(s, "file", None), line=getattr(s, "line", None),
                         element=getattr(s, "element", None) or type(el).__name__)
