"""The evaluator of one run: build the metrics a requirement set needs, observe, report.

Usage (what the engine loop does)::

    suite = MetricSuite(context, load_requirement_set("reqs.yaml"))   # RequirementError now, not mid-run
    for snapshot in run:
        suite.observe(snapshot)
    evaluation = suite.finish()
    print(format_verdicts(evaluation.verdicts))

The always-on metrics (collisions, surrogate safety, kinematics, comfort,
blocking, lane centre, timeouts, emergency-vehicle yield) run in every
scenario; road-, route-, signal- and goal-dependent metrics run when the
context provides what they need; without explicit stop lines they are
derived from the road's traffic lights and stop signs, and without explicit
conflict zones they are where the junction lanes of the road cross, derived only when a metric
that runs needs them
(``metrics.junctions.conflict_zones_from_road``).  A requirement on a metric
that cannot run gets an ``error`` verdict naming the missing context field.

V2X warnings that become known during the run (a storyboard message
delivered to the ego) are handed over with ``add_v2x_warning`` as they come;
``ScenarioContext.v2x_expected`` builds the reaction metric before the first.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from operator import attrgetter
from typing import Any, Callable, Iterable, Mapping

from metrics.base import Metric, metric_classes, scalar_spec
from metrics.block import StepBlock
from metrics.block_buffer import BlockBuffer
from metrics.context import ScenarioContext
from metrics.context import V2XWarning
from metrics.coverage import CoverageObserver
from metrics.junctions import conflict_zones_from_road
from metrics.requirements import Requirement, RequirementSet
from metrics.scores import LeaderboardScore, leaderboard_score, scenario_scores
from metrics.signals import stop_lines_from_road
from metrics.verdicts import evaluate
from simplatform.results import MetricEvent, MetricResult, RequirementVerdict, Verdict
from simplatform.world import WorldSnapshot

BLOCK_STEPS = 1000
"""The most steps buffered before the metrics evaluate them as one block (10 s at 0.01 s)."""
BLOCK_ENTITY_STEPS = 20_000
"""The most entity-steps in a block (20 actors: 1000 steps; 200 actors: 100), so that the buffered
snapshots stay around 10 MB however crowded the scene.

