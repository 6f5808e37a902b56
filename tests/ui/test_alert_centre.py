"""The alert banner, the alert centre and the tray's notification, over a real encrypted replica
with the hub's alerts applied as the feed brings them (forty providers, a dozen alerts), real
widgets offscreen; one test syncs from a real hub on loopback."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from models.replica.orm import AlertEvent, OutboxItem
from models.service import alert_centre
from models.service.alert_centre import Escalation
from sync.connectivity import ConnectivityTracker
from sync.engine import CycleResult
from tests.models.conftest import store, store_path  # noqa: F401
from tests.support.fixtures import sqlite_hub  # noqa: F401
from tests.sync.engine.conftest import make_desktop, submit  # noqa: F401
from tests.ui.alert_seed import apply_alerts, seed_room, signals_to_alerts, wait
from tests.ui.feeds import NOW, forty_acute_providers
from tests.ui.ui_probe import Heartbeat, LockHolder, earlier_objects_set_aside, settled  # noqa: F401
from ui import tasks, theme
from ui.alert_tray import AlertTray, notification
from ui.alerts_view import AlertsView, escalation_text
from ui.main_window import MainWindow
from ui.widgets import table_text

pytestmark = pytest.mark.usefixtures("settled")


def settle() -> None:
    assert tasks.manager().wait_idle()


@pytest.fixture
def window(qtbot, store):
    w = MainWindow(store, clock=lambda: NOW)
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    qtbot.waitExposed(w)
    settle()
    return w


def _centre(qtbot, store, now=NOW) -> AlertsView:
    view = AlertsView(store, lambda: now)
    qtbot.addWidget(view)
    view.resize(1366, 700)
    view.show()
    qtbot.waitExposed(view)
    view.user_edit.setText("Sam Lead")
    view.refresh()
    settle()
    return view


def _online():
    return ConnectivityTracker().reached(NOW, NOW, 0)


# --- the banner ------------------------------------------------------------------------------
def test_the_banner_counts_open_alerts_and_names_the_worst_when_a_cycle_brings_them(window, store):
    assert window.alert_banner.count == 0 and window.alert_banner.text() == "No open alerts"
    forty_acute_providers(store)
    wires = signals_to_alerts([wait("R05", 50, 50.0), wait("R09", 30, 70.0)])
    apply_alerts(store, wires)
    window.on_cycle(CycleResult(_online(), kinds={"alert": len(wires)}))
    settle()
    banner = window.alert_banner
    # R09 raised two (the 45-minute warning and the 60-minute critical), R05 one: the critical is worst.
    assert banner.count == 3 and banner.isVisible()
    assert banner.text().startswith("3 open alerts. Worst: CRITICAL")
    assert "An ambulance has waited 60 minutes or more" in banner.text()
    assert "Provider 09 NHS Trust (R09)" in banner.text() and "open 30 min" in banner.text()
    banner.open_button.click()
    assert window.current_key() == "alerts"


def test_the_banner_follows_the_housekeeping_pass_and_a_clear(window, store):
    forty_acute_providers(store)
    raised = signals_to_alerts([wait("R03", 40, 50.0)])
    apply_alerts(store, raised)
    window.housekeeping_later()   # the minute timer's pass: the banner is read again after it
    settle()
    assert window.alert_banner.count == 1 and "open 40 min" in window.alert_banner.text()
    cleared = signals_to_alerts([wait("R03", 40, 50.0), wait("R03", 5, 10.0)])
    apply_alerts(store, cleared, first_seq=20_000)
    window.on_cycle(CycleResult(_online(), kinds={"alert": 1}))
    settle()
    assert window.alert_banner.count == 0 and window.alert_banner.text() == "No open alerts"


def test_the_banner_after_a_real_sync_cycle_from_a_hub(qtbot, sqlite_hub, make_desktop):
    desk = make_desktop(sqlite_hub, "a")
    w = MainWindow(desk.store, clock=lambda: datetime.now(timezone.utc))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    settle()
    assert w.alert_banner.count == 0
    at = datetime.now(timezone.utc)
    submit(sqlite_hub, [{"type": "ambulance_status", "declared_at": at.isoformat(), "reap_level": 4}],
           org="RAMB1", role="admin")
    result = desk.run_once()
    assert result.error is None and result.kinds.get("alert")
    w.on_cycle(result)
    settle()
    assert w.alert_banner.count == 2   # REAP 3 and REAP 4
    assert "CRITICAL" in w.alert_banner.text() and "RAMB1" in w.alert_banner.text()
    assert "REAP level rose to 4" in w.alert_banner.text()
    notice = w.alert_tray.last_notice
    assert notice is not None and notice.title == "Critical: An ambulance service's REAP level rose to 4"
    assert "RAMB1" in notice.text
    w.close()


# --- the alert centre ------------------------------------------------------------------------
def test_the_centre_lists_each_alert_with_what_the_room_needs_to_act(qtbot, store):
    seed_room(store)
    view = _centre(qtbot, store)
    assert view.state_buttons["open"].text() == "Open (7)"
    assert view.state_buttons["acknowledged"].text() == "Acknowledged (2)"
    assert view.state_buttons["cleared"].text() == "Cleared (2)"
    rows = table_text(view.table)
    assert [r[0] for r in rows] == ["CRITICAL"] * 2 + ["WARNING"] * 5
    first = rows[0]   # worst first: critical, then the longest open
    assert first[1].startswith("An ambulance has waited 60 minutes or more")
    assert first[2] == "Provider 01 NHS Trust (R01)" and first[3] == "raised 72 min\nrule ≥ 60 min"   # the raising value, then the rule (no figure now for a wait)
    assert first[4] == "Mon 12 Jan 08:25" and first[5] == "1 h 35 min"
    flapping = next(r for r in rows if "Provider 07" in r[2])
    assert "Raised 15 times, cleared 14 since" in flapping[1]
    pillar = next(r for r in rows if r[2] == "Acute pillar")
    assert pillar[3] == "raised OPEL 3\nrule ≥ OPEL 3"

    view.show_state("acknowledged")
    settle()
    acked = {r[2]: r for r in table_text(view.table)}
    assert acked["Provider 22 NHS Trust (R22)"][6] == (
        "Sam Lead at Mon 12 Jan 09:45: Unit lead phoned; mutual aid asked")
    assert acked["Provider 01 NHS Trust (R01)"][6] == "Alex Duty at Mon 12 Jan 09:00: HALO on site"
    assert not view.ack_button.isEnabled()

    view.show_state("cleared")
    settle()
    cleared = table_text(view.table)
    assert len(cleared) == 2 and {r[2] for r in cleared} == {"Provider 12 NHS Trust (R12)"}
    assert cleared[0][5] == "Mon 12 Jan 07:30 (open 50 min)"


def test_acknowledging_with_a_note_writes_the_alert_ack_and_moves_the_row(qtbot, store):
    seed_room(store)
    view = _centre(qtbot, store)
    uid = view.row_uuids[0]
    with store.session() as s:
        before = len(s.scalars(select(OutboxItem).where(OutboxItem.kind == "alert_ack")).all())
    view.select_alert(uid)
    view.note_edit.setText("Divert agreed with EOC")
    view.ack_button.click()
    settle()
    assert uid not in view.row_uuids and view.state_buttons["open"].text() == "Open (6)"
    assert view.note_edit.text() == ""
    view.show_state("acknowledged")
    settle()
    row = table_text(view.table)[view.row_uuids.index(uid)]
    assert row[6] == "Sam Lead at Mon 12 Jan 10:00: Divert agreed with EOC"
    with store.session() as s:
        alert = s.get(AlertEvent, uid)
        assert (alert.acknowledged_by, alert.acknowledged_note) == ("Sam Lead", "Divert agreed with EOC")
        acks = s.scalars(select(OutboxItem).where(OutboxItem.kind == "alert_ack")).all()
        assert len(acks) == before + 1


def test_acknowledging_needs_a_name_and_a_chosen_alert(qtbot, store):
    seed_room(store)
    view = _centre(qtbot, store)
    view.table.clearSelection()
    view.table.setCurrentCell(-1, -1)
    assert not view.ack_button.isEnabled()
    view.select_alert(view.row_uuids[0])
    view.user_edit.setText("")
    view.ack_button.click()
    assert "Recording as" in view.message.text() and not view.message.isHidden()


def test_filters_by_provider_and_by_rule_in_every_tab(qtbot, store):
    seed_room(store)
    view = _centre(qtbot, store)
    providers = [view.provider_filter.itemData(i) for i in range(view.provider_filter.count())]
    assert providers[0] is None and "R07" in providers and alert_centre.NO_PROVIDER in providers
    view.set_filters(provider="R01")
    settle()
    assert {r[2] for r in table_text(view.table)} == {"Provider 01 NHS Trust (R01)"}
    assert view.state_buttons["open"].text() == "Open (1)"
    assert view.state_buttons["acknowledged"].text() == "Acknowledged (1)"
    view.set_filters(provider=None, rule="handover_release_45")
    settle()
    assert {r[2] for r in table_text(view.table)} == {"Provider 07 NHS Trust (R07)"}
    view.show_state("cleared")
    settle()
    assert {r[2] for r in table_text(view.table)} == {"Provider 12 NHS Trust (R12)"}
    view.set_filters(provider="R30", rule="handover_release_45")
    settle()
    assert view.table.rowCount() == 0 and "No cleared alerts match" in view.none_label.text()
    assert not view.none_label.isHidden()


def test_the_escalation_outcome_is_shown_where_the_replica_holds_it(qtbot, store):
    seed_room(store)
    with store.session() as s, s.begin():
        rows = s.scalars(select(AlertEvent).where(AlertEvent.cleared_at.is_(None),
                                                  AlertEvent.acknowledged_at.is_(None))).all()
        rows[0].escalation_outcome, rows[0].escalated_to = "sent", "Dr Priya Raman"
        rows[0].escalated_at = NOW - timedelta(minutes=28)
        rows[1].escalation_outcome, rows[1].escalation_error = "failed", "SMTP server refused the login"
        sent, failed = rows[0].uuid, rows[1].uuid
    view = _centre(qtbot, store)
    text = {uid: table_text(view.table)[i][6] for i, uid in enumerate(view.row_uuids)}
    assert text[sent] == "Emailed Dr Priya Raman at 09:32"
    assert text[failed] == "Email to the on-call failed — phone the on-call"
    item = view.table.item(view.row_uuids.index(failed), 6)
    assert "SMTP server refused the login" in item.toolTip().replace("\xa0", " ")   # the reason: the tooltip and the detail


# The hub's notices for an email that failed and is being tried again, as sync/hub/escalation.py words them.
RETRYING = "451 4.3.0 Mail server temporarily rejected message; the hub is trying again while the alert is open"
STALLED = ("no complete answer from smtp.relay.nhs.net within 90 s (three 30 s timeouts); the hub is trying "
           "again while the alert is open")


@pytest.mark.parametrize("size", [(1366, 700), (1266, 560)], ids=["1366x768", "1280x720"])
def test_an_email_that_failed_and_is_retried_says_whom_to_phone_in_a_short_red_cell(qtbot, store, size):
    """Found rendering a failed escalation: the cell held the mail server's reason, the hub's retry and the
    instruction, seven lines in a narrow column with "phone the on-call" last, never naming the person the
    email was for, in plain text like "Not yet"; at 1280x720 the column's heading read ":knowledged,
    escalate". Now the cell names the person and the time, says to phone and that the hub is trying again,
    in the not-met colours; the reason is in its tooltip and in the detail below in full; then "Emailed"."""
    seed_room(store)
    with store.session() as s, s.begin():
        rows = s.scalars(select(AlertEvent).where(AlertEvent.cleared_at.is_(None),
                                                  AlertEvent.acknowledged_at.is_(None))).all()
        for row, error in ((rows[0], RETRYING), (rows[1], STALLED)):
            row.escalation_outcome, row.escalation_error = "failed", error
            row.escalated_to, row.escalated_at = "Dr Priya Raman", NOW - timedelta(minutes=12)
        first, second = rows[0].uuid, rows[1].uuid
    view = _centre(qtbot, store)
    view.setStyleSheet(theme.stylesheet(theme.current()))   # the window's 10-point text
    view.resize(*size)
    view.refresh()
    settle()
    table, header = view.table, view.table.horizontalHeader()
    for uid in (first, second):
        r = view.row_uuids.index(uid)
        item = table.item(r, 6)
        assert item.text() == "Email to Dr Priya Raman failed at 09:48 — phone the on-call; the hub is trying again"
        assert item.background().color().name() == "#c62828"
        tip = item.toolTip().replace("\xa0", " ")
        assert "Mail server temporarily" in tip or "no complete answer from smtp.relay.nhs.net" in tip
        # Three lines at most in its column: the row stays near its neighbours' height.
        lines = -(-table.fontMetrics().horizontalAdvance(item.text()) // max(1, table.columnWidth(6) - 8))
        assert lines <= 4, (lines, table.columnWidth(6))
    for c in range(table.columnCount()):   # every heading whole
        assert table.columnWidth(c) >= header.sectionSizeHint(c), table.horizontalHeaderItem(c).text()
    view.select_alert(first)
    assert ("Email to Dr Priya Raman failed at 09:48: 451 4.3.0 Mail server temporarily rejected message; the hub "
            "is trying again while the alert is open — phone the on-call") in view.detail.text()
    # Then the hub's next try goes: the cell says so, in the table's own colours.
    with store.session() as s, s.begin():
        row = s.get(AlertEvent, first)
        row.escalation_outcome, row.escalation_error, row.escalated_at = "sent", None, NOW - timedelta(minutes=2)
    view.refresh()
    settle()
    item = table.item(view.row_uuids.index(first), 6)
    assert item.text() == "Emailed Dr Priya Raman at 09:58" and item.data(Qt.ItemDataRole.BackgroundRole) is None
    # After failures the hub's outcome says it went late: the cell says so, its tooltip and the detail from when.
    late = "late: its first try failed at Mon 12 Jan 2026 09:48 GMT; sent at try 4"
    with store.session() as s, s.begin():
        s.get(AlertEvent, first).escalation_error = late
    view.refresh()
    settle()
    item = table.item(view.row_uuids.index(first), 6)
    assert item.text() == "Emailed Dr Priya Raman at 09:58, late" and late in item.toolTip().replace("\xa0", " ")
    view.select_alert(first)
    assert f"Emailed Dr Priya Raman at 09:58 ({late})" in view.detail.text()


@pytest.mark.usefixtures("earlier_objects_set_aside")
def test_many_alerts_read_in_one_go_off_the_ui_thread(qtbot, store):
    """Forty providers, each with several open and cleared alerts: the centre's page is one read."""
    forty_acute_providers(store)
    sigs = []
    for n in range(40):
        org = f"R{n:02d}"
        # cleared last night (beyond the 12 h a new raise folds), open again this morning
        sigs += [wait(org, 900, 70.0), wait(org, 850, 10.0), wait(org, 100, 75.0)]
    apply_alerts(store, signals_to_alerts(sigs))
    reads = []
    view = AlertsView(store, lambda: NOW)
    qtbot.addWidget(view)
    view.resize(1366, 700)
    view.show()
    qtbot.waitExposed(view)
    view._reads = type(view._reads)(view, lambda page: (reads.append(page), view._draw(page)))
    view.refresh()
    settle()
    assert len(reads) == 1 and view.table.rowCount() == 80
    assert view.state_buttons["cleared"].text() == "Cleared (80)"
    # Drawn again (a sync cycle, an acknowledgement): replacing the rows must not re-measure the
    # table once per cell (it did: about 5 s for these 80 rows, 190 s for 500).
    beat = Heartbeat()
    beat.start()
    view.refresh()
    settle()
    view.show_state("cleared")
    settle()
    view.show_state("open")
    settle()
    beat.stop()
    assert len(reads) == 4 and view.table.rowCount() == 80
    assert beat.max_gap_ms < 1000, f"the UI thread was blocked {beat.max_gap_ms:.0f} ms"


