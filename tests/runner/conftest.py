"""Shared fixtures: one small generated suite per test session (2 s scenarios)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent


def _load(name: str):
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


suite_files = _load("runner_suite_files")
notes_files = _load("runner_notes_files")  # the notes tests' scenarios (test_runner_s11_notes*.py)
FAULTY = str(HERE / "runner_faulty_stacks.py")


@pytest.fixture(scope="session")
def small_suite(tmp_path_factory) -> Path:
    """index.yaml with brake.000-001 (fail) and cruise.000-001 (pass), 2 s each."""
    return suite_files.make_suite(tmp_path_factory.mktemp("suite"), n_brake=2, n_cruise=2, duration=2.0)


@pytest.fixture
def faulty() -> str:
    """``file.py`` path of the misbehaving stacks."""
    return FAULTY


@pytest.fixture
def comparable():
    return _comparable


def _comparable(result) -> dict:
    """A result without what legitimately differs between runs: wall time and artifact paths."""
    d = result.to_dict() if hasattr(result, "to_dict") else dict(result)
    d.pop("wall_time")
    d.pop("artifacts")
    return d
