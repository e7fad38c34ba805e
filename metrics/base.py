"""The shape every metric shares, and the registry that names their scalars.

Why a registry: a requirement such as ``ttc_min >= 1.5 s`` names a *scalar*;
the suite must know, when it loads the requirement set and before any step
runs, which metric class produces that scalar, in which unit, and whether it
can be re-evaluated inside a time window.  Each metric class declares its
scalars with :class:`ScalarSpec`; ``@register_metric`` files them.

The class shape follows CARLA ScenarioRunner's criteria (``CollisionTest``,
``RunningRedLightTest``: small independent observers), reporting through
``simplatform.results.MetricResult`` (DESIGN.md, ``Metric`` protocol).
"""

from __future__ import annotations

import math
import operator
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np

from metrics.series_kernels import has_nan, mask_runs, nan_extreme_index
from simplatform.results import MetricEvent, MetricResult

if TYPE_CHECKING:  # pragma: no cover
    from metrics.block import StepBlock
    from metrics.context import ScenarioContext
    from metrics.frame import StepFrame

_F8 = np.dtype(np.float64)
Aggregate = Literal["min", "max", "mean", "rms", "count", "sum", "final", "flag"]


@dataclass(frozen=True)
class ScalarSpec:
    """One scalar a metric reports.

    ``aggregate`` says how the scalar is made from the step series or events,
    so that a requirement scoped to a window can recompute it there:
    min/max/mean/rms over ``series``; ``count`` of ``event`` events; ``sum``
    of the series times dt (durations); ``final``/``flag`` are whole-run values
    that cannot be scoped.  ``dimension`` is the unit family a requirement's
    threshold unit must match (see ``metrics.units``).
    """

    name: str
    unit: str
    dimension: str
    aggregate: Aggregate
    description: str
    series: str | None = None
    event: str | None = None


class Metric(ABC):
    """A per-step observer with state over time.

    Subclasses set ``name``, ``scalars`` and ``requires`` (context fields that
    must be present: "road", "route", "goal", "stop_lines", "conflict_zones",
    "acc_set_speed", "v2x_warnings"; ``"a|b"`` is met by either), and implement ``observe`` and ``result``.
    ``observe`` receives the shared :class:`~metrics.frame.StepFrame` so that
    per-step geometry (ego index, boxes, pair arrays) is computed once.  The
    suite calls ``observe_block`` with a :class:`~metrics.block.StepBlock`
    of consecutive steps; by default that observes its frames one by one,
    and :class:`BlockMetric` subclasses evaluate the whole block at once.
    """

    name: ClassVar[str] = ""
    scalars: ClassVar[tuple[ScalarSpec, ...]] = ()
    requires: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, context: "ScenarioContext") -> None:
        self.context = context
        self.events: list[MetricEvent] = []
        self._times: list[float] = []

    @abstractmethod
    def observe(self, frame: "StepFrame") -> None:
        """Take in one step."""

    @abstractmethod
    def result(self) -> MetricResult:
        """Scalars, series, events and evidence so far; may be called more than once."""

    def observe_block(self, block: "StepBlock") -> None:
        """Take in a block of consecutive steps (``metrics.block``); by default one frame at a time."""
        for frame in block.frames():
            self.observe(frame)


class BlockMetric(Metric):
    """A metric that evaluates whole blocks of steps at once (the built-in ones).

    ``observe`` of a single frame is a one-step block, so both entry points
    give the same results.
    """

    def observe(self, frame: "StepFrame") -> None:
        from metrics.block import StepBlock
        self.observe_block(StepBlock.of_frame(frame))

    @abstractmethod
    def observe_block(self, block: "StepBlock") -> None:
        """Take in a block of consecutive steps over the same entities."""


_REGISTRY: dict[str, type[Metric]] = {}
_SCALARS: dict[str, tuple[type[Metric], ScalarSpec]] = {}


