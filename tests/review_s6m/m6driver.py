"""Differential driver for the metrics (review, session 6): run in a subprocess whose ``sys.path[0]``
is one tree (the code at fb91629 or the current one), feed ``MetricSuite`` a snapshot stream and
print one line per job: the job's id and the SHA-256 of a canonical dump of ``finish()``.

    python m6driver.py JOBS.json OUT_DIR

Reuses the session-5 reviewer's generators (``tests/review_s5/mdriver.py``: ``synthetic`` and
``harness`` jobs, the ``Perturbed`` observe wrapper, ``canon``) and adds ``attack`` jobs aimed at
what session 6 changed in ``metrics/``: arena steps built here with full control of every shared
field (``kinds``, ``categories``, road ids, collisions, environment, signals, box columns: kept,
replaced by an equal object, or changed mid-block), arenas that stop following on (skipped slots,
new arenas over the same names, tiny capacities: one-step and short tail blocks), entity sets and
the ego coming and going (the minimum-speed rule's background), goal regions entered on a block's
first or last step, borderline contacts (touching boxes, coincident centres, zero-size boxes),
huge coordinates, NaN/inf, plain ``from_states`` snapshots (with and without a state matrix, and
float32 columns), all on an OpenDRIVE map so that the road metrics run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import pickle
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(1, str(HERE.parent / "review_s5"))   # after the tree under test (sys.path[0] / PYTHONPATH)
import mdriver  # noqa: E402
from mdriver import Perturbed, canon  # noqa: E402

MAPS = ("junction_4way", "urban_grid", "highway_straight", "highway_on_ramp", None)


def _lane_paths(road, rng, n: int) -> list[np.ndarray]:
    """Per entity a polyline (M, 2) to drive along: a lane's centre line on the map (or a straight line)."""
    paths = []
    ids = list(road.roads) if road is not None else []
    for _ in range(n):
        if ids:
            rid = ids[int(rng.integers(0, len(ids)))]
            lanes = [lane for lane in road.lane_ids(rid, 0.0) if lane != 0]
            if lanes:
                lane = lanes[int(rng.integers(0, len(lanes)))]
                line = np.asarray(road.lane_center_line(rid, lane, 0.5))
                pts = line[:, 1:3]
                if lane > 0:
                    pts = pts[::-1]
                if len(pts) >= 2:
                    paths.append(np.ascontiguousarray(pts))
                    continue
        x0, y0 = rng.uniform(-40, 40, 2)
        h = rng.uniform(-math.pi, math.pi)
        paths.append(np.array([[x0, y0], [x0 + 500 * math.cos(h), y0 + 500 * math.sin(h)]]))
    return paths


