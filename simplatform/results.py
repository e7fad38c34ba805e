"""What one scenario run produces, as plain data the runner stores and reports.

``run_scenario(spec, config) -> ScenarioResult`` is the one pure function every
executor calls (DESIGN.md); everything here is JSON-serialisable through
``to_dict`` / ``from_dict`` so a result survives a process pool, Ray, and the
SQLite results store unchanged.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any, Protocol


class Verdict(str, Enum):
    """pass: requirement met; fail: requirement violated; error: could not be evaluated."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"

    @staticmethod
    def combine(verdicts: "list[Verdict]") -> "Verdict":
        """A scenario passes when all pass; any error makes it error, else any fail fails."""
        if any(v is Verdict.ERROR for v in verdicts):
            return Verdict.ERROR
        if any(v is Verdict.FAIL for v in verdicts):
            return Verdict.FAIL
        return Verdict.PASS


@dataclass(frozen=True)
class MetricEvent:
    """A moment a metric noticed: a collision, a red-light crossing, a lane departure."""

    time: float
    kind: str
    entities: tuple[str, ...] = ()
    value: float | None = None
    detail: str = ""


class SeriesSource(Protocol):
    """Where a ``MetricResult`` built by ``MetricResult.with_series_source`` finds its series.

    ``lists()`` gives the ``series`` dict (fresh lists each call, the same float objects every
    call, so that two results of one metric compare equal even with NaNs); ``arrays(name)`` gives
    a column's (times, values) as read-only float64 arrays, or None if there is no such column.
    """

    def lists(self) -> dict[str, tuple[list[float], list[float]]]: ...

    def arrays(self, name: str) -> Any: ...

    def __contains__(self, name: object) -> bool: ...


@dataclass(frozen=True)
class MetricResult:
    """A metric's findings: named scalars (the values requirements check), series and events.

    ``worst_time`` maps a scalar name to the simulation time of its worst moment,
    ``worst_entities`` to the other party involved then: the evidence of a verdict.
    """

    name: str
    scalars: dict[str, float]
    series: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)
    events: tuple[MetricEvent, ...] = ()
    worst_time: dict[str, float] = field(default_factory=dict)
    worst_entities: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def with_series_source(cls, source: SeriesSource, **fields: Any) -> "MetricResult":
        """A result whose ``series`` lists are built from ``source`` when first read.

        Why: a run's series are tens of float64 columns of thousands of steps; making them Python
        lists costs more than all the rest of a suite's ``finish`` (issue #7), and most runs never
        read them (verdicts and scores read ``series_arrays``).  ``series`` still reads as the same
        dict of lists for every caller (attribute access, ``==``, ``repr``, ``asdict``,
        ``replace``); a pickle carries the source (arrays) instead of the lists.
        """
        result = cls(series={}, **fields)
        object.__delattr__(result, "series")
        object.__setattr__(result, "_series_source", source)
        return result

    def __getattr__(self, name: str) -> Any:
        # only reached when ``series`` is not yet in the instance dict (``with_series_source``)
        if name == "series":
            source = self.__dict__.get("_series_source")
            if source is not None:
                series = source.lists()
                object.__setattr__(self, "series", series)
                return series
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def has_series(self, name: str) -> bool:
        """Whether there is a series ``name`` (``name in self.series``, without building the lists)."""
        if "series" not in self.__dict__:
            source = self.__dict__.get("_series_source")
            if source is not None:
                return name in source
        return name in self.series

    def series_arrays(self, name: str) -> Any:
        """(times, values) of series ``name`` as float64 arrays, None if there is none.

        The same numbers as ``np.asarray(x, dtype=float) for x in self.series[name]``; from the
        source's arrays while the lists are not built (then read-only).
        """
        if "series" not in self.__dict__:
            source = self.__dict__.get("_series_source")
            if source is not None:
                return source.arrays(name)
        if name not in self.series:
            return None
        import numpy as np
        t, v = self.series[name]
        return np.asarray(t, dtype=float), np.asarray(v, dtype=float)


@dataclass(frozen=True)
class RequirementVerdict:
    """One requirement checked: what was asked, what was measured, when it was worst."""

    requirement_id: str
    text: str
    check: str
    verdict: Verdict
    value: float | None = None
    threshold: float | None = None
    time: float | None = None
    entities: tuple[str, ...] = ()
    message: str = ""


@dataclass(frozen=True)
class ScenarioResult:
    """The outcome of one run of one concrete scenario."""

    scenario_id: str
    verdict: Verdict
    end_reason: str
    sim_time: float
    steps: int
    wall_time: float
    requirements: tuple[RequirementVerdict, ...] = ()
    metrics: dict[str, float] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)
    events: tuple[MetricEvent, ...] = ()
    error: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    artifacts: dict[str, str] = field(default_factory=dict)
    seed: int = 0
    ego: str = ""
    """The entity judged as the ego (``--ego``, else the engine's rule: ``engine.build.guess_ego``); "" where
    no scenario was built (an input error) or for results stored before the field existed."""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["verdict"] = self.verdict.value
        d["requirements"] = [
            {**asdict(r), "verdict": r.verdict.value} for r in self.requirements
        ]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ScenarioResult":
        reqs = tuple(
            RequirementVerdict(**{**r, "verdict": Verdict(r["verdict"]), "entities": tuple(r.get("entities", ()))})
            for r in d.get("requirements", ())
        )
        events = tuple(
            MetricEvent(**{**e, "entities": tuple(e.get("entities", ()))}) for e in d.get("events", ())
        )
        return cls(
            scenario_id=d["scenario_id"],
            verdict=Verdict(d["verdict"]),
            end_reason=d["end_reason"],
            sim_time=float(d["sim_time"]),
            steps=int(d["steps"]),
            wall_time=float(d["wall_time"]),
            requirements=reqs,
            metrics=dict(d.get("metrics", {})),
            scores=dict(d.get("scores", {})),
            events=events,
            error=d.get("error", ""),
            parameters=dict(d.get("parameters", {})),
            artifacts=dict(d.get("artifacts", {})),
            seed=int(d.get("seed", 0)),
            ego=str(d.get("ego") or ""),
        )
