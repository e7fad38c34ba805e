"""Generate the typed model (``simplatform/openscenario/model/``) from the ASAM XSDs.

Why generate: OpenSCENARIO XML 1.3 has 287 element types and 120 simple types;
writing them by hand would drift from the standard.  This tool reads the
official schemas of 1.0, 1.1, 1.2 and 1.3 (shipped by ``asam-qc-openscenarioxml``)
and writes one frozen dataclass per complex type and one ``Enum`` per
enumerated simple type, merging the versions so that a 1.0 file and a 1.3
file bind to the same classes:

* an attribute or child present in any version is a field; it is required
  only if every version that has the type requires it;
* an enumeration holds the union of the literals of all versions (1.0's
  deprecated ``CloudState`` values included);
* a child allowed more than once in any version becomes a ``tuple``.

The generated files are committed and reviewed like any source; run
``python -m simplatform.openscenario._codegen`` to regenerate them after a
schema update.  Hand-written documentation for the key classes lives in
``_DOCS`` below so that it survives regeneration.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from simplatform.openscenario.schema import schema_path

XS = "{http://www.w3.org/2001/XMLSchema}"
VERSIONS = ("1.0.0", "1.1.0", "1.2.0", "1.3.0")
INF = 1 << 30
PRIMITIVES = {
    "Double": "double", "Int": "int", "UnsignedInt": "unsignedInt",
    "UnsignedShort": "unsignedShort", "Boolean": "boolean", "String": "string",
    "DateTime": "dateTime", "xsd:string": "string", "xsd:double": "double",
}
PY_OF_PRIMITIVE = {
    "double": "float", "int": "int", "unsignedInt": "int", "unsignedShort": "int",
    "boolean": "bool", "string": "str", "dateTime": "datetime",
}
# XSD type names that are not valid or not helpful as Python class names.
CLASS_RENAMES = {"None": "NoneTiming"}


def snake(name: str) -> str:
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()
    return s


_IRREGULAR_PLURALS = {"vertex": "vertices", "property": "properties", "story": "stories", "entry": "entries",
                      "by_type": "by_types", "additional_axle": "additional_axles"}


def plural(name: str) -> str:
    """Field name of a repeated child: ``story`` -> ``stories``, ``event`` -> ``events``."""
    if name in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[name]
    for end, repl in (("_entry", "_entries"), ("vertex", "vertices"), ("property", "properties")):
        if name.endswith(end):
            return name[: -len(end)] + repl
    if name.endswith(("s", "x", "ch", "sh")):
        return name + "es"
    if name.endswith("y") and name[-2:-1] not in "aeiou":
        return name[:-1] + "ies"
    return name + "s"


def member_name(value: str) -> str:
    s = snake(value).upper()
    s = re.sub(r"[^A-Z0-9_]", "_", s)
    if s[0].isdigit():
        s = "_" + s
    return s


@dataclass
class Child:
    name: str
    type: str
    min: int
    max: int
    deprecated: bool = False


@dataclass
class Attr:
    name: str
    type: str
    required: bool
    deprecated: bool = False


@dataclass
class ComplexType:
    name: str
    attrs: dict[str, Attr] = field(default_factory=dict)
    children: dict[str, Child] = field(default_factory=dict)
    text: bool = False
    choice: bool = False
    deprecated: bool = False
    versions: list[str] = field(default_factory=list)


def _deprecated(node) -> bool:
    return any(a.text == "deprecated" for a in node.iter(XS + "appinfo"))


def _occ(node, attr: str) -> int:
    v = node.get(attr, "1")
    return INF if v == "unbounded" else int(v)


class _Schema:
    def __init__(self, version: str) -> None:
        self.root = etree.parse(str(schema_path(version))).getroot()
        self.groups = {g.get("name"): g for g in self.root.findall(XS + "group")}
        self.complex = {c.get("name"): c for c in self.root.findall(XS + "complexType")}
        self.simple = {s.get("name"): s for s in self.root.findall(XS + "simpleType")}

    def particles(self, node, lo: int, hi: int, out: list[Child]) -> None:
        """Flatten a content model into children with their effective occurrence."""
        for p in node:
            if not isinstance(p.tag, str) or p.tag == XS + "annotation":
                continue
            pmin, pmax = _occ(p, "minOccurs"), _occ(p, "maxOccurs")
            if p.tag == XS + "element":
                out.append(Child(p.get("name"), p.get("type"), lo * pmin, min(INF, hi * pmax), _deprecated(p)))
            elif p.tag in (XS + "sequence", XS + "all"):
                self.particles(p, lo * pmin, min(INF, hi * pmax), out)
            elif p.tag == XS + "choice":
                branches = [b for b in p if isinstance(b.tag, str) and b.tag != XS + "annotation"]
                inner_lo = lo * pmin if len(branches) == 1 else 0
                self.particles(p, inner_lo, min(INF, hi * pmax), out)
            elif p.tag == XS + "group":
                self.particles(self.groups[p.get("ref")], lo * pmin, min(INF, hi * pmax), out)

    def is_choice(self, node) -> bool:
        content = [c for c in node if isinstance(c.tag, str) and c.tag not in (XS + "attribute", XS + "annotation")]
        if len(content) != 1:
            return False
        c = content[0]
        if _occ(c, "maxOccurs") != 1 or _occ(c, "minOccurs") != 1:
            return False  # a repeated or optional choice is not "exactly one"
        if c.tag == XS + "group":
            return self.is_choice(self.groups[c.get("ref")])
        if c.tag == XS + "sequence":
            return self.is_choice(c)
        return c.tag == XS + "choice"

    def complex_type(self, name: str) -> ComplexType:
        node = self.complex[name]
        ct = ComplexType(name, deprecated=_deprecated(node) and node.find(XS + "annotation") is not None)
        attr_nodes = list(node.findall(XS + "attribute"))
        sc = node.find(XS + "simpleContent")
        if sc is not None:
            ct.text = True
            attr_nodes += sc.findall(f"{XS}extension/{XS}attribute")
        for a in attr_nodes:
            ct.attrs[a.get("name")] = Attr(a.get("name"), a.get("type"), a.get("use") == "required", _deprecated(a))
        kids: list[Child] = []
        self.particles(node, 1, 1, kids)
        for k in kids:
            if k.name in ct.children:  # same element twice in a content model
                old = ct.children[k.name]
                old.min, old.max = max(old.min, k.min), INF
            else:
                ct.children[k.name] = k
        ct.choice = self.is_choice(node)
        return ct

    def enum_values(self, name: str) -> list[str] | None:
        node = self.simple.get(name)
        if node is None:
            return None
        vals = [e.get("value") for e in node.iter(XS + "enumeration")]
        return vals or None


def merge() -> tuple[dict[str, ComplexType], dict[str, list[str]], dict[str, set[str]]]:
    types: dict[str, ComplexType] = {}
    enums: dict[str, list[str]] = {}
    deprecated_values: dict[str, set[str]] = {}
    schemas = {v: _Schema(v) for v in VERSIONS}
    for v, sch in schemas.items():
        for name, node in sch.simple.items():
            vals = sch.enum_values(name)
            if vals:
                acc = enums.setdefault(name, [])
                acc += [x for x in vals if x not in acc]
        for name in sch.complex:
            ct = sch.complex_type(name)
            ct.versions = [v]
            if name not in types:
                types[name] = ct
                continue
            m = types[name]
            m.versions.append(v)
            m.text |= ct.text
            m.choice = m.choice and ct.choice
            for an, a in ct.attrs.items():
                if an in m.attrs:
                    m.attrs[an].required &= a.required
                    m.attrs[an].type = a.type
                    m.attrs[an].deprecated = a.deprecated
                else:
                    a.required = False
                    m.attrs[an] = a
            for an, a in m.attrs.items():
                if an not in ct.attrs:
                    a.required = False
            for cn, c in ct.children.items():
                if cn in m.children:
                    mc = m.children[cn]
                    mc.min, mc.max = min(mc.min, c.min), max(mc.max, c.max)
                    mc.type, mc.deprecated = c.type, c.deprecated
                else:
                    c.min = 0
                    m.children[cn] = c
            for cn, c in m.children.items():
                if cn not in ct.children:
                    c.min = 0
    # deprecated enumeration literals are only marked in 1.3 XSD comments; keep all.
    return types, enums, deprecated_values


# -- module layout --------------------------------------------------------------------
def module_of(name: str) -> str:
    n = name
    if re.search(r"Distribution|Histogram|^Bin$|^Range$|ValueSet|^Deterministic|^Stochastic|^ParameterValue|^ProbabilityDistribution|^ValueConstraint|^UserDefinedDistribution", n):
        return "distributions"
    if n in {"Position", "Orientation", "RoadCoordinate", "LaneCoordinate", "PositionInLaneCoordinates",
             "PositionInRoadCoordinates", "PositionOfCurrentEntity"} or n.endswith("Position"):
        return "positions"
    if n.endswith("Condition") or n in {"TimeToCollisionConditionTarget", "Trigger", "ConditionGroup", "TriggeringEntities", "EntityCondition",
                                        "ByEntityCondition", "ByValueCondition", "ByObjectType",
                                        "DirectionalDimension"}:
        return "conditions"
    if re.search(r"Trajectory|^Shape$|Polyline|^Vertex$|Clothoid|Nurbs|ControlPoint|^Knot$|Route|Waypoint|^TimeReference$|^Timing$|^None$", n):
        return "trajectories"
    if re.search(r"Environment|Weather|^Sun$|^Fog$|Precipitation|TimeOfDay|RoadCondition|^Wind$|DomeImage", n):
        return "environment"
    if re.search(r"^(Traffic|Infrastructure|EnvironmentAction|EntityAction|AddEntity|DeleteEntity|Parameter(Set|Modify|Add|Multiply)|ParameterAction|Variable(Set|Modify|Add|Multiply)|VariableAction|ModifyRule|GlobalAction|UserDefinedAction|CustomCommand|CentralSwarm|RandomRoute|TrafficSignal|Phase$)", n) \
            or n in {"ParameterModifyRule", "VariableModifyRule", "Phase", "TrafficDefinition",
                     "VehicleCategoryDistribution", "VehicleCategoryDistributionEntry",
                     "ControllerDistribution", "ControllerDistributionEntry", "VehicleRoleDistribution",
                     "VehicleRoleDistributionEntry", "CentralSwarmObject"}:
        return "actions_global"
    if re.search(r"^(Longitudinal|Lateral|Speed|LaneChange|LaneOffset|Synchronize|Teleport|TransitionDynamics|DynamicConstraints|AbsoluteTarget|RelativeTarget|AbsoluteSpeed|RelativeSpeedToMaster|SteadyState|TargetDistanceSteadyState|TargetTimeSteadyState|FinalSpeed)", n):
        return "actions_motion"
    if n.endswith("Action") or n in {"PedestrianGesture"} or re.search(r"Dynamics|Target|^Override|^Manual|^Automatic|^Gear$|^Brake|LaneOffset|LaneChange|^Synchron|^SteadyState|^Final|^TargetDistance|^TargetTime|^Acquire|^Assign|^Follow|^Activate|^Animation|^Component|^Light|^UserDefined|^Sensor|^Connect|^PedestrianAnimation|^VehicleLight|^VehicleComponent|^AnimationFile|^AnimationType|^LightState|^Color", n):
        return "actions_private"
    if n in {"OpenScenario", "FileHeader", "License", "Catalog", "CatalogLocations", "CatalogReference",
             "Directory", "ParameterDeclaration", "ParameterDeclarations", "ParameterAssignment",
             "ParameterAssignments", "VariableDeclaration", "VariableDeclarations", "RoadNetwork",
             "TrafficSignals", "File", "CustomContent"} or n.endswith("CatalogLocation"):
        return "document"
    if n in {"Storyboard", "Init", "InitActions", "Private", "Story", "Act", "ManeuverGroup", "Maneuver",
             "Event", "Actors", "Action", "PrivateAction", "StoryboardElement"}:
        return "storyboard"
    return "entities"


# -- hand-written docs for the classes the engine leans on (survive regeneration) --------
_DOCS = {
    "OpenScenario": "The document root ``<OpenSCENARIO>``: a scenario, a catalog or a parameter value distribution (ASAM OpenSCENARIO XML 1.3, 7.1).",
    "Storyboard": "Init actions, the stories, and the stop trigger that ends the run (spec 7.4, 'Storyboard').",
    "Story": "A named group of acts; the top of the storyboard hierarchy below ``Storyboard`` (spec 7.4.2).",
    "Act": "Groups maneuver groups and carries the start trigger that starts them (spec 7.4.3).",
    "ManeuverGroup": "Actors plus maneuvers; ``maximum_execution_count`` limits how often it reruns (spec 7.4.4).",
    "Maneuver": "A set of events that together describe one driving task (spec 7.4.5).",
    "Event": "Actions started together by a start trigger; ``priority`` settles overlap with running events (spec 7.4.6).",
    "Trigger": "An OR of condition groups: the trigger fires when any group is true (spec 7.5.1).",
    "ConditionGroup": "An AND of conditions (spec 7.5.1).",
    "Condition": "A named condition with ``delay`` and ``condition_edge`` wrapping a ByEntity or ByValue condition (spec 7.5.2).",
    "SpeedAction": "Longitudinal action that changes speed along a transition shape (spec 7.6.5.1, 'SpeedAction').",
    "TransitionDynamics": "How a value changes over time, distance or at a rate: shape, dimension, value (spec 7.6.5.1).",
    "LaneChangeAction": "Lateral action that moves the actor into a target lane; 1.0 files may give ``target_lane_offset``.",
    "LanePosition": "A position given by road id, lane id, s along the road and an offset from the lane centre (spec 6.10).",
    "Position": "One of the OpenSCENARIO position kinds; ``choice`` returns the one given (spec 6.10).",
    "ScenarioObject": "A named entity: a vehicle, pedestrian, misc object or external reference, with its controllers.",
    "Vehicle": "Vehicle definition: category, bounding box, performance limits, axles and properties (spec 6.2.1).",
    "CatalogReference": "A reference into a catalog; the loader stores the bound entry in ``resolved``.",
    "Trajectory": "A path in space (and optionally time) given by a polyline, clothoid(s) or NURBS shape (spec 7.6.5.3).",
    "Route": "A sequence of waypoints an entity should follow on the road network (spec 7.6.5.2).",
    "RoadNetwork": "The OpenDRIVE logic file, optional scene graph, and traffic signal controllers (spec 6.1).",
    "ParameterValueDistribution": "A set of parameter values to run a referenced scenario with (spec 9.4).",
}


def render() -> dict[str, str]:
    types, enums, _ = merge()
    modules: dict[str, list[str]] = {}
    owner: dict[str, str] = {}
    for name in types:
        owner[CLASS_RENAMES.get(name, name)] = module_of(name)
    for name in enums:
        owner[name] = "enums"
    enum_lines = []
    for name in sorted(enums):
        enum_lines.append(f"\n\nclass {name}(OscEnum):")
        enum_lines.append(f'    """OpenSCENARIO enumeration ``{name}`` (literals of versions 1.0 to 1.3)."""\n')
        seen = set()
        for v in enums[name]:
            m = member_name(v)
            while m in seen:
                m += "_"
            seen.add(m)
            enum_lines.append(f'    {m} = "{v}"')
    modules["enums"] = enum_lines
    uses: dict[str, set[str]] = {}
    for name in sorted(types):
        ct = types[name]
        cls = CLASS_RENAMES.get(name, name)
        mod = owner[cls]
        uses.setdefault(mod, set())
        lines = ["\n\n@dataclass(frozen=True, kw_only=True)", f"class {cls}(OscElement):"]
        vers = f"{ct.versions[0][:3]}" + ("" if len(ct.versions) == 1 else f"–{ct.versions[-1][:3]}")
        doc = _DOCS.get(name, f"OpenSCENARIO element type ``{name}``.")
        if "1.0.0" not in ct.versions:
            doc += f" Since {ct.versions[0][:3]}."
        if ct.versions[-1] != "1.3.0":
            doc += f" Removed after {ct.versions[-1][:3]}."
        lines.append(f'    """{doc}"""\n')
        lines.append(f'    _xsd_type: ClassVar[str] = "{name}"')
        if ct.choice:
            lines.append("    _choice: ClassVar[bool] = True")
        used = set()
        for a in ct.attrs.values():
            prim = PRIMITIVES.get(a.type)
            if prim:
                py, tname = PY_OF_PRIMITIVE[prim], prim
            elif a.type in enums:
                py, tname = a.type, a.type
                uses[mod].add(a.type)
            else:
                py, tname = "str", "string"
            fname = snake(a.name)
            if keyword.iskeyword(fname) or fname in used:
                fname += "_"
            used.add(fname)
            dep = ", deprecated=True" if a.deprecated else ""
            if a.required:
                lines.append(f'    {fname}: {py} = attr("{a.name}", "{tname}", required=True{dep})')
            else:
                lines.append(f'    {fname}: {py} | None = attr("{a.name}", "{tname}"{dep})')
        if ct.text:
            lines.append('    content: str = text()')
            used.add("content")
        for c in ct.children.values():
            tcls = CLASS_RENAMES.get(c.type, c.type)
            uses[mod].add(tcls)
            fname = snake(c.name) if c.max <= 1 else plural(snake(c.name))
            if keyword.iskeyword(fname) or fname in used:
                fname += "_element"
            used.add(fname)
            dep = ", deprecated=True" if c.deprecated else ""
            if c.max > 1:
                lines.append(f'    {fname}: tuple[{tcls}, ...] = elems("{c.name}", "{c.type}", min_occurs={min(c.min, 99)}{dep})')
            elif c.min >= 1:
                lines.append(f'    {fname}: {tcls} = elem("{c.name}", "{c.type}", required=True{dep})')
            else:
                lines.append(f'    {fname}: {tcls} | None = elem("{c.name}", "{c.type}"{dep})')
        if name == "CatalogReference":
            lines.append("    resolved: OscElement | None = field(default=None, compare=False)")
        modules.setdefault(mod, []).extend(lines)
    out = {}
    header = '"""Generated by ``simplatform.openscenario._codegen`` from the ASAM OpenSCENARIO XML\n1.0–1.3 schemas ({what}). Do not edit by hand: change the generator."""\n\n'
    for mod, lines in modules.items():
        if mod == "enums":
            body = header.format(what="enumerations") + "from __future__ import annotations\n\nfrom simplatform.openscenario.model.base import OscEnum\n" + "\n".join(lines) + "\n"
        else:
            needed = sorted(n for n in uses.get(mod, ()) if owner.get(n) != mod)
            by_mod: dict[str, list[str]] = {}
            for n in needed:
                by_mod.setdefault(owner[n], []).append(n)
            enum_imports = by_mod.pop("enums", [])
            imp = "from __future__ import annotations\n\nfrom dataclasses import dataclass, field\nfrom datetime import datetime\nfrom typing import TYPE_CHECKING, ClassVar\n\n"
            imp += "from simplatform.openscenario.model.base import OscElement, attr, elem, elems, text\n"
            if enum_imports:
                imp += "from simplatform.openscenario.model.enums import (\n" + "".join(f"    {n},\n" for n in enum_imports) + ")\n"
            if by_mod:
                imp += "\nif TYPE_CHECKING:\n"
                for m2, ns in sorted(by_mod.items()):
                    imp += f"    from simplatform.openscenario.model.{m2} import (\n" + "".join(f"        {n},\n" for n in ns) + "    )\n"
            body = header.format(what=mod.replace("_", " ")) + imp + "\n".join(lines) + "\n"
        out[mod] = body
    return out


def main() -> None:
    target = Path(__file__).parent / "model"
    for mod, body in render().items():
        (target / f"{mod}.py").write_text(body)
        print(f"wrote {target / (mod + '.py')}: {body.count(chr(10))} lines")


if __name__ == "__main__":
    main()
