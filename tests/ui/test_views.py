"""Each view over a real replica filled through sync.apply, real widgets offscreen."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from PySide6.QtCore import Qt

from models.rules.intervals import band_words, parse_interval
from models.rules.opel import score_parameter
from models.rules.opel_table import load_shipped
from models.uk_time import UK
from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.feeds import ACUTE_VALUES, NOW, Feed, ago, fill_system
from ui import tasks, theme
from ui.ambulance_view import AmbulanceView
from ui.critcon_view import CritconView
from ui.offload_view import OffloadView
from ui.provider_view import ProviderView, threshold_text
from ui.widgets import table_text


def _view(qtbot, cls, store, now=NOW):
    view = cls(store, lambda: now)
    qtbot.addWidget(view)
    view.resize(1366, 700)
    view.show()
    qtbot.waitExposed(view)
    view.refresh()
    assert tasks.manager().wait_idle()   # views that read off the UI thread (ui.tasks) have drawn
    return view


# --- offload ---------------------------------------------------------------------
def test_offload_queue_is_ordered_by_wait_and_flagged_at_each_national_band(qtbot, store):
    f = Feed().org("RAA", "Alpha Hospitals NHS Trust").org("RBB", "Beta Hospitals NHS Trust")
    # Waits exactly on each edge, and just over it, in a shuffled order.
    for uuid, minutes in (("amb-0030", 30), ("amb-0061", 61), ("amb-0015", 15), ("amb-0045", 45),
                          ("amb-0046", 45.5), ("amb-0016", 15.5), ("amb-0060", 60), ("amb-0031", 31)):
        f.waiting(uuid, "RAA", minutes)
    f.apply(store)
    view = _view(qtbot, OffloadView, store)
    card = next(c for c in view.cards if c.hospital.hospital_code == "RAA")
    rows = table_text(card.queue)
    assert [r[0] for r in rows] == ["RX9-0061", "RX9-0060", "RX9-0046", "RX9-0045", "RX9-0031",
                                    "RX9-0030", "RX9-0016", "RX9-0015"]
    # Whole minutes, rounded up, so each wait agrees with its flag (45 min 30 s is ">45 min": 46 min).
    assert [r[1] for r in rows] == ["1 h 01 min", "1 h 00 min", "46 min", "45 min", "31 min",
                                    "30 min", "16 min", "15 min"]
    assert [r[2] for r in rows] == [">60 min", ">45 min", ">45 min", ">30 min", ">30 min",
                                    ">15 min", ">15 min", "≤15 min"]
    # Colour follows the band's severity, and the text says it too.
    for r in range(card.queue.rowCount()):
        flag = card.queue.item(r, 2)
        severity = {"≤15 min": 0, ">15 min": 1, ">30 min": 2, ">45 min": 3, ">60 min": 4}[flag.text()]
        assert flag.background().color().name() == theme.severity_colours(severity)[0]
    assert "8 waiting" in card.waiting_label.text() and "longest 1 h 01 min" in card.waiting_label.text()
    empty = next(c for c in view.cards if c.hospital.hospital_code == "RBB")
    assert "No ambulances waiting" in empty.waiting_label.text()


def test_an_arrival_open_over_a_day_is_said_apart_from_the_queue(qtbot, store):
    # Its handover was quarantined at the hub: the record stays "arrived" for good. The card and the
    # note over the board say so; the queue, its count and the longest wait leave it out.
    f = Feed().org("RAA", "Alpha Hospitals NHS Trust").org("RBB", "Beta Hospitals NHS Trust")
    f.waiting("amb-0020", "RAA", 20).waiting("amb-9999", "RAA", 30 * 24 * 60 + 12 * 60).apply(store)
    view = _view(qtbot, OffloadView, store)
    card = next(c for c in view.cards if c.hospital.hospital_code == "RAA")
    assert [r[0] for r in table_text(card.queue)] == ["RX9-0020"]
    assert "1 waiting" in card.waiting_label.text() and "longest 20 min" in card.waiting_label.text()
    assert card.unclosed_label.isVisibleTo(card)
    assert card.unclosed_label.text() == ("1 arrival open over a day, not counted as waiting: RX9-9999, arrived "
                                          "Fri 12 Dec 22:00, no handover reported.")
    assert view.unclosed.isVisibleTo(view) and "1 ambulance record open over a day" in view.unclosed.text()
    assert "Alpha" in view.unclosed.text() and "Beta" not in view.unclosed.text()
    beta = next(c for c in view.cards if c.hospital.hospital_code == "RBB")
    assert not beta.unclosed_label.isVisibleTo(beta)


def test_offload_waits_move_with_the_clock_and_chart_has_the_day(qtbot, store):
    fill_system(store)
    now = [NOW]
    view = OffloadView(store, lambda: now[0])
    qtbot.addWidget(view)
    view.refresh()
    assert tasks.manager().wait_idle()   # read off the UI thread
    card = next(c for c in view.cards if c.hospital.hospital_code == "RAA")
    assert table_text(card.queue)[0][1:] == ["50 min", ">45 min"]
    now[0] = NOW + timedelta(minutes=11)
    view.refresh()
    assert tasks.manager().wait_idle()
    card = next(c for c in view.cards if c.hospital.hospital_code == "RAA")
    assert table_text(card.queue)[0][1:] == ["1 h 01 min", ">60 min"]
    assert not view.chart.is_empty
    handed, waiting, above = view.chart.series
    assert len(handed.points) == 5 and len(waiting.points) == 3 and above.points == []


def test_the_chart_of_one_hospital_is_drawn_from_the_page_without_a_read(qtbot, store, monkeypatch):
    from models.service import offload as offload_door
    fill_system(store)
    view = _view(qtbot, OffloadView, store)
    handed, waiting, _above = view.chart.series
    assert (len(handed.points), len(waiting.points)) == (5, 3)             # all hospitals
    pages = []
    real_page = offload_door.offload_page
    monkeypatch.setattr(offload_door, "offload_page", lambda *a, **k: pages.append(1) or real_page(*a, **k))
    view.chart_picker.setCurrentIndex(view.chart_picker.findData("RBB"))
    handed, waiting, _above = view.chart.series                            # drawn at once, from the page
    assert (len(handed.points), len(waiting.points)) == (0, 1)
    assert tasks.manager().wait_idle() and pages == []   # only the chosen hospital's forecast was read
    handed, waiting, _above = view.chart.series
    assert (len(handed.points), len(waiting.points)) == (0, 1)
    assert "Beta Hospitals NHS Foundation Trust" in view.chart.title.text()
    view.refresh()                                                          # a redraw keeps the choice
    assert tasks.manager().wait_idle() and view.chart_picker.currentData() == "RBB"
    assert [len(s.points) for s in view.chart.series[:2]] == [0, 1]


def test_a_very_long_wait_does_not_squash_the_chart(qtbot, store):
    f = Feed().org("RAA", "Alpha Hospitals NHS Trust")
    f.handed_over("amb-7001", "RAA", ago(300), 25).waiting("amb-7002", "RAA", 7 * 60 + 17)
    f.waiting("amb-7003", "RAA", 50)
    f.handover("amb-7004", "RAA", "en_route", eta=NOW + timedelta(minutes=9), updated=NOW)   # the feed is live
    f.apply(store)
    view = _view(qtbot, OffloadView, store)
    handed, waiting, above = view.chart.series
    assert [v for _, v in above.points] == [120]              # drawn on the top of the scale...
    assert above.notes[0].startswith("Alpha Hospitals NHS Trust, RX9-7002: 7 h 17 min, >60 min")
    assert [v for _, v in waiting.points] == [pytest.approx(50)]
    _lo, hi = view.chart.plot.getPlotItem().getViewBox().viewRange()[1]
    assert hi < 130 and "1 over 2 h 00 min" in view.chart.title.text()


# --- provider drill-down --------------------------------------------------------------
def test_drill_down_shows_band_points_and_next_threshold_from_models_opel(qtbot, store):
    fill_system(store)
    view = _view(qtbot, ProviderView, store)
    view.select_provider("RAA")
    assert tasks.manager().wait_idle() and view.picker.currentData() == "RAA"   # read off the UI thread
    table = load_shipped("acute")
    rows = {view.table.item(r, 0).data(Qt.ItemDataRole.UserRole): table_text(view.table)[r]
            for r in range(view.table.rowCount())}
    assert set(rows) == set(table.keys)
    for key, row in rows.items():
        p = table.parameter(key)
        expected = score_parameter(p, ACUTE_VALUES[key])
        assert row[2] == band_words(parse_interval(expected.band), p.unit), key
        points = f"{expected.points:g}" if p.weight == 1 else \
            f"{expected.points:g} × {p.weight:g} = {expected.weighted_points:g}"
        assert row[3] == points, key
        assert row[4] == threshold_text(expected.next_worse, p.unit, expected.next_worse is None, None)
    assert rows["mean_handover_minutes"][1:5] == ["30 min", "15–30 min", "1 × 1.5 = 1.5", "> 30 min → 2 pts"]
    assert rows["ed_over_12h_from_arrival_pct"][2] == "5–10%"   # bands in plain words, not "(5, 10]"
    band = next(view.table.item(r, 2) for r in range(view.table.rowCount())
                if view.table.item(r, 0).data(Qt.ItemDataRole.UserRole) == "ed_over_12h_from_arrival_pct")
    assert "over 5% and up to 10%" in band.toolTip().replace("\xa0", " ")
    assert rows["ed_four_hour_performance_pct"][4] == "already in the worst band"
    assert rows["ga_bed_occupancy_pct"][5] == "10:00 · just now"
    summary = view.summary.text()
    assert "Declared OPEL 3, calculated OPEL" in summary
    assert "score 13 · 7 pts to OPEL 3" in summary     # acute.toml: OPEL 3 from 20; 20 - 13 by hand
    assert "Escalating early for the evening peak" in summary and "UNVERIFIED TABLE" in summary
    assert "period ended" not in summary   # January 2026: within the 2024-26 tables' period


def test_the_drill_down_draws_no_band_edges_for_a_score_under_another_tables_edition(qtbot, store):
    """The first-morning walkthrough: the parameter chart drew this desktop's band edges under a score the hub
    made with another edition of the table (the summary said so; "pts to OPEL N" was already left out)."""
    fill_system(store)
    view = _view(qtbot, ProviderView, store)
    view.select_provider("RAA")
    assert tasks.manager().wait_idle()
    assert any("pts)" in label for label in view.param_chart.reference_labels)   # this desktop's edition
    Feed(first_seq=900_000).assessment("RAA", "acute", NOW, ACUTE_VALUES, edition="2027-29").apply(store)
    view.refresh()
    assert tasks.manager().wait_idle() and view.detail.edition == "2027-29"
    assert not any("pts)" in label for label in view.param_chart.reference_labels)


def test_the_drill_down_says_when_the_tables_period_has_ended(qtbot, store):
    fill_system(store)
    view = _view(qtbot, ProviderView, store, now=NOW + timedelta(days=327))   # Sat 5 Dec 2026
    view.select_provider("RAA")
    assert tasks.manager().wait_idle()
    summary = " ".join(view.summary.text().replace("<b>", "").replace("</b>", "").split())
    assert "OPEL table 2024-26 — UNVERIFIED TABLE — period ended 31/03/2026 ·" in summary


def test_drill_down_charts_follow_the_row_and_the_24h_7d_toggle(qtbot, store):
    fill_system(store)
    view = _view(qtbot, ProviderView, store)
    view.select_provider("RAA")
    assert tasks.manager().wait_idle()
    row = next(r for r in range(view.table.rowCount())
               if view.table.item(r, 0).data(Qt.ItemDataRole.UserRole) == "ga_bed_occupancy_pct")
    view.table.selectRow(row)
    assert "General and acute bed occupancy, last 24 hours" in view.param_chart.title.text()
    (series,) = view.param_chart.series
    assert len(series.points) == 25                    # hourly for 24 hours, both ends included
    levels = view.level_chart.series[0].points
    assert levels == [(NOW - timedelta(hours=6), 2.0), (NOW - timedelta(minutes=15), 3.0)]
    view.range_group.button(1).click()
    assert "last 7 days" in view.param_chart.title.text()
    lo, hi = view.level_chart.plot.getPlotItem().getViewBox().viewRange()[0]
    assert hi - lo == pytest.approx(7 * 86400, rel=0.03)


def test_drill_down_to_another_provider_and_to_one_never_assessed(qtbot, store):
    fill_system(store)
    view = _view(qtbot, ProviderView, store)
    assert view.picker.currentData() == "RAA"           # the worst off, first
    view.refresh()                                      # a redraw in flight when the tile is clicked
    view.select_provider("RBB")
    assert tasks.manager().wait_idle()
    assert view.picker.currentData() == "RBB" and "(RBB)" in view.summary.text()
    assert view.table.currentRow() == 0
    view.select_provider("RX9")                         # no assessment: the view stays where it was
    assert tasks.manager().wait_idle()
    assert view.picker.currentData() == "RBB" and "(RBB)" in view.summary.text()
    view.picker.setCurrentIndex(view.picker.findData("RAA"))   # the user's own choice
    assert tasks.manager().wait_idle() and "(RAA)" in view.summary.text()


# --- ambulance -------------------------------------------------------------------------
def test_ambulance_marks_standards_at_exact_targets_and_reap_time_in_level(qtbot, store):
    f = Feed().org("RX9", "Test Ambulance Service NHS Trust", "ambulance").org("RAA", "Alpha Hospitals NHS Trust")
    f.ambulance_status(ago(200), 2, "1").ambulance_status(ago(90), 3, "1").ambulance_status(ago(30), 3, "2")
    f.response("C1", ago(0), mean_s=7 * 60, p90_s=15 * 60 + 1)
    f.response("C2", ago(0), mean_s=30 * 60, p90_s=40 * 60)
    f.response("C3", ago(0), mean_s=5000, p90_s=120 * 60)
    f.response("C4", ago(0), mean_s=None, p90_s=None, incidents=0)
    f.handover("amb-5001", "RAA", "en_route", eta=NOW + timedelta(minutes=3))
    f.waiting("amb-5002", "RAA", 12)
    f.apply(store)
    view = _view(qtbot, AmbulanceView, store)
    assert "REAP 3" in view.reap_box.text() and "Severe pressure" in view.reap_box.text()
    assert "since Mon 12 Jan 08:30 (1 h 30 min)" in view.reap_box.text()
    assert "CSP 2" in view.csp_box.text() and "(30 min)" in view.csp_box.text()
    rows = table_text(view.responses)
    heads = [view.responses.horizontalHeaderItem(c).text() for c in range(view.responses.columnCount())]
    by, category = {}, ""
    for r in rows:
        category = r[0].split()[0] if r[0] else category
        by[(category, r[1])] = dict(zip(heads, r))
    hour, month = "Last hour\n09:00–10:00", "Month to date\n1 Jan–12 Jan 10:00"
    std, std_met, amb, amb_met = "Standard", "Standard met?\nmonth to date", "Ambition", "Ambition met?\nmonth to date"
    assert [by[("C1", "Mean")][k] for k in (hour, month, std, std_met)] == ["0:07:00", "0:07:00", "≤ 0:07:00", "Met"]
    assert [by[("C1", "90th centile")][k] for k in (month, std, std_met)] == ["0:15:01", "≤ 0:15:00", "Not met"]
    assert [by[("C2", "Mean")][k] for k in (std, std_met, amb, amb_met)] == ["≤ 0:18:00", "Not met", "≤ 0:30:00",
                                                                              "Met"]
    assert [by[("C2", "90th centile")][k] for k in (std, std_met)] == ["≤ 0:40:00", "Met"]
    assert [by[("C3", "Mean")][k] for k in (std, std_met)] == ["none", ""]
    assert [by[("C4", "90th centile")][k] for k in (hour, std, std_met)] == ["—", "≤ 3:00:00",
                                                                             "No figure"]
    met = view.responses.item(1, heads.index(std_met))
    assert met.background().color().name() == theme.MET_COLOURS[0]
    assert table_text(view.crews)[0] == ["Alpha Hospitals", "1", "1", "0", "1"]
    assert [s.name for s in view.level_chart.series] == ["REAP", "CSP"]


def test_ambulance_picker_shows_the_service_chosen(qtbot, store):
    f = Feed().org("RX9", "Test Ambulance Service NHS Trust", "ambulance").org("RYY", "Other Ambulance Service",
                                                                                "ambulance")
    f.ambulance_status(ago(30), 2, "1").ambulance_status(ago(20), 4, None, org="RYY").apply(store)
    view = _view(qtbot, AmbulanceView, store)
    assert view.picker.isVisibleTo(view) and view.picker.currentData() == "RX9" and "REAP 2" in view.reap_box.text()
    view.picker.setCurrentIndex(view.picker.findData("RYY"))
    assert tasks.manager().wait_idle()   # read off the UI thread
    assert view.picker.currentData() == "RYY" and "REAP 4" in view.reap_box.text()
    assert "Other Ambulance Service" in view.service.text() and "CSP —" in view.csp_box.text()
    view.refresh()                       # a redraw keeps the choice
    assert tasks.manager().wait_idle() and "REAP 4" in view.reap_box.text()


# --- critical care ------------------------------------------------------------------------
def test_critical_care_level_capacity_and_age(qtbot, store):
    fill_system(store)
    view = _view(qtbot, CritconView, store)
    rows = table_text(view.table)
    assert rows[0][:6] == ["Alpha Hospitals NHS Trust (RAA)", "CRITCON 2", "20", "19", "1", "95%"]
    assert rows[0][6] == "09:30 (30 min ago)"   # today's: no day (at twice the text the day crowded out the time)
    assert rows[1][1] == "CRITCON 0" and rows[1][4] == "6"
    assert "32 staffed" in view.totals.text() and "7 free in 2 units" in view.totals.text()
    assert view.table.item(0, 1).background().color().name() == theme.critcon_colours(2)[0]


def test_critical_care_free_beds_are_not_netted_against_a_unit_over(qtbot, store):
    f = Feed()
    for code, staffed, occupied in (("RAA", 20, 19), ("RBB", 12, 6), ("RCC", 10, 11), ("RDD", 10, 6), ("REE", 9, 6)):
        f.org(code, f"{code} Hospitals NHS Trust").critcon(code, ago(20), 1, staffed, occupied)
    f.apply(store)
    view = _view(qtbot, CritconView, store)
    assert "14 free in 4 units; one unit 1 over" in view.totals.text()
    assert "13" not in view.totals.text()        # the net figure hid the unit over capacity
    over = next(r for r in table_text(view.table) if r[0].startswith("RCC"))
    assert over[4] == "1 over"


def test_a_stale_critical_care_report_is_marked(qtbot, store):
    Feed().org("RAA", "Alpha Hospitals NHS Trust").critcon("RAA", ago(121), 1, 10, 10) \
        .org("RBB", "Beta Hospitals NHS Trust").critcon("RBB", ago(26 * 60), 1, 10, 9).apply(store)
    view = _view(qtbot, CritconView, store)
    rows = {r[0][:4]: r for r in table_text(view.table)}
    assert rows["Alph"][6].startswith("STALE · ") and rows["Alph"][4] == "0 (full)"
    when = NOW - timedelta(minutes=26 * 60)
    assert rows["Beta"][6] == f"STALE · {when.astimezone(UK):%a %d %b %H:%M} (26 h ago)"   # another day's: its day


# --- empty states ---------------------------------------------------------------------------
@pytest.mark.parametrize("cls, words", [
    (ProviderView, "No provider has an OPEL assessment yet"),
    (AmbulanceView, "No ambulance service data yet"),
    (OffloadView, "No hospitals or ambulance handovers yet"),
    (CritconView, "No critical care reports yet"),
])
def test_each_view_says_what_is_missing_when_the_replica_is_empty(qtbot, store, cls, words):
    view = _view(qtbot, cls, store)
    assert view.stack.is_empty and view.stack.empty.isVisible()
    assert words in view.stack.empty.text()


def test_bst_times_are_shown_in_uk_local_time(qtbot, store):
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=timezone.utc)
    Feed().org("RAA", "Alpha Hospitals NHS Trust").critcon("RAA", summer - timedelta(minutes=5), 1, 10, 5).apply(store)
    view = _view(qtbot, CritconView, store, now=summer)
    assert table_text(view.table)[0][6] == "12:55 (5 min ago)"   # 11:55 UTC is 12:55 BST


def test_after_the_interim_ambition_lapses_the_view_says_this_years_figure_is_needed(qtbot, store):
    later = datetime(2026, 12, 3, 9, 30, tzinfo=timezone.utc)   # 2026/27: the 30-minute ambition ran to 31/03/2026
    fill_system(store, now=later)
    view = _view(qtbot, AmbulanceView, store, now=later)
    rows = table_text(view.responses)
    c2 = next(i for i, r in enumerate(rows) if r[0].startswith("C2"))
    c2_mean = rows[c2 + 1]
    assert c2_mean[1] == "Mean" and c2_mean[7:9] == ["≤ 0:30:00", "Not in force"]   # never "Met" on a lapsed target
    note = view.period.text()
    assert "ran to 31/03/2026" in note and "no interim target is set for 2026/27" in note and "standards file" not in note


def test_the_category_2_tile_says_no_interim_target_is_set_in_room_words():
    """The tile said "this year's ambition is not in the standards file": a developer's sentence."""
    from models.service.system_picture import CategoryToday
    from ui.system_texts import _category

    now = datetime(2026, 12, 3, 9, 30, tzinfo=timezone.utc)
    c2 = CategoryToday("C2", "Category 2", 33.2, 9, 400, 70.0, now - timedelta(hours=1, minutes=30),
                       now - timedelta(minutes=30), 18.0, 40.0, None, None,
                       ("The C2 mean ambition of 30 min ran to 31/03/2026.",), now - timedelta(minutes=30))
    lines = _category(c2, now).lines
    assert "no interim target set for this year" in lines
    assert not any("standards file" in line for line in lines)
