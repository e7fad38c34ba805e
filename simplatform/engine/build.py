"""From the loaded Scenario model to the engine's runtime objects.

Entities → :class:`EntitySpec` rows (BoundingBox, Performance, Axles);
Storyboard → the :mod:`storyboard` element tree with compiled triggers and
action runners.  Nothing here runs; errors name the element they come from.
"""

from __future__ import annotations

from simplatform.engine import actions_appearance as appearance
from simplatform.engine import actions_controller as controller
from simplatform.engine import actions_lateral as lat
from simplatform.engine import actions_longitudinal as lon
from simplatform.engine import actions_routing as routing
from simplatform.engine.actions_global import GlobalRunner
from simplatform.engine.actions_synchronize import SynchronizeRunner
from simplatform.engine.actions_trajectory import FollowTrajectoryRunner
from simplatform.engine.conditions import compile_entity_condition, compile_value_condition
from simplatform.engine.entities import EntitySpec
from simplatform.engine.storyboard import Element
from simplatform.engine.triggers import ConditionRuntime, TriggerRuntime
from simplatform.errors import InputError, ScenarioError
from simplatform.openscenario.checks import CARLA_CRITERIA_PREFIX
from simplatform.world import EntityKind


def entity_specs(scenario, ego_name: str | None) -> list[EntitySpec]:
    specs = []
    for obj in scenario.entities.scenario_objects:
        body = scenario.entity_object(obj.name)
        kind = type(body).__name__
        if kind == "Vehicle":
            ek, cat = EntityKind.VEHICLE, str(body.vehicle_category)
            trailer = getattr(body, "trailer", None)
            if trailer is not None:  # 1.3 Vehicle/Trailer (or esmini's form with a reference)
                src = trailer.source
                raise ScenarioError(f"vehicle {obj.name!r} tows a trailer: {_REFUSED['TrailerAction']}",
                                    file=src.file, line=src.line, element=src.element or "Trailer")
        elif kind == "Pedestrian":
            ek, cat = EntityKind.PEDESTRIAN, str(body.pedestrian_category)
        elif kind == "MiscObject":
            ek, cat = EntityKind.MISC_OBJECT, str(body.misc_object_category)
        else:
            ek, cat = EntityKind.VEHICLE, "car"
        bb = getattr(body, "bounding_box", None)
        dims = bb.dimensions if bb is not None else None
        cen = bb.center if bb is not None else None
        perf = getattr(body, "performance", None)
        axles = getattr(body, "axles", None)
        wheelbase = 2.7
        front = rear = None
        if axles is not None and axles.front_axle is not None:
            wheelbase = max(axles.front_axle.position_x - axles.rear_axle.position_x, 0.1)
            front, rear = _axle(axles.front_axle), _axle(axles.rear_axle)
        mass = getattr(body, "mass", None)
        specs.append(EntitySpec(
            name=obj.name, kind=ek, category=cat,
            length=dims.length if dims else 4.5, width=dims.width if dims else 1.8, height=dims.height if dims else 1.5,
            center_x=cen.x if cen else 0.0, center_y=cen.y if cen else 0.0, center_z=cen.z if cen else 0.0,
            max_speed=perf.max_speed if perf else (10.0 if ek is EntityKind.PEDESTRIAN else 70.0),
            max_acceleration=perf.max_acceleration if perf else 5.0,
            max_deceleration=perf.max_deceleration if perf else 10.0,
            wheelbase=wheelbase,
            is_ego=obj.name == ego_name,
            mass=float(mass) if mass else None,
            front_axle=front, rear_axle=rear,
        ))
    return specs


def _axle(a) -> tuple[float, float, float, float, float]:
    return (float(a.max_steering), float(a.wheel_diameter), float(a.track_width), float(a.position_x),
            float(a.position_z))


def guess_ego(scenario) -> str | None:
    """The ego, by a documented rule: (1) ``RunConfig.ego`` / ``TestConfig.ego`` (from Python, ``--ego``
    or the launch key ``ego:``; checked by the engine); else (2) an entity named ego / hero / egovehicle / ego_vehicle in any case
    (esmini's and CARLA ScenarioRunner's conventions), the first such in file order;
    else (3) the first Vehicle in file order; else (4) the first entity; None without entities."""
    objs = list(scenario.entities.scenario_objects)
    for o in objs:
        if o.name.lower() in ("ego", "hero", "egovehicle", "ego_vehicle"):
            return o.name
    for o in objs:
        if type(scenario.entity_object(o.name)).__name__ == "Vehicle":
            return o.name
    return objs[0].name if objs else None


def _watches_a_transition(c) -> bool:
    """Whether ``c`` watches a storyboard element's transition (a StoryboardElementStateCondition on
    start/end/stop/skipTransition).  A transition is an instant, reported true for the step it happens in and
    the next (``conditions``), so a trigger armed in the step its element ends would first read it true and
    never see the false before it that a rising edge needs; the transition cannot have happened before the
    trigger was armed in a way it should miss, so its edge memory starts false (esmini fires such events)."""
    by_value = c.by_value_condition
    cond = getattr(by_value, "storyboard_element_state_condition", None) if by_value is not None else None
    return cond is not None and str(cond.state).endswith("Transition")


