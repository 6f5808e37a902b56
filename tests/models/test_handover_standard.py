"""The handover standard as data: the contract's shares within 15/30/60 minutes since 2022/23, the
45-minute maximum of the UEC plan 2025/26, and hours lost on a named basis (15, 30 or 60 minutes)."""

from __future__ import annotations

import pytest

import resources
from models.rules.handover_bands import (hours_lost_beyond_minutes, hours_lost_label, load_handover,
                                         shares_within, summarise)
from models.rules.tabledata import TableError

HANDOVER_FILE = resources.path("ambulance", "handover.toml")
# Eight handovers, hand-picked across the edges: 15, 30 and 60 exactly count as "within".
WAITS = [10, 15, 16, 30, 31, 50, 60, 75]


def test_the_contract_standard_is_65_95_100_since_2022_23():
    table = load_handover()
    std = table.standard
    assert [(s.within_minutes, s.target_pct) for s in std.shares] == [(15, 65), (30, 95), (60, 100)]
    assert std.since == "2022/23"
    assert "2022/23" in table.header.edition and table.header.verified is False


def test_the_45_minute_maximum_comes_from_the_uec_plan_2025_26():
    table = load_handover()
    assert table.maximum.minutes == 45 and table.maximum.since == "2025/26"
    assert "2025/26" in table.header.edition and "UEC" in table.maximum.source
    assert "2025/26" in table.header.edition


def test_hours_lost_on_each_basis_by_hand():
    # Beyond 15: 0+0+1+15+16+35+45+60 = 172 min. Beyond 30: 0+0+0+0+1+20+30+45 = 96. Beyond 60: 15.
    assert hours_lost_beyond_minutes(WAITS, 15) == pytest.approx(172 / 60)
    assert hours_lost_beyond_minutes(WAITS, 30) == pytest.approx(96 / 60)
    assert hours_lost_beyond_minutes(WAITS, 60) == pytest.approx(15 / 60)
    assert hours_lost_beyond_minutes([], 30) == 0.0
    s = summarise(WAITS, beyond_minutes=30)
    assert s.hours_lost == pytest.approx(96 / 60) and s.hours_lost_beyond_minutes == 30
    assert summarise(WAITS).hours_lost_beyond_minutes == 15   # the file's default


def test_the_bases_a_room_may_choose_are_in_the_file_and_named():
    table = load_handover()
    assert [b.beyond_minutes for b in table.hours_lost_bases] == [15, 30, 60]
    assert "monthly" in table.basis(30).used_by
    assert hours_lost_label(15) == "hours lost beyond 15 min"
    assert hours_lost_label(30) == "hours lost beyond 30 min"
    with pytest.raises(ValueError, match="beyond_minutes.*20.*15, 30, 60"):
        summarise(WAITS, beyond_minutes=20)


def test_shares_within_each_time_against_the_standard():
    shares = shares_within(WAITS)
    assert [(s.within_minutes, s.count_within, s.count) for s in shares] == [(15, 2, 8), (30, 4, 8), (60, 7, 8)]
    assert [s.share_pct for s in shares] == [pytest.approx(25), pytest.approx(50), pytest.approx(87.5)]
    assert [s.target_pct for s in shares] == [65, 95, 100]
    assert [s.met for s in shares] == [False, False, False]
    good = shares_within([5] * 13 + [20] * 6 + [40])     # 65% within 15, 95% within 30, all within 60
    assert [s.met for s in good] == [True, True, True]
    assert [s.share_pct for s in shares_within([])] == [None, None, None]
    assert [s.met for s in shares_within([])] == [None, None, None]
    assert summarise(WAITS).within == shares


def test_a_bad_standard_in_the_file_is_named(tmp_path):
    text = HANDOVER_FILE.read_text().replace("target_pct = 95", "target_pct = 120") \
        .replace("minutes = 45\n", "minutes = -1\n").replace("beyond_minutes = 60\n", "beyond_minutes = 15\n")
    path = tmp_path / "handover.toml"
    path.write_text(text)
    with pytest.raises(TableError) as info:
        load_handover(path)
    reasons = " | ".join(str(p) for p in info.value.problems)
    assert "target_pct" in reasons and "120" in reasons
    assert "[maximum]" in reasons
    assert "duplicate" in reasons and "15" in reasons