def register_metric(cls: type[Metric]) -> type[Metric]:
    """Class decorator: file a metric and its scalars; a scalar name is unique platform-wide."""
    if not cls.name:
        raise TypeError(f"{cls.__name__} has no metric name")
    _REGISTRY[cls.name] = cls
    for spec in cls.scalars:
        owner = _SCALARS.get(spec.name)
        if owner is not None and owner[0] is not cls:
            raise TypeError(f"scalar {spec.name!r} declared by {owner[0].__name__} and {cls.__name__}")
        _SCALARS[spec.name] = (cls, spec)
    return cls


def metric_classes() -> dict[str, type[Metric]]:
    """name → class of every registered metric."""
    _load_builtin()
    return dict(_REGISTRY)


def scalar_spec(name: str) -> tuple[type[Metric], ScalarSpec] | None:
    """The metric class and spec that produce scalar ``name`` (None if unknown)."""
    _load_builtin()
    return _SCALARS.get(name)


def all_scalars() -> dict[str, tuple[type[Metric], ScalarSpec]]:
    _load_builtin()
    return dict(_SCALARS)


def _load_builtin() -> None:
    # Importing the modules runs their @register_metric decorators.
    from metrics import comfort, function, kinematics, road_rules, route, safety, signals, v2x  # noqa: F401


class SeriesRecorder:
    """Columns of per-step floats kept for the report and for windowed requirements.

    Steps come one at a time (``add``) or as arrays for a block (``extend``);
    both are kept as array chunks and joined on first read.
    """

    def __init__(self, *names: str) -> None:
        self.names = names
        self._t_chunks: list[np.ndarray] = []
        self._chunks: dict[str, list[np.ndarray]] = {n: [] for n in names}
        self._pending_t: list[float] = []
        self._pending: dict[str, list[float]] = {n: [] for n in names}
        self._listed: tuple[int, SeriesColumns] | None = None

    def add(self, time: float, **values: float) -> None:
        self._pending_t.append(time)
        for name, column in self._pending.items():
            column.append(float(values.get(name, math.nan)))

    def extend(self, times: np.ndarray, **values: np.ndarray | float) -> None:
        """Append a block of steps; a column not given is NaN, a scalar is broadcast."""
        if self._pending_t:
            self._seal()
        if not (type(times) is np.ndarray and times.dtype == _F8):   # noqa: E721 (exact type; else as asarray)
            times = np.asarray(times, dtype=float)
        if times.size == 0:
            return
        self._t_chunks.append(times)
        shape = times.shape
        chunks = self._chunks
        get = values.get
        for name in self.names:
            v = get(name, math.nan)
            # ``dtype is`` first: numpy's float64 dtype is one object, and ``==`` costs a rich comparison
            if not (type(v) is np.ndarray and (v.dtype is _F8 or v.dtype == _F8) and v.shape == shape):   # noqa: E721
                v = np.broadcast_to(np.asarray(v, dtype=float), shape)
            chunks[name].append(v)

    def _seal(self) -> None:
        if self._pending_t:
            self._t_chunks.append(np.array(self._pending_t, dtype=float))
            for name in self.names:
                self._chunks[name].append(np.array(self._pending[name], dtype=float))
                self._pending[name] = []
            self._pending_t = []

    def _joined(self, chunks: list[np.ndarray]) -> np.ndarray:
        if len(chunks) != 1:
            joined = np.concatenate(chunks) if chunks else np.zeros(0)
            joined.flags.writeable = False   # the recorder's own: a result may keep it without a copy
            chunks[:] = [joined]
        return chunks[0]

    def __len__(self) -> int:
        return sum(len(c) for c in self._t_chunks) + len(self._pending_t)

    def times(self) -> np.ndarray:
        if self._pending_t:
            self._seal()
        chunks = self._t_chunks
        if len(chunks) == 1:   # joined already (or one block): the read of every result
            return chunks[0]
        if len(chunks) > 1:
            # the metrics of a suite extend with the same ``block.times`` arrays: their time columns
            # are joined once and shared (read-only; the same floats as each joining its own)
            chunks[:] = [_shared_join(chunks)]
        return self._joined(chunks)

    def array(self, name: str) -> np.ndarray:
        if self._pending_t:
            self._seal()
        chunks = self._chunks[name]
        return chunks[0] if len(chunks) == 1 else self._joined(chunks)

    @property
    def time(self) -> list[float]:
        return self.times().tolist()

    @property
    def columns(self) -> dict[str, list[float]]:
        return {n: self.array(n).tolist() for n in self.names}

    def last(self, name: str) -> float | None:
        """The latest value of a column (None before the first step)."""
        if self._pending_t:
            return self._pending[name][-1]
        chunks = self._chunks[name]
        return float(chunks[-1][-1]) if chunks else None

    def snapshot(self) -> "SeriesColumns":
        """The columns as they are now, for a ``MetricResult`` (one object per length, so that the
        results of one metric share their lists' float objects: NaN != NaN, equal results need them)."""
        n = len(self)
        if self._listed is None or self._listed[0] != n:
            t = self.times()
            self._listed = (n, SeriesColumns(t, {name: self.array(name) for name in self.names}))
        return self._listed[1]

    def extreme_index(self, name: str, kind: str) -> int | None:
        """Step index of the min or max of a column, NaNs ignored (the first on ties); None if all NaN.

        numpy's ``nanargmin``/``nanargmax`` in one compiled pass (``series_kernels.nan_extreme_index``,
        tested against them)."""
        i = nan_extreme_index(kernel_column(self.array(name)), kind == "max")
        return None if i < 0 else i

    def extreme(self, name: str, kind: str) -> tuple[float, float | None]:
        """(value, time) of the min or max of a column, NaNs ignored; (±inf, None) if all NaN."""
        i = self.extreme_index(name, kind)
        if i is None:
            return (math.inf if kind == "min" else -math.inf), None
        return float(self.array(name)[i]), float(self.times()[i])


