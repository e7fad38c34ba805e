"""Condition checks: each OpenSCENARIO condition compiled to a closure ``check(engine)``.

ASAM OpenSCENARIO 1.x §7.6 (ByEntityCondition, ByValueCondition).  An entity
condition is tested per triggering entity and combined by
``triggeringEntitiesRule`` (any/all); the returned names are the triggering
entities (for ``selectTriggeringEntities``).  Durations (EndOfRoad, Offroad,
StandStill) count from the moment the state began, kept by the default
controller.  Freespace and coordinate systems go through
:mod:`simplatform.engine.measure`.
"""

from __future__ import annotations

import math

from simplatform.engine.measure import relative_distance, time_headway, time_to_collision
from simplatform.engine.positions import PositionResolver
from simplatform.engine.triggers import comparator, entity_rule
from simplatform.errors import ScenarioError


def _err(el, cause: str) -> ScenarioError:
    s = el.source
    return ScenarioError(cause, file=s.file, line=s.line, element=s.element or type(el).__name__)


def _value(v):
    """Parameter/variable values compare as numbers when both sides are numbers."""
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return float(v)
    s = str(v)
    if s.lower() in ("true", "false"):
        return s.lower() == "true"
    try:
        return float(s)
    except ValueError:
        return s


def _compare(rule, a, b) -> bool:
    a, b = _value(a), _value(b)
    if isinstance(a, str) or isinstance(b, str):
        a, b = str(a), str(b)
        r = str(rule)
        return a == b if r == "equalTo" else a != b if r == "notEqualTo" else False
    return comparator(str(rule))(a, b)


def _directional(t, i: int, direction, kind: str) -> float:
    """Speed/acceleration with an optional DirectionalDimension (1.2): longitudinal, lateral, vertical."""
    if kind == "speed":
        if direction is None:
            return float(t.speed[i])
        vx, vy = t.vx[i], t.vy[i]
    else:
        if direction is None:
            c, s = math.cos(t.heading[i]), math.sin(t.heading[i])
            return float(t.ax[i] * c + t.ay[i] * s)
        vx, vy = t.ax[i], t.ay[i]
    c, s = math.cos(t.heading[i]), math.sin(t.heading[i])
    d = str(direction)
    if d == "longitudinal":
        return float(vx * c + vy * s)
    if d == "lateral":
        return float(-vx * s + vy * c)
    return 0.0


def _relative_directional(t, i: int, ref: int, direction) -> float:
    """RelativeSpeedCondition@direction (1.2): the relative velocity (triggering minus reference) projected on
    the triggering entity's axes, as the standard words it ("with the triggering entity as the reference").
    Each entity's own speed projected on its own heading (before) made the lateral relative speed of two cars
    that do not slip always 0 and the longitudinal one the plain speed difference, whatever their headings."""
    d = str(direction)
    if d not in ("longitudinal", "lateral"):
        return 0.0  # vertical: the engine moves in the plane
    dvx, dvy = t.vx[i] - t.vx[ref], t.vy[i] - t.vy[ref]
    c, s = math.cos(t.heading[i]), math.sin(t.heading[i])
    return float(dvx * c + dvy * s) if d == "longitudinal" else float(-dvx * s + dvy * c)


def compile_entity_condition(engine, by_entity):
    te = by_entity.triggering_entities
    rule = str(te.triggering_entities_rule)
    names = tuple(r.entity_ref for r in te.entity_refs)
    idx = [engine.entity_index(n, te) for n in names]
    cond = by_entity.entity_condition.choice
    kind = type(cond).__name__
    t = engine.table
    test = _entity_test(engine, kind, cond)

    if len(idx) == 1 and kind == "TraveledDistanceCondition":
        # the commonest condition of a long route, tested every step: the threshold is a constant of
        # the (frozen) element, the odometer read as a Python float (the same comparison)
        i0, hit, threshold = idx[0], names, cond.value - 1e-9

        def check_distance(eng) -> tuple[bool, tuple[str, ...]]:
            if t.active[i0] and t.odometer.item(i0) >= threshold:
                return True, hit
            return False, ()

        return check_distance
    if len(idx) == 1:  # the usual case: entity_rule's answer for one entity, without the lists
        i0, hit = idx[0], names

        def check_one(eng) -> tuple[bool, tuple[str, ...]]:
            if t.active[i0] and test(i0):
                return True, hit
            return False, ()

        return check_one

    def check(eng) -> tuple[bool, tuple[str, ...]]:
        results = [bool(t.active[i]) and test(i) for i in idx]
        return entity_rule(rule, results, names)

    return check


