"""Attribute values: parameter scopes, ``$name`` references, literals to Python types.

ASAM OpenSCENARIO XML 9.1 (parameters): every attribute may hold a literal,
a ``$name`` reference to a declared parameter, or a ``${...}`` expression.
Parameters are declared in ``ParameterDeclarations`` of the document, of a
catalog entry, and (1.2+) of storyboard elements; a declaration is seen by
its element's subtree, the innermost declaration wins (lexical scoping).
Their types (9.1.1) are ``int``, ``double``, ``string``, ``boolean``,
``dateTime``, ``unsignedInt`` and ``unsignedShort`` (1.0 also ``integer``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from simplatform.errors import ParameterError
from simplatform.openscenario.expressions import Value, evaluate
from simplatform.openscenario.model.base import REGISTRY, OscEnum

_UNSIGNED_MAX = {"unsignedInt": 2**32 - 1, "unsignedShort": 2**16 - 1}
_INT_RANGE = (-(2**31), 2**31 - 1)


@dataclass
class Scope:
    """One level of parameter declarations; ``parent`` is the enclosing level."""

    values: dict[str, Value] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    parent: "Scope | None" = None
    # declared here, but its value is not of its type (line of the declaration):
    # a reference then names that cause, not a missing declaration
    broken: dict[str, int | None] = field(default_factory=dict)

    def lookup(self, name: str) -> Value:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.values:
                return scope.values[name]
            if name in scope.broken:
                line = scope.broken[name]
                where = f" (line {line})" if line else ""
                raise ParameterError(f"parameter '{name}' has no value: its declaration{where} is in error")
            scope = scope.parent
        raise ParameterError(f"parameter '{name}' is not declared (or has no value) here")

    def child(self) -> "Scope":
        return Scope(parent=self)


def format_value(value: Any) -> str:
    """The XML literal of a Python value (``True`` -> ``true``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, OscEnum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _to_int(value: Value, type_name: str) -> int:
    if isinstance(value, bool):
        raise ParameterError(f"expected {type_name}, got boolean {format_value(value)}")
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            try:
                as_float = float(text)
            except ValueError:
                raise ParameterError(f"expected {type_name}, got '{value}'") from None
            value = as_float
    if isinstance(value, float):
        # tools (and Python generators) write "2.0" for ints; accept integral values only
        if not math.isfinite(value) or value != int(value):
            raise ParameterError(f"expected {type_name}, got non-integral {value}")
        value = int(value)
    return value


def convert(value: Value, type_name: str) -> Any:
    """Convert a literal or an evaluated value to the Python type of OpenSCENARIO ``type_name``.

    ``type_name`` is a primitive (``double``, ``int``, ``unsignedInt``,
    ``unsignedShort``, ``boolean``, ``string``, ``dateTime``, ``integer``) or
    the name of an enumeration of the model.  Raises ParameterError.
    """
    if type_name == "string":
        return format_value(value)
    if type_name == "double":
        if isinstance(value, bool):
            raise ParameterError(f"expected double, got boolean {format_value(value)}")
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                raise ParameterError(f"expected double, got '{value}'") from None
        value = float(value)
        if math.isnan(value):
            raise ParameterError("expected double, got NaN")
        return value
    if type_name in ("int", "integer"):
        v = _to_int(value, "int")
        if not _INT_RANGE[0] <= v <= _INT_RANGE[1]:
            raise ParameterError(f"int value {v} is out of the 32-bit range")
        return v
    if type_name in _UNSIGNED_MAX:
        v = _to_int(value, type_name)
        if not 0 <= v <= _UNSIGNED_MAX[type_name]:
            raise ParameterError(f"expected {type_name} (0..{_UNSIGNED_MAX[type_name]}), got {v}")
        return v
    if type_name == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip()
        if text in ("true", "1") or text.lower() == "true":
            return True
        if text in ("false", "0") or text.lower() == "false":
            return False
        raise ParameterError(f"expected boolean (true/false), got '{value}'")
    if type_name == "dateTime":
        if isinstance(value, datetime):
            return value
        try:
            return datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise ParameterError(f"expected dateTime (e.g. 2024-05-01T12:00:00), got '{value}'") from None
    enum_cls = REGISTRY.get(type_name)
    if enum_cls is None or not issubclass(enum_cls, OscEnum):
        raise ParameterError(f"unknown value type '{type_name}'")
    text = format_value(value).strip()
    try:
        return enum_cls(text)
    except ValueError:
        for member in enum_cls:  # case slips ("Linear") are common in exported files
            if member.value.lower() == text.lower():
                return member
        allowed = ", ".join(m.value for m in enum_cls)
        raise ParameterError(f"'{text}' is not a valid {type_name} (one of: {allowed})") from None


def resolve(raw: str, type_name: str, scope: Scope) -> Any:
    """Resolve an attribute's text: ``${expr}``, ``$name`` or a literal, then convert."""
    text = raw.strip()
    if text.startswith("${"):
        if not text.endswith("}"):
            raise ParameterError(f"expression '{raw}' lacks its closing '}}'")
        try:
            value = evaluate(text[2:-1], scope.lookup, strings=type_name == "string")
        except RecursionError:
            raise ParameterError(f"expression '{raw[:60]}' is nested too deeply") from None
        return convert(value, type_name)
    if text.startswith("$") and len(text) > 1:
        name = text[1:]
        if not (name[0].isalpha() or name[0] == "_") or not all(c.isalnum() or c == "_" for c in name):
            raise ParameterError(f"'{raw}' is not a valid parameter reference")
        value = scope.lookup(name)
        try:
            return convert(value, type_name)
        except ParameterError as exc:
            raise ParameterError(f"type mismatch: parameter '{name}' = {format_value(value)!r}: {exc.cause}") from None
    return convert(raw, type_name)
