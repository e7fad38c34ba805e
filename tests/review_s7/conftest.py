"""Review of the session-7 lidar speed changes (issue #5: the box-first proof ``sensors/static_boxes.py`` and
its follow-ups, the Livox band pairs): the code at e23f302 (before them) as a separate tree, for the
differential tests that run it beside the current one (``s7diff``, reusing ``review_s6``'s driver)."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for extra in (HERE, HERE.parent / "review_s6"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))
if str(HERE.parent) not in sys.path:
    sys.path.append(str(HERE.parent))                    # the shared review_trees (after every other entry)

from review_trees import REPO, base_tree_fixture, numba_caches_fixture  # noqa: E402

BASE_COMMIT = "e23f302"
base_tree = base_tree_fixture(BASE_COMMIT, "REVIEW_S7_BASE", "review7_base")
numba_caches = numba_caches_fixture("REVIEW_S7_NUMBA", "review7_numba")
__all__ = ["REPO", "HERE", "BASE_COMMIT", "base_tree", "numba_caches"]
