"""The box-corner and wrong-way state of ``EgoRoadBlock``, one compiled pass on the usual block.

Why its own module: ``metrics.road_block`` finds where the ego is on the road; what the lane
departure, sidewalk and wrong-way metrics then ask of a block on one lane — the reference
heading and curvature, the box corners in the lane frame, the wrong-way test — is answered here
by one kernel (``metrics.road_pass_kernels.one_lane_pass``: one call and two arrays a block where
there were five kernels, a dozen numpy calls and nine arrays; issue #7).  Any other block (several
lanes, a road model without reference-line tables, a parametric geometry) takes the separate
path, which the pass is tested against bit for bit.  ``OnePassViews`` is mixed into
``EgoRoadBlock`` and reads its per-step state (``block``, ``view``, ``s``, ``t``, ``low``, ``high``,
``on_road``, ``road_code``, ``_one``, ``_reference``, ``_one_type``, ``_type_mask``) and its
``_guard()`` (``road_block.LATERAL_GUARD``, read where it is defined at each call, so that a test
can set it).
"""

from __future__ import annotations

import math

import numpy as np

from metrics import road_kernels, road_lane_kernels, road_pass_kernels
from metrics.lazy import lazy
from metrics.road_corners import CornerState

WRONG_WAY_ANGLE = math.radians(120.0)
SIDEWALK = frozenset({"sidewalk"})


def _groups(keys: np.ndarray, rows: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """(key, the ``rows`` with that key) for the distinct keys of ``keys[rows]``; one comparison when
    all are equal (a block usually stays on one road and lane)."""
    k = keys[rows]
    if k.size == 0:
        return []
    first = k[0]
    if (k == first).all():
        return [(int(first), rows)]
    uniq, inverse = np.unique(k, return_inverse=True)
    return [(key, rows[inverse == n]) for n, key in enumerate(uniq.tolist())]


class OnePassViews:
    """``corners`` and the one-lane pass of ``EgoRoadBlock`` (see the module docstring)."""

    _kappa_everywhere = False
    """Set when the road model gave the curvature at every step of a one-lane block."""

    @lazy
    def _one_pass(self) -> tuple[np.ndarray, np.ndarray, bool] | None:
        """``road_pass_kernels.one_lane_pass`` of a block on one lane whose road has reference-line
        tables: (floats (3, T), bools (4, T), every step settled); None where it does not apply
        (the separate path answers then)."""
        one = self._one
        if one is None:
            return None
        view = self.view
        plan = view.plan_tables(one[0])
        if plan is None:
            return None
        block = self.block
        cx, cy = block.centers
        c, s = block.cos_sin
        box = block.box_rows
        fout, bout, every, done = road_pass_kernels.one_lane_pass(
            self.s, self.t, self.low, self.high, *plan, np.ascontiguousarray(block.ego_col("x")),
            np.ascontiguousarray(block.ego_col("y")), np.ascontiguousarray(block.ego_col("heading")), cx, cy, c, s,
            box["length"], box["width"], block.ego_index, view.length(one[0]), self._guard(),
            view.in_junction(one[0]), view.direction(*one) <= 0, WRONG_WAY_ANGLE)
        if not done:   # a parametric geometry: the road model's headings (``RoadView.heading_curvature``)
            return None
        self._kappa_everywhere = True
        return fout, bout, every

    @lazy
    def corners(self) -> CornerState:
        """Lane departure and sidewalk state of the ego's box corners (``metrics.road_block``'s
        module docstring).

        On a block on one lane: the one-lane pass.  Else one compiled call per road of the block
        (``road_kernels.lane_frame_corners``) on every on-road step the road model gave a curvature
        for, on the block's ``ego_corners`` (the ego's box alone: the same floats as
        ``corners[:, ego]``)."""
        if self._one is not None:
            fused = self._one_pass
            if fused is not None:
                fout, bout, every = fused
                return self._corner_state(None, fout[road_pass_kernels.ROW_MARGIN],
                                          bout[road_pass_kernels.ROW_DEPARTED], bout[road_pass_kernels.ROW_TRUSTED],
                                          every)
        T = self.block.size
        heading, kappa, has_kappa = self._reference
        cos_h, sin_h = np.cos(heading), np.sin(heading)
        ref_x, ref_y = (np.ascontiguousarray(self.block.ego_col(n)) for n in ("x", "y"))
        corners = self.block.ego_corners
        if self._one is not None and self._kappa_everywhere:
            # every step on one lane with a curvature: one compiled call makes the arrays and
            # settles every row (``road_lane_kernels.one_lane_corners``: the same rule as
            # ``lane_frame_corners`` below, float for float)
            margin, departed, trusted, every = road_lane_kernels.one_lane_corners(
                corners, ref_x, ref_y, cos_h, sin_h, kappa, self.s, self.t, self.low, self.high,
                float(self.view.lengths()[self.road_code[0]]), self._guard())
            return self._corner_state(corners, margin, departed, trusted, every)
        margin = np.full(T, np.nan)
        departed = ~self.on_road      # a settled step is on the road: it stays False there
        trusted = np.zeros(T, dtype=bool)
        groups = _groups(self.road_code, np.flatnonzero(self.on_road & has_kappa))
        if groups:
            lengths = self.view.lengths()
            guard = self._guard()
            for code, idx in groups:
                road_kernels.lane_frame_corners(idx, corners, ref_x, ref_y, cos_h, sin_h, kappa, self.s, self.t,
                                                self.low, self.high, float(lengths[code]), guard,
                                                trusted, margin)
        return self._corner_state(corners, margin, departed, trusted, self._one is not None and trusted.all())

    def _corner_state(self, corners: np.ndarray | None, margin: np.ndarray, departed: np.ndarray,
                      trusted: np.ndarray, every: bool) -> CornerState:
        """Sidewalk flags and the exact locate of the steps not settled in the lane frame
        (``every``: a block on one lane whose every step is settled, so none is located;
        ``corners``: the ego's, None for ``block.ego_corners``, made only if a step is located)."""
        T = self.block.size
        one = self._one_type
        no_sidewalk = one is not None and not self.view.type_table(SIDEWALK)[one]
        if no_sidewalk:   # no sidewalk anywhere: trusted & False
            sidewalk = np.zeros(T, dtype=bool)
        elif trusted.any():
            sidewalk = trusted & self._type_mask(SIDEWALK)
        else:
            sidewalk = np.zeros(T, dtype=bool)
        if every:   # every step on the road and settled: none to locate
            exact = np.zeros(0, dtype=np.int64)
        else:
            exact = np.flatnonzero(self.on_road & ~trusted)
        if exact.size:
            self._locate_corners(exact, self.block.ego_corners if corners is None else corners, margin, departed,
                                 sidewalk)
        # ``every`` on the fused path: nothing located, and its departures are all False
        quiet = every and self._kappa_everywhere
        return CornerState(margin, departed, sidewalk, exact, quiet, quiet and no_sidewalk)
