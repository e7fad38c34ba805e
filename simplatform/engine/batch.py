"""``run_variants(spec_path, variants, config) -> list[ScenarioResult]``: a parameter study in one process.

Why: a study runs one scenario many times with other parameter values
(issue #3's "batch of 50 parameter variants run in one process").  Run one
by one, each step of each variant pays the default controller's Python per
entity.  Here the N engines step in lockstep: each engine evaluates its own
storyboard (triggers, transitions, actions: per-variant logic), and then the
default controller's lane motion and kinematics of every variant's entities
run as one compiled pass over shared arrays (:mod:`batch_motion`,
:mod:`batch_kernels`).  The road network and its lane tables are loaded once
per process (``cached_road_network``); the scenario is bound per variant,
since a parameter value may change any attribute.

Each variant's result, trajectory log and world are bit-identical to
``run_scenario`` of that variant alone (tests/engine/test_engine_batch.py):
the engines share no state, the phases of a step run in ``engine.step``'s
order, and the vectorised pass rounds exactly as the scalar controller does.
An engine whose entity table is re-allocated (traffic spawned by a traffic
action) leaves the shared arrays and steps on its own from then on.

Only headless native runs are batched: a stack under test drives one ego
through a backend per run (use ``run_scenario``).  An error in any variant
raises (as ``run_scenario`` would), after every log is closed.  A result's
``wall_time`` runs from its variant's loading to its end, the other
variants' work in between included.
"""

from __future__ import annotations

import time as wallclock
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from simplatform.engine.batch_motion import BatchMotion, SharedColumns
from simplatform.engine.run import (RunConfig, ScenarioSpec, _check, _engine_and_backend, end_reason_of,
                                    load_scenario_and_road, open_logs, scenario_result)
from simplatform.errors import ConfigError
from simplatform.results import ScenarioResult


@dataclass(eq=False)
class _Variant:
    """One variant's run: its engine, backend, logs and where its rows sit in the shared arrays."""

    k: int
    scenario_id: str
    engine: Any
    backend: Any
    road: Any
    started: float
    csv: Any
    mcap: Any
    artifacts: dict[str, str]
    offset: int = 0
    attached: bool = True
    result: ScenarioResult | None = None
    shared: SharedColumns | None = None


def run_variants(spec_path: str | Path, variants: Sequence[Mapping[str, Any]], config: RunConfig | None = None,
                 *, scenario_ids: Sequence[str] | None = None) -> list[ScenarioResult]:
    """Play the scenario at ``spec_path`` once per parameter mapping in ``variants`` (the
    overrides ``ScenarioSpec.parameters`` takes), in lockstep; results in ``variants``' order.

    ``config`` as for ``run_scenario`` (dt, seed, max_time, out_dir/csv/record, custom_handlers,
    ego, on_start, on_step); logs are named by ``scenario_ids`` (default ``<stem>_<k:03d>``).
    Bad input raises the ``InputError`` of the first variant that has it, before any step."""
    config = config or RunConfig()
    _check(config)
    if config.stack is not None or config.backend != "native":
        raise ConfigError("run_variants plays headless native runs only (no stack, backend native): "
                          "use run_scenario for a stack under test")
    if scenario_ids is not None and len(scenario_ids) != len(variants):
        raise ConfigError(f"{len(scenario_ids)} scenario ids for {len(variants)} variants")
    path = Path(spec_path)
    runs = _start(path, variants, config, scenario_ids)
    try:
        _play(runs, config)
    finally:
        for run in runs:
            _close(run)
    return [run.result for run in runs]


def _start(path: Path, variants, config: RunConfig, scenario_ids) -> list[_Variant]:
    runs: list[_Variant] = []
    try:
        for k, params in enumerate(variants):
            started = wallclock.perf_counter()
            scenario, road = load_scenario_and_road(ScenarioSpec(path, dict(params)))
            engine, backend, road = _engine_and_backend(scenario, road, config)
            sid = scenario_ids[k] if scenario_ids is not None else f"{path.stem}_{k:03d}"
            runs.append(_Variant(k, sid, engine, backend, road, started, None, None, {}))
        # the tables become views before Init writes them: whatever holds a column sees the shared one
        shared = SharedColumns([r.engine for r in runs])
        for run, off in zip(runs, shared.offsets):
            run.offset = off
            engine = run.engine
            engine.table.on_resize = _detacher(run, [0])
            run.csv, run.mcap, run.artifacts = open_logs(config, run.scenario_id, run.road)
            engine.initialise()
            run.backend.load(run.road, engine.table)
            if config.on_start is not None:
                config.on_start(engine)
            _log(run)
    except BaseException:
        for run in runs:
            _close(run)
        raise
    for run in runs:
        run.shared = shared
    return runs


