"""Review (session 7): ``SensorScene.cast_rays`` must not write into a caller's read-only ray array.

83e9fe4 replaced the proved rows of the static cast's steep leading run *in the ray buffer* by rays straight
up, for the cast, and restored them after (``static_boxes.neutralize`` / ``restore``).  ``prove_box_first``
meant to skip read-only buffers (``not rays.flags.writeable``), but ``scene_region._tensor`` wraps a numpy
array with ``o3d.core.Tensor.from_numpy``, which shares a read-only array's memory, and ``Tensor.numpy()``
then returned a *writeable* view of it: the guard never saw the caller's flag.  So a read-only memory map
(``np.load(..., mmap_mode="r")``) segfaulted the process (SIGSEGV, rc −11), and an array flagged read-only
held other rays while the cast ran (a reader on another thread saw them).  e23f302 never writes the rays.
Both were strict xfails here; fixed in c022d38 (``cast_rays`` passes ``rays_writable=False`` for a read-only
numpy array, and the proved rows of a contiguous slice are then cast as they lie).  The caller's own open3d
tensor over a read-only mapping still segfaulted (``cast_rays`` takes "numpy or open3d tensor" and cannot see
that the tensor's memory is read-only); fixed by making the rewrite opt-in: only a caller that gives its
buffer as scratch (``own_rays=True``: the sensors' own ray buffers) has rows rewritten.
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


def test_cast_on_a_read_only_memory_map_does_not_crash(tmp_path) -> None:
    rc, out, err = _replay("mmap", tmp_path)
    assert rc == 0, f"rc {rc}: {err}"
    assert out == {"same_hits": True, "seen_changed": False, "intact": True}


def test_cast_leaves_a_read_only_array_untouched_meanwhile(tmp_path) -> None:
    rc, out, err = _replay("flag", tmp_path)
    assert rc == 0, err
    assert out == {"same_hits": True, "seen_changed": False, "intact": True}


# was a strict xfail (the caller's tensor was written, a read-only mapping segfaulted); fixed: the in-place
# rewrite is opt-in (``cast_rays(own_rays=True)``, which only the sensors' own buffers pass)
def test_cast_on_a_tensor_over_a_read_only_memory_map_does_not_crash(tmp_path) -> None:
    rc, out, err = _replay("tensor", tmp_path)
    assert rc == 0, f"rc {rc}: {err}"
    assert out == {"same_hits": True, "seen_changed": False, "intact": True}
