"""OpenSCENARIO expressions ``${...}``: a small recursive-descent evaluator.

ASAM OpenSCENARIO XML 1.1+ section 9.2 "Expressions" defines the language:
literals and ``$parameter`` references combined with

* highest precedence: unary minus, ``not`` (1.2 boolean), the functions
  ``round floor ceil`` (double -> int), ``sqrt sin cos tan asin acos atan``
  (double -> double), ``sign abs`` (numeric -> numeric), ``max min`` (two
  numerics) and ``pow`` (double, double -> double);
* middle: ``*`` ``/`` ``%``;
* low: ``+`` ``-``;
* lowest: the boolean ``and`` then ``or``.

The XSD pattern of an expression has no ``<``, ``=`` or ``!``; we also accept
the comparisons ``== != < <= > >=`` (between the additive and the boolean
level) because esmini does and the platform's requirement language reads the
same way.  Never Python ``eval``: a scenario file is untrusted input.

Typing follows 9.2: ``int`` stays ``int`` under ``+ - * %`` and unary minus;
``/`` and the double functions give ``float``; ``round``, ``floor`` and
``ceil`` give ``int`` (``round`` rounds half away from zero, as the spec's
mathematical rounding does, not Python's banker's rounding).
"""

from __future__ import annotations

import math
import re
from typing import Callable, Union

from simplatform.errors import ParameterError

Value = Union[int, float, bool, str]
Lookup = Callable[[str], Value]

_TOKEN = re.compile(
    r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<param>\$[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>==|!=|<=|>=|[-+*/%(),<>]))"
)
_MAX_LENGTH = 4096
_MAX_DEPTH = 64  # brackets/calls; each level costs ~7 Python frames


def _round_half_away(x: float) -> int:
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


def _sign(x):
    return (x > 0) - (x < 0) if isinstance(x, int) else float((x > 0) - (x < 0))


# Named constants esmini's evaluator knows beside 9.2's grammar: its own example and test files write
# ``h="${pi/2}"`` (Unittest/xosc/lat_dist_entity_basic.xosc).  A parameter is always written ``$pi``,
# so the bare name cannot shadow one.
_CONSTANTS: dict[str, float] = {"pi": math.pi}

_FUNCTIONS: dict[str, tuple[int, Callable]] = {
    "round": (1, lambda x: _round_half_away(float(x))),
    "floor": (1, lambda x: int(math.floor(x))),
    "ceil": (1, lambda x: int(math.ceil(x))),
    "sqrt": (1, lambda x: math.sqrt(x)),
    "sin": (1, math.sin),
    "cos": (1, math.cos),
    "tan": (1, math.tan),
    "asin": (1, math.asin),
    "acos": (1, math.acos),
    "atan": (1, math.atan),
    "sign": (1, _sign),
    "abs": (1, abs),
    "max": (2, max),
    "min": (2, min),
    "pow": (2, lambda a, b: math.pow(a, b)),
}


