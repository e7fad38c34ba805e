"""Triggers: OR of condition groups, each an AND of conditions (OpenSCENARIO §7.5 / 1.2 §8.4.3).

A condition's raw boolean is filtered by its ``conditionEdge`` (rising,
falling, risingOrFalling, none) and then by its ``delay``: "time elapsed after
the edge condition is verified, until the condition returns true to the
scenario".  The delay is implemented as a time-stamped history, so a condition
with delay d answers at time t what its edge filter answered at t − d; the
answer is therefore the same whatever the step size (up to one step).

Edge memory starts unknown: an edge needs two evaluations, so a condition
already true at its first evaluation is no rising edge -- §8.4.3's rising edge
is "true at t and false at t - ts", and before the first evaluation there is no
value at t - ts.  esmini's OSCCondition::CheckEdge reads it so, and ASAM's own
examples are written for it: CutIn.xosc cuts in when A2 is 20 m ahead of the
Ego (t = 43 s), not at t = 0 while it is 100 m behind; DoubleLaneChanger.xosc,
Overtaker.xosc and FastOvertakeWithReInitialization.xosc do not stop at t = 0 or
change lanes before the overtake.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Protocol, Sequence

EDGES = ("rising", "falling", "risingOrFalling", "none")


class ConditionCheck(Protocol):
    """The raw test of one condition; returns the value and the triggering entities."""

    def __call__(self, ctx) -> tuple[bool, tuple[str, ...]]: ...


class ConditionRuntime:
    """One Condition with its edge filter and delay line."""

    __slots__ = ("name", "edge", "delay", "check", "_previous", "_history", "triggering", "last_value",
                 "plain_rising", "plain", "level", "initial")

    def __init__(self, name: str, edge: str, delay: float, check: ConditionCheck, *, known_false: bool = False) -> None:
        if edge not in EDGES:
            raise ValueError(f"unknown conditionEdge {edge!r}")
        self.name = name
        self.edge = edge
        self.delay = float(delay)
        self.check = check
        self.initial: bool | None = False if known_false else None
        """The edge memory before the first evaluation: unknown, or false where the condition is known to have
        been false before it was armed (a storyboard element's transition: ``compile_trigger``)."""
        self._previous: bool | None = self.initial
        self._history: deque[tuple[float, bool, tuple[str, ...]]] = deque()
        self.triggering: tuple[str, ...] = ()
        self.last_value = False
        self.plain_rising = edge == "rising" and self.delay == 0.0
        self.level = edge == "none"
        self.plain = (self.plain_rising or self.level) and self.delay == 0.0
        """The commonest conditions (a rising edge or a level, without delay): ``TriggerRuntime`` inlines them."""

    def reset(self) -> None:
        self._previous = self.initial
        self._history.clear()

    def evaluate(self, ctx, time: float) -> bool:
        raw, who = self.check(ctx)
        edge = self.edge
        if edge == "none":
            out = raw
        elif edge == "rising":
            out = raw and self._previous is False
        elif edge == "falling":
            out = (not raw) and self._previous is True
        else:
            out = self._previous is not None and raw != self._previous
        self._previous = raw
        if self.delay > 0.0:
            hist = self._history
            hist.append((time, out, who))
            horizon = time - self.delay + 1e-9
            result, who_out = False, ()
            while hist and hist[0][0] <= horizon:
                _, result, who_out = hist.popleft()
                if result:
                    break
            self.last_value = result
            self.triggering = who_out if result else ()
            return result
        self.last_value = out
        self.triggering = who if out else ()
        return out


@dataclass
class TriggerRuntime:
    """OR over groups, AND within a group; an empty trigger never fires."""

    groups: list[list[ConditionRuntime]] = field(default_factory=list)
    triggering: tuple[str, ...] = ()

    def evaluate(self, ctx, time: float) -> bool:
        groups = self.groups
        if len(groups) == 1 and len(groups[0]) == 1:  # the usual trigger: one condition
            cond = groups[0][0]
            if cond.plain:  # ConditionRuntime.evaluate's rising edge or level without delay, inlined
                raw, who = cond.check(ctx)
                out = raw and (cond.level or cond._previous is False)
                cond._previous = raw
                cond.last_value = out
                if out:
                    cond.triggering = who
                    self.triggering = tuple(dict.fromkeys(who))
                else:
                    cond.triggering = self.triggering = ()
                return out
            fired = cond.evaluate(ctx, time)
            self.triggering = tuple(dict.fromkeys(cond.triggering)) if fired else ()
            return fired
        fired = False
        who: list[str] = []
        for group in self.groups:
            # every condition is evaluated each time so edge memories stay current
            ok = True
            for cond in group:
                if not cond.evaluate(ctx, time):
                    ok = False
            if ok and group:
                fired = True
                for cond in group:
                    who.extend(n for n in cond.triggering if n not in who)
        self.triggering = tuple(who) if fired else ()
        return fired

    def reset(self) -> None:
        for group in self.groups:
            for cond in group:
                cond.reset()

    @property
    def empty(self) -> bool:
        return not any(self.groups)


def constant_condition(value: bool) -> ConditionCheck:
    def check(ctx) -> tuple[bool, tuple[str, ...]]:
        return value, ()
    return check


def comparator(rule: str) -> Callable[[float, float], bool]:
    """OpenSCENARIO Rule: greaterThan, lessThan, equalTo, greaterOrEqual, lessOrEqual, notEqualTo."""
    import operator

    table = {
        "greaterThan": operator.gt,
        "lessThan": operator.lt,
        "equalTo": lambda a, b: abs(a - b) < 1e-9 if isinstance(a, float) or isinstance(b, float) else a == b,
        "greaterOrEqual": operator.ge,
        "lessOrEqual": operator.le,
        "notEqualTo": lambda a, b: not (abs(a - b) < 1e-9) if isinstance(a, float) or isinstance(b, float) else a != b,
    }
    try:
        return table[rule]
    except KeyError:
        raise ValueError(f"unknown rule {rule!r}") from None


def entity_rule(rule: str, results: Sequence[bool], names: Sequence[str]) -> tuple[bool, tuple[str, ...]]:
    """TriggeringEntities: ``any`` fires if one entity satisfies, ``all`` if every one does."""
    hits = tuple(n for n, r in zip(names, results) if r)
    if rule == "all":
        return (len(hits) == len(names) and len(names) > 0), hits
    return (len(hits) > 0), hits
