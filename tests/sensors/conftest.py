"""Makes ``sensors_testworld`` (shared test worlds) importable under pytest's importlib mode."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from sensors_testworld import ego_world  # noqa: E402


@pytest.fixture
def ego_only():
    return ego_world()
