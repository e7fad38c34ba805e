"""The radar modules of an earlier commit, importable beside today's, for bit-identity tests.

``sensors/radar*.py`` are read from git at ``commit`` into a package of their own (their
``sensors.radar…`` imports renamed to it); the rest of ``sensors`` is today's.  A checkout
without that commit in its history (a shallow clone) skips the test.
"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def radar_at_commit(commit: str, modules: tuple[str, ...], package_name: str, where: Path) -> Iterator:
    """Yield ``package_name.radar`` built from ``modules`` at ``commit``, under ``where``."""
    package = where / package_name
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in modules:
        try:
            source = subprocess.run(["git", "-C", str(ROOT), "show", f"{commit}:sensors/{name}.py"],
                                    capture_output=True, text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            pytest.skip(f"the radar at {commit[:8]} is not in this checkout's git history")
        (package / f"{name}.py").write_text(re.sub(r"\bsensors\.radar", f"{package_name}.radar", source))
    sys.path.insert(0, str(where))
    try:
        yield importlib.import_module(f"{package_name}.radar")
    finally:
        sys.path.remove(str(where))
        for key in [k for k in sys.modules if k == package_name or k.startswith(f"{package_name}.")]:
            del sys.modules[key]
