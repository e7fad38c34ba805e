"""Review (session 7): ``SensorScene.cast_rays`` must not write into a caller's read-only ray array.

83e9fe4 replaces the proved rows of the static cast's steep leading run *in the ray buffer* by rays straight
up, for the cast, and restores them after (``static_boxes.neutralize`` / ``restore``).  ``prove_box_first``
means to skip read-only buffers (``not rays.flags.writeable``), but ``scene_region._tensor`` wraps a numpy
array with ``o3d.core.Tensor.from_numpy``, which shares a read-only array's memory, and ``Tensor.numpy()``
then returns a *writeable* view of it: the guard never sees the caller's flag.  So a read-only memory map
(``np.load(..., mmap_mode="r")``) segfaults the process (SIGSEGV, rc −11), and an array flagged read-only
holds other rays while the cast runs (a reader on another thread sees them).  e23f302 never writes the rays.
Replayed in a subprocess (``s7readonly``) on the rays and box pairs of an HDL-64E sweep among ten cars.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from review_trees import REPO

HERE = os.path.dirname(os.path.abspath(__file__))


def _replay(mode: str, tmp_path) -> tuple[int, dict | None, str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    p = subprocess.run([sys.executable, os.path.join(HERE, "s7readonly.py"), mode, str(tmp_path)], cwd=str(REPO),
                       env=env, capture_output=True, text=True, timeout=300)
    lines = [line for line in p.stdout.splitlines() if line.startswith("{")]
    return p.returncode, (json.loads(lines[-1]) if lines else None), p.stderr[-2000:]


@pytest.mark.xfail(strict=True, reason=(
    "bug (83e9fe4): SensorScene.cast_rays neutralizes rows of a read-only numpy ray array (the writeable "
    "guard reads the open3d tensor's writeable view, not the caller's array): a read-only memory map "
    "segfaults the process"))
def test_cast_on_a_read_only_memory_map_does_not_crash(tmp_path) -> None:
    rc, out, err = _replay("mmap", tmp_path)
    assert rc == 0, f"rc {rc}: {err}"
    assert out == {"same_hits": True, "seen_changed": False, "intact": True}


@pytest.mark.xfail(strict=True, reason=(
    "bug (83e9fe4): SensorScene.cast_rays writes the box-first rows of a read-only (writeable=False) ray "
    "array during the static cast (restored after): the caller's array is not read-only to it"))
def test_cast_leaves_a_read_only_array_untouched_meanwhile(tmp_path) -> None:
    rc, out, err = _replay("flag", tmp_path)
    assert rc == 0, err
    assert out == {"same_hits": True, "seen_changed": False, "intact": True}