# --- the tray's notification -----------------------------------------------------------------
def _page(store, now=NOW):
    return alert_centre.banner(store, now)


def test_the_tray_names_one_new_alert_its_rule_provider_and_value(qtbot, store):
    forty_acute_providers(store)
    tray = AlertTray()
    tray.seen(_page(store))   # what is open at start is on the banner already: no notification
    assert tray.last_notice is None
    apply_alerts(store, signals_to_alerts([wait("R05", 20, 50.0)]))
    notice = tray.seen(_page(store))
    assert notice.title == "Warning: An ambulance has waited 45 minutes or more: release to respond"
    assert notice.text.startswith("Provider 05 NHS Trust (R05): ")
    assert "R05 raised 09:40 at 50 min (rule ≥ 45 min)" in notice.text
    assert tray.seen(_page(store)) is None   # the same alert again: nothing new


def test_a_backlog_of_thirty_is_one_summarising_notification(qtbot, store):
    forty_acute_providers(store)
    tray = AlertTray()
    tray.seen(_page(store))
    sigs = [wait(f"R{n:02d}", 300 - n, 50.0 + n) for n in range(30)]   # 45-min warnings; 60+ also critical
    apply_alerts(store, signals_to_alerts(sigs))
    page = _page(store)
    assert page.open_count == 30 + 20
    notice = tray.seen(page)
    # A wait of 60 min or more raises the 45-minute warning too: one wait, told once, its worst.
    assert notice.title == "30 new alerts (20 critical, 10 warning)"
    assert notice.text.startswith("Worst: An ambulance has waited 60 minutes or more to hand over at "
                                  "Provider 10 NHS Trust (R10), R10 raised 05:10 at 60 min")
    assert "and 29 more at 30 providers (20 lesser alerts beside them)" in notice.text
    assert notice.text.count("\n") <= 3


