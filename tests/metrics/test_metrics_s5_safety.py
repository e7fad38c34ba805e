"""Session 5's cheaper safety metrics, each against the rules or the kernel it replaces, bit for bit:
the collision metric's compiled pass (``metrics.collision_pass``) against ``_step`` at every step,
the route TTC's segment distance without its division where the projection clamps, and the ego
pass's shortcuts for separating pairs and for closest approaches that cannot be a row's minimum."""

from __future__ import annotations

import math

import numpy as np
import pytest
from metrics_testkit import entity, snapshot

from metrics import ScenarioContext, collision_pass, ego_pass, kernels, route_ttc
from metrics import safety as safety_module
from metrics.block import StepBlock
from metrics.safety import CollisionMetric
from simplatform.world import EntityKind


# ------------------------------------------------------------------ collision pass
def _creeping(steps: int = 600, dt: float = 0.05, kinds_change: bool = False) -> list:
    """The ego creeps at 0.25 m a step into a parked car and on past it (its hit place fades exactly
    5 m later: the band CPython's hypot decides), brushes a wall, and a pedestrian; two NPCs touch
    on and off; the backend reports the NPC pair in one shared tuple for a while.  With
    ``kinds_change`` the parked car is a misc object from step 50 on, before the ego hits it (a
    block's kinds are its first step's: a block from before then is played by ``_step``)."""
    snaps = []
    shared = (("n1", "n2"),)
    for k in range(steps):
        t = k * dt
        x = 0.25 * k
        kind = EntityKind.MISC_OBJECT if kinds_change and k >= 50 else EntityKind.VEHICLE
        states = [
            entity("ego", x, 0.0, speed=5.0, ego=True),
            entity("parked", 20.0, 0.5, kind=kind),
            entity("wall", 60.0, 1.1, length=30.0, width=0.5, kind=EntityKind.MISC_OBJECT, category="obstacle"),
            entity("ped", 110.0, 0.0, length=0.6, width=0.6, speed=0.0, kind=EntityKind.PEDESTRIAN,
                   category="pedestrian"),
            entity("n1", 50.0 + t, 30.0, speed=1.0),
            entity("n2", 50.0 + t + (3.0 if (k // 40) % 2 else 8.0), 30.0, speed=2.0),
        ]
        snaps.append(snapshot(t, k, *states, collisions=shared if 100 <= k < 260 else ()))
    return snaps


def _blocks(snaps: list, sizes: list[int]) -> list[StepBlock]:
    out, k, previous, q = [], 0, None, 0
    while k < len(snaps):
        n = sizes[q % len(sizes)]
        out.append(StepBlock(snaps[k:k + n], ScenarioContext(), previous))
        previous = snaps[min(k + n, len(snaps)) - 1].time
        k, q = k + n, q + 1
    return out


def _play(snaps: list, sizes: list[int], compiled: bool, monkeypatch) -> CollisionMetric:
    metric = CollisionMetric(ScenarioContext())
    with monkeypatch.context() as patch:
        if not compiled:   # every step through ``_step``
            patch.setattr(CollisionMetric, "_rules", lambda self, block, pairs, box, runs: False)
        for block in _blocks(snaps, sizes):
            metric.observe_block(block)
    return metric


@pytest.mark.parametrize("sizes", [[600], [1], [7, 93, 250], [299, 2, 299]])
@pytest.mark.parametrize("kinds_change", [False, True])
def test_the_compiled_collision_rules_equal_step_by_step(sizes, kinds_change, monkeypatch):
    snaps = _creeping(kinds_change=kinds_change)
    fast = _play(snaps, sizes, True, monkeypatch)
    slow = _play(snaps, sizes, False, monkeypatch)
    assert repr(fast.events) == repr(slow.events)
    assert repr(fast.result()) == repr(slow.result())
    assert (fast._last_id, fast._last_xy, fast._last_time, fast._in_contact, fast._last_onset) == (
        slow._last_id, slow._last_xy, slow._last_time, slow._in_contact, slow._last_onset)
    kinds = {e.kind for e in fast.events}
    assert {"collision_vehicle", "collision_static", "collision_pedestrian", "collision_any"} - kinds == (
        {"collision_vehicle"} if kinds_change else set())


def test_a_block_whose_kinds_change_before_an_ego_collision_is_played_step_by_step(monkeypatch):
    played = []
    real = CollisionMetric._stepwise
    monkeypatch.setattr(CollisionMetric, "_stepwise", lambda self, block, *a: (played.append(block.size),
                                                                                real(self, block, *a)))
    _play(_creeping(kinds_change=True), [600], True, monkeypatch)
    assert played == [600]
    played.clear()
    _play(_creeping(kinds_change=False), [600], True, monkeypatch)
    assert played == []


def test_the_fade_band_is_decided_by_cpythons_hypot(monkeypatch):
    """The ego is exactly 5 m (20 steps of 0.25 m) from where it hit the parked car: the pass stops
    there and resumes with ``math.hypot``'s answer."""
    asked = []
    real = math.hypot

    class _Math:
        def __getattr__(self, name):
            return getattr(math, name)

        @staticmethod
        def hypot(*a):
            asked.append(a)
            return real(*a)

    monkeypatch.setattr(safety_module, "math", _Math())
    metric = _play(_creeping(), [600], True, monkeypatch)
    assert asked and all(abs(real(*a) - 5.0) < 1e-6 for a in asked)
    assert any(e.kind == "collision" for e in metric.events)


def test_the_pass_grows_no_event_array_past_what_the_contacts_allow():
    """Every event is one (step, column) in contact: the pass sizes its output from that."""
    T, P = 50, 3
    matrix = np.ones((T, P), dtype=np.bool_)
    matrix[::2] = False   # an onset of every pair every other step
    times = np.arange(T) * 1.0 * 6   # 6 s apart: every onset counts
    z = np.zeros(T)
    stop, n, events, *_ = collision_pass.collision_rules(
        matrix, times, z, z, z, False, 0, -1, np.zeros(P, np.bool_), np.arange(P, dtype=np.int64),
        np.zeros(P, np.bool_), np.zeros(P), np.zeros(0, np.int64), np.full(P, -3, np.int64), np.zeros(1, np.bool_),
        -1, -math.inf, False, 0.0, 0.0, 5.0, 5.0, 0.1)
    assert stop == T and n == P * (T // 2) and events.shape[0] >= n
    assert events[:n, 0].tolist() == [k for k in range(1, T, 2) for _ in range(P)]


def test_warm_up_compiles_the_collision_kernels():
    collision_pass.warm_up()
    for kernel in (collision_pass.box_pair_columns, collision_pass.contact_matrix, collision_pass.collision_rules):
        assert kernel.signatures


# ------------------------------------------------------------------ route TTC segments
def test_segment_distance_without_the_clamped_division_is_the_reference_bit_for_bit():
    rng = np.random.default_rng(5)
    px = np.concatenate([[0.0, 2.0, 2.0, 4.0, 4.0], np.cumsum(rng.normal(1.0, 1.0, 30)) + 4.0])
    py = np.concatenate([[0.0, 0.0, 0.0, 1.0, 1.0 + 1e-300], rng.normal(0.0, 1.0, 30)])
    sdx, sdy, sll = route_ttc._segment_tables(px, py)
    points = [(px[i] + dx, py[i] + dy) for i in range(len(px)) for dx in (-1.0, -0.0, 0.0, 1e-17, 0.5, 2.0)
              for dy in (0.0, -0.0, 1.0)]
    points += [tuple(p) for p in rng.normal(10.0, 10.0, (200, 2))] + [(math.nan, 0.0), (math.inf, 1.0)]
    for i in range(len(px) - 1):
        for x, y in points:
            want = kernels._segment_d2(px, py, i, x, y)
            got = route_ttc._segment_d2(px[i], py[i], sdx[i], sdy[i], sll[i], x, y)
            assert np.float64(want).tobytes() == np.float64(got).tobytes(), (i, x, y, want, got)


# ------------------------------------------------------------------ ego pass shortcuts
def _reference(e, cx, cy, vx, vy, c, s, length, width, near, horizon):
    radius = 0.5 * np.hypot(length, width)
    corners = kernels.block_corners(cx, cy, c, s, length, width)
    dist, gap, closing, in_path, ttc, ttc2, miss, lead = kernels.ego_pairs(
        e, cx, cy, vx, vy, c, s, length, width, radius, corners, near, horizon)
    lead_gap, lead_closing = kernels.lead_values(lead, gap, closing)
    minima = [kernels.row_argmin(a) for a in (dist, ttc, ttc2, miss)]
    return radius, dist, ttc, minima, lead, lead_gap, lead_closing


def _bits(a) -> bytes:
    return np.ascontiguousarray(a).tobytes()


@pytest.mark.parametrize("case", ["tiny_apart", "huge_speed", "equal_miss", "random"])
def test_ego_pass_shortcuts_keep_every_answer(case):
    """Pairs moving apart by a hair (p·v about 1e-300), at speeds whose square passes 1e50, and
    closest approaches whose max(|u|, |v|) equals the row's minimum (the hypot is skipped only
    where it cannot be smaller)."""
    rng = np.random.default_rng({"tiny_apart": 1, "huge_speed": 2, "equal_miss": 3, "random": 4}[case])
    T, N = 60, 8
    cx, cy = rng.normal(0.0, 8.0, (T, N)), rng.normal(0.0, 8.0, (T, N))
    vx, vy = rng.normal(0.0, 5.0, (T, N)), rng.normal(0.0, 5.0, (T, N))
    if case == "tiny_apart":
        cx[:, 0], cy[:, 0], vx[:, 0], vy[:, 0] = 0.0, 0.0, 0.0, 0.0
        cx[:, 1:], cy[:, 1:] = 10.0, 0.0
        vx[:, 1:] = np.array([1e-301, 1e-300, 1e-250, 2e-250, 1e-200, -1e-300, 5e-324])[None, :]
        vy[:, 1:] = 0.0
    elif case == "huge_speed":
        vx[:, 1:4] = np.array([1e25, 3e25, 1e160])[None, :]
    elif case == "equal_miss":
        # entities passing at the same offsets: closest approaches tie exactly
        cx[:, 0], cy[:, 0], vx[:, 0], vy[:, 0] = 0.0, 0.0, 0.0, 0.0
        cx[:, 1:], cy[:, 1:] = 20.0, 3.0
        vx[:, 1:], vy[:, 1:] = -10.0, 0.0
        cy[:, 4:], vy[:, 4:] = 0.0, -0.0
    h = rng.uniform(-math.pi, math.pi, (T, N))
    c, s = np.cos(h), np.sin(h)
    length = np.repeat(rng.uniform(0.5, 6.0, (1, N)), T, axis=0)
    width = np.repeat(rng.uniform(0.4, 2.5, (1, N)), T, axis=0)
    radius, dist, ttc, minima, lead, lead_gap, lead_closing = _reference(0, cx, cy, vx, vy, c, s, length, width,
                                                                          2.0, 5.0)
    kin = np.full((T, 15, N), np.nan)
    kin[:, 7], kin[:, 8] = vx, vy
    kin.flags.writeable = False
    got = ego_pass.ego_pass(0, cx, cy, kin, 7, 8, c, s, length, width, radius, 2.0, 5.0)
    assert _bits(got[0]) == _bits(dist) and _bits(got[1]) == _bits(ttc)
    for q, (at, low) in enumerate(minima):
        assert _bits(got[2][q]) == _bits(at) and _bits(got[3][q]) == _bits(low), q
    assert _bits(got[4]) == _bits(lead) and _bits(got[5]) == _bits(lead_gap) and _bits(got[6]) == _bits(lead_closing)


# ------------------------------------------------------------------ contact sweep's centre test
def _pair_near_contact(rng, scale: float):
    """Two boxes whose gap along a random direction is a chosen small number (some exactly 0)."""
    hi, hj = rng.uniform(-math.pi, math.pi, 2)
    if rng.random() < 0.3:   # axis-aligned, the edges can meet exactly
        hi, hj = rng.integers(0, 4, 2) * (math.pi / 2)
    li, wi, lj, wj = rng.choice([0.1, 0.5, 1.8, 4.5, 12.0, 60.0], 4)
    xi, yi = rng.uniform(-scale, scale, 2)
    d = rng.uniform(-math.pi, math.pi)
    gap = rng.choice([0.0, 1e-12, -1e-12, 1e-7, -1e-7, 5e-5, -5e-5, 2e-4, -2e-4, 1e-2, -1e-2, 0.5])
    reach = (0.5 * math.hypot(li, wi) + 0.5 * math.hypot(lj, wj)) * rng.uniform(0.3, 1.0) + gap
    return (xi, yi, math.cos(hi), math.sin(hi), li, wi,
            xi + reach * math.cos(d), yi + reach * math.sin(d), math.cos(hj), math.sin(hj), lj, wj)


@pytest.mark.parametrize("scale", [10.0, 5e3, 9e4, 3e5])
def test_the_centre_separating_axis_test_decides_as_the_corner_test_or_defers(scale):
    from metrics import contact_sweep

    rng = np.random.default_rng(int(scale))
    decided = 0
    for _ in range(4000):
        p = _pair_near_contact(rng, scale)
        want = contact_sweep._touch(contact_sweep._corners(*p[:6]), contact_sweep._corners(*p[6:]))
        got = contact_sweep._decided(*p)
        if max(abs(p[0]), abs(p[1]), abs(p[6]), abs(p[7])) > 1e5:
            assert got == -1   # beyond the bounds it always defers
        if got >= 0:
            decided += 1
            assert bool(got) == want, p
    assert decided > (2000 if scale <= 1e4 else 300)
    fine = (0.0, 0.0, 1.0, 0.0, 4.0, 2.0, 1.0, 0.0, 1.0, 0.0, 4.0, 2.0)
    assert contact_sweep._decided(*fine) == 1
    for q in range(12):   # a NaN or an infinity anywhere defers
        for bad in (math.nan, math.inf, -math.inf):
            assert contact_sweep._decided(*fine[:q], bad, *fine[q + 1:]) == -1, (q, bad)
    assert contact_sweep._decided(0.0, 0.0, 1.0, 0.0, 0.0, 2.0, 1.0, 0.0, 1.0, 0.0, 4.0, 2.0) == -1


@pytest.mark.parametrize("middle", ["no_ego", "empty"])
def test_a_block_without_the_ego_keeps_the_remembered_collision(middle, monkeypatch):
    """The ego hits ``p``; a step without the ego (another block); 1 s later, 10 m on, it touches
    ``p`` again: within 5 s of the last collision with ``p``, so no new one (as ``_step`` plays it)."""
    between = [entity("p", 5.1, 0.0, length=0.6, width=0.6, kind=EntityKind.PEDESTRIAN, category="pedestrian")]
    snaps = [snapshot(0.0, 0, entity("ego", 0.0, 0.0, speed=10.0, ego=True),
                      entity("p", 2.0, 0.0, length=0.6, width=0.6, kind=EntityKind.PEDESTRIAN, category="pedestrian")),
             snapshot(0.5, 1, *(between if middle == "no_ego" else [])),
             snapshot(1.0, 2, entity("ego", 10.0, 0.0, speed=10.0, ego=True),
                      entity("p", 12.0, 0.0, length=0.6, width=0.6, kind=EntityKind.PEDESTRIAN, category="pedestrian"))]
    fast = _play(snaps, [1], True, monkeypatch)
    slow = _play(snaps, [1], False, monkeypatch)
    assert repr(fast.events) == repr(slow.events)
    assert [e.kind for e in fast.events].count("collision") == 1
