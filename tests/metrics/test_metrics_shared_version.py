"""``MetricSuite.observe`` reads ``WorldSnapshot.shared_version`` (design proposal 17, issue #7):
while a writer's version of the shared fields holds, the suite keeps the last step's fields
without comparing their twelve identities; when the version is another one it compares them
(a bump that replaced nothing records no change); when it is None (CARLA, ``from_states``,
``dataclasses.replace``, rebuilt snapshots) it compares them every step, as before.  The
results are those of the identity path, bit for bit; the engine's side of the contract (every
replaced field bumps the version) is ``tests/engine/test_engine_shared_version.py``."""

from __future__ import annotations

import dataclasses

import numpy as np

from metrics import MetricSuite, ScenarioContext
from metrics.block_buffer import _SHARED
from simplatform.state_arena import StateArena
from simplatform.world import SHARED_FIELDS, EntityKind, LaneLocation, WorldSnapshot

N = 4
NAMES = ("ego", "a1", "a2", "a3")
KINDS = (EntityKind.VEHICLE,) * N
CATS = ("car",) * N
_WRITERS: list = []


def _boxes() -> dict[str, np.ndarray]:
    out = {"length": 4.5 * np.ones(N), "width": 1.9 * np.ones(N), "height": 1.5 * np.ones(N),
           "bbox_center_x": 1.4 * np.ones(N), "bbox_center_y": np.zeros(N), "bbox_center_z": 0.75 * np.ones(N)}
    for a in out.values():
        a.flags.writeable = False
    return out


def _stream(steps: int, seed: int, *, versioned: bool, spurious: int = 0, stale: tuple[int, ...] = ()):
    """Engine-style snapshots (``from_state_matrix`` into one arena's slots) whose collisions,
    signals and environment change now and then, each change bumping the writer's version when
    ``versioned``.  ``spurious``: also bump every that many steps with nothing replaced.  ``stale``:
    steps at which a field is replaced without a bump (a writer breaking the contract)."""
    rng = np.random.default_rng(seed)
    arena = StateArena(NAMES, "ego", capacity=steps)
    _WRITERS.append(arena)   # held as the engine's table holds its arena (``ArenaSlots.of`` finds held ones)
    boxes = _boxes()
    roads = ("7",) * N
    signals, environment, collisions = {"S1": "green"}, {"road_friction": 1.0}, ()
    version = 0
    x = np.arange(N) * 6.0
    for k in range(steps):
        t = round(0.01 * (k + 1), 9)
        x = x + 0.12 + rng.normal(0, 0.01, N)
        y = -1.75 + rng.normal(0, 0.2, N)
        if rng.random() < 0.05 or k in stale:
            collisions = () if collisions else (("ego", "a1"),)
            version += k not in stale
        if rng.random() < 0.03:
            signals = {"S1": str(rng.choice(["red", "green"]))}
            version += 1
        if rng.random() < 0.02:
            environment = {"road_friction": float(rng.uniform(0.3, 1.0))}
            version += 1
        if spurious and k % spurious == 0:
            version += 1
        state = arena.write([x, y, np.zeros(N), rng.normal(0, 0.05, N), np.zeros(N), np.zeros(N),
                             np.full(N, 12.0), np.full(N, 12.0), np.zeros(N), rng.normal(0, 1, N),
                             rng.normal(0, 1, N), rng.normal(0, 0.1, N), x, y + 1.75, np.full(N, -1.0)])
        lanes = tuple(LaneLocation(r, -1, float(x[i]), float(y[i] + 1.75)) for i, r in enumerate(roads))
        snap = WorldSnapshot.from_state_matrix(t, k, NAMES, KINDS, CATS, state, boxes, lanes, roads,
                                               rng.random(N) < 0.9, ego="ego", signals=signals,
                                               collisions=collisions, environment=environment)
        if versioned:   # as a writer sets it (``WorldSnapshot.shared_version``)
            snap.__dict__["shared_version"] = version
        yield snap


