from __future__ import annotations

import math

import pytest

import resources
from models.rules.handover_bands import band_for, hours_lost, load_handover, summarise
from models.rules.tabledata import TableError

HANDOVER_FILE = resources.path("ambulance", "handover.toml")
below = lambda x: math.nextafter(x, -math.inf)  # noqa: E731
above = lambda x: math.nextafter(x, math.inf)  # noqa: E731


@pytest.mark.parametrize("minutes, code", [
    (0, "within_15"), (below(15), "within_15"), (15, "within_15"), (above(15), "over_15"),
    (30, "over_15"), (above(30), "over_30"),
    (45, "over_30"), (above(45), "over_45"),
    (60, "over_45"), (above(60), "over_60"), (1440, "over_60"),
])
def test_band_edges(minutes, code):
    assert band_for(minutes).code == code


def test_severity_rises_and_labels_present():
    table = load_handover()
    assert [b.severity for b in table.bands] == [0, 1, 2, 3, 4]
    assert all(b.label for b in table.bands)
    assert table.header.verified is False


@pytest.mark.parametrize("bad", [-0.5, math.nan, 1441, "20", True])
def test_invalid_minutes(bad):
    with pytest.raises(ValueError):
        band_for(bad)


def test_summary():
    s = summarise([10, 15, 16, 30, 46, 60, 61, 75])
    assert s.count == 8
    assert s.mean_minutes == pytest.approx(313 / 8)
    assert s.per_band == {"within_15": 2, "over_15": 2, "over_30": 0, "over_45": 2, "over_60": 2}
    # minutes beyond 15: 0 + 0 + 1 + 15 + 31 + 45 + 46 + 60 = 198
    assert s.hours_lost == pytest.approx(198 / 60)
    assert s.hours_lost_beyond_minutes == 15
    # serious delays are waits strictly over 60: 61 and 75, summed whole
    assert s.serious_delays == 2 and s.serious_delay_hours == pytest.approx(136 / 60)
    assert hours_lost([14, 16]) == pytest.approx(1 / 60)


def test_empty_summary():
    s = summarise([])
    assert s.count == 0 and s.mean_minutes is None and s.hours_lost == 0
    assert set(s.per_band.values()) == {0}


def test_invalid_entry_named_by_position():
    with pytest.raises(ValueError, match=r"handover\[1\]"):
        summarise([10, -3])


def test_thresholds_come_from_the_file(tmp_path):
    text = HANDOVER_FILE.read_text().replace("[hours_lost]\nbeyond_minutes = 15", "[hours_lost]\nbeyond_minutes = 30") \
        .replace('range = "(60, inf)"\n\n#', 'range = "[45, inf)"\n\n#')
    path = tmp_path / "handover.toml"
    path.write_text(text)
    table = load_handover(path)
    s = summarise([20, 45, 90], table)
    assert s.hours_lost == pytest.approx((15 + 60) / 60)
    assert s.serious_delays == 2 and s.serious_delay_hours == pytest.approx(135 / 60)


def test_bad_file_reports_gap_and_severity(tmp_path):
    text = HANDOVER_FILE.read_text().replace('range = "(15, 30]"', 'range = "(16, 30]"') \
        .replace("severity = 3", "severity = 1")
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(TableError) as info:
        load_handover(path)
    reasons = [p.reason for p in info.value.problems]
    assert any("(15, 16]" in r and "covered by no band" in r for r in reasons)
    assert any("severity must not fall" in r and "'over_45'" in r for r in reasons)
