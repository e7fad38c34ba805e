"""Parse one ``<Position>`` element outside a scenario (tools, tests, the engine's helpers)."""

from __future__ import annotations

from typing import Any, Mapping

from lxml import etree

from simplatform.errors import ScenarioError
from simplatform.openscenario.binder import BindContext, bind, local_name
from simplatform.openscenario.model.base import REGISTRY
from simplatform.openscenario.values import Scope, convert
from simplatform.openscenario.xml import parse_bytes


def parse_position(
    xml: str | bytes | etree._Element,
    parameters: Mapping[str, Any] | None = None,
    *,
    file: str = "<position>",
) -> Any:
    """Bind ``<Position>`` XML (text or an lxml element) to the typed ``Position``.

    ``parameters`` give values for ``$name`` references and expressions
    (types inferred from the Python values).  Raises ScenarioError with the
    location and cause of the first problem.
    """
    if isinstance(xml, (str, bytes)):
        data = xml.encode() if isinstance(xml, str) else xml
        node = parse_bytes(data, file).getroot()
    else:
        node = xml
    if local_name(node) != "Position":
        raise ScenarioError.at(node, "expected a <Position> element", file=file)
    scope = Scope()
    for name, value in (parameters or {}).items():
        scope.values[name] = value if isinstance(value, (bool, int, float)) else convert(value, "string")
    ctx = BindContext(file=file)
    position = bind(node, REGISTRY["Position"], scope, ctx)
    if ctx.errors:
        raise ctx.errors[0]
    return position
