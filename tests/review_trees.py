"""What the differential reviews (``tests/review_s5``, ``review_s6``, ``review_s6m``) share: the code at a
base commit as a separate tree, and where the two trees' numba caches go, as pytest fixtures.

Why one module: each review's ``conftest.py`` made these fixtures with the same lines, and its test
modules imported ``REPO``/``HERE`` back ``from conftest`` — a name every review folder has, so which
folder's conftest a test got depended on ``sys.path`` order when several reviews ran in one session."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Callable

import pytest

REPO = Path(__file__).resolve().parents[1]


def base_tree_fixture(commit: str, env: str, name: str) -> Callable:
    """A session fixture: the tree at ``commit`` (``git archive``; skipped where the repository's history is
    not there), or the existing checkout named by the environment variable ``env`` (its numba cache then
    stays warm between runs)."""

    @pytest.fixture(scope="session")
    def base_tree(tmp_path_factory) -> Path:
        if os.environ.get(env):
            return Path(os.environ[env])
        root = tmp_path_factory.mktemp(name)
        try:
            archive = subprocess.run(["git", "-C", str(REPO), "archive", commit], check=True,
                                     capture_output=True).stdout
        except (OSError, subprocess.CalledProcessError) as exc:
            pytest.skip(f"no git history for {commit}: {exc}")
        subprocess.run(["tar", "-x", "-C", str(root)], input=archive, check=True)
        return root

    return base_tree


def numba_caches_fixture(env: str, name: str) -> Callable:
    """A session fixture: where the two trees' numba caches go (``numba_base``, ``numba_new``); the
    environment variable ``env`` names a directory to keep them in."""

    @pytest.fixture(scope="session")
    def numba_caches(tmp_path_factory) -> Path:
        if os.environ.get(env):
            return Path(os.environ[env])
        return tmp_path_factory.mktemp(name)

    return numba_caches
