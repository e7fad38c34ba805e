"""Secure XML reading and typed attribute access for OpenDRIVE files.

Why a hardened parser: map files come from users and third parties.  lxml is
configured against XML external entities and entity expansion (no entity
resolution, no network, no DTD loading, no huge trees; see the OWASP XXE
prevention cheat sheet) and input is bounded in size before it is parsed.

Every failure becomes a ``RoadNetworkError`` naming file, line, element and
cause, the way a compiler reports (``simplatform.errors``).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from lxml import etree

from simplatform.errors import RoadNetworkError

MAX_BYTES = 200 * 1024 * 1024
"""Largest accepted file (200 MB); the biggest public city maps are ~100 MB."""

MAX_MAGNITUDE = 1e9
"""Largest magnitude accepted for a number: projected coordinates stay below 1e7 m
(UTM northings) and no length, curvature or value of a real map comes near 1e9; far
larger values only make the geometry code overflow or allocate without bound."""

# §2.4 of ASAM OpenDRIVE 1.8: units allowed in `unit` attributes, to SI.
SPEED_UNITS = {"m/s": 1.0, "mph": 0.44704, "km/h": 1.0 / 3.6}
LENGTH_UNITS = {"m": 1.0, "km": 1000.0, "ft": 0.3048, "mile": 1609.344}
MASS_UNITS = {"kg": 1.0, "t": 1000.0}
ANGLE_UNITS = {"rad": 1.0, "deg": math.pi / 180.0}
OTHER_UNITS = {"%": 0.01}
ALL_UNITS = {**SPEED_UNITS, **LENGTH_UNITS, **MASS_UNITS, **ANGLE_UNITS, **OTHER_UNITS}


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )


_LATE_DECLARATION = re.compile(rb"\A(\xef\xbb\xbf)?(\s*(?:<!--.*?-->\s*)+)(<\?xml\s[^>]*?\?>)", re.DOTALL)


def _hoist_declaration(data: bytes, source: str, problems: list[str] | None) -> bytes:
    """Move an XML declaration that follows leading comments to the start of the file.

    XML 1.0 §2.8 allows the declaration only as the very first thing, but real
    maps put a licence comment before it (CARLA's Town07.xodr as libOpenDRIVE's
    test map ships it); pugixml and tinyxml, which libOpenDRIVE and esmini use,
    accept that.  The comments are kept after the declaration, so every element
    keeps its line number."""
    match = _LATE_DECLARATION.match(data)
    if match is None:
        return data
    bom, comments, declaration = match.group(1) or b"", match.group(2), match.group(3)
    if problems is not None:
        line = comments.count(b"\n") + 1
        problems.append(f"{source}:{line}: the XML declaration follows a comment (XML 1.0 §2.8 wants it first); "
                        "read as if it came first")
    return bom + declaration + comments + data[match.end():]


def read_xml(data: bytes, source: str, problems: list[str] | None = None) -> etree._Element:
    """Parse bytes into the <OpenDRIVE> root element, namespace stripped.

    Tolerated deviations from XML are reported in ``problems`` when given."""
    if len(data) > MAX_BYTES:
        raise RoadNetworkError(
            f"file is {len(data)} bytes, larger than the {MAX_BYTES} byte limit", file=source
        )
    data = _hoist_declaration(data, source, problems)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        raise RoadNetworkError(f"malformed XML: {exc.msg}", file=source, line=line) from None
    if root is None:
        raise RoadNetworkError("empty document", file=source)
    for node in root.iter():
        if isinstance(node.tag, str) and node.tag.startswith("{"):
            node.tag = etree.QName(node).localname
    if root.tag != "OpenDRIVE":
        raise RoadNetworkError(
            f"root element is <{root.tag}>, not <OpenDRIVE>: not an OpenDRIVE file",
            file=source, line=root.sourceline, element=str(root.tag),
        )
    return root


def read_file(path: str | Path) -> tuple[bytes, str]:
    """Read a file's bytes after checking its size; errors name the file."""
    p = Path(path)
    source = str(p)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise RoadNetworkError(f"cannot read file: {exc.strerror}", file=source) from None
    if size > MAX_BYTES:
        raise RoadNetworkError(
            f"file is {size} bytes, larger than the {MAX_BYTES} byte limit", file=source
        )
    try:
        return p.read_bytes(), source
    except OSError as exc:
        raise RoadNetworkError(f"cannot read file: {exc.strerror}", file=source) from None


