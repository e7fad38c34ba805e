"""The CARLA backend: the scenario's world run by a CARLA 0.9.16 server, one ``world.tick()`` per engine step.

Who moves what (the same split as the native backend, DESIGN.md):

* the engine's default controller and its driver-model traffic
  (:class:`~simplatform.backends.model_traffic.ModelTraffic`) compute every
  scripted entity's pose exactly as on the native backend; here those poses
  are *placed* in CARLA kinematically (physics off, transform + target
  velocity), as ScenarioRunner's OpenSCENARIO default controller does, so the
  storyboard plays the same on both backends;
* entities handed to the backend (``take_over``: the ego under a stack, or
  any vehicle a command is ``apply``-ed to) are moved by CARLA's vehicle
  physics under ``VehicleControl`` / ``VehicleAckermannControl``; after each
  tick their state is read back into the engine's table, so triggers,
  metrics and sensors see CARLA's ego.

The tick happens inside ``engine.step()``: the backend installs itself as the
engine's driven-vehicle stepper (``engine.driven``), which the engine calls
after the default controller and the driver models moved their entities and
before kinematics and collisions are derived.  As on the native backend,
``step(dt)`` does not advance time; it returns the world after the last tick,
read back from CARLA (poses, CARLA's bounding boxes, collisions seen by a
``sensor.other.collision`` on the ego).

Lifecycle (what the engine's backend hook calls; :func:`start_carla` does the
first three): ``CarlaBackend(settings)`` connects and checks versions;
``prepare_world(scenario, road, dt)`` loads the town or the .xodr world and
sets synchronous mode (returns the road network: a town's is CARLA's own
OpenDRIVE); ``attach(engine)``; after ``engine.initialise()``,
``load(road, engine.table)`` spawns the actors; ``close()`` destroys them and
restores the server's settings — always call it (``with`` works too).

Traffic lights: scenario-set states are imposed on CARLA's lights, CARLA's own
lights are reported into the engine's signals (:mod:`carla.signals`).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from simplatform.backends.carla.actors import ActorRegistry
from simplatform.backends.carla.connection import (CarlaSettings, connect, copy_settings, load_world,
                                                   synchronous_settings)
from simplatform.backends.carla.control import control_command
from simplatform.backends.carla.frames import origin_to_reference
from simplatform.backends.carla.readback import CollisionEvent, CollisionListener, read_states, traffic_lights
from simplatform.backends.carla.signals import SignalSync
from simplatform.backends.driven import as_command
from simplatform.backends.lane_tracking import track_entity
from simplatform.control import AckermannCommand, Control
from simplatform.errors import BackendError, ConfigError
from simplatform.world import EntityKind, WorldSnapshot

EGO_ROLE_NAME = "hero"
"""CARLA's role name for the ego (ScenarioRunner, the Leaderboard and the ROS bridge look for it)."""
WHEEL_RADIUS = 0.35


def import_carla():
    try:
        import carla
    except ImportError:
        raise BackendError("the CARLA backend needs CARLA's Python client: pip install carla==0.9.16") from None
    return carla


class _EngineTick:
    """What the engine calls as ``engine.driven.step(dt)``: the CARLA tick."""

    def __init__(self, backend: "CarlaBackend") -> None:
        self.backend = backend

    @property
    def members(self) -> list[int]:
        return list(self.backend.commands)

    def __contains__(self, i: int) -> bool:
        return i in self.backend.commands

    def step(self, dt: float) -> None:
        self.backend._tick(dt)