def _entity_test(engine, kind: str, c):
    t = engine.table
    motions = engine.controller.motions
    if kind == "EndOfRoadCondition":
        return lambda i: motions[i].end_of_road and engine.time - motions[i].end_of_road_since >= c.duration - 1e-9
    if kind == "OffroadCondition":
        return lambda i: motions[i].offroad_since >= 0 and engine.time - motions[i].offroad_since >= c.duration - 1e-9
    if kind == "StandStillCondition":
        return lambda i: motions[i].standstill_since >= 0 and engine.time - motions[i].standstill_since >= c.duration - 1e-9
    if kind == "CollisionCondition":
        engine.need_collisions = True
        if c.entity_ref is not None:
            other = c.entity_ref.entity_ref
            return lambda i: (t.names[i], other) in engine.collision_set or (other, t.names[i]) in engine.collision_set
        bt = c.by_type.type
        wanted = getattr(bt, "value", str(bt))
        return lambda i: any(
            (a == t.names[i] and engine.object_type(b) == wanted) or (b == t.names[i] and engine.object_type(a) == wanted)
            for a, b in engine.collision_set
        )
    if kind == "SpeedCondition":
        cmp = comparator(str(c.rule))
        return lambda i: cmp(_directional(t, i, c.direction, "speed"), c.value)
    if kind == "AccelerationCondition":
        cmp = comparator(str(c.rule))
        return lambda i: cmp(_directional(t, i, c.direction, "acc"), c.value)
    if kind == "RelativeSpeedCondition":
        cmp = comparator(str(c.rule))
        ref = engine.entity_index(c.entity_ref, c)
        if c.direction is None:
            return lambda i: cmp(float(t.speed[i]) - float(t.speed[ref]), c.value)
        return lambda i: cmp(_relative_directional(t, i, ref, c.direction), c.value)
    if kind == "TraveledDistanceCondition":
        return lambda i: t.odometer[i] >= c.value - 1e-9
    if kind == "ReachPositionCondition":
        pos = c.position
        return lambda i: math.hypot(*_xy_minus(engine.positions.resolve(pos, t.names[i]), t, i)) <= c.tolerance
    if kind == "DistanceCondition":
        cmp = comparator(str(c.rule))
        rdt = str(c.relative_distance_type) if c.relative_distance_type is not None else "euclidianDistance"

        # a position naming no entity resolves to the same pose every time (PositionResolver.STATIC,
        # cached there for the run): kept here after its first resolution
        static = type(c.position.choice).__name__ in PositionResolver.STATIC
        resolved: list = []

        def dist(i):
            if resolved:
                p = resolved[0]
            else:
                p = engine.positions.resolve(c.position, t.names[i])
                if static:
                    resolved.append(p)
            if rdt in ("euclidianDistance", "cartesianDistance", "euclideanDistance"):
                return _point_distance(t, i, p, c.freespace)
            h = float(t.heading[i])
            dx, dy = p.x - t.x[i], p.y - t.y[i]
            d = dx * math.cos(h) + dy * math.sin(h) if rdt == "longitudinal" else -dx * math.sin(h) + dy * math.cos(h)
            if c.freespace:  # from the box's face: the box centre is offset from the reference point
                if rdt == "longitudinal":
                    return max(abs(d - float(t.bbox_center_x[i])) - 0.5 * float(t.length[i]), 0.0)
                return max(abs(d - float(t.bbox_center_y[i])) - 0.5 * float(t.width[i]), 0.0)
            return abs(d)

        return lambda i: cmp(dist(i), c.value)
    if kind == "RelativeDistanceCondition":
        cmp = comparator(str(c.rule))
        ref = engine.entity_index(c.entity_ref, c)
        rdt = str(c.relative_distance_type)
        return lambda i: cmp(abs(relative_distance(engine, i, ref, rdt, c.freespace, c.coordinate_system)), c.value)
    if kind == "TimeHeadwayCondition":
        cmp = comparator(str(c.rule))
        ref = engine.entity_index(c.entity_ref, c)
        rdt_thw = str(c.relative_distance_type or "longitudinal")

        def headway_ok(i):
            # Time headway is the time the triggering entity needs to reach the reference
            # entity: undefined (the condition is false, whatever its rule) while the reference
            # is behind or the triggering entity stands, as esmini evaluates it.  Comparing the
            # stand-in infinity instead made "greaterThan" true at once, so esmini's cut-in.xosc
            # changed lane at t = 0 with the overtaker still 25 m behind.
            h = time_headway(engine, i, ref, c.freespace, c.coordinate_system, rdt_thw)
            return math.isfinite(h) and cmp(h, c.value)

        return headway_ok
    if kind == "TimeToCollisionCondition":
        cmp = comparator(str(c.rule))
        target = c.time_to_collision_condition_target
        if target.entity_ref is not None:
            ref = engine.entity_index(target.entity_ref.entity_ref, target)
            return lambda i: cmp(time_to_collision(engine, i, ref, None, c.freespace, c.coordinate_system,
                                                   str(c.relative_distance_type or "longitudinal")), c.value)

        def ttc_point(i):
            p = engine.positions.resolve(target.position, t.names[i])
            return time_to_collision(engine, i, None, (p.x, p.y), c.freespace)

        return lambda i: cmp(ttc_point(i), c.value)
    if kind == "AngleCondition":
        return lambda i: _angle_ok(engine, i, None, c)
    if kind == "RelativeAngleCondition":
        ref = engine.entity_index(c.entity_ref, c)
        return lambda i: _angle_ok(engine, i, ref, c)
    if kind == "RelativeClearanceCondition":
        return lambda i: _clearance(engine, i, c)
    raise _err(c, f"{kind} is not supported")


