"""Lane geometry of one road: lane sections, widths/borders, lane offset → t of
every lane boundary at any s (ASAM OpenDRIVE 1.8.0 §11).

Why tables: per side and per lane rank j (|lane id|), the width (or border)
records of all lane sections are concatenated into one piecewise-cubic table
keyed by absolute s, with NaN records where a section has no lane of that
rank.  A lane's boundaries at any number of s are then |id| table look-ups,
with no per-point Python.  The rules applied:

* §11.5.1 width records have sOffset relative to the section start; the outer
  boundary of lane j is the inner one plus (left) / minus (right) its width;
* §11.5.2 a lane given by <border> has its outer boundary at the border
  polynomial (relative to the lane-offset-shifted centre, as libOpenDRIVE
  and esmini read it); a lane with both uses <width>, as §11.5 requires;
* §11.3 the lane offset shifts the centre lane (lane 0) from the reference line;
* §11.2 a ``singleSide`` section replaces only the side it defines, the other
  side continues from the section before.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from simplatform.errors import RoadNetworkError
from simplatform.opendrive import model as m
from simplatform.opendrive.plan_view import CubicTable


@dataclass(frozen=True)
class RankTable:
    """Records for lanes of one rank j on one side, over the whole road."""

    start: np.ndarray  # absolute s from which the record applies
    origin: np.ndarray  # absolute s the polynomial's ds is measured from
    coef: np.ndarray  # (n, 4), NaN rows where the rank does not exist
    border: np.ndarray  # bool: record is a border (absolute t), not a width
    start_list: list
    rows: list  # python tuples (origin, a, b, c, d, border) for the scalar path

    def evaluate(self, s: np.ndarray):
        i = np.maximum(np.searchsorted(self.start, s, side="right") - 1, 0)
        ds = s - self.origin[i]
        c = self.coef[i]
        return c[:, 0] + ds * (c[:, 1] + ds * (c[:, 2] + ds * c[:, 3])), self.border[i]

    def evaluate_scalar(self, s: float) -> tuple[float, bool]:
        i = max(bisect.bisect_right(self.start_list, s) - 1, 0)
        origin, a, b, c, d, border = self.rows[i]
        ds = s - origin
        return a + ds * (b + ds * (c + ds * d)), border


@dataclass(frozen=True)
class LaneBorderTables:
    """What ``RoadLanes.boundaries(lane_id, s)`` evaluates, as flat arrays for a compiled loop.

    At each s: the lane offset o = a + ds(b + ds(c + ds·d)) of the last ``offset_s`` ≤ s
    (ds from it; o = 0 before the first or with none, §11.3); inner = outer = o; then for each
    rank j < ``ranks`` (records ``rank_start[j]:rank_start[j + 1]`` of ``start``, ``origin``,
    ``coef``, ``border``): the last record whose start ≤ s (the first if none), ds = s − origin,
    v = c0 + ds(c1 + ds(c2 + ds·c3)), inner = outer, outer = o + v if border else
    outer + side·v.  ``ranks`` is −1 where the side has fewer ranks than the lane's
    (NaN borders).  ``lane_boundaries_many`` then makes inner NaN where outer is."""

    side: int
    ranks: int
    offset_s: np.ndarray
    offset_coef: np.ndarray   # (n, 4)
    start: np.ndarray
    origin: np.ndarray
    coef: np.ndarray          # (m, 4)
    border: np.ndarray        # bool
    rank_start: np.ndarray    # int64 (ranks + 1)


class RoadLanes:
    """Lane sections and lane boundary tables of one road."""

    def __init__(self, road: m.Road, source: str = "") -> None:
        self.road = road
        self.source = source
        self.sections = road.lane_sections
        self.section_s = np.array([sec.s for sec in self.sections])
        self.section_s_list = [sec.s for sec in self.sections]
        self.offset = CubicTable.of(road.lane_offsets)
        self._offset_rows = [(r.s, r.a, r.b, r.c, r.d) for r in road.lane_offsets]
        self._offset_s = [r.s for r in road.lane_offsets]
        self.side_sections: dict[int, list[int]] = {}
        self.side_section_s: dict[int, list[float]] = {}
        self.tables: dict[int, list[RankTable]] = {}
        for side in (1, -1):
            self._build_side(side)

    # ------------------------------------------------------------- building
    def _build_side(self, side: int) -> None:
        effective = [k for k, sec in enumerate(self.sections)
                     if not sec.single_side or (sec.left if side > 0 else sec.right) or k == 0]
        self.side_sections[side] = effective
        self.side_section_s[side] = [self.sections[k].s for k in effective]
        ranks = max((len(self.sections[k].left if side > 0 else self.sections[k].right) for k in effective),
                    default=0)
        tables = []
        for j in range(1, ranks + 1):
            start, origin, coef, border = [], [], [], []
            for k in effective:
                sec = self.sections[k]
                lanes = sec.left if side > 0 else sec.right
                if j > len(lanes):
                    start.append(sec.s), origin.append(sec.s), coef.append([np.nan] * 4), border.append(False)
                    continue
                lane = lanes[j - 1]
                records = lane.widths or lane.borders
                is_border = not lane.widths
                for n, r in enumerate(records):
                    start.append(sec.s if n == 0 else sec.s + r.s)
                    origin.append(sec.s + r.s)
                    coef.append([r.a, r.b, r.c, r.d])
                    border.append(is_border)
            coef_a = np.array(coef, dtype=float)
            rows = [(o, *c, b) for o, c, b in zip(origin, coef_a.tolist(), border)]
            tables.append(RankTable(np.array(start), np.array(origin), coef_a, np.array(border, dtype=bool),
                                    list(start), rows))
        self.tables[side] = tables

    # -------------------------------------------------------------- lookup
    def section_index(self, s: float, side: int = 0) -> int:
        """Index of the lane section at s (for a side: the one defining that side)."""
        if side == 0:
            return max(bisect.bisect_right(self.section_s_list, s) - 1, 0)
        k = max(bisect.bisect_right(self.side_section_s[side], s) - 1, 0)
        return self.side_sections[side][k]

    def section_at(self, s: float) -> m.LaneSection:
        return self.sections[self.section_index(s)]

    def lane(self, lane_id: int, s: float) -> m.Lane:
        """The lane record with ``lane_id`` at s; RoadNetworkError if there is none."""
        side = (lane_id > 0) - (lane_id < 0)
        sec = self.sections[self.section_index(s, side)]
        if lane_id == 0:
            return sec.center
        lanes = sec.left if side > 0 else sec.right
        if abs(lane_id) > len(lanes):
            raise RoadNetworkError(
                f"road {self.road.id} has no lane {lane_id} at s={s:.3f} (lanes there: {self.lane_ids(s)})",
                file=self.source or None, line=sec.line, element="laneSection")
        return lanes[abs(lane_id) - 1]

    def lane_ids(self, s: float) -> list[int]:
        """Lane ids at s from the leftmost to the rightmost, 0 included."""
        left = self.sections[self.section_index(s, 1)].left
        right = self.sections[self.section_index(s, -1)].right
        return [lane.id for lane in reversed(left)] + [0] + [lane.id for lane in right]

    # --------------------------------------------------------- boundaries
    def offset_scalar(self, s: float) -> float:
        if not self._offset_s:
            return 0.0
        i = bisect.bisect_right(self._offset_s, s) - 1
        if i < 0:
            return 0.0
        s0, a, b, c, d = self._offset_rows[i]
        ds = s - s0
        return a + ds * (b + ds * (c + ds * d))

    def boundaries_scalar(self, lane_id: int, s: float) -> tuple[float, float]:
        """(t_inner, t_outer) of a lane at s; the centre lane gives (offset, offset)."""
        offset = self.offset_scalar(s)
        if lane_id == 0:
            return offset, offset
        side = 1 if lane_id > 0 else -1
        tables = self.tables[side]
        n = abs(lane_id)
        if n > len(tables):
            self.lane(lane_id, s)  # raises the located error
        inner = outer = offset
        for j in range(n):
            value, border = tables[j].evaluate_scalar(s)
            inner = outer
            outer = offset + value if border else outer + side * value
        if outer != outer:  # NaN: the lane does not exist in this section
            self.lane(lane_id, s)
        return inner, outer

    def boundaries(self, lane_id: int, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Vectorised (t_inner, t_outer) of one lane at many s (NaN where it does not exist)."""
        s = np.asarray(s, dtype=float)
        offset, _ = self.offset(s)
        if lane_id == 0:
            return offset, offset
        side = 1 if lane_id > 0 else -1
        tables = self.tables[side]
        n = abs(lane_id)
        if n > len(tables):
            nan = np.full(s.shape, np.nan)
            return nan, nan
        inner = outer = offset
        for j in range(n):
            value, border = tables[j].evaluate(s)
            inner = outer
            outer = np.where(border, offset + value, outer + side * value)
        return inner, outer

    def border_tables(self, lane_id: int) -> LaneBorderTables:
        """The tables ``boundaries(lane_id, s)`` reads (``LaneBorderTables``), C-contiguous."""
        side = (lane_id > 0) - (lane_id < 0)
        tables = self.tables[side] if side else []
        n = abs(lane_id)
        used = tables[:n] if n <= len(tables) else []
        return LaneBorderTables(
            side, n if n <= len(tables) else -1,
            np.ascontiguousarray(self.offset.s, dtype=float), np.ascontiguousarray(self.offset.coef, dtype=float),
            _flat([t.start for t in used], float), _flat([t.origin for t in used], float),
            _flat([t.coef for t in used], float).reshape(-1, 4), _flat([t.border for t in used], bool),
            np.cumsum([0] + [t.start.size for t in used]).astype(np.int64))

    def all_outer(self, side: int, s: np.ndarray) -> np.ndarray:
        """Outer boundary t of every lane rank on one side: shape (ranks, len(s)), NaN where absent."""
        offset, _ = self.offset(s)
        tables = self.tables[side]
        out = np.empty((len(tables), len(s)))
        outer = offset
        for j, table in enumerate(tables):
            value, border = table.evaluate(s)
            outer = np.where(border, offset + value, outer + side * value)
            out[j] = outer
        return out

    # -------------------------------------------------------------- heights
    @cached_property
    def has_heights(self) -> bool:
        """Whether any lane of the road raises its surface (§11.7.4)."""
        return any(lane.heights for sec in self.sections for lane in (*sec.left, *sec.right))

    def height_scalar(self, lane_id: int, s: float, inner: float, outer: float, t: float) -> float:
        """Lane height at t: the record's inner→outer height, linear across the lane."""
        if lane_id == 0:
            return 0.0
        side = 1 if lane_id > 0 else -1
        sec = self.sections[self.section_index(s, side)]
        lanes = sec.left if side > 0 else sec.right
        if abs(lane_id) > len(lanes):
            return 0.0
        active = [h for h in lanes[abs(lane_id) - 1].heights if h.s_offset <= s - sec.s + 1e-12]
        if not active:
            return 0.0
        h = active[-1]
        width = outer - inner
        frac = (t - inner) / width if width != 0.0 else 0.0
        return h.inner + (h.outer - h.inner) * min(max(frac, 0.0), 1.0)

    def heights(self, lane_id: int, s: np.ndarray, inner: np.ndarray, outer: np.ndarray,
                t: np.ndarray) -> np.ndarray:
        """Vectorised ``height_scalar`` (a loop over lane sections, not points)."""
        out = np.zeros(np.shape(s))
        if lane_id == 0:
            return out
        side = 1 if lane_id > 0 else -1
        eff = self.side_sections[side]
        k = np.maximum(np.searchsorted(np.array(self.side_section_s[side]), s, side="right") - 1, 0)
        for kk in np.unique(k):
            sec = self.sections[eff[int(kk)]]
            lanes = sec.left if side > 0 else sec.right
            if abs(lane_id) > len(lanes) or not lanes[abs(lane_id) - 1].heights:
                continue
            records = lanes[abs(lane_id) - 1].heights
            mask = k == kk
            starts = np.array([h.s_offset for h in records]) + sec.s
            j = np.searchsorted(starts, s[mask], side="right") - 1
            h_in = np.where(j >= 0, np.array([h.inner for h in records])[np.maximum(j, 0)], 0.0)
            h_out = np.where(j >= 0, np.array([h.outer for h in records])[np.maximum(j, 0)], 0.0)
            width = outer[mask] - inner[mask]
            with np.errstate(invalid="ignore", divide="ignore"):
                frac = np.clip(np.where(width != 0.0, (t[mask] - inner[mask]) / width, 0.0), 0.0, 1.0)
            out[mask] = h_in + (h_out - h_in) * frac
        return out


def _flat(parts: list[np.ndarray], dtype) -> np.ndarray:
    """The rank tables' arrays one after the other, C-contiguous (empty when there are none)."""
    return np.ascontiguousarray(np.concatenate(parts), dtype=dtype) if parts else np.zeros(0, dtype=dtype)
