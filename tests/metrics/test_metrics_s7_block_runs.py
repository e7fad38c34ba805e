"""``StepBlock.runs_of``: what ``collision_pass`` reads of a block's shared fields (session 7)."""

from __future__ import annotations

import numpy as np

from metrics import ScenarioContext, collision_pass
from metrics.block import StepBlock
from simplatform.world import STATE_ROWS, EntityKind, WorldSnapshot


def _snapshots(T: int, N: int) -> list[WorldSnapshot]:
    """T steps of N cars, each with a state matrix of its own (no arena, as other backends hand them over)."""
    names = tuple(["ego"] + [f"c{i}" for i in range(1, N)])
    box = {"length": np.full(N, 4.5), "width": np.full(N, 1.9), "height": np.full(N, 1.5),
           "bbox_center_x": np.full(N, 1.4), "bbox_center_y": np.zeros(N), "bbox_center_z": np.full(N, 0.75)}
    state = np.zeros((len(STATE_ROWS), N))
    state[0] = 10.0 * np.arange(N)
    return [WorldSnapshot.from_state_matrix(0.01 * k, k, names, (EntityKind.VEHICLE,) * N, ("car",) * N, state.copy(),
                                            box, (None,) * N, (None,) * N, np.ones(N, bool), ego="ego")
            for k in range(T)]


def test_runs_of_is_none_for_a_block_of_snapshots_whose_fields_are_then_read_per_step():
    """None for a block of snapshots, whose collision stretches and kinds are then scanned per step."""
    snaps = _snapshots(6, 3)
    block = StepBlock(snaps, ScenarioContext())
    assert block.runs_of("collisions") is None and block.runs_of("kinds") is None
    assert collision_pass.collision_stretches(block) == [(0, 6, snaps[0].collisions)]
    assert collision_pass.kinds_at(block)(5) == snaps[5].kinds
