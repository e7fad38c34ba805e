"""Fixtures for the metrics tests; the fake road and builders live in ``metrics_testkit``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from metrics_testkit import FakeStraightRoad  # noqa: E402


@pytest.fixture
def road() -> FakeStraightRoad:
    return FakeStraightRoad()