Why long blocks: each block pays a fixed ~1 ms of array calls across the metrics, ~10 µs per
step in 100-step blocks and ~1 µs in 1000-step ones (``bench/metrics_bench.py``).  Results do not
depend on the block size (``tests/metrics/test_metrics_blocks.py``)."""

_TIME = attrgetter("time")

ALWAYS_ON = ("collision", "surrogate_safety", "kinematics", "comfort", "blocked", "lane_centre",
             "scenario_timeout", "yield_emergency")


@dataclass(frozen=True)
class Evaluation:
    """Everything the metrics concluded about one run."""

    metrics: dict[str, MetricResult]
    verdicts: tuple[RequirementVerdict, ...]
    scores: dict[str, float]
    coverage: dict[str, Any]
    leaderboard: LeaderboardScore | None = None
    events: tuple[MetricEvent, ...] = ()
    unavailable: dict[str, str] = field(default_factory=dict)

    @property
    def verdict(self) -> Verdict:
        return Verdict.combine([v.verdict for v in self.verdicts])

    def result_fields(self) -> dict[str, Any]:
        """The ``ScenarioResult`` fields the metrics own: verdict, requirements, metrics, scores, events."""
        return {"verdict": self.verdict, "requirements": self.verdicts, "metrics": self.scalars(),
                "scores": dict(self.scores), "events": self.events}

    def scalars(self) -> dict[str, float]:
        """Flat name → value of every scalar (what ``ScenarioResult.metrics`` stores)."""
        return {k: v for r in self.metrics.values() for k, v in r.scalars.items()}


def _needs(cls: type[Metric], field_name: str) -> bool:
    """Whether a metric class asks for a context field (alone or as one of ``"a|b"``)."""
    return any(field_name in r.split("|") for r in cls.requires)


class MetricSuite:
    """Observes snapshots for one run and evaluates the requirements at the end.

    ``observe`` only buffers the snapshot (snapshots are immutable); every
    ``BLOCK_STEPS`` steps (fewer with many entities: ``BLOCK_ENTITY_STEPS``),
    when the set of entities or the ego changes, and at
    ``finish`` the buffered steps are evaluated as one :class:`StepBlock`,
    which gives the same results as evaluating each step on its own at a
    fraction of the cost (``bench/metrics_bench.py``).
    """

    def __init__(self, context: ScenarioContext, requirements: RequirementSet | Iterable[Requirement] = (),
                 *, extra_metrics: Iterable[str] = (), all_metrics: bool = True) -> None:
        self.requirements = tuple(requirements)
        classes = metric_classes()
        wanted = set(ALWAYS_ON) | set(extra_metrics)
        if all_metrics:
            wanted |= set(classes)
        for req in self.requirements:
            if req.metric:
                wanted.add(scalar_spec(req.metric)[0].name)
        if context.road is not None and not context.stop_lines and getattr(context.road, "signals", None):
            context = replace(context, stop_lines=stop_lines_from_road(context.road))
        # Deriving the junctions' conflict zones costs ~0.6 s on a city map (once per map and process):
        # only when a metric that is run needs them (PET; issue #9, a library run's first scenario per map)
        if (context.road is not None and not context.conflict_zones and getattr(context.road, "junctions", None)
                and any(_needs(classes[name], "conflict_zones") for name in wanted)):
            context = replace(context, conflict_zones=conflict_zones_from_road(context.road))
        self.context = context
        self.unavailable: dict[str, str] = {}
        self.metrics: list[Metric] = []
        have: dict[str, bool] = {}   # each requirement asked of the context once (most classes share a few)
        for name in sorted(wanted):
            cls = classes[name]
            missing = [r for r in cls.requires if not (have[r] if r in have else have.setdefault(r, context.has(r)))]
            if missing:
                missing = sorted(r.replace("|", " or ") for r in missing)
                self.unavailable[name] = f"the scenario context has no {', '.join(missing)}"
                continue
            self.metrics.append(cls(context))
        self.coverage = CoverageObserver(road=context.road)
        self.v2x_warnings: list[V2XWarning] = list(context.v2x_warnings)
        self._buffer = BlockBuffer()
        self._last_time: float | None = None
        self._last_step: Callable[[], WorldSnapshot] | None = None   # the last evaluated step's snapshot, on call
        self._shared_version: int | None = None
        """The ``WorldSnapshot.shared_version`` of the arena block's ``BlockBuffer.shared`` (None: unknown)."""
        self._flushed_steps = 0

    def add_v2x_warning(self, warning: V2XWarning) -> None:
        """A V2X warning delivered to the ego during the run (the harness calls this at delivery).

        Call it before observing the steps after ``warning.time``; steps still
        buffered are fine (the reaction metric measures from the warning's own
        time over the whole recorded run).  When the context neither had
        warnings nor ``v2x_expected`` but a requirement asked for the reaction
        metric, the metric is built now, from the last evaluated step (the
        state at delivery) on.
        """
        self.v2x_warnings.append(warning)
        metric = next((m for m in self.metrics if m.name == "v2x_reaction"), None)
        if metric is None and "v2x_reaction" in self.unavailable:
            metric = metric_classes()["v2x_reaction"](replace(self.context, v2x_expected=True))
            if self._last_step is not None:
                metric.observe_block(StepBlock([self._last_step()], self.context, None))
            self.metrics.append(metric)
            del self.unavailable["v2x_reaction"]
        if metric is not None:
            metric.add_warning(warning)

    def observe(self, snapshot: WorldSnapshot) -> None:
        # The usual step (``BlockBuffer``'s arena steps): the snapshot's state matrix is the next slot
        # of the arena the block is in (so its names and ego are the arena's, which the buffer checked
        # are the block's: ``ArenaSlots``; and its writer is the one that wrote the block's steps).
        # The fields that snapshots share are those of the last step while the writer's version of
        # them is the same (``WorldSnapshot.shared_version``: one int, not twelve identities); when it
        # is another or None (unversioned), they are compared with the last step's (the same objects,
        # in ``block_buffer._SHARED`` order) and kept again only when one changed.  Per step only the
        # time, the step and the visibility array are kept; the snapshot is not, so it dies when the
        # engine drops it, in the cache (issue #7).  Inline: a call would add ~50 ns.
        s = snapshot
        buffer = self._buffer
        k = buffer.next_slot
        try:   # past the arena's last slot (or a new buffer's empty tuple): IndexError, and no len() a step
            here = buffer.states[k] is s.state
        except IndexError:
            here = False
        if here:
            version = s.shared_version
            if version is None or version != self._shared_version:
                # unpacked once (one tuple unpack, not twelve subscripts: ~20 ns a step)
                kinds, categories, lane_roads, collisions, environment, signals, length, width, height, c_x, c_y, c_z = (
                    buffer.shared)
                if not (s.kinds is kinds and s.categories is categories and s.lane_roads is lane_roads
                        and s.collisions is collisions and s.environment is environment and s.signals is signals
                        and s.length is length and s.width is width and s.height is height
                        and s.bbox_center_x is c_x and s.bbox_center_y is c_y and s.bbox_center_z is c_z):
                    # a shared field changed (a contact began, the fog thickened): kept from this step on
                    shared = buffer.shared = (s.kinds, s.categories, s.lane_roads, s.collisions, s.environment,
                                              s.signals, s.length, s.width, s.height, s.bbox_center_x,
                                              s.bbox_center_y, s.bbox_center_z)
                    buffer.changes.append((len(buffer.times), shared))
                self._shared_version = version
            k += 1   # one int a step, not two (``limit - 1``)
            buffer.next_slot = k
            buffer.times.append(s.time)
            buffer.steps.append(s.step)
            buffer.visibles.append(s.visible)
            if k >= buffer.limit:
                self.flush()
            return
        self._observe(snapshot)
        # the buffer's shared fields are now this snapshot's (a block's first step, or a new run of slots
        # whose fields ``BlockBuffer`` compared), or the next step cannot take the arena path
        self._shared_version = snapshot.shared_version

    def _observe(self, snapshot: WorldSnapshot) -> None:
        """Any other step: the first of a block, another entity set, a snapshot from no arena, a shared
        field that changed."""
        buffer = self._buffer
        if len(buffer):
            names, slots = buffer.names, buffer.slots
            got_names, got_ego = snapshot.names, snapshot.ego
            if ((got_names is not names and got_names != names) or (got_ego is not buffer.ego and got_ego != buffer.ego)
                    # a block ends with its arena, so that the next block is one arena's view
                    or (slots is not None and buffer.next_slot >= slots.capacity)):
                self.flush()
                buffer = self._buffer
        if not len(buffer):
            buffer.block_steps = max(1, min(BLOCK_STEPS, BLOCK_ENTITY_STEPS // max(1, len(snapshot.names))))
        buffer.append(snapshot)
        if len(buffer) >= buffer.block_steps:
            self.flush()

    @property
    def steps(self) -> int:
        """Steps observed so far."""
        return self._flushed_steps + len(self._buffer)

    def flush(self) -> None:
        """Evaluate the buffered steps now (``finish`` does; callers reading metrics mid-run may)."""
        buffer = self._buffer
        if not len(buffer):
            return
        block = StepBlock(None, self.context, self._last_time, gathered=buffer)
        self._buffer = BlockBuffer()
        self._flushed_steps += block.size
        for metric in self.metrics:
            metric.observe_block(block)
        self.coverage.observe_block(block)
        self._last_time = float(block.times[-1])
        # not ``block.snapshots[-1]``: an arena step's snapshot is rebuilt (~10 µs) only if a V2X
        # metric is built mid-run (``add_v2x_warning``)
        self._last_step = buffer.last_step()

    def finish(self, *, parameters: Mapping[str, Any] | None = None, osc_features: Iterable[str] = ()) -> Evaluation:
        self.flush()
        results = {m.name: m.result() for m in self.metrics}
        warnings = [MetricEvent(w.time, "v2x_warning", (), None, w.message)
                    for w in sorted(self.v2x_warnings, key=lambda w: w.time)]
        verdicts = evaluate([r for r in self.requirements if r.metric], results, self.unavailable, warnings)
        events = tuple(sorted((e for r in results.values() for e in r.events), key=_TIME))
        # the Leaderboard score once, from the events sorted once (the scores report it too)
        leaderboard = leaderboard_score(results, events=events)
        return Evaluation(
            metrics=results, verdicts=tuple(verdicts), scores=scenario_scores(results, leaderboard=leaderboard),
            coverage=self.coverage.result(parameters, osc_features), leaderboard=leaderboard,
            events=events, unavailable=dict(self.unavailable),
        )