_JOINS: dict[tuple[int, ...], tuple[list[np.ndarray], np.ndarray]] = {}
_JOINS_KEPT = 16


def _shared_join(chunks: list[np.ndarray]) -> np.ndarray:
    """The read-only join of ``chunks``: the one another recorder made from the very same array
    objects if there is one, else made now and remembered for the next.  The table holds the
    chunks themselves (so their ids stay theirs) and is emptied past ``_JOINS_KEPT`` entries."""
    key = tuple(map(id, chunks))
    hit = _JOINS.get(key)
    if hit is not None and all(map(operator.is_, hit[0], chunks)):
        return hit[1]
    joined = np.concatenate(chunks)
    joined.flags.writeable = False
    if len(_JOINS) >= _JOINS_KEPT:
        _JOINS.clear()
    _JOINS[key] = (list(chunks), joined)
    return joined


class SeriesColumns:
    """A recorder's columns at one moment, the ``SeriesSource`` of a ``MetricResult``.

    Keeps float64 arrays (read-only copies, so a metric's later steps cannot change them) and
    builds the Python lists only when ``MetricResult.series`` is first read.  Pickles as arrays
    (the list cache is not carried: built again on the other side when read).
    """

    def __init__(self, times: np.ndarray, columns: dict[str, np.ndarray]) -> None:
        self.times = _frozen(times)
        self.columns = {name: _frozen(v) for name, v in columns.items()}
        self._lists: dict[str, tuple[list[float], list[float]]] | None = None

    def __contains__(self, name: object) -> bool:
        return name in self.columns

    def arrays(self, name: str) -> tuple[np.ndarray, np.ndarray] | None:
        v = self.columns.get(name)
        return None if v is None else (self.times, v)

    def lists(self) -> dict[str, tuple[list[float], list[float]]]:
        """Fresh lists each call, of the same float objects every call."""
        if self._lists is None:
            t = self.times.tolist()
            self._lists = {name: (t, v.tolist()) for name, v in self.columns.items()}
        return {name: (list(t), list(v)) for name, (t, v) in self._lists.items()}

    def __getstate__(self) -> dict:
        return {"times": self.times, "columns": self.columns, "_lists": None}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.times = _frozen(self.times)
        self.columns = {name: _frozen(v) for name, v in self.columns.items()}


def kernel_column(values: np.ndarray) -> np.ndarray:
    """``values`` as the one argument type the series kernels are compiled for (and warmed up
    with): a read-only C-contiguous float64 array, a view where it already is one.  A recorder's
    joined columns are read-only and a block's are not; numba compiles a kernel once per type."""
    if values.dtype != _F8 or not values.flags.c_contiguous:
        values = np.ascontiguousarray(values, dtype=np.float64)
    if values.flags.writeable:
        values = values.view()
        values.flags.writeable = False
    return values