def test_info_alerts_make_no_notification(qtbot):
    assert notification([]) is None


def test_escalation_words(qtbot):
    at = datetime(2026, 7, 1, 13, 32, tzinfo=timezone.utc)   # summer: UK time is an hour on
    assert escalation_text(Escalation("sent", at, "Dr Priya Raman", None)) == "Emailed Dr Priya Raman at 14:32"
    assert escalation_text(Escalation("failed", at, "Dr Priya Raman", "connection refused")) == (
        "Email to Dr Priya Raman failed at 14:32: connection refused — phone the on-call")
    assert escalation_text(Escalation("failed", at, "Dr Priya Raman", "connection refused"), short=True) == (
        "Email to Dr Priya Raman failed at 14:32 — phone the on-call")
    fallback = Escalation("failed", at, "Dr Priya Raman", "550 no such user; emailing the SCC fallback address instead")
    assert escalation_text(fallback, short=True) == (
        "Email to Dr Priya Raman failed at 14:32 — phone the on-call; the hub is emailing the SCC fallback address")
    assert escalation_text(None) == ""


# --- the UI thread -----------------------------------------------------------------------------
HOLD_S = 3.0
BUDGET_MS = HOLD_S * 1000 / 3   # as tests/ui/test_ui_thread_unblocked.py: a wait for the lock is the whole hold


