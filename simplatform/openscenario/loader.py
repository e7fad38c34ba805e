"""Load an OpenSCENARIO 1.0–1.3 scenario into the typed, fully resolved model.

Steps: secure parse -> header (root, version, document kind) -> bind with
parameters, expressions and catalogs -> semantic checks (references,
ranges) -> road network file resolution.  Every problem is collected with
file, line, element and cause; ``load_scenario`` raises the first one,
``validate`` (``validation.py``) reports all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from simplatform.errors import ParameterError, ScenarioError
from simplatform.openscenario.binder import BindContext, bind
from simplatform.openscenario.catalogs import CatalogResolver
from simplatform.openscenario.checks import check_references, check_values
from simplatform.openscenario.init_order import with_ordered_init
from simplatform.openscenario.model.base import REGISTRY, OscElement
from simplatform.openscenario.values import Scope, convert
from simplatform.openscenario.xml import read_document

ParameterValue = str | float | int | bool


@dataclass(frozen=True)
class Scenario:
    """A loaded scenario: the typed document plus what the engine needs to start.

    ``document`` is the whole ``<OpenSCENARIO>`` bound to the model
    (``document.storyboard``, ``document.entities``...), every attribute
    resolved to its final type and every CatalogReference bound in
    ``reference.resolved``.  ``parameters`` and ``variables`` hold the global
    declarations' final values (after overrides): the engine's initial store
    for ParameterCondition / VariableCondition and the Set/Modify actions.
    """

    path: Path
    version: tuple[int, int]
    document: OscElement
    parameters: Mapping[str, Any] = field(default_factory=dict)
    variables: Mapping[str, Any] = field(default_factory=dict)
    road_network_path: Path | None = None
    # a LogicFile that names no file but a map, as CARLA ScenarioRunner writes ("Town04")
    road_network_name: str | None = None
    scene_graph_path: Path | None = None

    @property
    def file_header(self) -> Any:
        return self.document.file_header

    @property
    def road_network(self) -> Any:
        return self.document.road_network

    @property
    def entities(self) -> Any:
        return self.document.entities

    @property
    def storyboard(self) -> Any:
        return self.document.storyboard

    def scenario_object(self, name: str) -> Any:
        """The ``ScenarioObject`` called ``name`` (KeyError if none)."""
        for obj in self.document.entities.scenario_objects:
            if obj.name == name:
                return obj
        raise KeyError(name)

    def entity_object(self, name: str) -> Any:
        """The Vehicle, Pedestrian or MiscObject behind entity ``name`` (catalog reference followed)."""
        obj = self.scenario_object(name)
        if obj.catalog_reference is not None:
            return obj.catalog_reference.resolved
        return obj.vehicle or obj.pedestrian or obj.misc_object or obj.external_object_reference


def search_roots(scenario_dir: Path) -> list[Path]:
    """Folders a relative path in a scenario is tried against: the file's, then the CWD (as esmini)."""
    roots = [scenario_dir]
    cwd = Path.cwd()
    if cwd != scenario_dir:
        roots.append(cwd)
    return roots


def _resolve_road_file(text: str, scenario_dir: Path) -> Path | None:
    """esmini's search: as given (absolute), the scenario folder, its parent, ``../xodr``, the CWD."""
    p = Path(text)
    if p.is_absolute():
        return p if p.is_file() else None
    candidates = [scenario_dir / p, scenario_dir.parent / p, scenario_dir.parent / "xodr" / p.name,
                  scenario_dir / "xodr" / p.name, Path.cwd() / p]
    for c in candidates:
        if c.is_file():
            return c.resolve()
    return None


