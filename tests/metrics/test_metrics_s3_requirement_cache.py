"""A requirement set file is parsed once per content version, and an edit is seen."""

from __future__ import annotations

import os

import pytest

from metrics import load_requirement_set
from metrics.requirements import RequirementError


def test_same_file_answers_the_same_set_and_an_edit_is_read(tmp_path):
    path = tmp_path / "reqs.yaml"
    path.write_text("requirements:\n  - {id: R1, check: 'collisions == 0'}\n", encoding="utf-8")
    first = load_requirement_set(path)
    assert load_requirement_set(path) is first
    path.write_text("requirements:\n  - {id: R1, check: 'collisions == 0'}\n  - {id: R2, check: 'ttc_min >= 1.5'}\n",
                    encoding="utf-8")
    os.utime(path, ns=(1, 1))  # a new mtime even on a coarse clock
    second = load_requirement_set(path)
    assert [r.id for r in second.requirements] == ["R1", "R2"]


def test_a_broken_file_is_rejected_every_time(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("requirements:\n  - {id: R1, check: 'nonsense_metric >= 1'}\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(RequirementError):
            load_requirement_set(path)


def test_a_missing_file_still_raises(tmp_path):
    with pytest.raises(OSError):
        load_requirement_set(tmp_path / "absent.yaml")