def _along(path: np.ndarray, dist: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, y, heading at arc lengths ``dist`` along ``path`` (straight on past its end)."""
    seg_len = np.hypot(*np.diff(path, axis=0).T)
    path = path[np.concatenate([[True], seg_len > 1e-9])]
    seg = np.diff(path, axis=0)
    seg_len = np.hypot(seg[:, 0], seg[:, 1])
    cum = np.concatenate([[0.0], np.cumsum(seg_len)])
    i = np.clip(np.searchsorted(cum, dist, side="right") - 1, 0, len(seg) - 1)
    f = dist - cum[i]
    d = seg[i] / seg_len[i, None]
    start = path[i]
    return start[:, 0] + d[:, 0] * f, start[:, 1] + d[:, 1] * f, np.arctan2(d[:, 1], d[:, 0])


def attack_world(job: dict):
    """The run's kinematics (T, N) and context, decided up front from the job's seed."""
    from metrics.context import GoalRegion, RoutePath, ScenarioContext
    from metrics.requirements import load_requirement_set
    rng = np.random.default_rng(job["seed"])
    T = job["steps"]
    map_name = job.get("map", MAPS[int(rng.integers(0, len(MAPS)))])
    road = None
    if map_name is not None:
        from simplatform.opendrive.network import load_opendrive
        road = load_opendrive(Path("scenarios/maps") / f"{map_name}.xodr")
    n = int(job.get("n", rng.integers(1, job.get("max_n", 9) + 1)))
    dt = float(job.get("dt", rng.choice([0.01, 0.02, 0.05, 0.1])))
    paths = _lane_paths(road, rng, n)
    speed = np.empty((T, n))
    v = rng.uniform(0, 15, n)
    for k in range(T):
        v = np.clip(v + rng.normal(0, 2.0, n) * dt, 0, 30)
        if rng.random() < 0.01:
            v[int(rng.integers(0, n))] = 0.0   # a vehicle stops (blocked, minimum speed)
        speed[k] = v
    dist = np.cumsum(speed * dt, axis=0) + rng.uniform(0, 20, n)
    x, y, h = np.empty((T, n)), np.empty((T, n)), np.empty((T, n))
    for i in range(n):
        x[:, i], y[:, i], h[:, i] = _along(paths[i], dist[:, i])
    lat = np.cumsum(rng.normal(0, 0.05, (T, n)), axis=0).clip(-2.5, 2.5)   # drift across the lane borders
    x -= lat * np.sin(h)
    y += lat * np.cos(h)
    h = h + rng.normal(0, 0.02, (T, n))
    offset = float(job.get("offset", 0.0))   # huge coordinates: the whole world shifted
    world = {"T": T, "n": n, "dt": dt, "x": x + offset, "y": y + offset, "h": h, "v": speed, "road": road,
             "ax": rng.normal(0, 1.5, (T, n)), "ay": rng.normal(0, 0.8, (T, n)), "yaw": rng.normal(0, 0.1, (T, n))}
    world["names"] = tuple(["ego"] + [f"a{i}" for i in range(1, n)])
    cats = ["car", "truck", "pedestrian", "bicycle", "motorbike", "bus"]
    world["cats"] = [cats[int(rng.integers(0, len(cats)))] for _ in range(n)]
    world["cats"][0] = "car"
    world["box"] = np.stack([rng.uniform(0.4, 12, n), rng.uniform(0.4, 2.6, n), rng.uniform(1, 3, n),
                             rng.uniform(-0.5, 1.6, n), rng.normal(0, 0.05, n), rng.uniform(0.5, 1.5, n)])
    if job.get("zero_box"):
        k = rng.random(n) < 0.4
        world["box"][0, k] = 0.0
        world["box"][1, k] = 0.0
        world["box"][3:5, k] = 0.0
    # the goal: entered exactly at a chosen step (a block's first or last: see ``capacity``)
    kg = int(job.get("goal_step", rng.integers(1, T)))
    kg = min(max(kg, 1), T - 1)
    gx, gy = float(world["x"][kg, 0]), float(world["y"][kg, 0])
    step_len = float(np.hypot(world["x"][kg, 0] - world["x"][kg - 1, 0], world["y"][kg, 0] - world["y"][kg - 1, 0]))
    r = max(min(0.45 * step_len, 2.0), 1e-6)
    goal = (GoalRegion(gx, gy, r) if rng.random() < 0.5 else GoalRegion.box(gx - r, gx + r, gy - r, gy + r))
    pts = np.stack([world["x"][::max(1, T // 40), 0], world["y"][::max(1, T // 40), 0]], axis=1)
    try:
        route = RoutePath.from_points(pts)
    except ValueError:
        route = None
    if route is not None and route.length <= 0:
        route = None
    names = world["names"]
    background = tuple(nm for nm in names[1:] if rng.random() < 0.6) + (("ghost",) if rng.random() < 0.5 else ())
    if job.get("background") == "all":   # eight or more: the minimum-speed rule's numpy path
        background = names[1:]
    emergency = tuple(nm for nm in names[1:] if rng.random() < 0.2)
    ctx = ScenarioContext(road=road, route=route, goal=goal, acc_set_speed=float(rng.uniform(5, 30)),
                          timeout=float(rng.uniform(0.5, max(1.0, T * dt * 1.5))), ego="ego" if rng.random() < 0.8 else None,
                          v2x_expected=bool(rng.random() < 0.3), background=background, emergency_vehicles=emergency)
    reqs = ()
    req_files = sorted(Path("scenarios/requirements").glob("*.yaml"))
    if req_files:
        reqs = tuple(load_requirement_set(req_files[int(rng.integers(0, len(req_files)))]).requirements)
    return world, ctx, reqs


class _Shared:
    """The shared fields of the arena snapshots, kept as objects and replaced on demand."""

    def __init__(self, world: dict, rows: np.ndarray) -> None:
        from simplatform.world import EntityKind
        kinds = {"pedestrian": EntityKind.PEDESTRIAN}
        self.world = world
        self.rows = rows
        self.kinds = tuple(kinds.get(world["cats"][i], EntityKind.VEHICLE) for i in rows)
        self.cats = tuple(world["cats"][i] for i in rows)
        self.box = self._box(world["box"][:, rows])
        self.env: dict = {"road_friction": 1.0}
        self.signals: dict = {"S1": "green"}
        self.roads: tuple = ()

    @staticmethod
    def _box(values: np.ndarray) -> dict:
        out = {}
        for name, row in zip(("length", "width", "height", "bbox_center_x", "bbox_center_y", "bbox_center_z"), values):
            a = np.array(row, dtype=float)
            a.flags.writeable = False
            out[name] = a
        return out


def attack_stream(world: dict, job: dict, rng):
    """Snapshots of the world: arena steps (mostly) and plain ones, every shared field under attack."""
    from simplatform.state_arena import StateArena
    from simplatform.world import (BoundingBox, EntityKind, EntityState, LaneLocation, StateLanes, WorldSnapshot)
    p = job.get("p", {})
    T, n, road = world["T"], world["n"], world["road"]
    X, Y, H, V = world["x"].copy(), world["y"].copy(), world["h"], world["v"]
    # borderline geometry against the ego, step by step
    for k in range(T):
        if n > 1 and rng.random() < p.get("touch", 0.0):
            j = int(rng.integers(1, n))
            L = world["box"][0]
            bx = world["box"][3]
            gap = float(rng.choice([0.0, 1e-12, -1e-12, 1e-9, 5e-324, 0.5, 2.0, 1.0]))
            ahead = L[0] / 2 + L[j] / 2 + gap
            c, s = math.cos(H[k, 0]), math.sin(H[k, 0])
            X[k, j] = X[k, 0] + c * (bx[0] + ahead) - c * bx[j]
            Y[k, j] = Y[k, 0] + s * (bx[0] + ahead) - s * bx[j]
        if n > 1 and rng.random() < p.get("coincide", 0.0):
            j = int(rng.integers(1, n))
            X[k, j], Y[k, j] = X[k, 0], Y[k, 0]
    vx, vy = V * np.cos(H), V * np.sin(H)
    if p.get("nan"):
        bad = rng.random((T, n)) < p["nan"]
        for arr, bad_values in ((X, [np.nan, np.inf, -np.inf, 1e300]), (vx, [np.nan, np.inf, -np.inf, 1e300]),
                                (H, [np.nan, 1e300])):   # an infinite heading raises in both trees (route.py)
            arr[bad] = rng.choice(np.array(bad_values), bad.sum())
    # lane locations by the map (what the engine's table is given)
    lanes_road = np.full((T, n), None, dtype=object)
    lane_id = np.zeros((T, n))
    lane_s = np.full((T, n), np.nan)
    lane_t = np.full((T, n), np.nan)
    if road is not None:
        xy = np.stack([X.ravel(), Y.ravel()], axis=1)
        finite = np.isfinite(xy).all(axis=1)
        res = road.locate_many(np.where(finite[:, None], xy, 0.0))
        on = np.asarray(res.on_road, dtype=bool) & finite
        rids = np.array(res.road_ids, dtype=object)[np.asarray(res.road_index)]
        lanes_road = np.where(on, rids, None).reshape(T, n)
        lane_id = np.where(on, np.asarray(res.lane_id, dtype=float), 0.0).reshape(T, n)
        lane_s = np.where(on, np.asarray(res.s, dtype=float), np.nan).reshape(T, n)
        lane_t = np.where(on, np.asarray(res.offset, dtype=float), np.nan).reshape(T, n)
    ax, ay, yaw = world["ax"], world["ay"], world["yaw"]
    zeros = np.zeros(n)
    cap_choices = job.get("capacity", [1, 2, 3, 5, 17, 64, 1000])
    active = np.ones(n, dtype=bool)
    ego_on = True
    shared = None
    arena = None
    names = None
    mode = "arena"
    t = 0.0
    collisions: tuple = ()
    keep_alive = []
    for k in range(T):
        t += world["dt"] if rng.random() > p.get("same_time", 0.0) else 0.0
        # entities coming and going (the minimum-speed rule's background, names of the block)
        if n > 1 and rng.random() < p.get("toggle", 0.0):
            i = int(rng.integers(1, n))
            active[i] = not active[i]
        if rng.random() < p.get("ego_off", 0.0):
            ego_on = not ego_on
        active[0] = True if (ego_on or n == 1) else bool(rng.random() < 0.5)
        rows = np.nonzero(active)[0]
        ego = "ego" if (ego_on and active[0]) else None
        if rng.random() < p.get("mode", 0.0):
            mode = {"arena": "states", "states": "arena", "f32": "arena"}[mode] if rng.random() < 0.7 else "f32"
        if mode != "arena" and rng.random() < 0.3:
            mode = "arena"
        sel_names = tuple(world["names"][i] for i in rows)
        if names is None or sel_names != names or ego != (arena.slots.ego if arena is not None else None):
            names = sel_names
            shared = _Shared(world, rows)
            arena = None
        elif rng.random() < p.get("names_copy", 0.0):
            names = tuple(list(names))   # the same names, another object
            arena = None
        # the shared fields under attack
        r = rng.random(12)
        if r[0] < p.get("kinds", 0.0):
            if rng.random() < 0.5:
                shared.kinds = tuple(shared.kinds)[:]   # equal value, maybe another object
                shared.kinds = tuple(list(shared.kinds))
            else:
                shared.kinds = tuple(EntityKind.PEDESTRIAN if rng.random() < 0.3 else kd for kd in shared.kinds)
        if r[1] < p.get("cats", 0.0):
            shared.cats = tuple(c if rng.random() < 0.7 else str(rng.choice(["car", "truck", "bicycle", "van"]))
                                for c in shared.cats)
        if r[2] < p.get("env", 0.0):
            shared.env = {"road_friction": float(rng.choice([1.0, 0.4])), "fog_visual_range_m": float(rng.uniform(30, 900))}
        if r[3] < p.get("signals", 0.0):
            shared.signals = {"S1": str(rng.choice(["red", "green", "amber", "on;off;off"])), "S2": "off;on;off"}
        if r[4] < p.get("box_new", 0.0):   # equal values, new objects (all four or some)
            which = rng.random(6) < 0.5
            shared.box = {nm: (np.array(a) if w else a) for (nm, a), w in zip(shared.box.items(), which)}
        if r[5] < p.get("box_change", 0.0) and len(rows):   # a box changes size mid-block
            i = int(rng.integers(0, len(rows)))
            b = {nm: np.array(a) for nm, a in shared.box.items()}
            b[str(rng.choice(["length", "width", "bbox_center_x", "bbox_center_y", "height"]))][i] = float(
                rng.choice([0.0, 0.3, 5.0, 20.0]))
            shared.box = b
        if r[6] < p.get("collide", 0.0) and len(sel_names) > 1:
            if collisions:
                collisions = ()
            else:
                a, b = rng.choice(len(sel_names), 2, replace=False)
                collisions = ((sel_names[min(a, b)], sel_names[max(a, b)]),)
        col = tuple(c for c in collisions if c[0] in sel_names and c[1] in sel_names)
        if r[7] < p.get("col_copy", 0.0):
            col = tuple(list(col))
        roads = tuple(lanes_road[k, rows].tolist())
        if roads != shared.roads or r[8] < p.get("roads_copy", 0.0):
            shared.roads = roads
        cols = [X[k, rows], Y[k, rows], zeros[rows], H[k, rows], zeros[rows], zeros[rows], V[k, rows], vx[k, rows],
                vy[k, rows], ax[k, rows], ay[k, rows], yaw[k, rows], lane_s[k, rows], lane_t[k, rows], lane_id[k, rows]]
        visible = rng.random(len(rows)) < 0.95
        if mode == "arena":
            if arena is None or arena.full or r[9] < p.get("new_arena", 0.0):
                cap = int(cap_choices[int(rng.integers(0, len(cap_choices)))])
                arena = StateArena(names, ego, capacity=cap)
                keep_alive = [arena]
            if r[10] < p.get("skip_slot", 0.0) and not arena.full:
                arena.take()[:] = 0.0   # a slot no snapshot of the stream has (the block stops following on)
                if arena.full:
                    cap = int(cap_choices[int(rng.integers(0, len(cap_choices)))])
                    arena = StateArena(names, ego, capacity=cap)
                    keep_alive = [arena]
            state = arena.write(cols)
            snap = WorldSnapshot.from_state_matrix(
                round(t, 9), k, names, shared.kinds, shared.cats, state, shared.box, StateLanes(state, shared.roads),
                shared.roads, visible, ego=ego, signals=shared.signals, collisions=col, environment=shared.env)
        else:
            states = []
            for q, i in enumerate(rows):
                rd = lanes_road[k, i]
                lane = None if rd is None else LaneLocation(rd, int(lane_id[k, i]), float(lane_s[k, i]),
                                                            float(lane_t[k, i]))
                b = world["box"][:, i]
                bb = BoundingBox(float(shared.box["length"][q]), float(shared.box["width"][q]), float(b[2]),
                                 float(shared.box["bbox_center_x"][q]), float(shared.box["bbox_center_y"][q]), float(b[5]))
                states.append(EntityState(
                    name=names[q], kind=shared.kinds[q], category=shared.cats[q], x=float(X[k, i]), y=float(Y[k, i]),
                    z=0.0, heading=float(H[k, i]), pitch=0.0, roll=0.0, speed=float(V[k, i]), vx=float(vx[k, i]),
                    vy=float(vy[k, i]), ax=float(ax[k, i]), ay=float(ay[k, i]), yaw_rate=float(yaw[k, i]), bbox=bb,
                    lane=lane, visible=bool(visible[q]), is_ego=names[q] == ego))
            snap = WorldSnapshot.from_states(round(t, 9), k, states, ego=ego, signals=shared.signals, collisions=col,
                                             environment=shared.env)
            if mode == "f32":   # a backend handing float32 columns (no state matrix)
                snap = dataclasses.replace(snap, **{c: getattr(snap, c).astype(np.float32)
                                                    for c in ("x", "y", "heading", "speed", "vx", "vy", "ax", "ay")})
            elif r[11] < 0.5:
                snap.state_matrix()   # a plain snapshot with a matrix
        yield snap
    del keep_alive


def attack_job(job: dict, pert: Perturbed):
    from metrics import MetricSuite
    world, ctx, reqs = attack_world(job)
    suite = MetricSuite(ctx, reqs)
    rng = np.random.default_rng(job["seed"] + 99)
    for snap in attack_stream(world, job, rng):
        suite.observe(snap)
    return suite.finish(parameters={"p": 1.0}, osc_features=("x",))


ATTACKS = dict(touch=0.08, coincide=0.03, toggle=0.02, ego_off=0.01, mode=0.03, kinds=0.03, cats=0.03, env=0.03,
               signals=0.05, box_new=0.04, box_change=0.03, collide=0.06, col_copy=0.05, roads_copy=0.05,
               skip_slot=0.04, new_arena=0.03, names_copy=0.01, same_time=0.01, nan=0.003)


def attack_jobs(tag: str, seeds: list[int], steps: int) -> list[dict]:
    """Attack jobs: each attack on or off at random per job; odd seeds also flushed, duplicated, skipped,
    replayed out of order and given V2X warnings; by ``seed % 7`` one-slot or tiny arenas, zero-size
    boxes, huge coordinates, no map, or the goal entered at a block's first or last step."""
    rng = np.random.default_rng(seeds[0])
    out = []
    for s in seeds:
        p = {k: float(rng.choice([0.0, v])) for k, v in ATTACKS.items()}
        perturb = ({"check": True, "flush": 0.01, "dup": 0.02, "skip": 0.01, "v2x": 0.01, "back": 0.01} if s % 2
                   else {"check": True, "v2x": 0.005})
        job = {"id": f"{tag}{s}", "kind": "attack", "seed": int(s), "steps": int(steps), "p": p, "perturb": perturb}
        r = s % 7
        if r == 1:
            job["capacity"] = [1]
        elif r == 2:
            job["capacity"] = [1, 2, 3]
        elif r == 3:
            job["zero_box"] = True
        elif r == 4:
            job["offset"] = float(rng.choice([1e7, 5e12, -3e15]))
        elif r == 5:
            job["map"] = None
        elif r == 6:
            job["goal_step"] = int(rng.choice([64, 63, 17, 16, 1000, 999]))
            job["capacity"] = [17, 64, 1000]
        out.append(job)
    return out


def edge_jobs(tag: str) -> list[dict]:
    """Deterministic edges: the goal entered on the first or last step of a block (arenas of 16 slots,
    no other attack), and eight or more background vehicles (the minimum-speed rule's other path)."""
    jobs = []
    for i, goal_step in enumerate((15, 16, 31, 32, 47, 48, 1, 63)):
        jobs.append({"id": f"{tag}goal{goal_step}", "kind": "attack", "seed": 700 + i, "steps": 64, "p": {},
                     "capacity": [16], "goal_step": goal_step, "map": "junction_4way", "n": 4,
                     "perturb": {"check": True}})
    for i in range(3):
        jobs.append({"id": f"{tag}bg{i}", "kind": "attack", "seed": 720 + i, "steps": 600, "n": 12 + 3 * i,
                     "background": "all", "p": {"toggle": 0.03, "skip_slot": 0.02, "box_new": 0.03, "mode": 0.02},
                     "perturb": {"check": True, "flush": 0.01, "v2x": 0.005}})
    return jobs


def main() -> None:
    jobs = json.loads(Path(sys.argv[1]).read_text())
    out = Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    for job in jobs:
        jid = job["id"]
        pert = Perturbed(job.get("perturb", {}), job.get("seed", 0) + 1000)
        pert.install()
        try:
            if job["kind"] == "harness":
                ev = mdriver.harness_job(job, pert)
            elif job["kind"] == "attack":
                ev = attack_job(job, pert)
            elif job["kind"] == "float32":
                import test_review_s6m_float32 as f32
                ev = f32.min_speed_route(*job.get("speeds", (f32.V_EGO, f32.V_BACKGROUND)))
            else:
                ev = mdriver.synthetic_job(job, pert)
            data = pickle.dumps(canon(ev), protocol=4)
        except Exception as exc:  # noqa: BLE001 — an exception is an output too
            data = pickle.dumps(("exception", type(exc).__name__, str(exc)[:300]), protocol=4)
        if pert.p.get("check"):
            pert.check_blocks()
        (out / f"{jid}.pkl").write_bytes(data)
        print(json.dumps({"id": jid, "sha": hashlib.sha256(data).hexdigest()[:16], "problems": pert.problems[:5]}),
              flush=True)


if __name__ == "__main__":
    main()