class _Parser:
    """Evaluates while it parses (no tree is needed: expressions are evaluated once)."""

    def __init__(self, text: str, lookup: Lookup, strings: bool = False) -> None:
        self.text = text
        self.lookup = lookup
        self.strings = strings
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise ParameterError(f"unexpected character {text[pos:].strip()[0]!r} in expression '{text}'")
            kind = m.lastgroup
            self.tokens.append((kind, m.group(kind)))
            pos = m.end()
        self.i = 0
        self.depth = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise ParameterError(f"expression '{self.text}' ends too early")
        if value is not None and tok[1] != value:
            raise ParameterError(f"expected '{value}' but found '{tok[1]}' in expression '{self.text}'")
        self.i += 1
        return tok

    def parse(self) -> Value:
        if not self.tokens:
            raise ParameterError("empty expression '${}'")
        value = self.or_()
        if self.peek() is not None:
            raise ParameterError(f"unexpected '{self.peek()[1]}' in expression '{self.text}'")
        return value

    # lowest precedence first
    def or_(self) -> Value:
        left = self.and_()
        while self.peek() == ("name", "or"):
            self.take()
            right = self.and_()
            left = self._bool(left) or self._bool(right)
        return left

    def and_(self) -> Value:
        left = self.comparison()
        while self.peek() == ("name", "and"):
            self.take()
            right = self.comparison()
            left = self._bool(left) and self._bool(right)
        return left

    def comparison(self) -> Value:
        left = self.additive()
        tok = self.peek()
        if tok and tok[1] in ("==", "!=", "<", "<=", ">", ">="):
            self.take()
            right = self.additive()
            op = tok[1]
            if op == "==":
                return left == right
            if op == "!=":
                return left != right
            a, b = self._num(left, op), self._num(right, op)
            return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
        return left

    def additive(self) -> Value:
        left = self.multiplicative()
        while self.peek() in (("op", "+"), ("op", "-")):
            op = self.take()[1]
            right = self.multiplicative()
            if self.strings and op == "+" and (isinstance(left, str) or isinstance(right, str)):
                left = _text(left) + _text(right)
                continue
            a, b = self._num(left, op), self._num(right, op)
            left = a + b if op == "+" else a - b
        return left

    def multiplicative(self) -> Value:
        left = self.unary()
        while self.peek() in (("op", "*"), ("op", "/"), ("op", "%")):
            op = self.take()[1]
            right = self.unary()
            a, b = self._num(left, op), self._num(right, op)
            if op == "*":
                left = a * b
            elif b == 0:
                raise ParameterError(f"division by zero in expression '{self.text}'")
            elif op == "/":
                left = a / b
            else:
                left = math.fmod(a, b) if isinstance(a, float) or isinstance(b, float) else int(math.fmod(a, b))
        return left

    def unary(self) -> Value:
        tok = self.peek()
        if tok == ("op", "-"):
            self.take()
            return -self._num(self.unary(), "-")
        if tok == ("name", "not"):
            self.take()
            return not self._bool(self.unary())
        return self.primary()

    def primary(self) -> Value:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise ParameterError(f"expression '{self.text[:60]}...' is nested too deeply")
        try:
            kind, text = self.take()
            if kind == "num":
                return float(text) if any(c in text for c in ".eE") else int(text)
            if kind == "param":
                return self.lookup(text[1:])
            if text == "(":
                value = self.or_()
                self.take(")")
                return value
            if kind == "name":
                if text in ("true", "false"):
                    return text == "true"
                if text in _CONSTANTS and self.peek() != ("op", "("):
                    return _CONSTANTS[text]
                if text not in _FUNCTIONS and self.strings:
                    return text
                if text not in _FUNCTIONS:
                    raise ParameterError(f"unknown function or name '{text}' in expression '{self.text}' "
                                         "(parameters are written $name)")
                arity, fn = _FUNCTIONS[text]
                self.take("(")
                args = [self.or_()]
                while self.peek() == ("op", ","):
                    self.take()
                    args.append(self.or_())
                self.take(")")
                if len(args) != arity:
                    raise ParameterError(f"{text}() takes {arity} argument(s), got {len(args)} in '{self.text}'")
                nums = [self._num(a, text) for a in args]
                try:
                    return fn(*nums)
                except (ValueError, OverflowError) as exc:
                    shown = ", ".join(repr(n) for n in nums)
                    raise ParameterError(f"{text}({shown}) is undefined ({exc}) in '{self.text}'") from None
            raise ParameterError(f"unexpected '{text}' in expression '{self.text}'")
        finally:
            self.depth -= 1

    def _num(self, v: Value, op: str) -> int | float:
        if isinstance(v, str):
            number = _numeric_text(v)
            if number is not None:
                return number
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ParameterError(f"operator '{op}' needs numbers, got {_describe(v)} in expression '{self.text}'")
        return v

    def _bool(self, v: Value) -> bool:
        if not isinstance(v, bool):
            raise ParameterError(f"'and', 'or' and 'not' need booleans, got {_describe(v)} in expression "
                                 f"'{self.text}'")
        return v


_NUMERIC_TEXT = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def _numeric_text(text: str) -> int | float | None:
    """The number a string parameter's text spells, as esmini reads it inside an expression.

    9.2.1 defines the operators for numeric and boolean operands only, so a string
    parameter has no place in arithmetic.  esmini (Parameters::ResolveParametersInString)
    pastes each parameter's *text* into the expression before evaluating it, so a string
    parameter that spells a number works there as that number -- and UN R157 ALKS
    scenario 4.1_3 (asam-oss/OSC-ALKS-scenarios, Scenarios/) relies on it: its
    ``SideVehicle_InitPosition_RelativeLaneId`` is a string "1"/"-1" multiplied in
    ``${$SideVehicle_InitPosition_RelativeLaneId * -$SideVehicle_InitLateralOffset_m}``.
    Only text that is wholly a decimal literal counts; any other string is still an error.
    """
    text = text.strip()
    if not _NUMERIC_TEXT.fullmatch(text):
        return None
    return float(text) if any(c in text for c in ".eE") else int(text)


def _describe(v: object) -> str:
    """A value as a scenario author wrote it, for messages (not Python's repr)."""
    if isinstance(v, bool):
        return f"the boolean {'true' if v else 'false'}"
    if isinstance(v, str):
        return f"the string {v!r}"
    if hasattr(v, "isoformat"):
        return f"the dateTime {v.isoformat()}"
    return repr(v)


def _text(v: Value) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def evaluate(expression: str, lookup: Lookup, strings: bool = False) -> Value:
    """Value of ``expression`` (the text inside ``${...}``); ``lookup(name)`` gives ``$name``.

    ``strings``: the attribute is of type string.  9.2 defines no string
    operations; esmini (the reference player, whose own ``cut-in.xosc`` names a
    condition ``${BrakeCondition_HWT + _ + $HeadwayTime_Brake}``) reads a bare
    name as its own text and ``+`` with a string operand as concatenation, giving
    ``BrakeCondition_HWT_0.7``.  Only string attributes get that reading, so a
    numeric expression with a misspelt name is still an error.

    Raises ParameterError (no location: the caller adds file and line).
    """
    if len(expression) > _MAX_LENGTH:
        raise ParameterError(f"expression longer than {_MAX_LENGTH} characters")
    try:
        value = _Parser(expression, lookup, strings).parse()
    except RecursionError:
        raise ParameterError(f"expression '{expression[:60]}...' is nested too deeply") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise ParameterError(f"expression '{expression}' is not a finite number ({value})")
    return value