def carla_criterion(trig, c) -> str | None:
    """The CARLA ScenarioRunner evaluation criterion ``c`` of ``trig`` stands for (``CollisionTest``...), else None.

    ScenarioRunner (srunner/scenarios/open_scenario.py, ``_create_test_criteria``) takes every
    condition named ``criteria_<Test>`` in a StopTrigger as its test ``<Test>``, never as a stop
    condition; its ParameterCondition names a parameter no file declares ("" or the test's argument,
    ``distance_success``), so evaluated as written it could only fail.  The same conditions are
    exempt from the loader's reference check (openscenario.checks) and are the requirements a run
    with a stack scores (metrics/xosc_criteria.py); in a StartTrigger such a name means nothing."""
    name = c.name or ""
    by_value = c.by_value_condition
    cond = getattr(by_value, "parameter_condition", None) if by_value is not None else None
    if not name.startswith(CARLA_CRITERIA_PREFIX) or cond is None or trig.source.element != "StopTrigger":
        return None
    return name[len(CARLA_CRITERIA_PREFIX):]


def compile_trigger(engine, trig) -> TriggerRuntime | None:
    """The runtime of a Start/StopTrigger; None without one.

    A trigger without condition groups is no trigger: it can never fire, and it is how 1.0-1.2 files,
    whose Storyboard requires a StopTrigger, say there is none (``<StopTrigger/>`` in CARLA
    ScenarioRunner's examples) -- so such a run ends when its stories do, not at the time limit.
    CARLA criteria (``carla_criterion``) are left out and recorded as not evaluated; a trigger made of
    nothing else is no trigger either (ScenarioRunner's storyboard ends when its stories do)."""
    if trig is None or not trig.condition_groups:
        return None
    groups = []
    criteria: list[str] = []
    for group in trig.condition_groups:
        conds = []
        for c in group.conditions:
            test = carla_criterion(trig, c)
            if test is not None:
                criteria.append(f"{test} (line {c.source.line})")
                continue
            if c.by_entity_condition is not None:
                check = compile_entity_condition(engine, c.by_entity_condition)
            elif c.by_value_condition is not None:
                check = compile_value_condition(engine, c.by_value_condition)
            else:
                raise ScenarioError("a Condition without ByEntityCondition or ByValueCondition",
                                    file=c.source.file, line=c.source.line, element="Condition")
            conds.append(ConditionRuntime(c.name, str(c.condition_edge), float(c.delay or 0.0), check,
                                          known_false=_watches_a_transition(c)))
        if conds or not group.conditions:
            groups.append(conds)
    if criteria:
        where = f"the {trig.source.element or 'StopTrigger'} at line {trig.source.line}"
        engine.record("CarlaCriterion", "", f"not applied: CARLA ScenarioRunner's evaluation criteria "
                      f"{', '.join(criteria)} of {where} are no conditions here and stop nothing (a run with a "
                      "stack scores them as requirements, metrics/xosc_criteria.py)")
    if trig.condition_groups and not groups:
        return None
    return TriggerRuntime(groups)


_PRIVATE = {
    "SpeedAction": lon.SpeedRunner,
    "SpeedProfileAction": lon.SpeedProfileRunner,
    "LongitudinalDistanceAction": lon.LongitudinalDistanceRunner,
    "LaneChangeAction": lat.LaneChangeRunner,
    "LaneOffsetAction": lat.LaneOffsetRunner,
    "LateralDistanceAction": lat.LateralDistanceRunner,
    "TeleportAction": lat.TeleportRunner,
    "SynchronizeAction": SynchronizeRunner,
    "FollowTrajectoryAction": FollowTrajectoryRunner,
    "AssignRouteAction": routing.AssignRouteRunner,
    "AcquirePositionAction": routing.AcquirePositionRunner,
    "RandomRouteAction": appearance.RecordRunner,
    "VisibilityAction": appearance.VisibilityRunner,
    "ControllerAction": controller.ControllerRunner,
    "ActivateControllerAction": controller.ControllerRunner,
    "AppearanceAction": appearance.RecordRunner,
}

# Actions the engine refuses rather than run silently wrong.  Trailers (1.3, 7.4.1.3 "Trailer
# actions"; ASAM's TrailerConnect.xosc): the engine has no articulated model, so a connected
# trailer would stay where it stands while its tractor drove on, and the storyboard's later
# conditions would judge a world that is not the one the file describes.
_REFUSED = {
    "TrailerAction": "connecting and disconnecting trailers is not modelled here (a connected trailer "
                     "would stay where it stands while its tractor drives on)",
}


def private_leaf(private_action):
    """The concrete action element inside a PrivateAction (through the category wrappers)."""
    el = private_action.choice
    if el is None:
        raise ScenarioError("an empty PrivateAction", file=private_action.source.file,
                            line=private_action.source.line, element="PrivateAction")
    name = type(el).__name__
    if name in ("LongitudinalAction", "LateralAction", "RoutingAction"):
        inner = el.choice
        if inner is None:
            raise ScenarioError(f"an empty {name}", file=el.source.file, line=el.source.line, element=name)
        return inner
    return el


