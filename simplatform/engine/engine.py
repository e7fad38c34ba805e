"""The scenario engine: world state, storyboard and default controller, one fixed step at a time.

Per step (esmini's order): evaluate triggers on the world at time t and apply
state transitions (starting actions); advance running actions by dt; move
entities (default controller here, model-driven ones in the backend); derive
kinematics, lanes and collisions for t + dt.  Time is ``step × dt`` (never
accumulated) so logs do not drift and the same file gives the same bytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from simplatform.engine.actions_global import GlobalRunner, storyboard_added_entities
from simplatform.engine.build import build_stories, compile_trigger, entity_specs, guess_ego, PrivateActionRunner
from simplatform.engine.collision_kernels import table_pairs_kernel
from simplatform.engine.entities import EntityTable
from simplatform.engine.environment import EnvironmentState
from simplatform.engine.motion import DefaultController
from simplatform.engine.positions import PositionResolver
from simplatform.engine.road import RoadAdaptor
from simplatform.engine.routes import RouteStore
from simplatform.engine.storyboard import Storyboard
from simplatform.errors import ScenarioError
from simplatform.openscenario.init_order import add_entity_of, order_init_placements


@dataclass(frozen=True)
class EngineRecord:
    """A logged happening that moves nothing (custom command, light state, controller override)."""

    time: float
    kind: str
    entity: str
    detail: str


class ScenarioEngine:
    def __init__(self, scenario, road_network, *, dt: float = 0.01, ego: str | None = None,
                 custom_handlers: dict[str, Callable[[str, str], None]] | None = None,
                 locate_every: int = 10, seed: int = 0) -> None:
        self.scenario = scenario
        self.dt = float(dt)
        self.seed = int(seed)
        self.step_index = 0
        self.time = 0.0
        self.locate_every = max(1, int(locate_every))
        self.road = RoadAdaptor(road_network) if road_network is not None else None
        names = [o.name for o in scenario.entities.scenario_objects]
        if ego is not None and ego not in names:
            from simplatform.errors import ConfigError

            raise ConfigError(f"the ego {ego!r} is not an entity of the scenario (its entities: "
                              f"{', '.join(names) or 'none'})", file=str(scenario.path), element="ego")
        self.ego = ego if ego is not None else guess_ego(scenario)
        self.table = EntityTable(entity_specs(scenario, self.ego))
        self.controller = DefaultController(self.table, self.road)
        self.positions = PositionResolver(self)
        self.routes = RouteStore(self)
        self.controller.prefer = self.routes.preferred
        self.controller.legs = self.routes.legs
        self.parameters: dict[str, Any] = dict(scenario.parameters)
        self.variables: dict[str, Any] = dict(scenario.variables)
        self.user_values: dict[str, Any] = {}
        self.signals: dict[str, str] = {}
        self.table.shared_version = 0   # versioned snapshots (``snapshot``)
        self.environment_state = EnvironmentState(on_copy=self.table.bump_shared)
        self.visibility: dict[str, dict] = {}
        self.overrides: dict[str, Any] = {}
        self.monitors: dict[str, bool] = {}
        self.records: list[EngineRecord] = []
        self.driver_configs: dict[int, Any] = {}
        self.assigned_controllers: dict[int, Any] = {}  # entity -> its assigned Controller element
        self.model_traffic = None  # set by the native backend (ModelTraffic)
        self.driven = None  # set by the native backend (DrivenVehicles: the ego under a stack)
        self.traffic = None  # TrafficManager (swarm, source, sink), built on first traffic action
        self.custom_handlers = dict(custom_handlers or {})
        self._snapshot = None
        self.collision_set: set[tuple[str, str]] = set()
        self.need_collisions = False
        self._signals_copy: dict | None = None
        self._collisions_step = -1
        self.collisions: tuple[tuple[str, str], ...] = ()
        self._collision_rows: tuple[Any, list] | None = None
        """(names, the kernel's index pairs) that ``collisions`` was made of (``_compute_collisions``)."""
        self._pair_buffer = np.empty((0, 2), dtype=np.int64)
        self._owners: dict[tuple[int, str], tuple[Any, Any]] = {}
        self._init_runners: list[Any] = []
        self._initialising = False
        self._sut_pending: list[int] = []  # system-under-test notes of Init activations (_note_system_under_test)
        self.unplaced: set[str] = set()
        """While Init runs: the entities no Init TeleportAction or AddEntityAction places (an Init
        FollowTrajectoryAction then starts them where their path starts, actions_trajectory)."""
        self._signal_controllers: dict[str, dict] = {}
        self._object_types = {n: self._object_type(k, c) for n, k, c in zip(self.table.names, self.table.kinds, self.table.categories)}
        self._setup_signal_controllers()
        sb = scenario.storyboard
        if sb is None:
            raise ScenarioError("the scenario has no Storyboard", file=str(scenario.path))
        self.storyboard = Storyboard(build_stories(self, sb), compile_trigger(self, sb.stop_trigger))

    # ---------------------------------------------------------------- lookups
    def entity_index(self, name: str, el=None) -> int:
        i = self.table.index.get(name)
        if i is None:
            src = getattr(el, "source", None)
            raise ScenarioError(f"unknown entity {name!r}", file=getattr(src, "file", None),
                                line=getattr(src, "line", None), element=getattr(src, "element", None))
        return i

    @staticmethod
    def _object_type(kind, category: str) -> str:
        return {"vehicle": "vehicle", "pedestrian": "pedestrian", "misc_object": "miscellaneous"}[kind.value]

    def entity_added(self, i: int) -> None:
        """A row was appended to the table (spawned traffic): grow the per-entity state."""
        self.controller.grow()
        t = self.table
        self._object_types[t.names[i]] = self._object_type(t.kinds[i], t.categories[i])

    def object_type(self, name: str) -> str:
        return self._object_types.get(name, "")

    # ------------------------------------------------------- action ownership
    def claim(self, part, owner) -> None:
        """A new action on an actor replaces the running one of the same domain (standard §8.4.x)."""
        for domain in part.domains:
            key = (part.i, domain)
            prev = self._owners.get(key)
            if prev is not None and prev[0] is not part:
                old_part, old_owner = prev
                old_part.stop()
                for d in old_part.domains:
                    self._owners.pop((old_part.i, d), None)
                if isinstance(old_owner, PrivateActionRunner):
                    old_owner.parts = [p for p in old_owner.parts if p is not old_part]
                    if not old_owner.parts:
                        self.storyboard.action_stopped_externally(self, old_owner)
                        self._init_runners = [r for r in self._init_runners if r is not old_owner]
            self._owners[key] = (part, owner)

    def release(self, part) -> None:
        for domain in part.domains:
            if self._owners.get((part.i, domain), (None,))[0] is part:
                del self._owners[(part.i, domain)]

    # ----------------------------------------------------------- stores
    def record(self, kind: str, entity: str, detail: str) -> None:
        self.records.append(EngineRecord(self.time, kind, entity, detail))

    def custom_command(self, type_: str, content: str) -> None:
        self.record("CustomCommandAction", "", f"{type_}: {content}")
        handler = self.custom_handlers.get(type_)
        if handler is not None:
            handler(type_, content)

    def set_environment(self, env) -> None:
        """Init / EnvironmentAction: the stated parts replace the previous ones (environment.py)."""
        if env is None:
            return
        self.environment_state.apply(env, self.time)
        self._snapshot = None
        self.record("EnvironmentAction", "", self.environment_state.summary())

    @property
    def environment(self) -> dict[str, Any]:
        """The ``WorldSnapshot.environment`` mapping now (keys in :mod:`environment`)."""
        return self.environment_state.values(self.time)

    def environment_snapshot(self) -> dict[str, Any]:
        return self.environment_state.values(self.time)

    def time_of_day_epoch(self) -> float | None:
        return self.environment_state.epoch(self.time)

    def _setup_signal_controllers(self) -> None:
        rn = self.scenario.road_network
        ts = getattr(rn, "traffic_signals", None) if rn is not None else None
        if ts is None:
            return
        for ctrl in ts.traffic_signal_controllers:
            self._signal_controllers[ctrl.name] = {"ctrl": ctrl, "phase": None, "index": -1, "t": 0.0}
        for name, st in self._signal_controllers.items():
            ctrl = st["ctrl"]
            if ctrl.phases:
                delay = ctrl.delay or 0.0
                self._enter_phase(name, 0, -delay if ctrl.reference is None else 0.0)

    def _enter_phase(self, name: str, index: int, start: float) -> None:
        st = self._signal_controllers[name]
        phases = st["ctrl"].phases
        index %= len(phases)
        phase = phases[index]
        st.update(phase=phase.name, index=index, t=start)
        for s in phase.traffic_signal_states:
            self.signals[s.traffic_signal_id] = s.state

    def set_signal_phase(self, name: str, phase: str, el) -> None:
        st = self._signal_controllers.get(name)
        if st is None:
            raise ScenarioError(f"unknown traffic signal controller {name!r}", file=el.source.file, line=el.source.line,
                                element="TrafficSignalControllerAction")
        for k, p in enumerate(st["ctrl"].phases):
            if p.name == phase:
                self._enter_phase(name, k, self.time)
                return
        raise ScenarioError(f"traffic signal controller {name!r} has no phase {phase!r}", file=el.source.file,
                            line=el.source.line, element="TrafficSignalControllerAction")

    def signal_controller_phase(self, name: str) -> str | None:
        st = self._signal_controllers.get(name)
        return st["phase"] if st else None

    def signal_controller_timing(self, name: str) -> tuple[int, float] | None:
        """(index of the current phase, simulation time it began; negative for a ``delay``) of the
        TrafficSignalController ``name``, None if there is none: what a roadside unit needs to announce
        the time to the next change (SAE J2735 SPaT ``minEndTime``)."""
        st = self._signal_controllers.get(name)
        return (int(st["index"]), float(st["t"])) if st and st["index"] >= 0 else None

    def _step_signal_controllers(self) -> None:
        for name, st in self._signal_controllers.items():
            phases = st["ctrl"].phases
            while phases and self.time - st["t"] >= phases[st["index"]].duration - 1e-9 and phases[st["index"]].duration > 0:
                self._enter_phase(name, st["index"] + 1, st["t"] + phases[st["index"]].duration)

    def traffic_action(self, el) -> None:
        """Traffic swarm / source / sink / stop / area actions (traffic.py)."""
        from simplatform.engine.traffic import TrafficManager

        if self.traffic is None:
            self.traffic = TrafficManager(self, seed=self.seed)
        self.traffic.start(el)
        self.record("TrafficAction", "", type(el.choice).__name__ if el.choice is not None else "")

    def assign_controller(self, i: int, ctrl, activate_longitudinal: bool, activate_lateral: bool) -> None:
        """AssignControllerAction / ObjectController: a controller whose Properties name a
        driver model becomes the entity's model controller (see controllers.py)."""
        from simplatform.engine.controllers import driver_config

        m = self.controller.motions[i]
        m.controller = getattr(ctrl, "name", None)
        self.driver_configs[i] = driver_config(ctrl)
        self.assigned_controllers[i] = ctrl
        self._refuse_sumo(i, ctrl)
        self.record("AssignControllerAction", self.table.names[i], m.controller or "")
        if activate_longitudinal or activate_lateral:
            self.activate_controller(i, activate_longitudinal, activate_lateral)

    def activate_controller(self, i: int, longitudinal: bool, lateral: bool) -> None:
        """ActivateControllerAction: model-driven when the model controls the longitudinal
        domain; MOBIL lane changes only when it controls the lateral domain as well."""
        m = self.controller.motions[i]
        on = longitudinal or lateral
        config = self.driver_configs.get(i)
        if on and config is None:
            if self._system_under_test(i):
                self._note_system_under_test(i)
            else:
                self._refuse_esmini_controller(i)
        m.controller_active = on
        if self.model_traffic is not None and config is not None:
            if on:
                if self.table.kinds[i].value != "vehicle":
                    raise ScenarioError(f"driver model controller on {self.table.names[i]!r}: "
                                        "driver models drive vehicles only")
                self.model_traffic.add(i, config, lane_changes=lateral)
            else:
                self.model_traffic.remove(i)
        self.record("ActivateControllerAction", self.table.names[i],
                    f"longitudinal={'on' if longitudinal else 'off'} lateral={'on' if lateral else 'off'}")

    def _system_under_test(self, i: int) -> bool:
        from simplatform.engine.controllers import stands_for_system_under_test

        return stands_for_system_under_test(self.assigned_controllers.get(i), self.table.names[i] == self.ego)

    def _note_system_under_test(self, i: int) -> None:
        """Record that the ego's activated controller was taken as the system under test
        (controllers.stands_for_system_under_test) and who drives the ego now.  An activation
        in Init is noted at the first step: the runner hands the ego to a stack after Init."""
        if self._initialising:
            self._sut_pending.append(i)
            return
        from simplatform.engine.controllers import system_under_test_note

        name = self.table.names[i]
        self.record("SystemUnderTestController", name, system_under_test_note(
            self.assigned_controllers[i], name, stack_drives=self.controller.motions[i].mode == "external"))

    def _refuse_sumo(self, i: int, ctrl) -> None:
        """esmini's SumoController acts once assigned (no activation: its example puts it in an
        ObjectController): it co-simulates the SUMO traffic its <File> configures."""
        from simplatform.engine.controllers import esmini_builtin

        if esmini_builtin(ctrl) == "SumoController":
            src = ctrl.source
            raise ScenarioError(
                f"controller {ctrl.name!r} of {self.table.names[i]!r} is esmini's SumoController: it needs an "
                "external SUMO process co-simulating the traffic of its configuration file, which this simulator "
                "does not run", file=src.file, line=src.line, element=src.element or "Controller")

    def _refuse_esmini_controller(self, i: int) -> None:
        from simplatform.engine.controllers import esmini_builtin

        ctrl = self.assigned_controllers.get(i)
        kind = esmini_builtin(ctrl)
        if kind is None:
            return
        src = ctrl.source
        raise ScenarioError(
            f"controller {ctrl.name!r} (esmini's built-in {kind}) is activated on {self.table.names[i]!r}: "
            "its behaviour is esmini's own code, which this simulator does not have (give the controller "
            "driver-model properties such as model=idm, desiredSpeed, timeHeadway, or leave it inactive; "
            "only a controller without properties on the ego is taken as the system under test)",
            file=src.file, line=src.line, element=src.element or "Controller")

    def override_controller_values(self, i: int, values: dict) -> None:
        if self.model_traffic is not None:
            self.model_traffic.set_override(i, values)

    def shift_along(self, i: int, distance: float) -> None:
        """Move an entity along its lane (LongitudinalDistanceAction without constraints)."""
        m = self.controller.motions[i]
        if m.cursor is not None and m.mode == "lane":
            self.road.advance(m.cursor, distance, legs=self.controller.legs.get(i))
            x, y, z, h, p, r = self.road.cursor_pose(m.cursor)
            t = self.table
            t.x[i], t.y[i], t.z[i], t.heading[i] = x, y, z, h
            self.controller.update_lane(i)
        else:
            t = self.table
            t.x[i] += distance * math.cos(t.heading[i])
            t.y[i] += distance * math.sin(t.heading[i])

    # ------------------------------------------------------------- run loop
    def initialise(self) -> None:
        """Init actions (global first, then private per entity), then the storyboard starts."""
        self._initialising = True
        try:
            self._initialise()
        finally:
            self._initialising = False

    def _initialise(self) -> None:
        init = self.scenario.storyboard.init.actions
        from simplatform.engine.controllers import object_controller_of

        for obj in self.scenario.entities.scenario_objects:
            ctrl = object_controller_of(obj)
            if ctrl is not None:
                # an ObjectController is assigned and active from the start (esmini does the same)
                self.assign_controller(self.table.index[obj.name], ctrl, False, False)
        deferred = [i for i in self.driver_configs]
        privates = [(p.entity_ref, a) for p in init.privates for a in p.private_actions]
        self.unplaced = set(self.table.names) - {e for e, a in privates if a.teleport_action is not None}
        adds = []
        for g in init.global_actions:
            added = add_entity_of(g.choice)
            if added is not None:  # placed in reference order with the teleports (order_init_placements)
                adds.append((*added, g.choice))
            else:
                GlobalRunner(self, g.choice).start(self, ())
        for u in init.user_defined_actions:
            GlobalRunner(self, u).start(self, ())
        # positions first: speed/relative actions may refer to other entities' places
        for kind, item in order_init_placements(adds, privates):  # each after those its position refers to
            if kind == "global":
                GlobalRunner(self, item).start(self, ())
                continue
            entity, action = item
            self.entity_index(entity, action)
            runner = PrivateActionRunner(self, action)
            if not runner.start(self, (entity,)):
                self._init_runners.append(runner)
        # An entity that Init leaves unplaced and that a story adds later is not in the scenario until
        # then (esmini: "Added entity Car2" at 3 s); it stood at the origin, a box to collide with.
        for name in self.unplaced & storyboard_added_entities(self.scenario.storyboard):
            self.table.set_active(self.table.index[name], False)
        self.unplaced = set()
        for i in deferred:  # activated after Init placed the entity and set its speed
            if not self.controller.motions[i].controller_active and self.driver_configs.get(i) is not None:
                self.activate_controller(i, True, True)
        self.controller.remember()
        self.controller.derive(self.dt, 0.0)
        self._update_collisions()
        self.storyboard.begin(self)
        self._snapshot = None

    def step(self) -> None:
        """One step; the phases are methods so :mod:`batch` can run many engines' steps in
        lockstep with the default controller's phases of all of them done at once."""
        self.controller.remember()
        self.step_storyboard()
        self.controller.step(self.dt, self.time, self.locate_every, self.step_index)
        self.step_others()
        self.controller.derive(self.dt, self.time)
        self._update_collisions()

    def step_storyboard(self) -> None:
        """Triggers at t, state transitions, running actions advanced by dt; time becomes t + dt."""
        dt = self.dt
        self._snapshot = None
        if self._sut_pending:
            pending, self._sut_pending = self._sut_pending, []
            for i in pending:
                self._note_system_under_test(i)
        self.storyboard.evaluate(self, self.time, self.step_index)
        if self._init_runners:
            self._init_runners = [r for r in self._init_runners if not r.step(self, dt)]
        self.storyboard.step_actions(self, dt)
        self.step_index += 1
        self.time = self.step_index * dt

    def step_others(self) -> None:
        """What moves after the default controller: model-driven traffic, the driven ego, traffic
        actions, signal controller phases."""
        dt = self.dt
        if self.model_traffic is not None:
            self.model_traffic.step(dt)
        if self.driven is not None:
            self.driven.step(dt)
        if self.traffic is not None:
            self.traffic.step(dt)
        if self._signal_controllers:
            self._step_signal_controllers()

    def _update_collisions(self) -> None:
        """Collisions are computed when a CollisionCondition or a consumer needs them
        (``need_collisions``); ``snapshot()`` always computes them."""
        if not self.need_collisions:
            self._collisions_step = -1
            return
        self._compute_collisions()

    def _compute_collisions(self) -> None:
        """The pairs of active entities whose boxes overlap, in one compiled call on the table's
        columns (``collision_kernels.table_pairs_kernel``: the same pairs, in the same order, as
        ``overlapping_pairs`` on the gathered active rows' box centres)."""
        self._collisions_step = self.step_index
        t = self.table
        n = len(t)
        buf = self._pair_buffer
        if buf.shape[0] < n * (n - 1) // 2:
            buf = self._pair_buffer = np.empty((n * (n - 1) // 2, 2), dtype=np.int64)
        count = table_pairs_kernel(t.x, t.y, t.heading, t.bbox_center_x, t.bbox_center_y, t.length, t.width,
                                   t.active, buf)
        if not count and not self.collisions:
            return
        names = t.names
        rows = buf[:count].tolist()
        made = self._collision_rows
        if made is not None and made[0] is names and made[1] == rows:
            # the same pairs as last time (a contact lasts many steps): the same tuple and set, so
            # that the snapshots of a contact share them (the metrics hold up to 1,000 snapshots,
            # each fresh tuple one more GC-tracked container; issue #7)
            return
        self._collision_rows = (names, rows)
        self.collisions = tuple((names[a], names[b]) for a, b in rows)
        self.collision_set = set(self.collisions)
        self.table.bump_shared()

    def snapshot(self):
        """The frozen world now; built once per step (the sensors, the metrics and the backend
        all ask for it), rebuilt after ``step`` or ``initialise``.

        Its ``shared_version`` (``WorldSnapshot.shared_version``, the table's one counter) is
        bumped where each shared field is made anew, not found by comparing: ``collisions`` in
        ``_compute_collisions``, the signals' copy here, the environment's copy in
        ``EnvironmentState.snapshot_values`` (``on_copy``), the table's own fields in
        ``EntityTable``.  Why there: each of those places already knows it made another object, so
        the version costs the engine one attribute read and one dict entry a snapshot (~1,300
        instructions, ~0.1 µs), where a consumer comparing the twelve fields' identities paid
        ~0.15–0.35 µs a step (issue #7)."""
        cached = self._snapshot
        if cached is not None and cached.step == self.step_index and cached.time == self.time:
            return cached
        if self._collisions_step != self.step_index:
            self._compute_collisions()
        if self._signals_copy is None or self._signals_copy != self.signals:  # states change at phase ends only
            self._signals_copy = dict(self.signals)
            self.table.bump_shared()
        snap = self.table.snapshot(self.time, self.step_index, signals=self._signals_copy,
                                   collisions=self.collisions,
                                   environment=self.environment_state.snapshot_values(self.time))
        self._snapshot = snap
        return snap
