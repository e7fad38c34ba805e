"""The collision metric's block pass (contact runs named once, steady runs decided from arrays)
against the step-by-step rules it condenses: ``_step`` played at every step with that step's
contact set, read independently from the block's box contacts and the backend's reports."""

from __future__ import annotations

import numpy as np
import pytest
from metrics_testkit import entity, snapshot

from metrics import ScenarioContext
from metrics.block import StepBlock
from metrics.safety import CollisionMetric
from simplatform.world import EntityKind


def _scene(seed: int, steps: int, with_ego: bool) -> list:
    """The ego with a car glued to it for seconds at a time (long contacts through which the
    remembered collision fades), stops and creeping below EPSILON, a static box, a pedestrian, and two
    NPCs touching each other; the backend reports a pair in runs of one shared tuple, equal
    distinct tuples, and a pair naming an entity not in the scene."""
    rng = np.random.default_rng(seed)
    dt = 0.05
    speed = np.repeat(rng.choice([0.0, 0.05, 0.2, 1.0, 3.0, 8.0], steps // 40 + 1), 40)[:steps]
    glued = np.repeat(rng.random(steps // 150 + 1) < 0.6, 150)[:steps]
    npc = np.repeat(rng.random(steps // 80 + 1) < 0.5, 80)[:steps]
    shared = ("c", "d")
    snaps, x = [], 0.0
    for k in range(steps):
        t = k * dt
        x += speed[k] * dt
        states = [
            entity("ego", x, 0.0, speed=float(speed[k]), ego=with_ego),
            entity("a", x + (3.5 if glued[k] else 12.0), 0.1 * np.sin(t), speed=float(speed[k]) + 0.5 * (k % 3)),
            entity("wall", 40.0, 0.5, kind=EntityKind.MISC_OBJECT, category="obstacle"),
            entity("p", 70.0 - 0.5 * t, 1.5, length=0.5, width=0.5, speed=0.5, kind=EntityKind.PEDESTRIAN,
                   category="pedestrian"),
            entity("c", 10.0 + t, 20.0, speed=1.0),
            entity("d", 10.0 + t + (3.0 if npc[k] else 9.0), 20.0 + 0.3 * np.cos(t), speed=2.0),
        ]
        mode = (k // 50) % 4
        reported = (shared if mode == 1 else (("d", "c"),) if mode == 2 else
                    (("ghost", "ego"), ("a", "ego")) if mode == 3 and k % 7 else ())
        snaps.append(snapshot(t, k, *states, collisions=reported if mode != 1 else (reported,)))
    return snaps


def _glued(steps: int = 500) -> list:
    """The ego in contact with ``a`` from the start: standing, creeping below EPSILON, then 0.2 m/s
    (the first candidate of the lasting contact counts; then the party fades after 5 s while the
    place holds), then 3 m/s (the place fades: ``a`` again), with ``b`` touching from behind later."""
    dt, snaps, x = 0.05, [], 0.0
    for k in range(steps):
        t = k * dt
        v = 0.0 if t < 1 else 0.05 if t < 2 else 0.2 if t < 10 else 3.0 if t < 16 else 0.5
        x += v * dt
        states = [entity("ego", x, 0.0, speed=v, ego=True), entity("a", x + 3.5, 0.0, speed=v + 1.0)]
        if t >= 12:
            states.append(entity("b", x - 3.5, 0.2, speed=v + 2.0))
        else:
            states.append(entity("b", x - 30.0, 0.2, speed=v + 2.0))
        snaps.append(snapshot(t, k, *states))
    return snaps


def _blocks(snaps: list, seed: int) -> list[StepBlock]:
    rng = np.random.default_rng(seed + 100)
    context, out, k, previous = ScenarioContext(), [], 0, None
    while k < len(snaps):
        n = int(rng.integers(1, 90))
        out.append(StepBlock(snaps[k:k + n], context, previous))
        previous = snaps[min(k + n, len(snaps)) - 1].time
        k += n
    return out


def _stepwise(blocks: list[StepBlock]) -> CollisionMetric:
    """Every step through ``_step``, its contact set named from the block's rows and reports."""
    metric = CollisionMetric(ScenarioContext())
    for block in blocks:
        names, rows = block.names, block.contacts.tolist()
        for k, snap in enumerate(block.snapshots):
            contact = {tuple(sorted((names[i], names[j]))) for s, i, j in rows if s == k}
            contact |= {tuple(sorted(p)) for p in snap.collisions if p[0] in names and p[1] in names}
            metric._step(block, snap, contact)
    return metric


def _block_pass_as_stepwise(snaps, seed: int) -> CollisionMetric:
    """The metric fed the blocks of ``snaps``, checked equal in events and result to the step-by-step rules."""
    fast = CollisionMetric(ScenarioContext())
    for block in _blocks(snaps, seed):
        fast.observe_block(block)
    slow = _stepwise(_blocks(snaps, seed))
    assert repr(fast.events) == repr(slow.events)
    assert repr(fast.result()) == repr(slow.result())
    return fast


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("with_ego", [True, False])
def test_block_pass_equals_the_step_by_step_rules(seed: int, with_ego: bool) -> None:
    snaps = _scene(seed, 700, with_ego)
    fast = _block_pass_as_stepwise(snaps, seed)
    assert len(fast.events) > 0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_lasting_ego_contact_decided_from_arrays_equals_the_step_by_step_rules(seed: int) -> None:
    snaps = _glued()
    fast = _block_pass_as_stepwise(snaps, seed)
    # at 2 s the first moving step; none at 7 s (the party faded, the place not); at 11.1 s the place
    # faded (5 m from 2 s's); then b touching from behind, a, b
    assert [(round(e.time, 2), e.entities) for e in fast.events if e.kind == "collision"] == [
        (2.0, ("a",)), (11.1, ("a",)), (12.8, ("b",)), (14.5, ("a",)), (17.3, ("b",))]


def test_the_scene_exercises_refaded_collisions_during_a_lasting_contact() -> None:
    """The comparison above means something: the ego collides again with the car still glued to it
    (the remembered place and party faded), and the NPCs' pair counts."""
    snaps = _scene(0, 700, True)
    fast = CollisionMetric(ScenarioContext())
    for block in _blocks(snaps, 0):
        fast.observe_block(block)
    ego_hits = [e for e in fast.events if e.kind == "collision"]
    assert sum(e.entities == ("a",) for e in ego_hits) >= 2
    assert any(e.kind == "collision_any" and e.entities == ("c", "d") for e in fast.events)
