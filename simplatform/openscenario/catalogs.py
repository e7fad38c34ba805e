"""Catalogs: find, index and bind the entries a CatalogReference names.

ASAM OpenSCENARIO XML 9.3 (catalogs): ``CatalogLocations`` gives one
directory per catalog kind (vehicle, controller, pedestrian, misc object,
environment, maneuver, trajectory, route); every ``.xosc`` file in it that
holds a ``<Catalog name=...>`` is indexed by catalog name and entry name.
A reference binds its entry with the entry's ``ParameterDeclarations``
overridden by the reference's ``ParameterAssignments`` (values resolved where
the reference stands).  Entries may reference other entries; a cycle is a
CatalogError naming it.

A reference whose ``catalogName`` no ``<Catalog name=...>`` carries falls back to the
catalog *file* of that name (``<catalogName>.xosc`` in a catalog directory): esmini
finds catalogs that way (ScenarioReader::LoadCatalog opens ``dir/<name>.xosc`` and never
reads the catalog's own name), and its light_state.xosc references
``catalogName="MiscObjectCatalog"`` in a file whose catalog is named ``MiscObject``.

Directories are relative to the scenario file's folder, then to the current
working directory (esmini's search order).  Catalog entries see their own
parameters first and the scenario's global ones after (esmini does the same;
strictly conforming files never notice).
"""

from __future__ import annotations

import dataclasses

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from simplatform.errors import CatalogError, ScenarioError
from simplatform.openscenario.binder import BindContext, bind, local_name
from simplatform.openscenario.model.base import REGISTRY
from simplatform.openscenario.values import Scope
from simplatform.openscenario.xml import parse_file, read_header

LOCATION_FIELDS = ("vehicle_catalog", "controller_catalog", "pedestrian_catalog", "misc_object_catalog",
                   "environment_catalog", "maneuver_catalog", "trajectory_catalog", "route_catalog")


# A 0.x catalog is read as 1.0 (xml.read_header): esmini's own 0.9-headed catalogs hold 1.0 elements.
# Catalogs really written in the 0.9 drafts (CARLA ScenarioRunner's examples/catalogs: <Dimension>,
# <Front>/<Rear>, category=, <ParameterDeclaration/>, <StartConditions>, <Private><Autonomous>) fail
# element by element; this line, put before those errors, says why and what to do.
PRE_ASAM_HINT = ("catalog entry '{key}' is in the pre-standard OpenSCENARIO 0.9 format (its catalog's "
                 "FileHeader says revMajor=\"0\") and does not fit 1.0; the errors below list what differs "
                 "(convert it with ASAM's migration0_9_1to1_0.xslt, as CARLA ScenarioRunner's docs advise)")

@dataclass
class _Entry:
    node: etree._Element
    file: str
    pre_asam: bool = False


