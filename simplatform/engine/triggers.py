"""Triggers: OR of condition groups, each an AND of conditions (OpenSCENARIO §7.5 / 1.2 §8.4.3).

A condition's raw boolean is filtered by its ``conditionEdge`` (rising,
falling, risingOrFalling, none) and then by its ``delay``: "time elapsed after
the edge condition is verified, until the condition returns true to the
scenario".  The delay is implemented as a time-stamped history, so a condition
with delay d answers at time t what its edge filter answered at t − d; the
answer is therefore the same whatever the step size (up to one step).

Edge memory starts false, so a condition already true at its first evaluation
counts as a rising edge; a falling edge needs a true evaluation first.  esmini
reads §8.4.3 differently (its OSCCondition::CheckEdge needs one earlier
evaluation, so a condition true from the start never gives a rising edge there:
esmini's left-hand-traffic_*.xosc cut in only after the overtaker has passed);
the library's verdicts rest on this reading, so it is kept.
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
                 "plain_rising")

    def __init__(self, name: str, edge: str, delay: float, check: ConditionCheck) -> None:
        if edge not in EDGES:
            raise ValueError(f"unknown conditionEdge {edge!r}")
        self.name = name
        self.edge = edge
        self.delay = float(delay)
        self.check = check
        self._previous: bool = False
        self._history: deque[tuple[float, bool, tuple[str, ...]]] = deque()
        self.triggering: tuple[str, ...] = ()
        self.last_value = False
        self.plain_rising = edge == "rising" and self.delay == 0.0
        """The commonest condition (a rising edge without delay): ``TriggerRuntime`` inlines it."""

    def reset(self) -> None:
        self._previous = False
        self._history.clear()

    def evaluate(self, ctx, time: float) -> bool:
        raw, who = self.check(ctx)
        edge = self.edge
        if edge == "none":
            out = raw
        elif edge == "rising":
            out = raw and not self._previous
        elif edge == "falling":
            out = (not raw) and self._previous
        else:
            out = raw != self._previous
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
            if cond.plain_rising:  # ConditionRuntime.evaluate's rising edge without delay, inlined
                raw, who = cond.check(ctx)
                out = raw and not cond._previous
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
