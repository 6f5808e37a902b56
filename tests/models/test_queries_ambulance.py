"""Ambulance queries over a real replica: REAP/CSP time in level, standards at exact targets, crews."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from models.queries import ambulance as qa
from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.feeds import NOW, Feed, ago

UTC = timezone.utc


@pytest.fixture
def feed(store):
    f = Feed()
    f.org("RX9", "Test Ambulance Service NHS Trust", "ambulance")
    f.org("RAA", "Alpha Hospitals NHS Trust").org("RBB", "Beta Hospitals NHS Trust")
    f.apply(store)
    return f


def test_time_in_level_starts_at_the_first_report_of_the_current_run(store, feed):
    feed.ambulance_status(ago(300), 1, "0").ambulance_status(ago(240), 2, "0")
    feed.ambulance_status(ago(180), 2, "1").ambulance_status(ago(120), 2, "1")
    feed.ambulance_status(ago(120), 2, "1")          # the same report resent: not a change
    feed.ambulance_status(ago(60), 3, "1").ambulance_status(ago(5), 3, "1")
    feed.apply(store)
    with store.session() as s:
        lv = qa.ambulance_levels(s, "RX9")
        history = qa.level_history(s, "RX9", ago(200))
    assert (lv.reap_level, lv.reap_name, lv.reap_since) == (3, "Severe pressure", ago(60))
    assert (lv.csp_level, lv.csp_since) == ("1", ago(180))
    assert lv.declared_at == ago(5) and lv.name == "Test Ambulance Service NHS Trust"
    # The level in force at the window start comes first, dated at the window start.
    assert [(c.at, c.reap_level, c.csp_level) for c in history] == [
        (ago(200), 2, "0"), (ago(180), 2, "1"), (ago(60), 3, "1")]


def test_no_reports_means_no_levels(store, feed):
    with store.session() as s:
        assert qa.ambulance_levels(s, "RX9") is None
        assert qa.ambulance_services(s) == []


def test_standards_are_met_at_exactly_the_target_and_not_a_second_over(store, feed):
    end = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
    feed.response("C1", end - timedelta(hours=1), mean_s=900, p90_s=2000)      # older: ignored
    feed.response("C1", end, mean_s=7 * 60, p90_s=15 * 60 + 1)
    feed.response("C2", end, mean_s=30 * 60, p90_s=40 * 60)
    feed.response("C3", end, mean_s=3000, p90_s=120 * 60)
    feed.response("C4", end, mean_s=None, p90_s=None, incidents=0)
    feed.apply(store)
    with store.session() as s:
        rows = {r.category: r for r in qa.latest_response_times(s, "RX9")}
    c1 = {c.statistic: c for c in rows["C1"].checks}
    assert rows["C1"].mean_minutes == 7 and c1["mean"].met is True          # 7:00 meets 7 minutes
    assert c1["p90"].met is False and c1["p90"].actual_minutes == pytest.approx(15 + 1 / 60)
    c2 = [(c.statistic, c.kind, c.target_minutes, c.met, c.in_force) for c in rows["C2"].checks]
    assert c2 == [("mean", "constitutional", 18, False, True), ("p90", "constitutional", 40, True, True),
                  ("mean", "ambition", 30, True, True)]                    # both kinds shown
    assert [(c.statistic, c.met) for c in rows["C3"].checks] == [("p90", True)]
    assert [(c.statistic, c.met) for c in rows["C4"].checks] == [("p90", None)]
    assert rows["C4"].incidents == 0 and rows["C4"].mean_minutes is None


def test_an_ambition_outside_its_years_is_kept_but_marked_not_in_force(store, feed):
    end = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)     # after 2025/26
    feed.response("C2", end, mean_s=25 * 60, p90_s=50 * 60).apply(store)
    with store.session() as s:
        (c2,) = qa.latest_response_times(s, "RX9")
    ambition = next(c for c in c2.checks if c.kind == "ambition")
    assert (ambition.met, ambition.in_force, ambition.period) == (True, False, "2023/24 to 2025/26")


def test_response_history_in_minutes_oldest_first(store, feed):
    for h in (3, 2, 1):
        feed.response("C2", NOW - timedelta(hours=h), mean_s=60 * (20 + h), p90_s=None)
    feed.apply(store)
    with store.session() as s:
        rows = qa.response_history(s, "RX9", "C2", NOW - timedelta(hours=2, minutes=30))
    assert [(t, m, p) for t, m, p in rows] == [(NOW - timedelta(hours=2), 22, None),
                                               (NOW - timedelta(hours=1), 21, None)]


def test_crews_en_route_and_on_site_per_hospital(store, feed):
    feed.handover("amb-1001", "RAA", "en_route", eta=NOW + timedelta(minutes=4))
    feed.handover("amb-1002", "RAA", "en_route", eta=NOW + timedelta(minutes=9))
    feed.waiting("amb-1003", "RAA", 20)
    feed.handed_over("amb-1004", "RAA", ago(40), 25)                  # on site, not clear
    feed.handed_over("amb-1005", "RAA", ago(90), 20, cleared=True)    # gone
    feed.handover("amb-1006", "RAA", "cancelled", eta=ago(2))
    feed.apply(store)
    with store.session() as s:
        crews = {h.hospital_code: h for h in qa.crews_by_hospital(s)}
    a = crews["RAA"]
    assert (a.en_route, a.waiting, a.handed_over, a.on_site) == (2, 1, 1, 2)
    assert (crews["RBB"].en_route, crews["RBB"].on_site) == (0, 0)    # listed with zeros