class _Members:
    """The attached runs' engines and bound phase methods, rebuilt only when one leaves or ends."""

    def __init__(self, runs: list[_Variant], shared: SharedColumns) -> None:
        self.runs = runs
        self.pairs = [(r.engine, r.offset) for r in runs]
        self.storyboard = [r.engine.step_storyboard for r in runs]
        self.others = [r.engine.step_others for r in runs]
        self.collisions = [r.engine._update_collisions for r in runs]
        self.rows = np.concatenate([np.arange(r.offset, r.offset + shared.sizes[r.k]) for r in runs]) \
            if runs else np.zeros(0, dtype=np.int64)


def _play(runs: list[_Variant], config: RunConfig) -> None:
    if not runs:
        return
    shared = runs[0].shared
    motion = BatchMotion(shared)
    for r in runs:
        motion.bind(r.engine, r.offset)
    dt = config.dt
    max_steps = int(round(config.max_time / dt))
    live = [r for r in runs if not _done(r, max_steps, config, check_end=False)]
    logs = any(r.csv or r.mcap for r in runs)
    detached = [0]  # how many runs left the shared arrays (EntityTable.on_resize)
    for r in runs:
        r.engine.table.on_resize = _detacher(r, detached)
    members = _Members([r for r in live if r.attached], shared)
    seen = (len(live), detached[0])
    while live:
        if seen != (len(live), detached[0]):
            members = _Members([r for r in live if r.attached], shared)
            seen = (len(live), detached[0])
        before = detached[0]
        if members.runs:
            shared.remember()
            for phase in members.storyboard:
                phase()
            moved = members if detached[0] == before else _Members([r for r in members.runs if r.attached], shared)
            motion.step(moved.pairs, dt)
            for phase in moved.others:
                phase()
            final = moved if detached[0] == before else _Members([r for r in moved.runs if r.attached], shared)
            if final.runs:
                motion.derive(final.pairs, final.rows, dt)
            for phase in final.collisions:
                phase()
            if detached[0] != before:
                for r in members.runs:
                    if not r.attached:  # left the shared arrays during this step: the rest of it alone
                        _finish_alone(r, r in moved.runs)
        if len(members.runs) != len(live):
            for r in live:
                if r not in members.runs:
                    r.engine.step()
        if logs:
            for r in live:
                _log(r)
        if config.on_step is not None:
            for r in live:
                config.on_step(r.engine)
        if live[0].engine.step_index < max_steps:
            live = [r for r in live if not _ended(r, config)]
        else:
            live = [r for r in live if not _done(r, max_steps, config)]


def _ended(run: _Variant, config: RunConfig) -> bool:
    sb = run.engine.storyboard
    if sb.stopped or (sb.stop_trigger is None and sb.complete):
        return _done(run, 0, config)
    return False


def _detacher(run: _Variant, count: list[int]):
    def detach() -> None:
        if run.attached:
            run.attached = False
            count[0] += 1
    return detach


def _finish_alone(run: _Variant, moved: bool) -> None:
    """The rest of a step of an engine that left the shared arrays after its storyboard phase
    (``moved``: after the default controller's phase too)."""
    e = run.engine
    if not moved:
        e.controller.step(e.dt, e.time, e.locate_every, e.step_index)
        e.step_others()
    e.controller.derive(e.dt, e.time)
    e._update_collisions()


def _done(run: _Variant, max_steps: int, config: RunConfig, check_end: bool = True) -> bool:
    """Whether the run is over (``run_scenario``'s tests, in its order); if so its result is made."""
    engine = run.engine
    reason = end_reason_of(engine) if check_end else None
    if reason is None and engine.step_index < max_steps:
        return False
    run.result = scenario_result(engine, run.scenario_id, config, reason or "max_time", "", run.started,
                                 run.artifacts)
    _close(run)
    return True


def _log(run: _Variant) -> None:
    e = run.engine
    if run.csv:
        run.csv.write(e.table, e.time)
    if run.mcap:
        run.mcap.write(e.table, e.time, e.step_index)


def _close(run: _Variant) -> None:
    if run.csv:
        run.csv.close()
        run.csv = None
    if run.mcap:
        run.mcap.close()
        run.mcap = None
    if run.backend is not None:
        run.backend.close()
        run.backend = None