def _frozen(a: np.ndarray) -> np.ndarray:
    """``a`` itself if it is a read-only float64 array owning its data (the recorder's joined
    columns), else a read-only copy (a metric's array given to ``extend`` might change later)."""
    if a.dtype == _F8 and a.flags.owndata and not a.flags.writeable:
        return a
    a = np.array(a, dtype=float)   # a copy: contiguous, owned, not a broadcast view
    a.flags.writeable = False
    return a


def step_durations(times: np.ndarray) -> np.ndarray:
    """Each step's duration up to the next (the last is t - t): ``np.diff(times, append=times[-1])``
    bit for bit (the same subtraction), without its ~13 µs of argument handling; ``times`` non-empty.

    A recorder's joined times are read-only arrays that own their data, and several metrics and
    the scores ask for the durations of the same one in ``finish``: for such an array the answer
    is kept (read-only) and given again while the array is the last one asked about."""
    cached = _DURATIONS[0]
    if cached is not None and cached[0] is times:
        return cached[1]
    dt = np.empty_like(times)
    np.subtract(times[1:], times[:-1], out=dt[:-1])
    dt[-1] = times[-1] - times[-1]
    if not times.flags.writeable and times.flags.owndata:
        dt.flags.writeable = False
        _DURATIONS[0] = (times, dt)
    return dt


_DURATIONS: list[tuple[np.ndarray, np.ndarray] | None] = [None]


def masked_duration(mask: np.ndarray, times: np.ndarray) -> float:
    """Time spent where ``mask`` holds: ``np.sum(step_durations(times)[mask])`` (0.0 with no step
    or no masked step, which is numpy's sum of nothing; the durations are not made then)."""
    if not times.size or not mask.any():
        return 0.0
    return float(np.sum(step_durations(times)[mask]))


def nan_rms(values: np.ndarray) -> float | None:
    """RMS of the non-NaN values (``sqrt(mean(v*v))`` of ``v[~isnan(v)]``), None if there are none;
    the mask copy is skipped when there is no NaN (same values, same summation).  ``np.mean`` of a
    1-D float64 array is ``np.add.reduce`` (the same pairwise sum) divided by the count, and
    ``math.sqrt`` is IEEE's correctly rounded root as ``np.sqrt`` is: the same float, without
    ``np.mean``'s argument handling."""
    if has_nan(kernel_column(values)):
        values = values[~np.isnan(values)]
    n = values.size
    return math.sqrt(float(np.add.reduce(values * values)) / n) if n else None


def episodes(mask: np.ndarray, times: np.ndarray) -> list[tuple[float, float]]:
    """(start, end) times of the runs of True in a per-step mask; an open run ends at the last time
    (the runs' edges in one compiled pass: ``series_kernels.mask_runs``)."""
    if mask.size == 0:
        return []
    starts, ends = mask_runs(np.ascontiguousarray(mask, dtype=bool))
    if not starts.size:
        return []
    return [(float(times[a]), float(times[b])) for a, b in zip(starts.tolist(), ends.tolist())]


def make_result(
    metric: Metric,
    scalars: dict[str, float],
    series: SeriesRecorder | None = None,
    worst_time: dict[str, float | None] | None = None,
    worst_entities: dict[str, tuple[str, ...]] | None = None,
) -> MetricResult:
    """Assemble a MetricResult; drops None times so evidence is only what was measured.

    The series stay arrays until ``MetricResult.series`` is read (``MetricResult.with_series_source``)."""
    fields = dict(
        name=metric.name,
        scalars={k: float(v) for k, v in scalars.items()},
        events=tuple(metric.events),
        worst_time={k: float(v) for k, v in (worst_time or {}).items() if v is not None},
        worst_entities=dict(worst_entities or {}),
    )
    if series is None:
        return MetricResult(series={}, **fields)
    return MetricResult.with_series_source(series.snapshot(), **fields)