def _xy_minus(p, t, i):
    return p.x - t.x[i], p.y - t.y[i]


def _point_distance(t, i, p, freespace: bool) -> float:
    """Reference point to point, or (freespace) the point's distance from the entity's bounding box."""
    if not freespace:
        return math.hypot(p.x - t.x[i], p.y - t.y[i])
    h = float(t.heading[i])
    c, s = math.cos(h), math.sin(h)
    dx, dy = p.x - t.x[i], p.y - t.y[i]
    lx = dx * c + dy * s - float(t.bbox_center_x[i])
    ly = -dx * s + dy * c - float(t.bbox_center_y[i])
    return math.hypot(max(abs(lx) - 0.5 * float(t.length[i]), 0.0), max(abs(ly) - 0.5 * float(t.width[i]), 0.0))


def _frame_angles(engine, i: int, system: str | None) -> tuple[float, float, float] | None:
    """(heading, pitch, roll) of the frame an AngleCondition measures in at entity ``i`` (OSC 1.3
    CoordinateSystem, relating to the triggering entity): world/entity (None) zeros; road and lane
    the surface of the entity's lane at its place; trajectory the path the entity is following at its
    place along it -- None (the condition is false) off the road, or on no trajectory.  Before
    session 11 'trajectory' was read as world (esmini's Unittest angle_condition.xosc waits for a
    heading relative to the trajectory being followed: it fired before any trajectory had started),
    and pitch and roll were always world angles."""
    if system in ("road", "lane"):
        if engine.table.lane_road[i] is None:
            return None
        _, _, _, h, p, r = engine.road.cursor_pose(engine.controller.motions[i].cursor)
        return h, p, r
    if system == "trajectory":
        from simplatform.engine.actions_trajectory import FollowTrajectoryRunner

        owner = engine._owners.get((i, "lateral"))
        part = owner[0] if owner is not None else None
        if not isinstance(part, FollowTrajectoryRunner) or getattr(part, "path", None) is None:
            return None
        s = part.follower.progress if part.follower is not None else part.s
        h = part.path.pose_at(s)[3]
        return (h + math.pi if part.reverse else h), 0.0, 0.0
    return 0.0, 0.0, 0.0


