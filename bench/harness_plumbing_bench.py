"""Per-step CPU cost of the harness's plumbing: everything in a harness step that is not the engine, the
object-list sensor, the stack or the metrics.

    .venv/bin/python bench/harness_plumbing_bench.py [--family continuous] [--every 40] [--count 2]
                                                    [--repeats 5] [--dump FILE] [--compare FILE]

Library scenarios run once each through the runner's ``execute_task`` (reference stack, dt 0.05, trace
at 10 Hz, CSV on: the settings of a library run) while spies record what the plumbing saw: the
observer's snapshots and its sensors' outputs, the observation dicts and the stack's replies, the
snapshots ``on_step`` read, and the entity tables the CSV log wrote.  Each part is then replayed over
those inputs (CPU time, ``time.process_time``, best of ``--repeats``) with the sensors, the stack and
the metrics replaced by stubs that hand back what was recorded, and printed in microseconds per step:

* observe      ``Observer.observe`` minus ``sense`` (ego messages, clock, lights, schedule, sensor-scene
               set-up and the sensor outputs' conversion to messages)
* stack step   ``InProcessStack.step`` minus the stack's own ``step`` (clock, stamp check, control check)
* on_step      ``_TestRun.on_step`` minus ``MetricSuite.observe`` (snapshot hand-over, trace)
* csv          ``CsvTrajectoryLog.write``

``--dump`` writes the ``repr`` of every observation dict and engine command, and the digests of every
trace and CSV log, and ``--compare`` checks a later build against such a dump (``repr`` round-trips
floats exactly, so equal text means equal bits).  ``--declare`` runs as if the reference stack
declared ``subscribed_topics`` (what it reads); its observations then differ by design, so it
implies ``--outputs-only`` (controls, logs, trace, metric values), to compare with a dump made so.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from simplatform.bridge import inprocess  # noqa: E402
from simplatform.harness import observe as observe_mod  # noqa: E402
from simplatform.harness import run as run_mod  # noqa: E402
from simplatform.harness.trace import TraceRecorder  # noqa: E402
from simplatform.recording import csv_log  # noqa: E402
from simplatform.runner import RunSettings, default_library_index, load_index  # noqa: E402
from simplatform.runner.session import _tasks  # noqa: E402
from simplatform.runner.task import execute_task  # noqa: E402

TABLE_COLUMNS = ("x", "y", "z", "heading", "pitch", "roll", "lane_offset", "road_t", "lane_s", "speed",
                 "wheel_angle", "wheel_rot", "vx", "vy", "ax", "ay", "yaw_rate", "length", "width", "height",
                 "lane_id", "visible", "active")


REFERENCE_TOPICS = frozenset({"/ego/odometry", "/traffic_lights", "/route", "/route/info", "/sensors/mounts"})
"""What the reference stack reads besides /clock and its object lists (``--declare`` on a tree whose
``ReferenceStack`` does not declare ``subscribed_topics`` itself)."""


class Recording:
    """What one run's plumbing saw."""

    def __init__(self) -> None:
        self.observer: Any = None
        self.snaps: list[Any] = []
        self.sensed: list[list[Any]] = []  # per observe call: the outputs of the sensors run, in order
        self.obs: list[dict[str, Any]] = []
        self.replies: list[Any] = []
        self.commands: list[Any] = []
        self.step_snaps: list[Any] = []
        self.trace_args: tuple[Any, ...] | None = None
        self.tables: list[tuple[Any, float]] = []
        self.dt = 0.05


def _table_copy(table: Any) -> Any:
    cols = {c: getattr(table, c).copy() for c in TABLE_COLUMNS}
    return SimpleNamespace(names=tuple(table.names), ego=table.ego, lane_road=list(table.lane_road), **cols)