class Attributes:
    """Typed attribute reads that fail with a located ``RoadNetworkError``."""

    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, node, cause: str) -> RoadNetworkError:
        """The error for ``node`` with this file's name."""
        return RoadNetworkError.at(node, cause, file=self.source)

    def text(self, node, name: str, default: str | None = None, *, required: bool = False) -> str | None:
        value = node.get(name)
        if value is None:
            if required:
                raise self.error(node, f"missing required attribute '{name}'")
            return default
        return value.strip()

    def req_text(self, node, name: str) -> str:
        value = self.text(node, name, required=True)
        assert value is not None
        return value

    def number(self, node, name: str, default: float | None = None, *, required: bool = False) -> float | None:
        raw = node.get(name)
        if raw is None or (raw.strip() == "" and not required):
            if required:
                raise self.error(node, f"missing required attribute '{name}'")
            return default
        try:
            value = float(raw)
        except ValueError:
            raise self.error(node, f"attribute '{name}' is not a number: {raw!r}") from None
        if not math.isfinite(value):
            raise self.error(node, f"attribute '{name}' is not a finite number: {raw!r}")
        if abs(value) > MAX_MAGNITUDE:
            raise self.error(node, f"attribute '{name}' is out of range: {raw!r} (magnitude above {MAX_MAGNITUDE:g})")
        return value

    def req_number(self, node, name: str) -> float:
        value = self.number(node, name, required=True)
        assert value is not None
        return value

    def num(self, node, name: str, default: float = 0.0) -> float:
        value = self.number(node, name, default)
        assert value is not None
        return value

    def integer(self, node, name: str, default: int | None = None, *, required: bool = False) -> int | None:
        raw = node.get(name)
        if raw is None:
            if required:
                raise self.error(node, f"missing required attribute '{name}'")
            return default
        try:
            value = float(raw)
        except ValueError:
            raise self.error(node, f"attribute '{name}' is not an integer: {raw!r}") from None
        if not value.is_integer():
            raise self.error(node, f"attribute '{name}' is not an integer: {raw!r}")
        return int(value)

    def req_integer(self, node, name: str) -> int:
        value = self.integer(node, name, required=True)
        assert value is not None
        return value

    def boolean(self, node, name: str, default: bool = False) -> bool:
        raw = node.get(name)
        if raw is None:
            return default
        value = raw.strip().lower()
        if value in ("true", "1", "yes"):
            return True
        if value in ("false", "0", "no"):
            return False
        raise self.error(node, f"attribute '{name}' is not a boolean: {raw!r}")

    def choice(self, node, name: str, allowed: tuple[str, ...], default: str | None = None) -> str | None:
        value = self.text(node, name, default)
        if value is not None and value not in allowed:
            raise self.error(node, f"attribute '{name}' is {value!r}, expected one of {', '.join(allowed)}")
        return value

    def speed(self, node, name: str = "max") -> float | None:
        """A speed in m/s from ``name`` and the optional ``unit`` (§2.4; default m/s).
        "no limit" is ``inf``; "undefined" is None."""
        raw = node.get(name)
        if raw is None:
            raise self.error(node, f"missing required attribute '{name}'")
        word = raw.strip().lower()
        if word == "no limit":
            return math.inf
        if word == "undefined":
            return None
        value = self.req_number(node, name)
        unit = self.text(node, "unit", "m/s")
        if unit not in SPEED_UNITS:
            raise self.error(node, f"unit {unit!r} is not a speed unit (m/s, km/h, mph)")
        return value * SPEED_UNITS[unit]

    def positive(self, node, name: str) -> float:
        value = self.req_number(node, name)
        if value <= 0.0:
            raise self.error(node, f"attribute '{name}' must be positive, got {value:g}")
        return value

    def non_negative(self, node, name: str, default: float | None = None) -> float:
        value = self.number(node, name, default, required=default is None)
        assert value is not None
        if value < 0.0:
            raise self.error(node, f"attribute '{name}' must not be negative, got {value:g}")
        return value


def unit_to_si(value: float | None, unit: str | None) -> float | None:
    """Convert a value in a §2.4 unit to SI; None when the unit is not a physical one."""
    if value is None:
        return None
    if unit is None or unit == "":
        return None
    factor = ALL_UNITS.get(unit)
    return None if factor is None else value * factor
