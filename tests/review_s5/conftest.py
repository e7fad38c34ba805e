"""Review of the session-5 speed changes: the code at 3401fd1 (before them) as a separate tree, for the
differential tests that run it beside the current one (``diffrun``)."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
if str(HERE.parent) not in sys.path:
    sys.path.append(str(HERE.parent))                    # the shared review_trees (after every other entry)

from review_trees import REPO, base_tree_fixture, numba_caches_fixture  # noqa: E402

BASE_COMMIT = "3401fd1"
base_tree = base_tree_fixture(BASE_COMMIT, "REVIEW_S5_BASE", "review5_base")
numba_caches = numba_caches_fixture("REVIEW_S5_NUMBA", "review5_numba")
__all__ = ["REPO", "HERE", "BASE_COMMIT", "base_tree", "numba_caches"]