@dataclass
class CatalogResolver:
    """Indexes the catalog directories on first use and binds referenced entries."""

    search_roots: list[Path]
    global_scope: Scope
    directories: list[tuple[str, str, Any]] = field(default_factory=list)  # (kind, path text, source)
    _index: dict[str, dict[str, _Entry]] | None = None
    _searched: list[str] = field(default_factory=list)
    _missing: list[tuple[str, Any]] = field(default_factory=list)
    _by_file: dict[str, str] = field(default_factory=dict)  # file stem -> its catalog's name (first wins)

    def add_locations(self, locations: Any) -> None:
        for name in LOCATION_FIELDS:
            loc = getattr(locations, name)
            if loc is not None and loc.directory is not None and loc.directory.path is not None:
                self.directories.append((name, loc.directory.path, loc.directory.source))

    def _find_dir(self, text: str) -> Path | None:
        p = Path(text)
        candidates = [p] if p.is_absolute() else [root / p for root in self.search_roots]
        for c in candidates:
            if c.exists():
                return c.resolve()
        return None

    def _build(self, ctx: BindContext) -> dict[str, dict[str, _Entry]]:
        index: dict[str, dict[str, _Entry]] = {}
        seen: set[Path] = set()
        for kind, text, source in self.directories:
            folder = self._find_dir(text)
            if folder is None:
                self._missing.append((text, source))
                continue
            self._searched.append(str(folder))
            files = [folder] if folder.is_file() else sorted(folder.glob("*.xosc"))
            for f in files:
                if f in seen:
                    continue
                seen.add(f)
                self._index_file(f, index, ctx)
        return index

    def _index_file(self, f: Path, index: dict[str, dict[str, _Entry]], ctx: BindContext) -> None:
        try:
            tree = parse_file(f)
            header = read_header(tree, str(f))
        except ScenarioError as exc:
            ctx.errors.append(CatalogError(f"bad catalog file: {exc.cause}", file=exc.location.file,
                                           line=exc.location.line, element=exc.location.element))
            return
        if header.kind != "catalog":
            return  # a scenario or distribution next to the catalogs: not ours to index
        catalog = tree.getroot().find("Catalog")
        name = catalog.get("name")
        if not name:
            ctx.errors.append(CatalogError.at(catalog, "catalog without a 'name'", file=str(f)))
            return
        self._by_file.setdefault(f.stem, name)
        entries = index.setdefault(name, {})
        for node in catalog:
            if not isinstance(node.tag, str):
                continue
            entry_name = node.get("name")
            if entry_name is None:
                continue
            entries.setdefault(entry_name, _Entry(node, str(f), header.pre_asam))

    def __call__(self, node: Any, ref: Any, scope: Scope, ctx: BindContext, expected: tuple[str, ...]) -> Any:
        """Bind the entry ``ref`` names; errors go to ``ctx`` and give ``None``."""
        if self._index is None:
            self._index = self._build(ctx)
        catalog = self._index.get(ref.catalog_name)
        if catalog is None and ref.catalog_name in self._by_file:
            catalog = self._index.get(self._by_file[ref.catalog_name])  # esmini's lookup by file name
        if catalog is None:
            where = ", ".join(self._searched) or "no catalog directory found"
            missing = "".join(f"; directory '{t}' not found" for t, _ in self._missing)
            ctx.error(node, f"unknown catalog '{ref.catalog_name}' (searched: {where}{missing})", CatalogError)
            return None
        entry = catalog.get(ref.entry_name)
        if entry is None:
            names = ", ".join(sorted(catalog)) or "none"
            ctx.error(node, f"catalog '{ref.catalog_name}' has no entry '{ref.entry_name}' (entries: {names})",
                      CatalogError)
            return None
        kind = local_name(entry.node)
        if kind not in expected:
            ctx.error(node, f"catalog entry '{ref.catalog_name}/{ref.entry_name}' is a <{kind}>, expected "
                      + " or ".join(f"<{e}>" for e in expected), CatalogError)
            return None
        key = f"{ref.catalog_name}/{ref.entry_name}"
        if key in ctx.catalog_stack:
            cycle = " -> ".join(ctx.catalog_stack[ctx.catalog_stack.index(key):] + [key])
            ctx.error(node, f"cyclic catalog reference: {cycle}", CatalogError)
            return None
        overrides: dict[str, Any] = {}
        if ref.parameter_assignments is not None:
            for a in ref.parameter_assignments.parameter_assignments:
                if a.parameter_ref is not None and a.value is not None:
                    overrides[a.parameter_ref.lstrip("$")] = a.value
        declared = {d.get("name") for d in entry.node.iterfind("ParameterDeclarations/ParameterDeclaration")}
        for name in [n for n in overrides if n not in declared]:
            ctx.error(node, f"catalog entry '{key}' declares no parameter '{name}' (declared: "
                      f"{', '.join(sorted(n for n in declared if n)) or 'none'})", CatalogError)
            del overrides[name]
        ctx.catalog_stack.append(key)
        before = len(ctx.errors)
        try:
            entry_ctx = ctx.for_file(entry.file)
            if entry.pre_asam:
                entry_ctx = dataclasses.replace(entry_ctx, pre_asam=True)
            return bind(entry.node, REGISTRY[kind], self.global_scope.child(), entry_ctx, overrides=overrides)
        finally:
            ctx.catalog_stack.pop()
            # say where the entry was used from: the same entry is fine elsewhere
            via = f" (catalog entry '{key}' referenced at {ctx.file}:{node.sourceline})"
            for i in range(before, len(ctx.errors)):
                e = ctx.errors[i]
                if "referenced at" not in e.cause:
                    ctx.errors[i] = type(e)(e.cause + via, file=e.location.file, line=e.location.line,
                                            element=e.location.element)
            if entry.pre_asam and len(ctx.errors) > before:
                ctx.errors.insert(before, CatalogError(PRE_ASAM_HINT.format(key=key), file=entry.file,
                                                       line=entry.node.sourceline, element=local_name(entry.node)))
