"""Per-step CPU cost of the in-process bridge plumbing: the ego messages, the clock, the light list, the
check of a stack's control, and one route's side-lane counts.

    .venv/bin/python bench/bridge_step_bench.py [--scenario PATH] [--repeats 5] [--dump FILE] [--compare FILE]

One library run with the reference stack (dt 0.05) records the snapshots the
observer saw and the controls the stack answered; each part is then timed
over those inputs (CPU time, ``time.process_time``, best of ``--repeats``)
and printed in microseconds per step.  ``--dump`` writes the ``repr`` of every
message built (floats round-trip exactly in ``repr``, so equal text means equal
bits) and ``--compare`` checks a later build against such a dump.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from simplatform.bridge import controls, inprocess, observations  # noqa: E402
from simplatform.harness import observe as observe_mod  # noqa: E402
from simplatform.harness import route_topics  # noqa: E402
from simplatform.harness.config import TestConfig  # noqa: E402
from simplatform.harness.run import run_test  # noqa: E402

DEFAULT = "scenarios/continuous/cnt_urb_v40_c60_green_wave_day.xosc"


def record(path: str) -> tuple[list, list, list]:
    """(snapshots, stack replies, route samples' arguments) of one run."""
    snaps, replies, samples = [], [], []
    observe, step, sample = observe_mod.Observer.observe, inprocess.InProcessStack.step, route_topics.sample

    def spy_observe(self, snapshot):
        snaps.append(snapshot)
        return observe(self, snapshot)

    def spy_step(self, obs):
        inner = self.stack.step

        def answer(o):
            reply = inner(o)
            replies.append(reply)
            return reply
        self.stack.step = answer
        try:
            return step(self, obs)
        finally:
            del self.stack.step

    def spy_sample(net, segments, spacing=2.0):
        samples.append((net, segments, spacing))
        return sample(net, segments, spacing)

    observe_mod.Observer.observe, inprocess.InProcessStack.step = spy_observe, spy_step
    route_topics.sample = spy_sample
    import simplatform.harness.run as run_mod
    run_sample, run_mod.sample = run_mod.sample, spy_sample
    try:
        run_test(path, TestConfig(dt=0.05, csv=False, max_time=60))
    finally:
        observe_mod.Observer.observe, inprocess.InProcessStack.step = observe, step
        route_topics.sample, run_mod.sample = sample, run_sample
    return snaps, replies, samples


def best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=DEFAULT)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--dump", help="write the repr of every built message here")
    ap.add_argument("--compare", help="check every built message against this dump")
    args = ap.parse_args(argv)
    snaps, replies, samples = record(args.scenario)
    n = len(snaps)

    def ego():
        for s in snaps:
            observations.ego_odometry(s)
            observations.vehicle_status(s)

    def ego_observer():
        build = getattr(observations, "ego_messages", None)
        if build is None:  # before ego_messages: the observer built the two separately
            return ego()
        for s in snaps:
            build(s)

    def clock():
        for s in snaps:
            observations.clock(s.time)

    def lights():
        obs = observe_mod.Observer.__new__(observe_mod.Observer)
        obs._lights = None
        for s in snaps:
            obs._traffic_lights(s.signals)

    def check():
        for r in replies:
            controls.to_engine_command(r)

    def route():
        for net, segments, spacing in samples:
            route_topics.sample(net, segments, spacing)

    rows = [("ego odometry + vehicle status", ego, n), ("  both as the observer builds them", ego_observer, n), ("clock", clock, n), ("traffic lights", lights, n),
            ("control check (to_engine_command)", check, len(replies))]
    print(f"{args.scenario}: {n} steps, {len(replies)} controls; CPU time, best of {args.repeats}")
    for label, fn, count in rows:
        print(f"  {label:36s} {1e6 * best(fn, args.repeats) / max(count, 1):8.2f} us/step")
    print(f"  {'route sample (once per run)':36s} {1e3 * best(route, args.repeats):8.2f} ms/run")

    text = []
    obs = observe_mod.Observer.__new__(observe_mod.Observer)
    obs._lights = None
    for s in snaps:
        text.append(repr(observations.ego_odometry(s)))
        text.append(repr(observations.vehicle_status(s)))
        text.append(repr(observations.clock(s.time)))
        text.append(repr(obs._traffic_lights(s.signals)))
    text += [repr(controls.to_engine_command(r)) for r in replies]
    for net, segments, spacing in samples:
        text.append(repr(route_topics.sample(net, segments, spacing)))
    text = "\n".join(text)
    if args.dump:
        Path(args.dump).write_text(text)
    if args.compare:
        same = Path(args.compare).read_text() == text
        print("messages identical to", args.compare, ":", same)
        return 0 if same else 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
