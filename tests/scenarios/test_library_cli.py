"""``simplatform scenarios list|show``: the commands a user browses the library with."""

from __future__ import annotations

from simplatform.cli import main


def test_list_filters_by_family_and_tag(capsys):
    assert main(["scenarios", "list", "--family", "urban", "--tag", "maneuver:u_turn"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1].startswith("12 scenarios, 1 logical")
    assert all("URB_u_turn_across_path" in line for line in lines[:-1])


def test_show_prints_the_record_and_draws_a_png(tmp_path, capsys):
    out = tmp_path / "ccrs.png"
    assert main(["scenarios", "show", "typ_aeb_ccrs_v20_ov100", "--png", str(out)]) == 0
    text = capsys.readouterr().out
    assert '"logical": "AEB_CCRs"' in text
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000
    from PIL import Image

    image = Image.open(out).convert("RGB")
    import numpy as np

    colours = {tuple(c) for c in np.asarray(image).reshape(-1, 3).tolist()}
    assert (220, 30, 30) in colours and (30, 80, 220) in colours   # the ego and the target are drawn


def test_show_unknown_id_is_a_usage_error(capsys):
    assert main(["scenarios", "show", "no_such_scenario", "--no-png"]) == 2
    assert "no scenario" in capsys.readouterr().err
