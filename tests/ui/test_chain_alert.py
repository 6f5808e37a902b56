"""The window's housekeeping pass checks the decision log's chains: a year's log (2,950 decisions with
40-provider snapshots) on a real encrypted replica, a stored row changed with SQL through the replica's own
connection, the real main window and alert centre offscreen.  The banner names the broken entry, the
centre shows what to do, and the alert stays until someone acknowledges it there."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from models.records import chain_watch, verify
from models.replica.orm import AlertEvent
from models.replica.orm.types import utcnow
from models.service import decisions
from tests.models.conftest import store, store_path  # noqa: F401
from tests.records.year_log import write_year
from tests.ui.ui_probe import settled  # noqa: F401
from ui import tasks
from ui.alerts_view import AlertsView
from ui.main_window import MainWindow
from ui.widgets import table_text

pytestmark = pytest.mark.usefixtures("settled")
SHOTS = os.environ.get("SCC_SHOTS")   # a folder: the window and the centre are saved there as PNG


def settle() -> None:
    assert tasks.manager().wait_idle(60_000)


class Clock:
    def __init__(self, at):
        self.at = at

    def __call__(self):
        return self.at


def save_asked(window, store, at) -> list[float]:
    """A decision saved from ``window`` as a user saves one, asked now: the list gets how long it took."""
    saved: list[float] = []
    asked = time.perf_counter()
    new = decisions.NewDecision(decision_maker="Dr Lead", decision_maker_role="Director on-call",
                                decision="Open the escalation ward", rationale="OPEL 4 at two trusts",
                                recorded_by="Room support", decided_at=at)
    tasks.CollectionOp(window, lambda: decisions.record_decision(store, new)).success(
        lambda _done: saved.append(time.perf_counter() - asked)).run_in_background()
    return saved


def _pass(window) -> None:
    window.housekeeping_later()
    settle()
    settle()   # the banner's read, asked when the pass reached the window


@pytest.mark.timeout(300)
def test_a_changed_row_raises_an_alert_the_banner_names_until_it_is_acknowledged(qtbot, store):
    clock = Clock(utcnow())
    uuids = write_year(store, 2950, clock.at)
    window = MainWindow(store, clock=clock)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    _pass(window)
    assert window.alert_banner.count == 0

    target = uuids[2000]
    with store.raw() as conn:   # outside the app: SQL on the replica's own connection
        conn.execute("UPDATE decision_entry SET decision_maker = 'Someone Else' WHERE uuid = ?", (target,))
    clock.at += chain_watch.CHECK_EVERY   # the minute timer's next pass after the check is due
    _pass(window)
    banner = window.alert_banner
    assert banner.count == 1 and banner.isVisible()
    assert "The decision log's hash chain is broken" in banner.text() and "WARNING" in banner.text()

    centre = AlertsView(store, clock)
    qtbot.addWidget(centre)
    centre.resize(1366, 700)
    centre.show()
    qtbot.waitExposed(centre)
    centre.user_edit.setText("Sam Lead")
    centre.refresh()
    settle()
    (row,) = table_text(centre.table)
    assert row[0] == "WARNING" and row[2].startswith("This desktop ")
    assert f"Decision log broken at entry {target}" in row[1] and "device_seq 2001, hub_seq 2001" in row[1]
    assert "scc-desktop records verify" in row[1] and "information governance lead" in row[1]
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        window.grab().save(str(Path(SHOTS) / "chain_alert_window.png"))
        centre.select_alert(centre.row_uuids[0])
        centre.grab().save(str(Path(SHOTS) / "chain_alert_centre.png"))

    for _ in range(2):   # later passes: the same break, still one alert, still open
        clock.at += chain_watch.CHECK_EVERY
        _pass(window)
        assert banner.count == 1

    centre.select_alert(centre.row_uuids[0])
    centre.note_edit.setText("IG lead told; replica copied")
    centre.ack_button.click()
    settle()
    assert centre.row_uuids == []
    clock.at += chain_watch.CHECK_EVERY
    _pass(window)
    assert banner.count == 0 and banner.text() == "No open alerts"
    with store.session() as s:
        (alert,) = s.scalars(select(AlertEvent).where(AlertEvent.rule_code == chain_watch.RULE_CODE)).all()
        assert alert.acknowledged_by == "Sam Lead" and alert.cleared_at is None


@pytest.mark.timeout(300)
def test_a_save_asked_while_the_log_is_checked_does_not_wait_for_the_check(qtbot, store):
    """The chain check ran inside the housekeeping pass on the one write thread: a decision saved as the window
    opened (its first check hashes the whole log) waited for it, 2-5 s a pass on 30,000 decisions.  The check
    is now a read on the read lane; the save waits only for the pass's writes."""
    clock = Clock(utcnow())
    uuids = write_year(store, 2950, clock.at)
    with store.session() as s:   # what hashing the whole log costs here
        started = time.perf_counter()
        assert verify.verify(s).intact
        took_whole = time.perf_counter() - started
    with store.raw() as conn:   # changed before the start: the first check finds it
        conn.execute("UPDATE decision_entry SET decision_maker = 'Someone Else' WHERE uuid = ?", (uuids[2900],))
    window = MainWindow(store, clock=clock)   # its first pass, and the first check, asked now
    qtbot.addWidget(window)
    saved = save_asked(window, store, clock.at)
    settle()
    settle()
    print(f"2,950 decisions: whole check {took_whole:.2f} s; a save asked with the first pass took {saved[0]:.2f} s")
    assert saved and saved[0] < 0.5 * took_whole, (saved, took_whole)
    assert window.alert_banner.count == 1 and "hash chain is broken" in window.alert_banner.text()
    with store.session() as s:
        (alert,) = s.scalars(select(AlertEvent).where(AlertEvent.rule_code == chain_watch.RULE_CODE)).all()
        assert uuids[2900] in alert.detail


@pytest.mark.timeout(300)
def test_a_first_check_over_several_reads_goes_on_by_itself_and_finds_a_late_row(qtbot, store, monkeypatch):
    """A log bigger than one check's budget is checked over several reads, each asked a moment after the one
    before (not at the next minute's pass): a row changed near its end is alerted without any pass asked."""
    from ui import main_window

    monkeypatch.setattr(chain_watch, "BUDGET", 400)
    monkeypatch.setattr(main_window, "CHAIN_CONTINUE_MS", 100)
    clock = Clock(utcnow())
    uuids = write_year(store, 1000, clock.at, providers=5)
    with store.raw() as conn:
        conn.execute("UPDATE decision_entry SET rationale = 'edited' WHERE uuid = ?", (uuids[950],))
    window = MainWindow(store, clock=clock)
    qtbot.addWidget(window)

    def alerted() -> bool:
        tasks.manager().wait_idle(1000)
        return window.alert_banner.count == 1
    qtbot.waitUntil(alerted, timeout=30_000)
    settle()
    with store.session() as s:
        (alert,) = s.scalars(select(AlertEvent).where(AlertEvent.rule_code == chain_watch.RULE_CODE)).all()
        assert uuids[950] in alert.detail