def record(task: Any) -> tuple[Recording, dict[str, Any]]:
    """Run ``task`` with the spies in place; (the recording, the task's result)."""
    rec = Recording()
    observe, add = observe_mod.Observer.observe, observe_mod.Observer._add
    step, on_step, write = inprocess.InProcessStack.step, run_mod._TestRun.on_step, csv_log.CsvTrajectoryLog.write
    trace_init = TraceRecorder.__init__

    def spy_observe(self, snapshot):
        rec.observer = self
        rec.snaps.append(snapshot)
        rec.sensed.append([])
        out = observe(self, snapshot)
        rec.obs.append(out)
        return out

    def spy_add(self, cfg, output, out):
        rec.sensed[-1].append(output)
        return add(self, cfg, output, out)

    def spy_step(self, obs):
        inner = self.stack.step

        def answer(o):
            reply = inner(o)
            rec.replies.append(reply)
            return reply
        self.stack.step = answer
        try:
            command = step(self, obs)
            rec.commands.append(command)
            return command
        finally:
            del self.stack.step

    def spy_on_step(self, engine):
        rec.step_snaps.append(engine.snapshot())
        return on_step(self, engine)

    def spy_write(self, table, t):
        rec.tables.append((_table_copy(table), t))
        return write(self, table, t)

    def spy_trace_init(self, trace_hz, dt, road=None):
        rec.trace_args = (trace_hz, dt, road)
        rec.dt = dt
        return trace_init(self, trace_hz, dt, road)

    observe_mod.Observer.observe, observe_mod.Observer._add = spy_observe, spy_add
    inprocess.InProcessStack.step, run_mod._TestRun.on_step = spy_step, spy_on_step
    csv_log.CsvTrajectoryLog.write, TraceRecorder.__init__ = spy_write, spy_trace_init
    try:
        result = execute_task(task)
    finally:
        observe_mod.Observer.observe, observe_mod.Observer._add = observe, add
        inprocess.InProcessStack.step, run_mod._TestRun.on_step = step, on_step
        csv_log.CsvTrajectoryLog.write, TraceRecorder.__init__ = write, trace_init
    return rec, result


class _Replay:
    """A sensor that hands back the recorded outputs of one sensor, in order."""

    def __init__(self, outputs: list[Any]) -> None:
        self.outputs = outputs
        self.k = 0

    def sense(self, snapshot: Any, scene: Any = None) -> Any:  # noqa: ARG002
        out = self.outputs[self.k]
        self.k += 1
        return out


class _ReplayStack:
    def __init__(self, replies: list[Any]) -> None:
        self.replies = replies
        self.k = 0

    def setup(self, setup: Any) -> None:  # noqa: ARG002
        pass

    def step(self, observations: Any) -> Any:  # noqa: ARG002
        out = self.replies[self.k]
        self.k += 1
        return out


def _replay_observer(rec: Recording) -> Any:
    """The run's observer with its sensors replaced by replays of their recorded outputs."""
    obs = rec.observer
    per_sensor: dict[str, list[Any]] = {}
    for snap, outputs in zip(rec.snaps, rec.sensed):
        _, sensors = obs._due(snap.step)
        for cfg, output in zip(sensors, outputs):
            per_sensor.setdefault(cfg.name, []).append(output)
    obs.sensors = {name: _Replay(outs) for name, outs in per_sensor.items()}
    return obs


def parts(rec: Recording) -> dict[str, Any]:
    """The timed replays: name -> (fn, result-text fn)."""
    observer = _replay_observer(rec)

    def observe():
        for r in observer.sensors.values():
            r.k = 0
        observer._lights = None
        return [observer.observe(s) for s in rec.snaps]

    def stack():
        session = inprocess.InProcessStack(_ReplayStack(rec.replies))
        return [session.step(o) for o in rec.obs]

    class _Suite:
        def observe(self, snapshot: Any) -> None:
            pass

    def on_step():
        run = run_mod._TestRun.__new__(run_mod._TestRun)
        run.driver, run.v2x, run.suite = object(), SimpleNamespace(equipped=False), _Suite()
        run.trace = TraceRecorder(*rec.trace_args) if rec.trace_args else None
        engine = SimpleNamespace(snapshot=None)
        for s in rec.step_snaps:
            engine.snapshot = lambda s=s: s
            run_mod._TestRun.on_step(run, engine)
        return run.trace.trace(None) if run.trace is not None else None

    def csv():
        path = Path(tempfile.mkdtemp()) / "bench.csv"
        log = csv_log.CsvTrajectoryLog(path, rec.dt)
        for table, t in rec.tables:
            log.write(table, t)
        log.close()
        return path.read_bytes()

    return {"observe": (observe, len(rec.snaps)), "stack step": (stack, len(rec.obs)),
            "on_step": (on_step, len(rec.step_snaps)), "csv": (csv, len(rec.tables))}