def _angle_ok(engine, i: int, ref: int | None, c) -> bool:
    t = engine.table
    at = str(c.angle_type)
    if ref is not None:
        frame = (float(t.heading[ref]), float(t.pitch[ref]), float(t.roll[ref]))
    else:
        frame = _frame_angles(engine, i, str(c.coordinate_system) if c.coordinate_system is not None else None)
        if frame is None:
            return False
    if at == "heading":
        a = float(t.heading[i]) - frame[0]
    elif at == "pitch":
        a = float(t.pitch[i]) - frame[1]
    else:
        a = float(t.roll[i]) - frame[2]
    diff = (a - c.angle + math.pi) % (2 * math.pi) - math.pi
    return abs(diff) <= c.angle_tolerance


def _clearance(engine, i: int, c) -> bool:
    """True when no (listed) entity is inside the given relative lanes and distances (1.2)."""
    t = engine.table
    road = t.lane_road[i]
    if road is None:
        return False
    lane = int(t.lane_id[i])
    ranges = [(r.from_ if r.from_ is not None else -99, r.to if r.to is not None else 99) for r in c.relative_lane_ranges] or [(-99, 99)]
    fwd = c.distance_forward if c.distance_forward is not None else 0.0
    back = c.distance_backward if c.distance_backward is not None else 0.0
    only = {engine.entity_index(r.entity_ref, r) for r in c.entity_refs} if c.entity_refs else None
    direction = engine.road.direction(road, lane)
    for j in range(len(t.names)):
        if j == i or not t.active[j] or t.lane_road[j] != road or (only is not None and j not in only):
            continue
        lj = int(t.lane_id[j])
        if (lj > 0) != (lane > 0) and not c.opposite_lanes:
            continue
        rel = (lj - lane) * direction
        if lane * lj < 0:
            rel -= direction if lj > lane else -direction
        if not any(a <= rel <= b for a, b in ranges):
            continue
        ds = (t.lane_s[j] - t.lane_s[i]) * direction
        if c.free_space:
            half = (t.length[i] + t.length[j]) / 2
            ds = math.copysign(max(abs(ds) - half, 0.0), ds)
        if -back <= ds <= fwd:
            return False
    return True


def compile_value_condition(engine, by_value):
    c = by_value.choice
    kind = type(c).__name__
    if kind == "SimulationTimeCondition":
        cmp = comparator(str(c.rule))
        value = c.value

        def sim_time(eng) -> tuple[bool, tuple[str, ...]]:
            # round(t, 9) moves t by at most 5e-10: farther than 1e-8 from the value it cannot
            # change any rule's answer (equalTo's tolerance is 1e-9), so the costly round is skipped
            now = eng.time
            d = now - value
            return cmp(now if (d > 1e-8 or d < -1e-8) else round(now, 9), value), ()

        return sim_time
    if kind == "ParameterCondition":
        if c.parameter_ref not in engine.parameters:
            raise _err(c, f"unknown parameter {c.parameter_ref!r}")
        return lambda eng: (_compare(c.rule, eng.parameters[c.parameter_ref], c.value), ())
    if kind == "VariableCondition":
        if c.variable_ref not in engine.variables:
            raise _err(c, f"unknown variable {c.variable_ref!r}")
        return lambda eng: (_compare(c.rule, eng.variables[c.variable_ref], c.value), ())
    if kind == "UserDefinedValueCondition":
        return lambda eng: (c.name in eng.user_values and _compare(c.rule, eng.user_values[c.name], c.value), ())
    if kind == "TimeOfDayCondition":
        cmp = comparator(str(c.rule))
        target = c.date_time.timestamp()
        return lambda eng: (eng.time_of_day_epoch() is not None and cmp(eng.time_of_day_epoch(), target), ())
    if kind == "TrafficSignalCondition":
        return lambda eng: (eng.signals.get(c.name) == c.state, ())
    if kind == "TrafficSignalControllerCondition":
        return lambda eng: (eng.signal_controller_phase(c.traffic_signal_controller_ref) == c.phase, ())
    if kind == "StoryboardElementStateCondition":
        state = str(c.state)
        ref = c.storyboard_element_ref

        def check(eng):
            el = eng.storyboard.find(ref)
            if el is None:
                raise _err(c, f"no storyboard element named {ref!r}")
            if state.endswith("Transition"):
                return (el.last_transition is not None and el.last_transition.value == state
                        and el.transition_step >= eng.step_index - 1), ()
            return el.state.value == state, ()

        return check
    raise _err(c, f"{kind} is not supported")
