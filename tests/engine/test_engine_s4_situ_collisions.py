"""The engine's snapshots of a lasting contact share one collisions tuple (issue #7, in situ: the
metrics hold up to 1,000 snapshots, and a fresh tuple of fresh pairs each step of a contact was
more GC-tracked containers); every step's pairs are still exactly what the box-overlap kernel
finds then, in its order, and ``collision_set`` (the CollisionCondition's) says the same."""

from __future__ import annotations

import sys
from pathlib import Path

from scenariogeneration import xosc

sys.path.insert(0, str(Path(__file__).resolve().parent))
import engine_scenario_files as scenarios  # noqa: E402
from engine_story import place, write  # noqa: E402

from simplatform.engine.collision_kernels import table_pairs_kernel  # noqa: E402
from simplatform.engine.engine import ScenarioEngine  # noqa: E402
from simplatform.engine.run import ScenarioSpec, load_scenario_and_road  # noqa: E402


def _engine(tmp_path) -> ScenarioEngine:
    road = scenarios.straight_road(tmp_path / "straight.xodr", length=1000.0)
    init = xosc.Init()
    objects = {}
    # Ego and A overlap from the start and A pulls away (the contact ends after ~1 s); B runs into
    # Ego's back later (a second contact, then three at once while A is still touching)
    for name, s, v in (("Ego", 20.0, 10.0), ("A", 22.0, 12.0), ("B", 5.0, 16.0)):
        objects[name] = scenarios._vehicle(name.lower())
        place(init, name, xosc.LanePosition(s, 0, -1, 0), v)
    path = write(tmp_path, "contacts", road, objects, init, [], 4.0)
    scenario, net = load_scenario_and_road(ScenarioSpec(path))
    engine = ScenarioEngine(scenario, net)
    engine.initialise()
    return engine


def _kernel_pairs(engine) -> tuple[tuple[str, str], ...]:
    t = engine.table
    import numpy as np
    buf = np.empty((len(t) * (len(t) - 1) // 2, 2), dtype=np.int64)
    count = table_pairs_kernel(t.x, t.y, t.heading, t.bbox_center_x, t.bbox_center_y, t.length, t.width, t.active, buf)
    return tuple((t.names[a], t.names[b]) for a, b in buf[:count].tolist())


def test_contacts_share_their_tuple_and_say_what_the_kernel_says(tmp_path):
    engine = _engine(tmp_path)
    seen = []
    for _ in range(300):
        engine.step()
        snap = engine.snapshot()
        want = _kernel_pairs(engine)
        assert snap.collisions == want and engine.collision_set == set(want)
        seen.append(snap.collisions)
    kinds = {c for c in seen}
    assert len(kinds) >= 3 and () in kinds   # contact, another contact, none: the scenario covers them
    for before, after in zip(seen, seen[1:]):
        if after == before:
            assert after is before   # one tuple for a lasting contact
