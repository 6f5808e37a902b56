"""Report times name their zone where the page's does not do for them (found by a records review): on a
clock-change day a handover printed decisions made an hour apart both as "Sun 26 Oct 01:30", and an
action due at 13:00 BST on the Saturday under the page's "times are UK local (GMT)"."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import datetime, timedelta, timezone

import pytest

from models.reports import words
from models.service import reports
from sync import authoring
from tests.reports.world import build_world

AUTUMN = datetime(2025, 10, 26, 18, 0, tzinfo=timezone.utc)   # the Sunday the clocks go back: GMT from 01:00 UTC


def test_a_time_names_its_zone_on_a_change_day_or_off_the_pages_zone():
    first, second = datetime(2025, 10, 26, 0, 30, tzinfo=timezone.utc), datetime(2025, 10, 26, 1, 30, tzinfo=timezone.utc)
    saturday = datetime(2025, 10, 25, 12, 0, tzinfo=timezone.utc)
    july = datetime(2025, 7, 14, 9, 0, tzinfo=timezone.utc)
    assert (words.clock(first), words.clock(second)) == ("Sun 26 Oct 01:30 BST", "Sun 26 Oct 01:30 GMT")
    assert words.clock(saturday) == "Sat 25 Oct 13:00"   # no report: no page zone to differ from
    with words.page_zone(AUTUMN):
        assert words.clock(saturday) == "Sat 25 Oct 13:00 BST"
        assert words.clock(AUTUMN + timedelta(days=1)) == "Mon 27 Oct 18:00"
    with words.page_zone(july):
        assert words.clock(july) == "Mon 14 Jul 10:00"
    with words.page_zone(july, datetime(2025, 11, 3, 9, 0, tzinfo=timezone.utc)):   # rebuilt in November
        assert words.clock(july) == "Mon 14 Jul 10:00 BST"   # the header names both zones: each time its own
    spring = datetime(2025, 3, 30, 0, 30, tzinfo=timezone.utc)
    assert words.clock(spring) == "Sun 30 Mar 00:30 GMT"   # 00:30 BST does not exist that day


@pytest.mark.timeout(120)
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")
def test_the_handover_on_the_night_the_clocks_go_back(tmp_path):
    _path, store = build_world(tmp_path, AUTUMN)
    try:
        for at, text in ((datetime(2025, 10, 26, 0, 30, tzinfo=timezone.utc), "First at half past one"),
                         (datetime(2025, 10, 26, 1, 30, tzinfo=timezone.utc), "Second at half past one")):
            authoring.record_decision(store, decision_maker="Dr A", decision_maker_role="Director on-call",
                                      decision=text, rationale="r", recorded_by="Room lead", decided_at=at)
        authoring.add_action(store, description="Call the site", owner="Room lead", author="t",
                             due_at=datetime(2025, 10, 25, 12, 0, tzinfo=timezone.utc))
        written = reports.make(store, "handover", tmp_path / "out", AUTUMN)
    finally:
        store.close()
    text = re.sub(r"\s+", "", subprocess.run(["pdftotext", str(written.pdf), "-"], capture_output=True,
                                              text=True, timeout=60, check=True).stdout)   # cells wrap
    assert "timesareUKlocal(GMT)" in text
    assert "Sun26Oct01:30BST" in text and "Sun26Oct01:30GMT" in text
    assert "Sat25Oct13:00BST" in text
