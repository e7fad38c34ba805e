"""Requirements checked against metric results, with the evidence: value, worst time, entities.

A requirement scoped to a window or to the seconds after an event is
re-evaluated from the metric's series or events inside that window, using
the scalar's declared aggregate (``ScalarSpec.aggregate``).  A scoped
requirement whose triggering event never happened holds vacuously (the
"if … then" reading of a conditional requirement), and says so.
"""

from __future__ import annotations

import math
from typing import Iterable, Mapping

import numpy as np

from metrics.base import ScalarSpec, scalar_spec, step_durations
from metrics.requirements import Requirement, Scope
from simplatform.results import MetricEvent, MetricResult, RequirementVerdict, Verdict


def evaluate(
    requirements: Iterable[Requirement],
    results: Mapping[str, MetricResult],
    unavailable: Mapping[str, str] | None = None,
    extra_events: Iterable[MetricEvent] = (),
) -> list[RequirementVerdict]:
    """One verdict per requirement.  ``unavailable`` maps a metric name to why it was not built."""
    events = [e for r in results.values() for e in r.events] + list(extra_events)
    return [_check(req, results, unavailable or {}, events) for req in requirements]


def _check(req: Requirement, results: Mapping[str, MetricResult], unavailable: Mapping[str, str],
           events: list[MetricEvent]) -> RequirementVerdict:
    cls, spec = scalar_spec(req.metric)
    base = dict(requirement_id=req.id, text=req.text, check=req.check, threshold=req.threshold)
    result = results.get(cls.name)
    if result is None:
        why = unavailable.get(cls.name, "the metric was not run")
        return RequirementVerdict(**base, verdict=Verdict.ERROR, message=f"{req.metric} could not be evaluated: {why}")
    if req.scope is None:
        if req.metric not in result.scalars:
            return RequirementVerdict(**base, verdict=Verdict.ERROR,
                                      message=f"{req.metric} was not measured (no samples for it in this run)")
        value = result.scalars[req.metric]
        time = result.worst_time.get(req.metric)
        entities = tuple(result.worst_entities.get(req.metric, ()))
    else:
        windows = _windows(req.scope, events)
        if not windows:
            return RequirementVerdict(**base, verdict=Verdict.PASS,
                                      message=f"no {req.scope.after!r} event: requirement not triggered")
        try:
            value, time, entities = _scoped_value(spec, result, windows, _worse(req.op))
        except ValueError as exc:
            return RequirementVerdict(**base, verdict=Verdict.ERROR, message=str(exc))
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return RequirementVerdict(**base, verdict=Verdict.ERROR, message=f"{req.metric} is undefined in this run")
    ok = req.holds(value)
    verdict = Verdict.PASS if ok else Verdict.FAIL
    return RequirementVerdict(**base, verdict=verdict, value=float(value), time=time, entities=entities,
                              message=_message(req, spec, value, time, entities, ok))


def _worse(op: str) -> str:
    """Which extreme is the worst case for an operator: for ``>=`` the minimum matters."""
    return "min" if op in (">", ">=") else "max"


def _windows(scope: Scope, events: list[MetricEvent]) -> list[tuple[float, float]]:
    if scope.after is None:
        return [(scope.start, scope.end)]
    starts = sorted(e.time for e in events if e.kind == scope.after)
    return [(max(t, scope.start), min(t + scope.within, scope.end)) for t in starts if t <= scope.end]


def _scoped_value(spec: ScalarSpec, result: MetricResult, windows: list[tuple[float, float]], worse: str):
    if spec.aggregate == "count":
        inside = [e for e in result.events if e.kind == spec.event and any(a <= e.time <= b for a, b in windows)]
        first = inside[0] if inside else None
        return float(len(inside)), (first.time if first else None), (first.entities if first else ())
    columns = result.series_arrays(spec.series) if spec.series is not None else None
    if columns is None:
        raise ValueError(f"{spec.name} has no time series to evaluate in a window")
    t, v = columns
    mask = np.zeros(t.shape, bool)
    for a, b in windows:
        mask |= (t >= a) & (t <= b)
    mask &= ~np.isnan(v)
    if not mask.any():
        raise ValueError(f"{spec.name} has no samples inside the scope")
    tw, vw = t[mask], v[mask]
    if spec.aggregate in ("min", "max"):
        pick = np.argmin(vw) if spec.aggregate == "min" else np.argmax(vw)
        return float(vw[pick]), float(tw[pick]), ()
    if spec.aggregate == "mean":
        return float(np.mean(vw)), None, ()
    if spec.aggregate == "rms":
        return float(np.sqrt(np.mean(vw * vw))), None, ()
    if spec.aggregate == "sum":
        dt = step_durations(t)[mask]
        return float(np.sum(vw * dt)), float(tw[vw > 0][0]) if np.any(vw > 0) else None, ()
    raise ValueError(f"{spec.name} is a whole-run value and cannot be scoped")


def _fmt(value: float, unit: str) -> str:
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    text = f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    return text if unit in ("1", "") else f"{text} {unit}"


def _message(req: Requirement, spec: ScalarSpec, value: float, time: float | None, entities: tuple[str, ...], ok: bool) -> str:
    where = f" at t={time:.2f} s" if time is not None else ""
    who = f" with {', '.join(entities)}" if entities else ""
    return (f"{req.metric} = {_fmt(value, spec.unit)}{where}{who}; "
            f"required {req.op} {_fmt(req.threshold, spec.unit)}{' — met' if ok else ''}")


def format_verdicts(verdicts: Iterable[RequirementVerdict], *, only_failed: bool = True) -> str:
    """Human report of verdicts (by default the failed and errored ones): id, check, value,
    threshold, time and entities.  The runner prints this under a failed scenario."""
    lines = []
    for v in verdicts:
        if only_failed and v.verdict is Verdict.PASS:
            continue
        lines.append(f"{v.verdict.value.upper():5} {v.requirement_id}: {v.check} — {v.message}")
        if v.text and v.text != v.check:
            lines.append(f"      {v.text}")
    return "\n".join(lines)