class located:
    """Input errors raised while an action runs (a road-model query off the map, a bad
    controller property) get the action's file, line and element when they have none:
    they stem from the scenario, so they are exit 2, never an internal error."""

    def __init__(self, el) -> None:
        self.el = el

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> bool:
        if exc is None or not isinstance(exc, InputError) or exc.location.file is not None:
            return False
        src = getattr(self.el, "source", None)
        raise ScenarioError(exc.cause, file=getattr(src, "file", None), line=getattr(src, "line", None),
                            element=getattr(src, "element", None) or type(self.el).__name__) from None


class PrivateActionRunner:
    """One OpenSCENARIO private action applied to each actor; done when all actors are."""

    def __init__(self, engine, private_action) -> None:
        self.engine = engine
        self.leaf = private_leaf(private_action)
        refused = _REFUSED.get(type(self.leaf).__name__)
        if refused is not None:
            raise ScenarioError(f"{type(self.leaf).__name__}: {refused}", file=self.leaf.source.file,
                                line=self.leaf.source.line, element=type(self.leaf).__name__)
        cls = _PRIVATE.get(type(self.leaf).__name__)
        if cls is None:
            raise ScenarioError(f"{type(self.leaf).__name__} is not supported", file=self.leaf.source.file,
                                line=self.leaf.source.line, element=type(self.leaf).__name__)
        self.cls = cls
        self.parts: list = []

    def start(self, engine, actors) -> bool:
        self.parts = []
        with located(self.leaf):
            for actor in actors:
                engine.entity_index(actor, self.leaf)
                part = self.cls(engine, actor, self.leaf)
                engine.claim(part, self)
                if not part.start():
                    self.parts.append(part)
                else:
                    engine.release(part)
        return not self.parts

    def step(self, engine, dt: float) -> bool:
        still = []
        with located(self.leaf):
            for part in self.parts:
                if part.done:
                    continue
                if part.step(dt):
                    engine.release(part)
                else:
                    still.append(part)
        self.parts = still
        return not still

    def stop(self, engine) -> None:
        for part in self.parts:
            part.stop()
            engine.release(part)
        self.parts = []


def action_runner(engine, action):
    if action.private_action is not None:
        return PrivateActionRunner(engine, action.private_action)
    if action.global_action is not None:
        g = action.global_action.choice
        if g is None:
            raise ScenarioError("an empty GlobalAction", file=action.source.file, line=action.source.line, element="GlobalAction")
        return GlobalRunner(engine, g)
    if action.user_defined_action is not None:
        return GlobalRunner(engine, action.user_defined_action)
    return EmptyActionRunner(action)


class EmptyActionRunner:
    """An Action with no content (CARLA ScenarioRunner's placeholder ``<Action name="DummyManeuver"/>``,
    which the loader accepts, binder.EMPTY_CHOICE_ALLOWED): it does nothing and ends at once, as
    ScenarioRunner's ``Idle(duration=0)`` does; the run's notes say so when it starts."""

    def __init__(self, action) -> None:
        self.action = action

    def start(self, engine, actors: tuple[str, ...]) -> bool:
        engine.record("EmptyAction", ", ".join(actors), f"not applied: action {self.action.name!r} (line "
                      f"{self.action.source.line}) has no content; it does nothing and ends at once")
        return True

    def step(self, engine, dt: float) -> bool:
        return True

    def stop(self, engine) -> None:
        return None


def build_stories(engine, storyboard) -> list[Element]:
    stories = []
    for story in storyboard.stories:
        s_el = Element(story.name, "Story")
        for act in story.acts:
            a_el = Element(act.name, "Act", start_trigger=compile_trigger(engine, act.start_trigger),
                           stop_trigger=compile_trigger(engine, act.stop_trigger))
            for mg in act.maneuver_groups:
                actors = tuple(r.entity_ref for r in mg.actors.entity_refs)
                for a in actors:
                    engine.entity_index(a, mg.actors)
                mg_el = Element(mg.name, "ManeuverGroup", maximum_execution_count=int(mg.maximum_execution_count or 1),
                                actors=actors, select_triggering_entities=bool(mg.actors.select_triggering_entities))
                maneuvers = list(mg.maneuvers) + [getattr(r, "resolved", None) for r in mg.catalog_references]
                for man in maneuvers:
                    if man is None:
                        continue
                    m_el = Element(man.name, "Maneuver")
                    for ev in man.events:
                        e_el = Element(ev.name, "Event", start_trigger=compile_trigger(engine, ev.start_trigger),
                                       maximum_execution_count=int(ev.maximum_execution_count or 1),
                                       priority=str(ev.priority))
                        for act_el in ev.actions:
                            e_el.children.append(Element(act_el.name, "Action", runner=action_runner(engine, act_el)))
                        m_el.children.append(e_el)
                    mg_el.children.append(m_el)
                a_el.children.append(mg_el)
            s_el.children.append(a_el)
        stories.append(s_el)
    return stories
