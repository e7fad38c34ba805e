"""Compiled broad phase of the conflict-zone (PET) metric (numba).

Why compiled: a zone group is looked at only in blocks where some box centre
comes within its bounding disc (``metrics.pet``); asked with numpy, that test
is five passes over the block's (steps × entities) centres even in the usual
block where nobody is near, and it stops at the first centre inside here.
The float operations are numpy's: (cx − x0)², (cy − y0)², their sum compared
with r² (no fused multiply-add: ``fastmath`` off), so the answer is the same.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def any_within(cx, cy, x0, y0, r2):
    """Whether any (cx, cy) satisfies (cx − x0)² + (cy − y0)² ≤ r2 (NaN never does)."""
    for i in range(cx.shape[0]):
        for j in range(cx.shape[1]):
            dx = cx[i, j] - x0
            dy = cy[i, j] - y0
            if dx * dx + dy * dy <= r2:
                return True
    return False