def best(fn, repeats: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.process_time()
        out = fn()
        times.append(time.process_time() - t0)
    return min(times), out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--family", default="continuous")
    ap.add_argument("--every", type=int, default=40, help="every N-th scenario of the family")
    ap.add_argument("--count", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--dump", help="write the digest text of every output here")
    ap.add_argument("--compare", help="check every output against this dump")
    ap.add_argument("--declare", action="store_true",
                    help="run as if the reference stack declared subscribed_topics (the topics it reads), "
                         "as it does from session 3 on; without it such a tree's own declaration applies anyway")
    ap.add_argument("--outputs-only", action="store_true",
                    help="dump/compare what leaves the run (controls, CSV, trace, metrics), not the observations")
    args = ap.parse_args(argv)
    if args.declare:
        from simplatform.stacks import ReferenceStack

        if "subscribed_topics" not in vars(ReferenceStack):  # a tree from before the stack declared them
            ReferenceStack.subscribed_topics = REFERENCE_TOPICS
        args.outputs_only = True
    lib = [e for e in load_index(default_library_index()).entries if e.family == args.family]
    entries = lib[::args.every][:args.count]
    settings = RunSettings(dt=0.05, stack="reference", trace_hz=10)
    tmp = Path(tempfile.mkdtemp())
    totals: dict[str, list[float]] = {}
    text: list[str] = []
    for task in _tasks(entries, settings, tmp):
        rec, result = record(task)
        gc.collect()
        gc.freeze()  # the recording's many objects: out of the collector's way, as a run's own would be
        artifacts = result.get("artifacts", {})
        for key in ("trajectory_csv", "trace"):
            if key in artifacts:
                text.append(f"{task.entry.scenario_id} {key} "
                            f"{hashlib.sha256(Path(artifacts[key]).read_bytes()).hexdigest()}")
        text.append(f"{task.entry.scenario_id} verdict {result.get('verdict')} metrics {result.get('metrics')!r}")
        if not args.outputs_only:
            text += [repr(o) for o in rec.obs]
        text += [repr(c) for c in rec.commands]
        print(f"{task.entry.scenario_id}: {len(rec.snaps)} steps")
        for name, (fn, n) in parts(rec).items():
            cpu, out = best(fn, args.repeats)
            totals.setdefault(name, [0.0, 0])
            totals[name][0] += cpu
            totals[name][1] += n
            print(f"  {name:12s} {1e6 * cpu / max(n, 1):8.2f} us/step")
            if not (args.outputs_only and name == "observe"):
                text.append(f"{name} " + hashlib.sha256(repr(out).encode() if not isinstance(out, bytes)
                                                        else out).hexdigest())
        del rec
        gc.unfreeze()
    print(f"all: CPU time, best of {args.repeats}")
    overall = 0.0
    for name, (cpu, n) in totals.items():
        per = 1e6 * cpu / max(n, 1)
        overall += per
        print(f"  {name:12s} {per:8.2f} us/step")
    print(f"  {'total':12s} {overall:8.2f} us/step")
    joined = "\n".join(text)
    if args.dump:
        Path(args.dump).write_text(joined)
    if args.compare:
        same = Path(args.compare).read_text() == joined
        print("outputs identical to", args.compare, ":", same)
        return 0 if same else 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