def _observe(snaps) -> tuple[MetricSuite, list[tuple[int, tuple]]]:
    """A suite fed the snapshots; and the buffer's (steps, change count, shared fields) after each step."""
    suite = MetricSuite(ScenarioContext())
    seen = []
    for snap in snaps:
        suite.observe(snap)
        seen.append((len(suite._buffer.changes), suite._buffer.shared))
    return suite, seen


def _same_results(a: MetricSuite, b: MetricSuite) -> None:
    x, y = a.finish(), b.finish()
    assert repr(x.scalars()) == repr(y.scalars())   # bit for bit, NaN included
    assert repr(x.events) == repr(y.events) and repr(x.verdicts) == repr(y.verdicts)
    assert repr(x.coverage) == repr(y.coverage)


def _values(shared: tuple) -> tuple:
    """The shared fields' values (array columns as bytes) of two writers' streams, compared."""
    return tuple(v.tobytes() if isinstance(v, np.ndarray) else v for v in shared)


def test_shared_fields_order_is_the_buffers():
    assert SHARED_FIELDS == _SHARED


def test_versions_keep_what_identities_keep():
    steps = 1500   # two blocks of 1,000 slots' worth, flushed mid-arena
    versioned, seen_v = _observe(_stream(steps, 3, versioned=True))
    plain, seen_p = _observe(_stream(steps, 3, versioned=False))
    assert [n for n, _ in seen_v] == [n for n, _ in seen_p]
    assert [_values(s) for _, s in seen_v] == [_values(s) for _, s in seen_p]
    assert max(n for n, _ in seen_v) > 3   # the stream changes its fields within a block
    _same_results(versioned, plain)


def test_a_bump_that_replaced_nothing_records_no_change():
    bumped, seen_b = _observe(_stream(800, 5, versioned=True, spurious=7))
    plain, seen_p = _observe(_stream(800, 5, versioned=False))
    assert [n for n, _ in seen_b] == [n for n, _ in seen_p]
    _same_results(bumped, plain)


def test_an_unchanged_version_is_trusted():
    """The suite does not look at the fields while the version holds (this is the saving): a writer
    that replaces a field without a bump has its change missed — why the engine's bumps are tested
    one by one.  Without versions the same stream's change is seen."""
    stale = (60,)   # a step at which this stream replaces nothing else
    _, seen_v = _observe(_stream(300, 11, versioned=True, stale=stale))
    _, seen_p = _observe(_stream(300, 11, versioned=False, stale=stale))
    at = _SHARED.index("collisions")
    assert seen_p[60][1][at] != seen_p[59][1][at]            # identities: the contact is seen at once
    assert seen_v[60][1][at] == seen_v[59][1][at]            # the same version: the old contact kept
    assert seen_v[60][0] == seen_v[59][0]


def test_none_and_replace_fall_back_to_identities():
    snaps = list(_stream(50, 2, versioned=True))
    snap = snaps[10]
    assert isinstance(snap.shared_version, int)
    copied = dataclasses.replace(snap, collisions=(("ego", "a2"),))
    assert copied.shared_version is None and copied.state is None   # replace never carries the version
    assert WorldSnapshot.from_states(0.0, 0, list(snap.entities())).shared_version is None
    # not an __init__ argument, not compared, not in the repr: a snapshot rebuilt from the same parts
    # without a version (``metrics.block_snapshots``) is equal to the one observed
    spec = next(f for f in dataclasses.fields(WorldSnapshot) if f.name == "shared_version")
    assert (spec.init, spec.compare, spec.repr, spec.default) == (False, False, False, None)
    rebuilt = WorldSnapshot.from_state_matrix(snap.time, snap.step, snap.names, snap.kinds, snap.categories,
                                              snap.state, {f: getattr(snap, f) for f in SHARED_FIELDS[6:]},
                                              snap.lanes, snap.lane_roads, snap.visible, ego=snap.ego,
                                              signals=snap.signals, collisions=snap.collisions,
                                              environment=snap.environment)
    assert rebuilt.shared_version is None