def load_document(path: str | Path, parameters: Mapping[str, ParameterValue] | None,
                  errors: list[ScenarioError]) -> Scenario | None:
    """Load ``path`` collecting every error into ``errors``; ``None`` if it could not be bound."""
    path = Path(path)
    file = str(path)
    document = read_document(path, errors)
    if document is None:
        return None
    tree, header = document
    root = tree.getroot()
    if header.kind != "scenario":
        what = "a catalog" if header.kind == "catalog" else "a parameter value distribution"
        errors.append(ScenarioError.at(root, f"this file is {what}, not a scenario"
                                       + (" (use load_distribution)" if header.kind == "distribution" else ""),
                                       file=file))
        return None
    for required in ("RoadNetwork", "Entities", "Storyboard"):
        if root.find(required) is None:
            errors.append(ScenarioError.at(root, f"missing required child element <{required}>", file=file))
    if errors:
        return None

    scenario_dir = path.resolve().parent
    resolver = CatalogResolver(search_roots(scenario_dir), Scope())

    def on_locations(locations: Any, scope: Scope) -> None:
        resolver.global_scope = scope
        resolver.add_locations(locations)

    ctx = BindContext(file=file, catalogs=resolver, on_catalog_locations=on_locations)
    document = bind(root, REGISTRY["OpenScenario"], Scope(), ctx, overrides=dict(parameters or {}))
    errors.extend(ctx.errors)
    if ctx.errors:
        # still check the variables' own values (their types are not the binder's job): a file
        # with an unknown catalog should not hide that its VariableDeclaration value="wrongDouble"
        # is no double (the ASAM checker's DoubleLaneChangerVariablesWrongDataTypes1_3.xosc)
        if document is not None:
            _typed(getattr(document, "variable_declarations", None), "variable_declarations", "variable_type",
                   errors)
        return None
    check_references(document, errors)
    check_values(document.walk(), errors)

    road_path = road_name = scene_path = None
    rn = document.road_network
    if rn is not None and rn.logic_file is not None and rn.logic_file.filepath:
        text = rn.logic_file.filepath
        road_path = _resolve_road_file(text, scenario_dir)
        if road_path is None:
            if Path(text).suffix.lower() in (".xodr", ".xml", ".gz"):
                errors.append(ScenarioError(
                    f"road network file '{text}' not found (searched {scenario_dir}, its parent, ../xodr, "
                    f"and {Path.cwd()})", file=file, line=rn.logic_file.source.line, element="LogicFile"))
            else:
                road_name = text
    if rn is not None and rn.scene_graph_file is not None and rn.scene_graph_file.filepath:
        scene_path = _resolve_road_file(rn.scene_graph_file.filepath, scenario_dir)
    parameters = _typed(document.parameter_declarations, "parameter_declarations", "parameter_type", errors)
    variables = _typed(document.variable_declarations, "variable_declarations", "variable_type", errors)
    if errors:
        return None
    document = with_ordered_init(document)  # Init has no order (7.3.1): place referenced entities first
    return Scenario(
        path=path,
        version=header.rev,
        document=document,
        parameters=MappingProxyType(parameters),
        variables=MappingProxyType(variables),
        road_network_path=road_path,
        road_network_name=road_name,
        scene_graph_path=scene_path,
    )


def _typed(decls: Any, list_field: str, type_field: str, errors: list[ScenarioError]) -> dict[str, Any]:
    """Name -> typed value of global parameter or variable declarations (types checked, 9.1.1)."""
    if decls is None:
        return {}
    out = {}
    for d in getattr(decls, list_field):
        if d.name is not None and d.value is not None and getattr(d, type_field) is not None:
            try:
                out[d.name] = convert(d.value, getattr(d, type_field).value)
            except ParameterError as exc:
                errors.append(ParameterError(f"'{d.name}': {exc.cause}", file=d.source.file,
                                             line=d.source.line, element=d.source.element))
    return out


def load_scenario(path: str | Path, parameters: Mapping[str, ParameterValue] | None = None) -> Scenario:
    """Load and fully resolve the scenario at ``path``.

    ``parameters`` override the values of the file's global
    ``ParameterDeclarations`` (as ``--param name=value`` does); a name the
    file does not declare, or a value of the wrong type, is a ParameterError.
    Raises the first ScenarioError found (``validate`` lists them all).
    """
    errors: list[ScenarioError] = []
    scenario = load_document(path, parameters, errors)
    if errors:
        first = errors[0]
        if len(errors) > 1:
            raise type(first)(f"{first.cause} (and {len(errors) - 1} more problem(s); run "
                              "'simplatform validate' to list them)", file=first.location.file,
                              line=first.location.line, element=first.location.element)
        raise first
    assert scenario is not None
    return scenario
