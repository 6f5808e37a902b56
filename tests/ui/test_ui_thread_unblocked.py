"""The UI thread never waits for the replica's write lock (issue 15, finding 5).

Another connection to the same encrypted replica holds the write lock for 3 s (as the sync thread,
or another program, can) while the user refreshes the actions view, ticks an action card, marks an
action done or saves a decision.  A heartbeat timer on the UI thread must never stall for anything
like the hold: a wait for the lock shows as one gap of the whole 3 s.  In CI the bound is a third of
the hold: on a loaded two-core CI machine the scheduler alone has kept the UI thread from the GIL for
260 ms while an export thread ran.  The issue's 100 ms (what a user notices) is checked on a quiet
machine with ``SCC_UI_BUDGET_MS=100`` over these files and tests/ui/records/test_records_unblocked.py
(figures in docs/benchmarks.md).  Once the lock is released the write lands and the view shows it.  Real widgets, a real replica,
a real second connection; 40 providers, so the decision's snapshot is full size.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models.records import actions_due
from models.replica.orm import Action, AlertEvent, DecisionEntry, OpelAssessment
from sync import authoring
from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.feeds import NOW, forty_acute_providers
from tests.ui.ui_probe import Heartbeat, LockHolder, earlier_objects_set_aside, settled  # noqa: F401
from ui import tasks
from ui.actions_view import ActionsView
from ui.records.decisions_view import DecisionsView
from ui.widgets import table_text

HOLD_S = 3.0
# A wait for the lock is a gap of HOLD_S; CI's noise is a fraction of it.  SCC_UI_BUDGET_MS=100: the strict run.
BUDGET_MS = float(os.environ.get("SCC_UI_BUDGET_MS") or HOLD_S * 1000 / 3)
PROVIDERS = 40
pytestmark = pytest.mark.usefixtures("settled", "earlier_objects_set_aside")




def _show(qtbot, view):
    qtbot.addWidget(view)
    view.resize(1366, 768)
    view.show()
    qtbot.waitExposed(view)
    return view


def _actions_view(qtbot, store):
    view = _show(qtbot, ActionsView(store, lambda: NOW))
    view.user_edit.setText("Sam Lead")
    view.refresh()
    assert tasks.manager().wait_idle()
    return view


def _while_locked(qtbot, store, act, landed) -> float:
    """Run ``act`` on the UI thread while another connection holds the write lock; return the
    longest the UI thread was kept busy meanwhile, after checking ``landed`` once it is released."""
    beat = Heartbeat()
    with LockHolder(store, HOLD_S) as holder:
        beat.start()
        qtbot.wait(30)
        act()
        qtbot.waitUntil(holder.released.is_set, timeout=int(HOLD_S * 1000) + 5000)
        beat.stop()
    qtbot.waitUntil(landed, timeout=8000)
    print(f"the UI thread's longest gap while the lock was held: {beat.max_gap_ms:.0f} ms")   # -rP shows it
    return beat.max_gap_ms


def test_refreshing_the_actions_view_does_not_wait_for_the_write_lock(qtbot, store):
    view = _actions_view(qtbot, store)
    late = authoring.add_action(store, description="Phone Trust One site lead", owner="Room support",
                                author="Lead", due_at=NOW - timedelta(minutes=50))
    aid = actions_due.alert_uuid(late)

    def landed() -> bool:   # the chase raised its alert, and the view lists it
        with store.session() as s:
            return s.get(AlertEvent, aid) is not None and aid in view.ack_buttons

    gap = _while_locked(qtbot, store, view.refresh, landed)
    assert gap < BUDGET_MS, f"the UI thread was blocked {gap:.0f} ms"
    assert table_text(view.actions_table)[0][3] == "Overdue 50 min"


def test_ticking_an_action_card_does_not_wait_for_the_write_lock(qtbot, store):
    with store.session() as s, s.begin():
        for hours, level in ((2, 2), (1, 3)):
            s.add(OpelAssessment(scope="system", org_code=None, pillar="system",
                                 assessed_at=NOW - timedelta(hours=hours), table_edition="test",
                                 table_verified=False, calculated_level=level, complete=True))
    view = _actions_view(qtbot, store)
    uid, box = next(iter(view.card_boxes.items()))

    def landed() -> bool:
        with store.session() as s:
            ticked = s.scalar(select(func.count()).select_from(DecisionEntry)) == 1
        shown = view.card_boxes.get(uid)
        return ticked and shown is not None and shown.text().endswith("done by Sam Lead at Mon 12 Jan 10:00")

    gap = _while_locked(qtbot, store, box.click, landed)
    assert gap < BUDGET_MS, f"the UI thread was blocked {gap:.0f} ms"
    assert not view.card_boxes[uid].isEnabled()


def test_marking_an_action_done_does_not_wait_for_the_write_lock(qtbot, store):
    uid = authoring.add_action(store, description="Send the regional update", owner="Room lead",
                               author="Lead", due_at=NOW + timedelta(minutes=30))
    view = _actions_view(qtbot, store)

    def landed() -> bool:
        with store.session() as s:
            done = s.get(Action, uid).done_by == "Sam Lead"
        return done and uid not in view.done_buttons and not view.actions_empty.isHidden()

    gap = _while_locked(qtbot, store, view.done_buttons[uid].click, landed)
    assert gap < BUDGET_MS, f"the UI thread was blocked {gap:.0f} ms"


def test_saving_a_decision_with_its_actions_does_not_wait_for_the_write_lock(qtbot, store):
    forty_acute_providers(store, count=PROVIDERS)
    view = _show(qtbot, DecisionsView(store, lambda: NOW))
    view.author = "Test User"
    view.refresh()
    dialog = view.new_decision()
    dialog.decision_maker.setText("Dr Priya Raman")
    dialog.decision.setPlainText("Divert from R01 to R02 for two hours")
    dialog.rationale.setPlainText("R01 queue over 45 minutes")
    dialog.providers.setText("R01, R02")
    for n in range(3):
        assert dialog.add_action(f"Action {n}", "Room support", NOW + timedelta(minutes=30 + n))

    def landed() -> bool:
        with store.session() as s:
            entry = s.scalar(select(DecisionEntry))
            actions = s.scalar(select(func.count()).select_from(Action))
        return (entry is not None and actions == 3 and not dialog.isVisible()
                and any("Divert from R01" in " ".join(r) for r in table_text(view.table)))

    gap = _while_locked(qtbot, store, dialog.save, landed)
    assert gap < BUDGET_MS, f"the UI thread was blocked {gap:.0f} ms"
    with store.session() as s:
        snapshot = s.scalar(select(DecisionEntry)).situation_snapshot
    assert len(snapshot["providers"]) == PROVIDERS


def test_reading_the_data_quality_view_does_not_wait_for_the_write_lock(qtbot, store):
    """The view's page is a read off the UI thread: drawn while another connection holds the write lock
    (WAL: a reader never waits for the writer), its filters asked meanwhile, the UI thread free throughout.
    40 providers, each with a quarantined item the hub's notice names."""
    from models.service import quality
    from tests.ui.feeds import Feed, iso
    from ui.quality_view import QualityView

    forty_acute_providers(store, count=PROVIDERS)
    feed = Feed(first_seq=10_000)
    for n in range(PROVIDERS):
        at = iso(NOW - timedelta(minutes=n))
        feed.add("intake_notice", {
            "submission_id": f"sub-{n:04d}", "org_code": f"R{n:02d}", "source": "json", "submitted_at": at,
            "received_at": at, "accepted": 0, "accepted_keys": [], "rejected_count": 1, "rejected": [{
                "index": 0, "type": "observation", "metric": "ga_bed_occupancy_pct",
                "errors": [{"field": "items.0.value", "reason": "180 is outside the valid range 0 to 150"}],
                "raw": '{"metric": "ga_bed_occupancy_pct", "value": 180}'}]})
    feed.apply(store)
    quality.run_checks(store, NOW)
    view = _show(qtbot, QualityView(store, lambda: NOW))

    def drawn() -> bool:
        return view.table.rowCount() == PROVIDERS and view.summary.rowCount() == PROVIDERS

    beat = Heartbeat()
    with LockHolder(store, HOLD_S) as holder:
        beat.start()
        qtbot.wait(30)
        view.refresh()
        qtbot.waitUntil(drawn, timeout=int(HOLD_S * 1000))
        drawn_while_locked = not holder.released.is_set()
        view.provider_filter.setCurrentIndex(view.provider_filter.findData("R07"))
        qtbot.waitUntil(lambda: view.table.rowCount() == 1, timeout=int(HOLD_S * 1000))
        qtbot.waitUntil(holder.released.is_set, timeout=int(HOLD_S * 1000) + 5000)
        beat.stop()
    assert drawn_while_locked, "the view's read waited for the write lock"
    assert beat.max_gap_ms < BUDGET_MS, f"the UI thread was blocked {beat.max_gap_ms:.0f} ms"
    assert "sub-0007" in table_text(view.table)[0][5]
