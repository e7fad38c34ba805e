"""A requirement set edited in place is read again, even when its size and timestamp did not change.

Parsed sets are cached per file so that a suite worker parses its family's set once; the cache was keyed
by (path, mtime, size), so a same-size rewrite within one timestamp tick (coarse timestamps, fast edits by
a generator) was served stale.  It is keyed by the file's content now.
"""

from __future__ import annotations

import os

from metrics import load_requirement_set

SET = "requirements:\n- id: R-1\n  check: collisions == {n}\n"


def test_a_same_size_rewrite_with_the_same_timestamp_is_parsed_again(tmp_path):
    path = tmp_path / "set.yaml"
    path.write_text(SET.format(n=0))
    stamp = path.stat().st_mtime_ns
    assert load_requirement_set(path).requirements[0].threshold == 0
    path.write_text(SET.format(n=1))                    # same size
    os.utime(path, ns=(stamp, stamp))                   # same timestamp
    assert load_requirement_set(path).requirements[0].threshold == 1


def test_an_unchanged_file_is_served_from_the_cache(tmp_path):
    path = tmp_path / "set.yaml"
    path.write_text(SET.format(n=0))
    assert load_requirement_set(path) is load_requirement_set(path)