@pytest.mark.usefixtures("earlier_objects_set_aside")
def test_the_centre_reads_and_acknowledges_without_waiting_for_the_write_lock(qtbot, store):
    seed_room(store)
    view = _centre(qtbot, store)
    uid = view.row_uuids[0]
    view.select_alert(uid)
    view.note_edit.setText("On it")
    beat = Heartbeat()
    with LockHolder(store, HOLD_S) as holder:
        beat.start()
        qtbot.wait(30)
        view.show_state("cleared")      # a read: never waits for the writer (WAL)
        view.show_state("open")
        qtbot.waitUntil(lambda: view.state == "open" and uid in view.row_uuids, timeout=3000)
        view.select_alert(uid)
        view.ack_button.click()         # a write: waits its turn off the UI thread
        qtbot.waitUntil(holder.released.is_set, timeout=int(HOLD_S * 1000) + 5000)
        beat.stop()
    qtbot.waitUntil(lambda: uid not in view.row_uuids, timeout=8000)
    assert beat.max_gap_ms < BUDGET_MS, f"the UI thread was blocked {beat.max_gap_ms:.0f} ms"
    with store.session() as s:
        assert s.get(AlertEvent, uid).acknowledged_note == "On it"


def test_a_clicked_notification_opens_the_centre_and_the_sound_is_a_setting_off_by_default(window):
    assert not window.alert_tray.sound and not window.sound_action.isChecked()
    window.alert_tray.clicked.emit()
    assert window.current_key() == "alerts"
    window.sound_action.setChecked(True)
    assert window.alert_tray.sound