class CarlaBackend:
    def __init__(self, settings: CarlaSettings | None = None, *, carla_module=None) -> None:
        self.carla = carla_module if carla_module is not None else import_carla()
        self.settings = settings or CarlaSettings()
        self.client = connect(self.carla, self.settings)
        self.world = None
        self.engine = None
        self.registry: ActorRegistry | None = None
        self.traffic = None
        self.commands: dict[int, Control | AckermannCommand | None] = {}
        self.collision_events: list[CollisionEvent] = []
        self.close_errors: list[str] = []
        self._original_settings = None
        self._sensor = None
        self._listener: CollisionListener | None = None
        self.signals = SignalSync(self.carla, {})
        self._pushed: dict[int, np.ndarray] = {}
        self._written: dict[int, np.ndarray] = {}
        self._readback: dict[str, np.ndarray] | None = None
        self._contacts: set[str] = set()
        self._step_pairs: tuple[tuple[str, str], ...] = ()
        self._velocity: dict[int, tuple[float, float]] = {}
        self._closed = False

    # ---------------------------------------------------------------- set-up
    def prepare_world(self, scenario, road=None, dt: float = 0.01):
        """Load the scenario's world and enter synchronous mode; returns the road network to run on.

        A LogicFile naming a CARLA map (``Town01``) loads that town and, when the
        caller has no road network, returns CARLA's own OpenDRIVE of it; an .xodr is
        generated into a world (``generate_opendrive_world``); no road network keeps
        the server's current map."""
        from simplatform.opendrive.network import parse_opendrive

        self._original_settings = copy_settings(self.carla, self.client.get_world().get_settings())
        town = getattr(scenario, "road_network_name", None)
        path = getattr(scenario, "road_network_path", None)
        file = str(getattr(scenario, "path", "") or "") or None
        if town:
            self.world = load_world(self.carla, self.client, self.settings, town=town, scenario_file=file)
            if road is None:
                road = parse_opendrive(self.world.get_map().to_opendrive(), source=f"CARLA map {town}")
        elif path is not None:
            xodr = Path(path).read_text(encoding="utf-8")
            self.world = load_world(self.carla, self.client, self.settings, xodr_text=xodr, scenario_file=file)
        else:
            self.world = load_world(self.carla, self.client, self.settings)
        self.world.apply_settings(synchronous_settings(self.carla, self._original_settings, dt,
                                                       self.settings.no_rendering))
        return road

    def attach(self, engine, seed: int = 0) -> None:
        """Take over the engine's movers: driver-model traffic as on native, CARLA for driven vehicles."""
        from simplatform.backends.model_traffic import ModelTraffic

        if self.world is None:
            raise BackendError("CarlaBackend.attach before prepare_world")
        self.engine = engine
        self.traffic = ModelTraffic(engine, seed=seed)
        engine.model_traffic = self.traffic
        engine.driven = _EngineTick(self)
        file = str(getattr(engine.scenario, "path", "") or "") or None
        self.registry = ActorRegistry(self.carla, self.client, self.world, np.random.default_rng([seed, 0xCA]),
                                      scenario_file=file)

    def load(self, road=None, entities=None) -> None:
        """Spawn an actor for every active entity at its initial pose (after ``engine.initialise()``)."""
        if self.engine is None:
            raise BackendError("CarlaBackend.load before attach(engine)")
        t = self.engine.table
        for i in range(len(t)):
            if t.active[i]:
                self._spawn(i)
        self.signals = SignalSync(self.carla, traffic_lights(self.world))
        ego = self.engine.table.index.get(self.engine.ego) if self.engine.ego else None
        if ego is not None and ego in self.registry.actors:
            bp = self.world.get_blueprint_library().find("sensor.other.collision")
            self._sensor = self.world.spawn_actor(bp, self.carla.Transform(),
                                                  attach_to=self.registry.actors[ego].actor)
            self._listener = CollisionListener(self.engine.ego)
            self._sensor.listen(self._listener)
        self._tick(self.engine.dt, advance_engine_rows=False)

    def _body(self, name: str):
        try:
            return self.engine.scenario.entity_object(name)
        except (KeyError, AttributeError, LookupError):
            return None  # a row spawned by a traffic action: no declared body

    def _spawn(self, i: int) -> None:
        t = self.engine.table
        name = t.names[i]
        role = EGO_ROLE_NAME if name == self.engine.ego else name
        self.registry.spawn(t, i, self._body(name), role, physics=i in self.commands)

    # ---------------------------------------------------------------- commands
    def take_over(self, actor: str | None) -> None:
        """From now on ``actor`` moves by CARLA's physics under the commands given to ``apply``."""
        if actor is None:
            return
        eng = self.engine
        i = eng.entity_index(actor)
        if i in self.commands:
            return
        if eng.table.kinds[i] is not EntityKind.VEHICLE:
            raise ConfigError(f"{actor!r} is a {eng.table.kinds[i].value}: only vehicles can be driven by a stack")
        eng.controller.motions[i].mode = "external"
        if eng.controller.motions[i].cursor is None:
            eng.controller.relocate(i)
        self.commands[i] = None
        self._written.pop(i, None)  # placed afresh (with its speed) at the next tick
        sa = self.registry.actors.get(i) if self.registry else None
        if sa is not None:
            sa.actor.set_simulate_physics(True)

    def apply(self, actor: str, command: Control | AckermannCommand | Any) -> None:
        i = self.engine.entity_index(actor)
        if i not in self.commands:
            self.take_over(actor)
        self.commands[i] = as_command(command)

    # ---------------------------------------------------------------- stepping
    def step(self, dt: float) -> WorldSnapshot:
        """The world after the last tick, read back from CARLA (``engine.step()`` advances time)."""
        import dataclasses

        snap = self.engine.snapshot()
        rb = self._readback
        if rb is None:
            return snap
        cols = {c: getattr(snap, c).copy() for c in ("x", "y", "z", "heading", "pitch", "roll", "length",
                                                      "width", "height", "bbox_center_z")}
        for k, name in enumerate(rb["names"]):
            try:
                j = snap.index(name)
            except KeyError:
                continue
            for c in cols:
                cols[c][j] = rb[c][k]
        pairs = tuple(dict.fromkeys(snap.collisions + self._step_pairs))
        return dataclasses.replace(snap, collisions=pairs, **cols)

    def _tick(self, dt: float, advance_engine_rows: bool = True) -> None:
        if self._closed:
            raise BackendError("the CARLA backend is closed")
        t = self.engine.table
        reg = self.registry
        self._sync_rows()
        rows = [i for i in reg.actors if t.active[i]]
        kinematic = [i for i in rows if i not in self.commands]
        self._kinematic_velocity(kinematic)
        changed = [i for i in kinematic if self._changed(i)]
        driven = [i for i in rows if i in self.commands]
        replace = [i for i in driven if i not in self._written or not np.allclose(self._driven_state(i),
                                                                                  self._written[i], atol=1e-6)]
        for i in replace:  # the scenario placed or sped the vehicle itself (or it was just taken over)
            h = float(t.heading[i])
            t.vx[i], t.vy[i] = t.speed[i] * math.cos(h), t.speed[i] * math.sin(h)
        batch = reg.placement_commands(t, changed + replace)
        for i in driven:
            cmd = self.commands[i]
            if cmd is None:  # no command yet: hold the take-over speed, straight ahead
                cmd = self.commands[i] = AckermannCommand(speed=float(t.speed[i]))
            batch.append(control_command(self.carla, reg.actors[i].actor.id, cmd))
        reg.apply(batch, "step's placements and controls")
        self.signals.impose(self.engine.signals)
        try:
            frame = self.world.tick()
            snapshot = self.world.get_snapshot()
        except RuntimeError as exc:
            raise BackendError(f"the CARLA server at {self.settings.address} did not tick: {exc}") from None
        self._read_back(snapshot, rows, driven if advance_engine_rows else [])
        self.signals.read(self.engine.signals)
        self._read_collisions(frame)

    def _sync_rows(self) -> None:
        """Actors for rows the engine activated (AddEntityAction, traffic), none for rows it removed."""
        t, reg = self.engine.table, self.registry
        for i in list(reg.actors):
            if i >= len(t) or not t.active[i]:
                reg.destroy(i)
                self._pushed.pop(i, None)
        for i in range(len(t)):
            if t.active[i] and i not in reg.actors and i not in reg.absent:
                self._spawn(i)

    def _kinematic_velocity(self, rows: list[int]) -> None:
        self._velocity = {}
        t = self.engine.table
        motions = self.engine.controller.motions
        for i in rows:  # default-controller rows: derive() sets vx, vy after us; use speed along heading now
            if motions[i].mode != "external":
                h = float(t.heading[i])
                self._velocity[i] = (float(t.speed[i]) * math.cos(h), float(t.speed[i]) * math.sin(h))

    def _changed(self, i: int) -> bool:
        t = self.engine.table
        if i in self._velocity:
            t.vx[i], t.vy[i] = self._velocity[i]  # the velocity the engine moved it at this step
        state = np.array([t.x[i], t.y[i], t.z[i], t.heading[i], t.pitch[i], t.roll[i], t.vx[i], t.vy[i]])
        prev = self._pushed.get(i)
        if prev is not None and np.array_equal(prev, state):
            return False
        self._pushed[i] = state
        return True

    def _driven_state(self, i: int) -> np.ndarray:
        t = self.engine.table
        return np.array([t.x[i], t.y[i], t.heading[i], t.speed[i]])

    def _read_back(self, snapshot, rows: list[int], driven: list[int]) -> None:
        t, reg = self.engine.table, self.registry
        ids = [reg.actors[i].actor.id for i in rows]
        st = read_states(snapshot, ids)
        offsets = np.stack([reg.actors[i].offset for i in rows]) if rows else np.zeros((0, 3))
        ref = origin_to_reference(st.x, st.y, st.z, st.heading, st.pitch, st.roll, offsets)
        ext = np.stack([reg.actors[i].extent for i in rows]) if rows else np.zeros((0, 3))
        idx = np.array(rows, dtype=int)
        self._readback = {
            "names": [t.names[i] for i in rows], "x": ref[:, 0], "y": ref[:, 1], "z": ref[:, 2],
            "heading": st.heading, "pitch": st.pitch, "roll": st.roll,
            "length": 2 * ext[:, 0], "width": 2 * ext[:, 1], "height": 2 * ext[:, 2],
            # the boxes' bottoms are level (frames.origin_offset): CARLA's box centre height
            "bbox_center_z": t.bbox_center_z[idx] - t.height[idx] / 2 + ext[:, 2],
        }
        pos = {i: k for k, i in enumerate(rows)}
        for i in driven:
            k = pos[i]
            if not st.found[k]:
                raise BackendError(f"the CARLA actor of {t.names[i]!r} disappeared from the world")
            x0, y0 = float(t.x[i]), float(t.y[i])
            h = float(st.heading[k])
            t.x[i], t.y[i], t.z[i] = ref[k]
            t.heading[i], t.pitch[i], t.roll[i] = h, st.pitch[k], st.roll[k]
            t.vx[i], t.vy[i] = st.vx[k], st.vy[k]
            t.speed[i] = st.vx[k] * math.cos(h) + st.vy[k] * math.sin(h)
            t.ax[i], t.ay[i] = st.ax[k], st.ay[k]
            t.yaw_rate[i] = st.yaw_rate[k]
            v = float(t.speed[i])
            t.wheel_angle[i] = math.atan(t.wheelbase[i] * t.yaw_rate[i] / v) if abs(v) > 0.1 else t.wheel_angle[i]
            travelled = math.hypot(float(t.x[i]) - x0, float(t.y[i]) - y0)
            t.odometer[i] += travelled
            t.wheel_rot[i] = (t.wheel_rot[i] + math.copysign(travelled, v) / WHEEL_RADIUS) % (2 * math.pi)
            if t.active[i]:  # lanes are tracked on our road model; height and attitude stay CARLA's
                body = float(t.z[i]), float(t.pitch[i]), float(t.roll[i])
                track_entity(self.engine, i, float(t.x[i]) - x0, float(t.y[i]) - y0)
                t.z[i], t.pitch[i], t.roll[i] = body
            self._written[i] = self._driven_state(i)

    # ---------------------------------------------------------------- collisions
    def _read_collisions(self, frame: int) -> None:
        if self._listener is None:
            self._step_pairs = ()
            return
        names = {sa.actor.id: self.engine.table.names[i] for i, sa in self.registry.actors.items()}
        events = self._listener.drain(names, self.engine.time)
        self.collision_events.extend(events)
        others = {e.other for e in events}
        for other in sorted(others - self._contacts):  # a new contact, not every physics hit of it
            self.engine.record("CarlaCollision", self._listener.entity, other)
        self._contacts = others
        self._step_pairs = tuple((self._listener.entity, o) for o in sorted(others) if not o.startswith("carla:"))

    # ---------------------------------------------------------------- tear-down
    def close(self) -> None:
        """Destroy our actors and put the server's settings back; safe to call twice, and after errors."""
        if self._closed:
            return
        self._closed = True
        try:
            self.client.set_timeout(min(float(self.settings.timeout), 5.0))
        except RuntimeError:
            pass
        extra = []
        if self._sensor is not None:
            try:
                self._sensor.stop()
            except RuntimeError as exc:
                self.close_errors.append(str(exc))
            extra.append(self._sensor.id)
        if self.registry is not None:
            self.close_errors += self.registry.destroy_all(extra, tick=self.world is not None)
        if self._original_settings is not None and self.world is not None:
            try:
                self.world.apply_settings(self._original_settings)
            except RuntimeError as exc:
                self.close_errors.append(f"restoring the world settings: {exc}")

    def __enter__(self) -> "CarlaBackend":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def start_carla(scenario, road, config) -> tuple[Any, CarlaBackend]:
    """``(engine, backend)`` for a run on CARLA: connect, load the world, build the engine, attach.

    ``config`` is the engine's ``RunConfig`` (``dt``, ``seed``, ``ego``,
    ``custom_handlers``, ``carla_host``, ``carla_port``, ``carla_timeout``); call
    ``backend.load(road, engine.table)`` after ``engine.initialise()`` and
    ``backend.close()`` in a ``finally``."""
    from simplatform.engine.engine import ScenarioEngine

    settings = CarlaSettings(host=getattr(config, "carla_host", "127.0.0.1"),
                             port=int(getattr(config, "carla_port", 2000)),
                             timeout=float(getattr(config, "carla_timeout", 10.0)),
                             no_rendering=bool(getattr(config, "carla_no_rendering", False)))
    backend = CarlaBackend(settings)
    try:
        road = backend.prepare_world(scenario, road, config.dt)
        engine = ScenarioEngine(scenario, road, dt=config.dt, ego=getattr(config, "ego", None),
                                custom_handlers=getattr(config, "custom_handlers", None),
                                seed=getattr(config, "seed", 0))
        backend.attach(engine, seed=getattr(config, "seed", 0))
    except BaseException:
        backend.close()
        raise
    return engine, backend
