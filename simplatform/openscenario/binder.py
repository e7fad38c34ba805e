"""Bind an lxml element to its model class, resolving parameters on the way.

One generic reader for every OpenSCENARIO element: the model classes declare
(``attr``/``elem``/``elems``/``text`` in ``model.base``) which XML attribute or
child each field comes from; ``bind`` walks the XML once, opens a parameter
scope wherever an element declares ``ParameterDeclarations`` (spec 9.1,
lexical scoping), converts every attribute to its final Python type, and
hands ``CatalogReference`` elements to the catalog resolver.

Errors are collected, not raised: ``BindContext.errors`` gathers every
problem with file, line, element and cause, so ``simplatform validate``
reports all of them in one pass.  A field whose value is wrong is bound as
``None``; the caller discards the model when errors exist.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields
from functools import cache
from typing import Any, Callable, Mapping

from lxml import etree

from simplatform.errors import ParameterError, ScenarioError, SourceLocation
from simplatform.openscenario import model  # noqa: F401  (registers all classes)
from simplatform.openscenario.model.base import REGISTRY, OscElement, is_required
from simplatform.openscenario.values import Scope, convert, format_value, resolve


@dataclass
class BindContext:
    """State shared while binding one document and the catalog entries it pulls in."""

    file: str
    errors: list[ScenarioError] = field(default_factory=list)
    # resolves a CatalogReference: (node, reference, scope, ctx, expected entry types) -> entry
    catalogs: Any = None
    catalog_stack: list[str] = field(default_factory=list)
    # called with each bound CatalogLocations and its scope (the loader builds its resolver then)
    on_catalog_locations: Callable[[OscElement, Scope], None] | None = None
    # binding an entry of a pre-ASAM (0.x) catalog: attributes 1.0 added may be absent
    pre_asam: bool = False

    def error(self, node: Any, cause: str, kind: type[ScenarioError] = ScenarioError) -> None:
        self.errors.append(kind.at(node, cause, file=self.file))

    def for_file(self, file: str) -> "BindContext":
        """Same error list and catalog state, errors located in ``file``."""
        return dataclasses.replace(self, file=file)


# Attributes OpenSCENARIO 1.0 made required that the 0.9 drafts did not have, with the
# value esmini gives them when a 0.x catalog leaves them out (its Vehicle() default:
# maxAcceleration 10 m/s^2).  Only entries of 0.x catalogs get these; a 1.x file that
# omits them is still reported.
PRE_ASAM_DEFAULTS: dict[tuple[str, str], str] = {
    ("Performance", "maxAcceleration"): "10",
}

# A ``step`` transition (spec 7.6.5.1 / DynamicsShape: the value changes at once) has
# no extent, so its dimension and value mean nothing; the XSD still requires both, but
# esmini reads ``<SpeedActionDynamics dynamicsShape="step"/>`` (its own example files
# write it so), and so do we.  Any other shape still needs both.
STEP_DEFAULTS: dict[str, str] = {"dynamicsDimension": "time", "value": "0"}

# Required attributes esmini's reader (ScenarioReader) lets a file leave out, with the
# neutral value it takes then -- several of esmini's own example files rely on them: a
# Condition without ``delay``/``conditionEdge`` (no delay, edge ``none``), a relative
# position without ``dx``/``dy`` (at the reference itself) or a RelativeRoadPosition without ``ds``/``dt``
# (the reference's own road position: esmini's Unittest/xosc/trajectory-continuity.xosc teleports so), a FileHeader without a
# ``description`` (metadata nothing reads; esmini's catalogs leave it out), a LaneOffsetAction
# without ``continuous`` (not continuous: it ends at its target, as in esmini's
# Unittest/xosc/lateral_maneuvers_test.xosc, whose later storyboard waits for that end).
ESMINI_DEFAULTS: dict[str, dict[str, str]] = {
    "LaneOffsetAction": {"continuous": "false"},
    "FileHeader": {"description": ""},
    "Condition": {"delay": "0", "conditionEdge": "none"},
    "RelativeObjectPosition": {"dx": "0", "dy": "0"},
    "RelativeWorldPosition": {"dx": "0", "dy": "0"},
    "RelativeRoadPosition": {"ds": "0", "dt": "0"},
}


# Required child elements esmini's reader lets a file leave out: a catalog location with no
# ``Directory`` (``<RouteCatalog/>`` in esmini's left-hand-traffic_*.xosc) names no directory, so
# there is simply no catalog of that kind to search -- the XSD's minOccurs=1 buys nothing there.
# ``validate --schema`` still reports it.
ESMINI_OPTIONAL_CHILDREN: frozenset[tuple[str, str]] = frozenset(
    (f"{kind}CatalogLocation", "Directory")
    for kind in ("Vehicle", "Controller", "Pedestrian", "MiscObject", "Environment", "Maneuver", "Trajectory",
                 "Route"))


# Choice elements that may hold none of their options.  CARLA ScenarioRunner's examples write a
# placeholder ``<Action name="DummyManeuver"/>`` (ChangingWeather.xosc), which ScenarioRunner plays as
# a no-op (openscenario_parser.convert_maneuver_to_atomic: an Action without children is
# ``Idle(duration=0)``); the engine does the same.  The ASAM XSDs of 1.0-1.2 allow it (each option of
# Action's choice has minOccurs="0"); 1.3's does not, and ``validate --schema`` reports it there.
# The other choices those XSDs leave open (an empty Position, PrivateAction, ...) say nothing that
# could be played and stay errors.
EMPTY_CHOICE_ALLOWED: frozenset[str] = frozenset({"Action"})

# Attributes that *name* a parameter rather than take a value: ParameterAssignment.parameterRef names a
# parameter of the catalog entry (or of the scenario, in a ParameterValueSet), declared without '$'.
# esmini's HWManeuvers users (synchronize.xosc) write parameterRef="$MS1EgoS"; esmini drops the '$'
# (its Parameters accept a name "including prefix"), where resolving it as a reference gave the
# scenario's own MS1EgoS value, 300.0, as the parameter name.
PARAMETER_NAME_ATTRIBUTES = {("ParameterAssignment", "parameterRef")}

# ``maximumExecutionCount="-1"``: "unlimited" in esmini (its Unittest test-collision-detection.xosc) and in
# openPASS's documentation; the XSD's unsignedInt has no such value.  It is read as the type's largest
# value, which no run reaches; ``validate --schema`` still reports it.
UNLIMITED_COUNT_ATTRIBUTES = {("ManeuverGroup", "maximumExecutionCount"), ("Event", "maximumExecutionCount")}
UNLIMITED_COUNT = 2**32 - 1


def _is_minus_one(raw: str, scope: Scope) -> bool:
    try:
        return resolve(raw, "int", scope) == -1
    except ParameterError:
        return False


def _lenient_attributes(node: Any, cls: type, scope: Scope, ctx: BindContext) -> dict[str, str]:
    """Required attributes this element may leave out, with the text that stands in for them."""
    out: dict[str, str] = {}
    if ctx.pre_asam:
        out.update({xml: v for (name, xml), v in PRE_ASAM_DEFAULTS.items() if name == cls.__name__})
    if cls.__name__ == "TransitionDynamics" and node.get("dynamicsShape") is not None:
        try:
            shape = resolve(node.get("dynamicsShape"), "string", scope)
        except ParameterError:
            shape = None
        if shape == "step":
            out.update(STEP_DEFAULTS)
    out.update(ESMINI_DEFAULTS.get(cls.__name__, {}))
    return out


@dataclass(frozen=True)
class _Spec:
    attrs: tuple[tuple[str, str, str, bool], ...]  # field, xml name, type, required
    elems: Mapping[str, tuple[str, str, str, bool]]  # xml -> field, type, kind(elem/elems), required
    text: str | None


@cache
def _spec(cls: type) -> _Spec:
    attrs, elems, text = [], {}, None
    for f in fields(cls):
        m = f.metadata
        kind = m.get("kind")
        if kind == "attr":
            attrs.append((f.name, m["xml"], m["type"], is_required(f)))
        elif kind in ("elem", "elems"):
            elems[m["xml"]] = (f.name, m["type"], kind, bool(m.get("required")))
        elif kind == "text":
            text = f.name
    return _Spec(tuple(attrs), elems, text)


def local_name(node: Any) -> str:
    tag = node.tag
    return tag.split("}")[-1] if isinstance(tag, str) else ""


def location(node: Any, ctx: BindContext) -> SourceLocation:
    return SourceLocation(ctx.file, node.sourceline, local_name(node))


def bind(
    node: etree._Element,
    cls: type,
    scope: Scope,
    ctx: BindContext,
    overrides: Mapping[str, Any] | None = None,
    parent_cls: type | None = None,
) -> Any:
    """Bind ``node`` to ``cls``; ``overrides`` replace values of its own ParameterDeclarations."""
    if cls.__name__ == "Trailer":
        from simplatform.openscenario.esmini_trailer import bind_esmini_trailer, is_esmini_trailer

        if is_esmini_trailer(node):
            return bind_esmini_trailer(node, scope, ctx)
    spec = _spec(cls)
    kwargs: dict[str, Any] = {}
    children = [c for c in node if isinstance(c.tag, str)]
    decl_nodes = [c for c in children if local_name(c) == "ParameterDeclarations"]
    if "ParameterDeclarations" in spec.elems and decl_nodes:
        scope = scope.child()
        kwargs[spec.elems["ParameterDeclarations"][0]] = declare(decl_nodes[0], scope, ctx, overrides or {})
    elif overrides:
        for name in overrides:
            ctx.error(node, f"cannot assign parameter '{name}': <{local_name(node)}> declares no parameters",
                      ParameterError)

    lenient = _lenient_attributes(node, cls, scope, ctx) if spec.attrs else {}
    for fname, xml, type_name, required in spec.attrs:
        raw = node.get(xml)
        if raw is None and xml in lenient:
            raw = lenient[xml]
        if raw is None:
            if required:
                ctx.error(node, f"missing required attribute '{xml}'")
            kwargs[fname] = None
            continue
        if (cls.__name__, xml) in PARAMETER_NAME_ATTRIBUTES and raw.startswith("$") and not raw.startswith("${"):
            kwargs[fname] = raw[1:]
            continue
        try:
            kwargs[fname] = resolve(raw, type_name, scope)
        except ParameterError as exc:
            if (cls.__name__, xml) in UNLIMITED_COUNT_ATTRIBUTES and _is_minus_one(raw, scope):
                kwargs[fname] = UNLIMITED_COUNT
                continue
            ctx.error(node, f"attribute '{xml}': {exc.cause}", ParameterError)
            kwargs[fname] = None
    if spec.text:
        kwargs[spec.text] = (node.text or "").strip()

    grouped: dict[str, list[Any]] = {}
    for child in children:
        tag = local_name(child)
        if tag not in spec.elems:
            allowed = ", ".join(spec.elems) or "no child elements"
            ctx.error(child, f"unexpected element in <{local_name(node)}> (allowed: {allowed})")
            continue
        grouped.setdefault(tag, []).append(child)

    present = 0
    for xml, (fname, type_name, kind, required) in spec.elems.items():
        if fname in kwargs:  # ParameterDeclarations, bound above
            present += 1
            continue
        nodes = grouped.get(xml, [])
        if not nodes:
            if required and (cls.__name__, xml) not in ESMINI_OPTIONAL_CHILDREN:
                ctx.error(node, f"missing required child element <{xml}>")
            kwargs[fname] = () if kind == "elems" else None
            continue
        present += 1
        child_cls = REGISTRY[type_name]
        if kind == "elem":
            if len(nodes) > 1:
                ctx.error(nodes[1], f"<{xml}> may appear only once in <{local_name(node)}>")
            kwargs[fname] = bind(nodes[0], child_cls, scope, ctx, parent_cls=cls)
        else:
            kwargs[fname] = tuple(bind(n, child_cls, scope, ctx, parent_cls=cls) for n in nodes)

    only_repeated = all(kind == "elems" for _, _, kind, _ in spec.elems.values())
    empty_allowed = present == 0 and cls.__name__ in EMPTY_CHOICE_ALLOWED
    if cls._choice and (present > 1 or (present == 0 and not only_repeated and not empty_allowed)):
        options = ", ".join(f"<{x}>" for x in spec.elems)
        what = "none" if present == 0 else f"{present}"
        ctx.error(node, f"expects exactly one of {options}; found {what}")

    if cls.__name__ == "CatalogReference" and ctx.catalogs is not None and None not in (
        kwargs.get("catalog_name"), kwargs.get("entry_name")
    ):
        expected = _expected_entries(parent_cls)
        ref = cls(**kwargs, source=location(node, ctx))
        kwargs["resolved"] = ctx.catalogs(node, ref, scope, ctx, expected)

    instance = cls(**kwargs, source=location(node, ctx))
    if cls.__name__ == "CatalogLocations" and ctx.on_catalog_locations is not None:
        ctx.on_catalog_locations(instance, scope)
    return instance


CATALOG_ENTRY_TYPES = ("Vehicle", "Controller", "Pedestrian", "MiscObject", "Environment", "Maneuver",
                       "Trajectory", "Route")


def _expected_entries(parent_cls: type | None) -> tuple[str, ...]:
    """Entry kinds a CatalogReference may stand for: the siblings it replaces in its parent."""
    if parent_cls is None:
        return CATALOG_ENTRY_TYPES
    kinds = tuple(t for _, t, _, _ in _spec(parent_cls).elems.values() if t in CATALOG_ENTRY_TYPES)
    return kinds or CATALOG_ENTRY_TYPES


def declare(
    decls_node: etree._Element, scope: Scope, ctx: BindContext, overrides: Mapping[str, Any]
) -> Any:
    """Bind ParameterDeclarations into ``scope`` (in order: a value may use earlier ones).

    ``overrides`` (from ParameterAssignments or the caller) replace declared
    values; they are checked against the declared type (9.1.1) and against
    the declaration's constraint groups (1.1+: a value must satisfy every
    constraint of at least one group).
    """
    decl_cls = REGISTRY["ParameterDeclaration"]
    bound = []
    declared: dict[str, tuple[str, Any, int | None]] = {}  # name -> (type, value, line)
    for node in decls_node:
        if not isinstance(node.tag, str):
            continue
        if local_name(node) != "ParameterDeclaration":
            ctx.error(node, "unexpected element in <ParameterDeclarations> (allowed: ParameterDeclaration)")
            continue
        raw_name = node.get("name")
        if raw_name is not None and raw_name.startswith("$") and not raw_name.startswith("${"):
            try:
                scope.lookup(raw_name[1:])
            except ParameterError:
                # ASAM's FollowTrajectory_Nurbs.xosc writes name="$owner": the '$' makes the name a
                # reference (9.1) to a parameter 'owner' that does not exist, so nothing is declared
                ctx.error(node, f"attribute 'name' = '{raw_name}': a parameter is declared by its name "
                          f"without '$' (name=\"{raw_name[1:]}\"); '$' makes the name a reference to a "
                          f"parameter '{raw_name[1:]}', which is not declared here", ParameterError)
                continue
        decl = bind(node, decl_cls, scope, ctx)
        if decl.name is None or decl.parameter_type is None:
            continue
        ptype = decl.parameter_type.value
        if decl.name in declared:
            first_type, first_value, first_line = declared[decl.name]
            if (first_type, first_value) == (ptype, decl.value):
                # an identical repeat means one thing whichever copy wins: esmini's follow_reference.xosc
                # declares lane_change_duration="2" twice (esmini lets the later shadow the earlier)
                continue
            ctx.error(node, f"parameter '{decl.name}' is declared twice in the same scope (first at line "
                      f"{first_line}, {first_type} {first_value!r}; here {ptype} {decl.value!r})", ParameterError)
        else:
            declared[decl.name] = (ptype, decl.value, node.sourceline)
        try:
            if decl.name in overrides:
                value = convert(overrides[decl.name], ptype)
            elif decl.value is None:
                continue
            else:
                value = convert(decl.value, ptype)
        except ParameterError as exc:
            origin = "assigned value" if decl.name in overrides else "value"
            ctx.error(node, f"parameter '{decl.name}' ({ptype}): {origin}: {exc.cause}", ParameterError)
            scope.broken[decl.name] = node.sourceline
            continue
        _check_constraints(node, decl, value, ptype, ctx)
        scope.values[decl.name] = value
        scope.types[decl.name] = ptype
        bound.append(dataclasses.replace(decl, value=format_value(value)))
    for name in overrides:
        if name not in declared:
            ctx.error(decls_node, f"no parameter '{name}' is declared here (declared: "
                      f"{', '.join(sorted(declared)) or 'none'})", ParameterError)
    return REGISTRY["ParameterDeclarations"](parameter_declarations=tuple(bound),
                                             source=location(decls_node, ctx))


_RULES: dict[str, Callable[[Any, Any], bool]] = {
    "equalTo": lambda a, b: a == b, "greaterThan": lambda a, b: a > b, "lessThan": lambda a, b: a < b,
    "greaterOrEqual": lambda a, b: a >= b, "lessOrEqual": lambda a, b: a <= b, "notEqualTo": lambda a, b: a != b,
}


def _check_constraints(node: Any, decl: Any, value: Any, ptype: str, ctx: BindContext) -> None:
    groups = decl.constraint_groups
    if not groups:
        return
    bad_bounds = []
    for group in groups:
        ok = True
        for c in group.value_constraints:
            if c.rule is None or c.value is None:
                ok = False
                break
            try:
                bound = convert(c.value, ptype)
            except ParameterError as exc:
                # the constraint itself is wrong (the ASAM checker's ParameterValidationWrongDataTypes
                # compares a double parameter with value="wrongDouble"): say so, not "violates"
                bad_bounds.append((c, exc.cause))
                ok = False
                break
            try:
                if not _RULES[c.rule.value](value, bound):
                    ok = False
                    break
            except TypeError:
                ok = False
                break
        if ok:
            return
    for c, cause in bad_bounds:
        line = f" (line {c.source.line})" if c.source is not None and c.source.line else ""
        ctx.error(node, f"parameter '{decl.name}' ({ptype}): the constraint value '{c.value}'{line} is not of the "
                  f"parameter's type: {cause}", ParameterError)
    if bad_bounds:
        return
    ctx.error(node, f"parameter '{decl.name}' = {format_value(value)} violates its constraint groups",
              ParameterError)
