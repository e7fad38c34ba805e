"""Review of the session-6 metric speed changes (issue #7): the code at fb91629 (before them) as a
separate tree, for the differential tests that run it beside the current one (``diffrun``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_COMMIT = "fb91629"
REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
for path in (HERE, HERE.parent / "review_s5"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


@pytest.fixture(scope="session")
def base_tree(tmp_path_factory) -> Path:
    """The tree at ``BASE_COMMIT`` (``git archive``; skipped where the repository's history is not there).
    ``REVIEW_S6_BASE``: an existing checkout of it instead (its numba cache then stays warm between runs)."""
    if os.environ.get("REVIEW_S6_BASE"):
        return Path(os.environ["REVIEW_S6_BASE"])
    root = tmp_path_factory.mktemp("review6m_base")
    try:
        archive = subprocess.run(["git", "-C", str(REPO), "archive", BASE_COMMIT], check=True, capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"no git history for {BASE_COMMIT}: {exc}")
    subprocess.run(["tar", "-x", "-C", str(root)], input=archive, check=True)
    return root


@pytest.fixture(scope="session")
def numba_caches(tmp_path_factory) -> Path:
    """Where the two trees' numba caches go (``numba_base``, ``numba_new``); ``REVIEW_S6_NUMBA`` to keep them."""
    if os.environ.get("REVIEW_S6_NUMBA"):
        return Path(os.environ["REVIEW_S6_NUMBA"])
    return tmp_path_factory.mktemp("review6m_numba")
